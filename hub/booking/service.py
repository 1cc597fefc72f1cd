"""Booking a visit: hold a slot, confirm it with a code, cancel or move it, remind, check in.

Every change is committed with its timeline event (the booking's own interaction, or the
conversation a clerk booked it from) and announced to the resident through hub.notify.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from hub.accounts.models import User
from hub.booking.models import ACTIVE_STATES, Booking, Office, Service, SlotClaim
from hub.booking.slots import Slot, cell, cells_for, free_slots, slot_at, to_local, to_utc
from hub.clock import utcnow
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import Interaction
from hub.notify import notify
from hub.phones import normalize_phone

REFERENCE_ALPHABET = "ACDEFHJKLMNPRTUVWXY3479"  # no 0/O, 1/I, 2/Z, 5/S, 6/G, 8/B
NAME_MAX = 120
Links = Callable[[Booking], str]


# -- the catalogue ------------------------------------------------------------------------


def find_service(code: object) -> Service:
    service = db.session.scalar(select(Service).where(Service.code == str(code), Service.active))
    if service is None:
        raise InvalidInput("unknown_service")
    return service


def find_office(service: Service, code: object) -> Office:
    office = next((o for o in service.offices if o.code == str(code) and o.active), None)
    if office is None:
        raise InvalidInput("unknown_office")
    return office


def next_free(service: Service, office: Office, count: int = 3, *, after: datetime | None = None,
              for_staff: bool = False) -> list[Slot]:
    """The next few free slots (what to offer when the chosen one was just taken)."""
    slots = free_slots(service, office, for_staff=for_staff)
    return [s for s in slots if after is None or s.starts_at > after][:count]


# -- the resident's contact ---------------------------------------------------------------


def contact(phone: object, email: object) -> tuple[str | None, str | None, str]:
    """(phone E.164, e-mail, the key that counts bookings); at least one is needed."""
    phone_text = phone.strip() if isinstance(phone, str) else ""
    email_text = email.strip() if isinstance(email, str) else ""
    if not phone_text and not email_text:
        raise InvalidInput("contact_required")
    number = normalize_phone(phone_text) if phone_text else None
    address = None
    if email_text:
        try:
            address = validate_email(email_text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise InvalidInput("bad_email") from None
    return number, address, (number or address.lower())


# -- holding and confirming ---------------------------------------------------------------


def hold(
    service: Service,
    office: Office,
    starts_at: datetime,
    *,
    name: object,
    phone: object = None,
    email: object = None,
    language: str = "pl",
    idempotency_key: str | None = None,
    clerk: User | None = None,
    interaction: Interaction | None = None,
    links: Links | None = None,
) -> Booking:
    """Hold the slot for the resident while they confirm; a clerk's booking is confirmed
    at once (they have the resident on the line or at the desk).

    The same idempotency key returns the booking it made. When the slot has just been
    taken, InvalidInput("slot_taken") carries the next free slots.
    """
    if idempotency_key:
        existing = db.session.scalar(select(Booking).where(Booking.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    person = (name.strip() if isinstance(name, str) else "")
    if not person:
        raise InvalidInput("name_required")
    if len(person) > NAME_MAX:
        raise InvalidInput("name_too_long", limit=NAME_MAX)
    number, address, key = contact(phone, email)
    now = utcnow()
    for_staff = clerk is not None
    if not for_staff:
        _refuse_hoarding(service, key, now)
    expire_holds(now)
    slot = slot_at(service, office, starts_at, for_staff=for_staff, now=now)
    if slot is None:
        raise InvalidInput("slot_taken", slots=next_free(service, office, for_staff=for_staff))
    booking = Booking(
        reference=_new_reference(), service=service, office=office, starts_at=slot.starts_at,
        ends_at=slot.ends_at, name=person, phone=number, email=address, contact_key=key,
        language=language if language in current_app.config["LANGUAGES"] else "pl",
        idempotency_key=idempotency_key or None, staff_only=for_staff, booked_by=clerk,
        token_key=secrets.token_urlsafe(24), desk_id=slot.desk_ids[0],
    )
    code = None
    if for_staff:
        booking.state, booking.confirmed_at = "confirmed", now
    else:
        code = f"{secrets.randbelow(10 ** 6):06d}"
        booking.state = "held"
        booking.hold_expires_at = now + timedelta(minutes=current_app.config["BOOKING_HOLD_MINUTES"])
    if not _claim(booking, slot):
        if idempotency_key:  # the same request, sent twice at once: the other one won
            twin = db.session.scalar(select(Booking).where(Booking.idempotency_key == idempotency_key))
            if twin is not None:
                return twin
        raise InvalidInput("slot_taken", slots=next_free(service, office, for_staff=for_staff))
    if code is not None:
        booking.confirm_code_hash = _code_hash(booking, code)
    booking.interaction_id = (interaction or _log_for(booking)).id
    record(booking_log(booking), "booking_held" if code else "booking_made",
           clerk or "resident", booking_id=booking.id, reference=booking.reference,
           service=service.code, office=office.code, starts_at=booking.starts_at.isoformat())
    db.session.commit()
    if code is None:  # a clerk's booking is confirmed: the resident gets the details now
        _send_confirmation(booking, links)
    else:
        with force_locale(booking.language):
            _tell(booking, _("Your confirmation code"),
                  _("Your code to confirm the visit: %(code)s. It is valid for %(minutes)s minutes.",
                    code=code, minutes=current_app.config["BOOKING_HOLD_MINUTES"]))
    return booking


def _refuse_hoarding(service: Service, key: str, now: datetime) -> None:
    limit = current_app.config["BOOKING_MAX_ACTIVE_PER_CONTACT"]
    active = db.session.scalar(
        select(func.count(Booking.id)).where(
            Booking.contact_key == key, Booking.service_id == service.id,
            Booking.state.in_(ACTIVE_STATES), Booking.ends_at > now,
            (Booking.state != "held") | (Booking.hold_expires_at > now))
    )
    if active >= limit:
        raise InvalidInput("too_many_bookings", limit=limit)


def _claim(booking: Booking, slot: Slot) -> bool:
    """Claim the visit's cells on the first desk that is still free; False if none is.

    The unique (desk, start) constraint decides races: a second claim of a cell fails.
    """
    step, count = cell(), cells_for(booking.service)
    now = utcnow()
    starts = [slot.starts_at + i * step for i in range(count)]
    for desk_id in slot.desk_ids:
        booking.desk_id = desk_id
        savepoint = db.session.begin_nested()
        try:
            # Cells of cancelled bookings whose hold-back is over are free to take again.
            db.session.execute(delete(SlotClaim).where(
                SlotClaim.desk_id == desk_id, SlotClaim.starts_at.in_(starts),
                SlotClaim.reusable_after.is_not(None), SlotClaim.reusable_after <= now))
            db.session.add(booking)
            db.session.flush()
            db.session.add_all(SlotClaim(desk_id=desk_id, starts_at=s, booking_id=booking.id)
                               for s in starts)
            db.session.flush()
            savepoint.commit()
            return True
        except IntegrityError:
            savepoint.rollback()
            if booking in db.session:
                db.session.expunge(booking)
            booking.id = None
    return False


def _new_reference() -> str:
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        if db.session.scalar(select(Booking.id).where(Booking.reference == reference)) is None:
            return reference


def _code_hash(booking: Booking, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{booking.id}:{code}".encode(), hashlib.sha256).hexdigest()


def _log_for(booking: Booking) -> Interaction:
    """A self-service booking's own timeline: an interaction that never queues."""
    now = utcnow()
    log = Interaction(
        channel="booking", department=booking.service.department, state="closed",
        language=booking.language, resident_name=booking.name,
        resident_handle=booking.phone or booking.email, resident_key=secrets.token_urlsafe(24),
        created_at=now, closed_at=now, queue_score=0,
    )
    db.session.add(log)
    db.session.flush()
    return log


