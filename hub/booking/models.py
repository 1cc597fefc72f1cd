"""The booking catalogue (services, their documents, offices, desks, hours) and bookings.

A desk's day is a grid of cells (BOOKING_CELL_MINUTES); a booking claims the cells its visit
covers, one SlotClaim row each. The unique (desk, start) constraint on claims is what makes
double booking impossible, whatever the number of processes.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.accounts.models import Department, User
from hub.clock import utcnow
from hub.extensions import db

# held → confirmed → arrived → done; held → expired; confirmed → cancelled or no_show.
BOOKING_STATES = ("held", "confirmed", "cancelled", "expired", "arrived", "done", "no_show")
ACTIVE_STATES = ("held", "confirmed")

service_offices = Table(
    "service_offices",
    db.Model.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
)


class Office(db.Model):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_pl: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    desks: Mapped[list[Desk]] = relationship(back_populates="office", order_by="Desk.id")
    hours: Mapped[list[OfficeHours]] = relationship(order_by="OfficeHours.weekday, OfficeHours.opens")

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_pl


class Desk(db.Model):
    __tablename__ = "desks"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    office: Mapped[Office] = relationship(back_populates="desks")
    name: Mapped[str] = mapped_column(String(60))
    # Share of the desk's cells kept for staff (phone and walk-in bookings), in percent.
    staff_only_percent: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class OfficeHours(db.Model):
    """One opening range of an office on a weekday; several a day leave breaks between."""

    __tablename__ = "office_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    weekday: Mapped[int]  # 0 = Monday
    opens: Mapped[time]
    closes: Mapped[time]


class OfficeClosure(db.Model):
    """A day the office is closed besides public holidays (e.g. a staff training day)."""

    __tablename__ = "office_closures"
    __table_args__ = (UniqueConstraint("office_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    day: Mapped[date]
    reason: Mapped[str | None] = mapped_column(String(200))


class Service(db.Model):
    """A matter residents book a visit for ("sprawa"), e.g. registering a car."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_pl: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(160))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    department: Mapped[Department] = relationship()
    duration_minutes: Mapped[int] = mapped_column(default=15)
    fee_pl: Mapped[str | None] = mapped_column(String(200))
    fee_en: Mapped[str | None] = mapped_column(String(200))
    min_notice_hours: Mapped[int] = mapped_column(default=2)
    max_days_ahead: Mapped[int] = mapped_column(default=30)
    active: Mapped[bool] = mapped_column(default=True)
    offices: Mapped[list[Office]] = relationship(secondary=service_offices, order_by="Office.id")
    documents: Mapped[list[ServiceDocument]] = relationship(order_by="ServiceDocument.position")

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_pl

    def fee(self, language: str) -> str | None:
        return self.fee_en if language == "en" else self.fee_pl


class ServiceDocument(db.Model):
    """One document to bring, in the order the clerk will ask for them."""

    __tablename__ = "service_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name_pl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(default=True)
    note_pl: Mapped[str | None] = mapped_column(Text)
    note_en: Mapped[str | None] = mapped_column(Text)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_pl

    def note(self, language: str) -> str | None:
        return self.note_en if language == "en" else self.note_pl


class Booking(db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    service: Mapped[Service] = relationship()
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    office: Mapped[Office] = relationship()
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))
    desk: Mapped[Desk] = relationship()
    starts_at: Mapped[datetime] = mapped_column(index=True)  # naive UTC
    ends_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="held", index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    # The phone (E.164) or the lower-cased e-mail: anti-hoarding counts by it.
    contact_key: Mapped[str] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(5), default="pl")
    hold_expires_at: Mapped[datetime | None]
    confirm_code_hash: Mapped[str | None] = mapped_column(String(64))
    confirm_attempts: Mapped[int] = mapped_column(default=0)
    # A client's key for "the same request again" (a double click, a retried API call).
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    staff_only: Mapped[bool] = mapped_column(default=False)  # booked by staff
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    booked_by: Mapped[User | None] = relationship()
    # The timeline the booking's events go to: its own, or the conversation it came from.
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"), index=True)
    token_key: Mapped[str] = mapped_column(String(64))  # rotating it revokes the links
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    # The office visit rating (hub.booking.rating): the link goes once, after the visit.
    rating_requested_at: Mapped[datetime | None]
    rating: Mapped[int | None]  # 1..5
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]  # the resident's details removed


class SlotClaim(db.Model):
    """One cell of a desk's day taken by a booking. Unique per desk and start."""

    __tablename__ = "slot_claims"
    __table_args__ = (UniqueConstraint("desk_id", "starts_at", name="uq_slot_claims_desk_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))
    starts_at: Mapped[datetime]
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    # Set when the booking was cancelled: the cell is offered again only after this time.
    reusable_after: Mapped[datetime | None]
