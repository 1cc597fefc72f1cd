"""What the API answers: services, offices, slots and bookings as JSON-ready dicts.

Times go out twice: in UTC with a Z (`starts_at`) and in the office's zone with its offset
(`starts_at_local`, Europe/Warsaw), so a portal needs no time-zone data of its own.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from hub.booking.models import Booking, Office, Service
from hub.booking.routes import manage_link
from hub.booking.service import issue_token
from hub.booking.slots import Slot, to_local
from hub.clock import iso

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def local_iso(moment: datetime | None) -> str | None:
    return None if moment is None else to_local(moment).isoformat(timespec="seconds")


def times(prefix: str, moment: datetime | None) -> dict:
    return {prefix: iso(moment), f"{prefix}_local": local_iso(moment)}


def documents(service: Service, language: str) -> list[dict]:
    return [{"name": d.name(language), "required": d.required, "note": d.note(language)}
            for d in service.documents]


def service(s: Service, language: str) -> dict:
    return {
        "code": s.code,
        "name": s.name(language),
        "department": {"code": s.department.code, "name": s.department.name(language)},
        "duration_minutes": s.duration_minutes,
        "fee": s.fee(language),
        "min_notice_hours": s.min_notice_hours,
        "max_days_ahead": s.max_days_ahead,
        "documents": documents(s, language),
        "offices": [o.code for o in s.offices if o.active],
    }


def office(o: Office, language: str) -> dict:
    return {
        "code": o.code,
        "name": o.name(language),
        "address": o.address,
        "desks": sum(1 for d in o.desks if d.active),
        "hours": [{"weekday": WEEKDAYS[h.weekday], "opens": h.opens.strftime("%H:%M"),
                   "closes": h.closes.strftime("%H:%M")} for h in o.hours],
        "time_zone": current_app.config["BABEL_DEFAULT_TIMEZONE"],
    }


def slot(s: Slot) -> dict:
    return {**times("starts_at", s.starts_at), **times("ends_at", s.ends_at),
            "places": len(s.desk_ids)}


def booking(b: Booking) -> dict:
    language = b.language
    return {
        "reference": b.reference,
        "state": b.state,
        "token": issue_token(b),
        "service": {"code": b.service.code, "name": b.service.name(language),
                    "fee": b.service.fee(language)},
        "office": {"code": b.office.code, "name": b.office.name(language),
                   "address": b.office.address},
        **times("starts_at", b.starts_at),
        **times("ends_at", b.ends_at),
        **times("hold_expires_at", b.hold_expires_at if b.state == "held" else None),
        **times("confirmed_at", b.confirmed_at),
        **times("cancelled_at", b.cancelled_at),
        "name": b.name,
        "phone": b.phone,
        "email": b.email,
        "language": language,
        "documents": documents(b.service, language),
        "manage_url": manage_link(b),
    }