def booking_log(booking: Booking) -> Interaction:
    return db.session.get(Interaction, booking.interaction_id)


def confirm(booking: Booking, code: object, links: Links | None = None) -> Booking:
    """The resident types the code they were sent; a wrong one counts, five end the hold."""
    now = utcnow()
    if booking.state == "confirmed":
        return booking
    if booking.state != "held" or booking.hold_expires_at <= now:
        raise InvalidInput("hold_expired")
    given = code.strip() if isinstance(code, str) else ""
    if not hmac.compare_digest(_code_hash(booking, given), booking.confirm_code_hash or ""):
        booking.confirm_attempts += 1
        record(booking_log(booking), "booking_code_wrong", "resident", booking_id=booking.id)
        if booking.confirm_attempts >= current_app.config["BOOKING_CODE_ATTEMPTS"]:
            _free(booking, "expired", now)
            db.session.commit()
            raise InvalidInput("hold_expired")
        db.session.commit()
        raise InvalidInput("bad_code")
    booking.state, booking.confirmed_at, booking.confirm_code_hash = "confirmed", now, None
    record(booking_log(booking), "booking_confirmed", "resident", booking_id=booking.id,
           reference=booking.reference)
    db.session.commit()
    _send_confirmation(booking, links)
    return booking


def _free(booking: Booking, state: str, now: datetime, hold_back: bool = False,
          actor: User | str | None = None) -> None:
    """End a booking; its cells are free at once, or after the hold-back for a cancellation."""
    booking.state = state
    if hold_back:
        until = now + timedelta(minutes=current_app.config["BOOKING_CANCEL_HOLDBACK_MINUTES"])
        db.session.execute(update(SlotClaim).where(SlotClaim.booking_id == booking.id)
                           .values(reusable_after=until))
    else:
        db.session.execute(delete(SlotClaim).where(SlotClaim.booking_id == booking.id))
    actor = actor or ("system" if state == "expired" else "resident")
    record(booking_log(booking), "booking_" + state, actor, booking_id=booking.id,
           reference=booking.reference)


