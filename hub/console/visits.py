"""Booking a visit from a conversation, over the staff socket.

`booking_options` gives the matters, their offices and the free times (staff cells included)
with the resident's details to prefill; `book_visit` books it. The booking is confirmed at
once, linked to the conversation and logged in its timeline; the answer carries a short text
the clerk may send the resident as a reply.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub.booking import service as booking_service
from hub.booking.models import Booking, Office, Service
from hub.booking.routes import manage_link
from hub.booking.slots import Slot, free_slots, to_local
from hub.console.sockets import NAMESPACE, _int, staff_event
from hub.errors import InvalidInput
from hub.extensions import db, socketio
from hub.i18n import current_language
from hub.interactions.access import check_handler
from hub.interactions.models import Interaction

OPTION_DAYS = 10   # the free times of this many days with any are offered
SLOT_FORMAT = "%Y-%m-%dT%H:%M"  # a slot's value: its naive UTC start


def _conversation(data: dict) -> Interaction:
    """The conversation the clerk books for: only its holder or a supervisor may."""
    interaction = db.session.get(Interaction, _int(data.get("interaction_id")))
    if interaction is None:
        raise InvalidInput("offer_gone")
    check_handler(interaction, current_user._get_current_object())
    return interaction


def _services() -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.active).order_by(Service.id)))


def _choose(interaction: Interaction, data: dict) -> tuple[Service, Office | None]:
    services = _services()
    if not services:
        raise InvalidInput("unknown_service")
    service = (next((s for s in services if s.code == data.get("service")), None)
               or next((s for s in services if s.department_id == interaction.department_id), None)
               or services[0])
    offices = [o for o in service.offices if o.active]
    office = next((o for o in offices if o.code == data.get("office")), None)
    return service, office or (offices[0] if offices else None)


def _days(service: Service, office: Office) -> list[dict]:
    days: dict[date, list[Slot]] = {}
    for slot in free_slots(service, office, for_staff=True):
        day = to_local(slot.starts_at).date()
        if day not in days and len(days) == OPTION_DAYS:
            break
        days.setdefault(day, []).append(slot)
    return [{"day": day.isoformat(), "label": format_date(day, "EEEE d MMMM"),
             "slots": [{"starts_at": s.starts_at.strftime(SLOT_FORMAT),
                        "label": format_time(to_local(s.starts_at).time(), "H:mm")}
                       for s in slots]}
            for day, slots in days.items()]


def _contact(interaction: Interaction) -> dict:
    handle = (interaction.resident_handle or "").strip()
    email = handle if "@" in handle else ""
    phone = handle if handle and not email and handle.lstrip("+").replace(" ", "").isdigit() else ""
    return {"name": interaction.resident_name or "", "phone": phone, "email": email}


@staff_event
def on_booking_options(data: dict) -> dict:
    """{interaction_id, service?, office?} → matters, offices, free times and the prefill."""
    interaction = _conversation(data)
    service, office = _choose(interaction, data)
    language = current_language()
    return {
        "services": [{"code": s.code, "name": s.name(language),
                      "minutes": s.duration_minutes,
                      "offices": [{"code": o.code, "name": o.name(language)}
                                  for o in s.offices if o.active]}
                     for s in _services()],
        "service": service.code,
        "office": office.code if office else None,
        "days": _days(service, office) if office else [],
        "prefill": _contact(interaction),
    }


def reply_text(booking: Booking) -> str:
    """What the clerk may send the resident: the visit, its reference and what to bring."""
    with force_locale(booking.language):
        text = _("Visit booked: %(service)s, %(when)s, %(office)s, %(address)s. "
                 "Reference: %(reference)s.",
                 service=booking.service.name(booking.language),
                 when=booking_service.when_text(booking),
                 office=booking.office.name(booking.language), address=booking.office.address,
                 reference=booking.reference)
        if booking.service.documents:
            text += " " + _("Bring: %(documents)s.",
                            documents=booking_service.documents_text(booking))
    return text


@staff_event
def on_book_visit(data: dict) -> dict:
    """{interaction_id, service, office, starts_at, name, phone, email} → the booking."""
    interaction = _conversation(data)
    service = booking_service.find_service(data.get("service"))
    office = booking_service.find_office(service, data.get("office"))
    try:
        starts_at = datetime.strptime(str(data.get("starts_at") or ""), SLOT_FORMAT)
    except ValueError:
        raise InvalidInput("slot_taken") from None
    booking = booking_service.hold(
        service, office, starts_at, name=data.get("name"), phone=data.get("phone"),
        email=data.get("email"), language=interaction.language, clerk=current_user._get_current_object(),
        interaction=interaction, links=manage_link)
    return {
        "booking": {"id": booking.id, "reference": booking.reference,
                    "when": booking_service.when_text(booking),
                    "office": booking.office.name(current_language()),
                    "desk": booking.desk.name, "interaction_id": booking.interaction_id},
        "reply": reply_text(booking),
    }


def init_app(app: Flask) -> None:
    socketio.on_event("booking_options", on_booking_options, namespace=NAMESPACE)
    socketio.on_event("book_visit", on_book_visit, namespace=NAMESPACE)
