"""What a resident takes away from a confirmed visit: the calendar file and the QR code
shown at the office's check-in (it holds the reference, nothing personal)."""

from __future__ import annotations

import io
from datetime import UTC

import qrcode
import qrcode.image.svg
from flask_babel import gettext as _
from icalendar import Calendar, Event

from hub.booking.models import Booking
from hub.clock import utcnow

QR_PREFIX = "OKIENKO:"


def checkin_text(booking: Booking) -> str:
    """What the QR code encodes; the office accepts it or the bare reference."""
    return QR_PREFIX + booking.reference


def checkin_qr_svg(booking: Booking) -> bytes:
    """The check-in QR code as an SVG with a white background and a quiet zone."""
    image = qrcode.make(checkin_text(booking), image_factory=qrcode.image.svg.SvgPathFillImage,
                        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def visit_ics(booking: Booking, language: str, manage_url: str | None = None) -> bytes:
    """One VEVENT in UTC: the matter, the office and its address, and the documents to bring."""
    service, office = booking.service, booking.office
    calendar = Calendar()
    calendar.add("prodid", "-//Okienko//Visit booking//PL")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.reference}@okienko")
    event.add("dtstamp", utcnow().replace(tzinfo=UTC))
    event.add("dtstart", booking.starts_at.replace(tzinfo=UTC))
    event.add("dtend", booking.ends_at.replace(tzinfo=UTC))
    event.add("summary", _("Office visit: %(service)s", service=service.name(language)))
    event.add("location", f"{office.name(language)}, {office.address}")
    event.add("description", _description(booking, language, manage_url))
    if manage_url:
        event.add("url", manage_url)
    calendar.add_component(event)
    return calendar.to_ical()


def _description(booking: Booking, language: str, manage_url: str | None) -> str:
    lines = [_("Reference: %(reference)s", reference=booking.reference)]
    documents = booking.service.documents
    if documents:
        lines += ["", _("Documents to bring:")]
        for document in documents:
            line = "- " + document.name(language)
            if not document.required:
                line += " " + _("(if you have it)")
            note = document.note(language)
            if note:
                line += f" – {note}"
            lines.append(line)
    fee = booking.service.fee(language)
    if fee:
        lines += ["", _("Fee: %(fee)s", fee=fee)]
    if manage_url:
        lines += ["", _("To cancel or change: %(link)s", link=manage_url)]
    return "\n".join(lines)