def expire_holds(now: datetime | None = None) -> int:
    """Free the slots of holds nobody confirmed in time."""
    now = now or utcnow()
    stale = db.session.scalars(
        select(Booking).where(Booking.state == "held", Booking.hold_expires_at <= now)
    ).all()
    for booking in stale:
        _free(booking, "expired", now)
    if stale:
        db.session.commit()
    return len(stale)


# -- changing -----------------------------------------------------------------------------


def cancel(booking: Booking, clerk: User | None = None) -> Booking:
    if booking.state not in ACTIVE_STATES:
        raise InvalidInput("booking_not_active")
    now = utcnow()
    booking.cancelled_at = now
    _free(booking, "cancelled", now, hold_back=True, actor=clerk)
    db.session.commit()
    with force_locale(booking.language):
        _tell(booking, _("Visit cancelled"),
              _("Your visit %(reference)s on %(when)s has been cancelled.",
                reference=booking.reference, when=when_text(booking)))
    return booking


def reschedule(booking: Booking, starts_at: datetime, links: Links | None = None) -> Booking:
    """Move a confirmed visit to another free slot; the old slot is freed (held back)."""
    if booking.state != "confirmed":
        raise InvalidInput("booking_not_active")
    service, office = booking.service, booking.office
    slot = slot_at(service, office, starts_at, for_staff=booking.staff_only)
    if slot is None:
        raise InvalidInput("slot_taken", slots=next_free(service, office))
    now = utcnow()
    previous = booking.starts_at
    until = now + timedelta(minutes=current_app.config["BOOKING_CANCEL_HOLDBACK_MINUTES"])
    old_claims = select(SlotClaim.id).where(SlotClaim.booking_id == booking.id,
                                            SlotClaim.reusable_after.is_(None))
    old_ids = list(db.session.scalars(old_claims))
    booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
    if not _claim(booking, slot):
        db.session.rollback()
        raise InvalidInput("slot_taken", slots=next_free(service, office))
    db.session.execute(update(SlotClaim).where(SlotClaim.id.in_(old_ids)).values(reusable_after=until))
    booking.reminder_sent_at = None
    record(booking_log(booking), "booking_rescheduled", "resident", booking_id=booking.id,
           previous=previous.isoformat(), starts_at=booking.starts_at.isoformat())
    db.session.commit()
    _send_confirmation(booking, links)
    return booking


# -- at the office ------------------------------------------------------------------------


def find_by_reference(reference: object) -> Booking:
    text = (reference if isinstance(reference, str) else "").strip().upper()
    booking = db.session.scalar(select(Booking).where(Booking.reference == text))
    if booking is None:
        raise InvalidInput("unknown_reference")
    return booking


def check_in(booking: Booking, clerk: User) -> Booking:
    """The resident has arrived (reference typed or QR code scanned at the desk)."""
    if booking.state == "arrived":
        return booking
    if booking.state != "confirmed":
        raise InvalidInput("booking_not_active")
    if to_local(booking.starts_at).date() != to_local(utcnow()).date():
        raise InvalidInput("not_today")
    booking.state, booking.arrived_at = "arrived", utcnow()
    record(booking_log(booking), "booking_checked_in", clerk, booking_id=booking.id)
    db.session.commit()
    return booking


