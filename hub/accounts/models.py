"""Staff and the departments (skills) they serve."""

from __future__ import annotations

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from hub.extensions import db

ROLES = ("clerk", "supervisor", "admin")
# "away" is set by the router when a clerk lets offers lapse; the others by the clerk.
PRESENCE = ("available", "break", "after_call_work", "away", "offline")

user_departments = Table(
    "user_departments",
    db.Model.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class Department(db.Model):
    """A queue and a skill: the matters one team of clerks handles."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_pl: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    # Residents choose only public departments; the feedback queue is internal.
    public: Mapped[bool] = mapped_column(default=True)
    # Target for answering a waiting contact, in seconds (the SLA), and its share goal.
    sla_seconds: Mapped[int] = mapped_column(default=120, server_default="120")
    # Residents may ask for a video call from the widget (e.g. Polish Sign Language).
    video_calls: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_pl


class User(UserMixin, db.Model):
    """A member of staff: clerk, supervisor or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # What residents see: a first name only ("Anna"), per the city's privacy practice.
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default="clerk")
    capacity: Mapped[int] = mapped_column(default=3)
    presence: Mapped[str] = mapped_column(String(20), default="offline")
    active: Mapped[bool] = mapped_column(default=True)
    # The phone Twilio rings for "Call now" before bridging to the resident (E.164).
    phone: Mapped[str | None] = mapped_column(String(32))
    departments: Mapped[list[Department]] = relationship(secondary=user_departments)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive staff
        return self.active

    def has_role(self, *roles: str) -> bool:
        """Admins can do what supervisors can, supervisors what clerks can."""
        rank = ROLES.index(self.role)
        return any(rank >= ROLES.index(r) for r in roles)

    @property
    def department_codes(self) -> tuple[str, ...]:
        return tuple(sorted(d.code for d in self.departments if d.active))
