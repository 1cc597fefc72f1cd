"""One resident's data on request: find what is held, export it, erase it.

A resident is found by what they can tell the office: a phone number, an e-mail address, a
booking reference or an interaction number. A reference or an interaction number leads to
the phone and e-mail given there, and everything held under those is shown as well (one
step only, so a shared family phone does not pull in a second person's e-mail).

Erasure uses the same functions as the retention purge (hub.privacy.anonymise) and is
refused while a contact is still open or a visit still to come: the clerk handling it, or
the office expecting the resident, still needs the details. Close or cancel it first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from channels.models import OptOut, OutboxEntry, TextSending
from hub.accounts.models import User
from hub.booking import service as booking_service
from hub.booking.models import Booking
from hub.callbacks.models import CallAttempt, CallbackRequest
from hub.clock import iso, utcnow
from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import Interaction, Message
from hub.moderation.service import fingerprint
from hub.phones import normalize_phone
from hub.privacy import anonymise
from hub.privacy.anonymise import Counts, batches
from hub.privacy.storage import compact_fulltext

SEARCH_BY = ("phone", "email", "reference", "interaction")
LIVE_VISIT_STATES = ("held", "confirmed", "arrived")

MESSAGES.update({
    "privacy_search_by": _l("Please choose what you are searching by."),
    "privacy_interaction_number": _l("Please give the interaction number as digits, e.g. 1234."),
    "privacy_unknown_interaction": _l("No interaction has this number."),
    "privacy_open_contacts": _l(
        "Interaction %(numbers)s is still open. Erase the data once it has been closed."),
    "privacy_live_visits": _l(
        "Visit %(references)s is still to come. Cancel it, or erase the data after the visit."),
    "privacy_not_confirmed": _l("Please tick the box to confirm the erasure."),
    "privacy_nothing_found": _l("Nothing is held under this; nothing was erased."),
})


@dataclass
class Resident:
    """What the hub holds about one resident."""

    by: str
    query: str  # normalised: E.164, lower-case e-mail, upper-case reference, digits
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    interactions: list[Interaction] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    callbacks: list[CallbackRequest] = field(default_factory=list)
    outbox: list[OutboxEntry] = field(default_factory=list)
    opt_outs: list[OptOut] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.interactions or self.bookings or self.outbox)

    @property
    def subject(self) -> str:
        """A keyed hash of what was searched: the log can be matched, not read."""
        return fingerprint(f"{self.by}:{self.query}")

    def message_counts(self) -> dict[int, int]:
        ids = [i.id for i in self.interactions]
        if not ids:
            return {}
        return dict(db.session.execute(
            select(Message.interaction_id, func.count()).where(Message.interaction_id.in_(ids))
            .group_by(Message.interaction_id)).all())

    def also_given(self) -> list[tuple[str, str]]:
        """Other phones and e-mails given in these records, as (search by, value): not
        followed on their own (they may be someone else's), but worth a search."""
        found = set()
        for booking in self.bookings:
            found |= {("phone", booking.phone), ("email", (booking.email or "").lower())}
        found |= {("email" if "@" in (i.resident_handle or "") else "phone", i.resident_handle)
                  for i in self.interactions}
        return sorted((by, value) for by, value in found
                      if value and value not in self.phones | self.emails)

    def open_interactions(self) -> list[Interaction]:
        return [i for i in self.interactions if i.is_open]

    def live_visits(self, now: datetime | None = None) -> list[Booking]:
        now = now or utcnow()
        return [b for b in self.bookings if b.state in LIVE_VISIT_STATES and b.ends_at > now]


# -- finding -----------------------------------------------------------------------------------


def _contacts_of(handle: str | None, resident: Resident) -> None:
    """Add the phone or e-mail an interaction or a booking was given to the search."""
    if not handle:
        return
    if "@" in handle:
        resident.emails.add(handle.lower())
    elif handle.startswith("+"):
        resident.phones.add(handle)


def _start(by: str, text: object) -> tuple[Resident, set[int], set[int]]:
    """The search's starting point: the normalised query, the contacts it names, and the
    interactions and bookings it names directly."""
    raw = text.strip() if isinstance(text, str) else ""
    if by == "phone":
        phone = normalize_phone(raw)
        return Resident(by, phone, phones={phone}), set(), set()
    if by == "email":
        _, address, _ = booking_service.contact(None, raw)
        return Resident(by, address.lower(), emails={address.lower()}), set(), set()
    if by == "reference":
        booking = booking_service.find_by_reference(raw)
        resident = Resident(by, booking.reference)
        _contacts_of(booking.phone, resident)
        _contacts_of(booking.email, resident)
        linked = {booking.interaction_id} if booking.interaction_id else set()
        return resident, linked, {booking.id}
    if by == "interaction":
        if not raw.lstrip("#").isdigit() or len(raw) > 12:
            raise InvalidInput("privacy_interaction_number")
        interaction = db.session.get(Interaction, int(raw.lstrip("#")))
        if interaction is None:
            raise InvalidInput("privacy_unknown_interaction")
        resident = Resident(by, str(interaction.id))
        _contacts_of(interaction.resident_handle, resident)
        return resident, {interaction.id}, set()
    raise InvalidInput("privacy_search_by")


def find(by: str, text: object) -> Resident:
    """Everything held about the resident a phone, e-mail, reference or interaction number
    points to. InvalidInput when the query is malformed or names nothing."""
    resident, interaction_ids, booking_ids = _start(by, text)
    phones, emails = resident.phones, resident.emails
    contacts = phones | emails
    if contacts:
        booking_ids |= set(db.session.scalars(select(Booking.id).where(or_(
            Booking.phone.in_(phones), func.lower(Booking.email).in_(emails),
            Booking.contact_key.in_(contacts)))))
        interaction_ids |= set(db.session.scalars(select(Interaction.id).where(
            func.lower(Interaction.resident_handle).in_({c.lower() for c in contacts}))))
    if phones:
        interaction_ids |= set(db.session.scalars(
            select(CallbackRequest.interaction_id).where(CallbackRequest.phone.in_(phones))))
        interaction_ids |= set(db.session.scalars(
            select(CallAttempt.interaction_id).where(CallAttempt.resident_phone.in_(phones))))
        resident.opt_outs = list(db.session.scalars(
            select(OptOut).where(OptOut.phone.in_(phones))))
    resident.bookings = list(db.session.scalars(
        select(Booking).where(Booking.id.in_(booking_ids)).order_by(Booking.starts_at)))
    # A visit booked from a conversation (or its own booking log) belongs to the resident too.
    interaction_ids |= {b.interaction_id for b in resident.bookings if b.interaction_id}
    resident.interactions = list(db.session.scalars(
        select(Interaction).where(Interaction.id.in_(interaction_ids))
        .order_by(Interaction.created_at, Interaction.id)))
    resident.callbacks = list(db.session.scalars(
        select(CallbackRequest).where(CallbackRequest.interaction_id.in_(interaction_ids))
        .order_by(CallbackRequest.id)))
    if contacts:
        resident.outbox = list(db.session.scalars(select(OutboxEntry).where(or_(
            OutboxEntry.to.in_(phones), func.lower(OutboxEntry.to).in_(emails),
            OutboxEntry.dialled.in_(phones))).order_by(OutboxEntry.id)))
    return resident


def log_search(resident: Resident, admin: User) -> None:
    """Looking up a resident's data is itself logged (counts and a keyed hash only)."""
    record(None, "resident_data_searched", admin, by=resident.by, subject=resident.subject,
           interactions=len(resident.interactions), bookings=len(resident.bookings))
    db.session.commit()


# -- export ------------------------------------------------------------------------------------


def _speaker(message: Message) -> str:
    if message.kind == "in":
        return "resident"
    if message.kind == "system":
        return "system"
    return message.author.display_name if message.author else "clerk"


def _interaction_data(interaction: Interaction) -> dict[str, Any]:
    language = interaction.language
    return {
        "number": interaction.id,
        "channel": interaction.channel,
        "department": interaction.department.name(language),
        "state": interaction.state,
        "created_at": iso(interaction.created_at),
        "closed_at": iso(interaction.closed_at),
        "disposition": interaction.disposition,
        "name": interaction.resident_name,
        "contact": interaction.resident_handle,
        "clerk": interaction.clerk.display_name if interaction.clerk else None,
        "rating": interaction.csat,
        "rating_comment": interaction.csat_comment,
        "anonymised_at": iso(interaction.anonymised_at),
        # Internal notes are included: they are about the resident. Staff appear by the
        # display name residents see, nothing more.
        "messages": [{"at": iso(m.created_at), "kind": m.kind, "from": _speaker(m),
                      "text": m.body, "delivery": m.delivery} for m in interaction.messages],
    }


def _booking_data(booking: Booking) -> dict[str, Any]:
    language = booking.language
    data = {
        "reference": booking.reference,
        "service": booking.service.name(language),
        "office": booking.office.name(language),
        "address": booking.office.address,
        "desk": booking.desk.name,
        "starts_at": iso(booking.starts_at),
        "ends_at": iso(booking.ends_at),
        "state": booking.state,
        "name": booking.name,
        "phone": booking.phone,
        "email": booking.email,
        "booked_at": iso(booking.created_at),
        "booked_by_staff": booking.staff_only,
        "interaction": booking.interaction_id,
        "anonymised_at": iso(booking.anonymised_at),
    }
    for name in ("rating", "rating_comment", "rated_at"):  # office visit ratings, if kept
        if hasattr(booking, name):
            value = getattr(booking, name)
            data[name] = iso(value) if isinstance(value, datetime) else value
    return data


def _callback_data(callback: CallbackRequest) -> dict[str, Any]:
    attempts = db.session.scalars(select(CallAttempt).where(
        CallAttempt.interaction_id == callback.interaction_id).order_by(CallAttempt.id))
    return {
        "interaction": callback.interaction_id,
        "phone": callback.phone or None,
        "requested_via": callback.requested_via,
        "window_start": iso(callback.window_start),
        "window_end": iso(callback.window_end),
        "outcome": callback.outcome,
        "attempts": [{"started_at": iso(a.started_at), "ended_at": iso(a.ended_at),
                      "status": a.status, "talk_seconds": a.talk_seconds}
                     for a in attempts],
    }


def export(resident: Resident, admin: User) -> dict[str, Any]:
    """All the resident's data as one JSON-ready document; the export is logged."""
    document = {
        "exported_at": iso(utcnow()),
        "searched_by": {resident.by: resident.query},
        "interactions": [_interaction_data(i) for i in resident.interactions],
        "bookings": [_booking_data(b) for b in resident.bookings],
        "callbacks": [_callback_data(c) for c in resident.callbacks],
        "messages_sent": [{"at": iso(e.created_at), "kind": e.kind, "to": e.to or None,
                           "subject": e.subject, "text": e.body} for e in resident.outbox
                          if e.kind != "call"],
        "sms_opt_out": [{"phone": o.phone, "since": iso(o.created_at)}
                        for o in resident.opt_outs],
    }
    record(None, "resident_data_exported", admin, by=resident.by, subject=resident.subject,
           interactions=len(resident.interactions), bookings=len(resident.bookings))
    db.session.commit()
    return document


# -- erasure -----------------------------------------------------------------------------------


def erase(resident: Resident, admin: User) -> Counts:
    """Anonymise all the resident's records at once (as the retention purge does) and log
    it. Refused, changing nothing, while a contact is open or a visit still to come."""
    if resident.empty:
        raise InvalidInput("privacy_nothing_found")
    still_open = resident.open_interactions()
    if still_open:
        raise InvalidInput("privacy_open_contacts",
                           numbers=", ".join(str(i.id) for i in still_open))
    live = resident.live_visits()
    if live:
        raise InvalidInput("privacy_live_visits",
                           references=", ".join(b.reference for b in live))
    now = utcnow()
    counts = Counts()
    for ids in batches([i.id for i in resident.interactions]):
        counts.add(anonymise.interactions(ids, now))
    for ids in batches([b.id for b in resident.bookings]):
        counts.bookings += anonymise.bookings(ids, now)
    for ids in batches([e.id for e in resident.outbox]):
        counts.outbox += anonymise.outbox(ids)
    # Texts to their numbers still waiting to go out (a visit's code whose job was lost).
    pending = db.session.scalars(select(TextSending.id).where(
        TextSending.to.in_(resident.phones))) if resident.phones else []
    for ids in batches(list(pending)):
        counts.texts += anonymise.texts(ids)
    record(None, "resident_data_erased", admin, by=resident.by, subject=resident.subject,
           interactions=counts.interactions, bookings=counts.bookings,
           messages=counts.messages, outbox=counts.outbox, texts=counts.texts)
    db.session.commit()
    if counts.messages:
        compact_fulltext()
    return counts