def finish(booking: Booking, clerk: User, outcome: str) -> Booking:
    """Done (the visit took place) or no-show."""
    if outcome not in ("done", "no_show"):
        raise InvalidInput("bad_outcome")
    allowed = ("arrived",) if outcome == "done" else ("confirmed", "arrived")
    if booking.state not in allowed:
        raise InvalidInput("booking_not_active")
    booking.state, booking.finished_at = outcome, utcnow()
    record(booking_log(booking), "booking_" + outcome, clerk, booking_id=booking.id)
    db.session.commit()
    if outcome == "done":  # the resident is asked, once, how the visit was
        from hub.booking.rating import ask_for_rating  # it imports this module

        ask_for_rating(booking)
    return booking


# -- messages -----------------------------------------------------------------------------


def when_text(booking: Booking) -> str:
    """'Tuesday 24 November 2026, 9:30' in the office's zone and the booking's language."""
    local = to_local(booking.starts_at)
    return f"{format_date(local.date(), 'EEEE d MMMM y')}, {format_time(local.time(), 'H:mm')}"


def documents_text(booking: Booking) -> str:
    names = [d.name(booking.language) + ("" if d.required else " " + _("(if you have it)"))
             for d in booking.service.documents]
    return "; ".join(names)


def _send_confirmation(booking: Booking, links: Links | None) -> None:
    with force_locale(booking.language):
        body = _("Visit booked: %(service)s, %(when)s, %(office)s, %(address)s. "
                 "Reference: %(reference)s.",
                 service=booking.service.name(booking.language), when=when_text(booking),
                 office=booking.office.name(booking.language), address=booking.office.address,
                 reference=booking.reference)
        if booking.service.documents:
            body += " " + _("Bring: %(documents)s.", documents=documents_text(booking))
        if links is not None:
            body += " " + _("To cancel or change: %(link)s", link=links(booking))
        _tell(booking, _("Your visit %(reference)s", reference=booking.reference), body)


def _tell(booking: Booking, subject: str, body: str) -> None:
    """By SMS when the resident gave a phone, else by e-mail; logged in the timeline."""
    kind, to = ("sms", booking.phone) if booking.phone else ("email", booking.email)
    if notify(kind, to, subject, body):
        record(booking_log(booking), "booking_message", "system", booking_id=booking.id,
               via=kind, subject=subject)
        db.session.commit()


def send_reminders(now: datetime | None = None) -> int:
    """The day before, from BOOKING_REMINDER_TIME (office zone): time, place, documents."""
    now = now or utcnow()
    local_now = to_local(now)
    hour, minute = (int(p) for p in current_app.config["BOOKING_REMINDER_TIME"].split(":"))
    if (local_now.hour, local_now.minute) < (hour, minute):
        return 0
    tomorrow = local_now.date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), local_now.tzinfo)
    due = db.session.scalars(
        select(Booking).where(
            Booking.state == "confirmed", Booking.reminder_sent_at.is_(None),
            Booking.starts_at >= to_utc(start), Booking.starts_at < to_utc(start + timedelta(days=1)))
    ).all()
    for booking in due:
        booking.reminder_sent_at = now
        record(booking_log(booking), "booking_reminder", "system", booking_id=booking.id)
        db.session.commit()
        with force_locale(booking.language):
            body = _("Reminder: your visit tomorrow, %(when)s, %(office)s, %(address)s. "
                     "Reference: %(reference)s.", when=when_text(booking),
                     office=booking.office.name(booking.language),
                     address=booking.office.address, reference=booking.reference)
            if booking.service.documents:
                body += " " + _("Bring: %(documents)s.", documents=documents_text(booking))
            _tell(booking, _("Reminder: your visit tomorrow"), body)
    return len(due)


# -- links --------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="booking")


def issue_token(booking: Booking) -> str:
    """What the resident's cancel and change links carry (no account needed)."""
    return _serializer().dumps({"b": booking.id, "k": booking.token_key})


def resolve_token(token: object) -> Booking:
    try:
        data = _serializer().loads(token if isinstance(token, str) else "")
    except BadSignature:
        raise InvalidInput("bad_booking_link") from None
    booking = db.session.get(Booking, data.get("b"))
    if booking is None or booking.token_key != data.get("k"):
        raise InvalidInput("bad_booking_link")
    return booking
