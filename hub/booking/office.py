"""The office side of booking (/office): a day's visits per desk, check-in by reference or
QR scan, done / no-show / cancel, and walk-in or phone bookings into staff capacity."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from hub.accounts.models import User
from hub.booking import service as booking_service
from hub.booking.handouts import QR_PREFIX
from hub.booking.models import Booking, Office, Service
from hub.booking.routes import manage_link
from hub.booking.slots import Slot, free_slots, to_local, to_utc, zone
from hub.clock import utcnow
from hub.errors import InvalidInput
from hub.extensions import db
from hub.i18n import current_language
from hub.security import role_required

bp = Blueprint("office", __name__, url_prefix="/office")

SESSION_KEY = "clerk_office"
WALK_IN_DAYS = 3        # the walk-in form offers the free times of the next few open days
UPCOMING_DAYS = 7
SLOT_FORMAT = "%Y-%m-%dT%H:%M"  # a slot's value: its naive UTC start

STATES = {
    "held": _l("awaiting confirmation"), "confirmed": _l("booked"), "arrived": _l("arrived"),
    "done": _l("done"), "no_show": _l("no-show"), "cancelled": _l("cancelled"),
    "expired": _l("expired"),
}
# The walk-in form field an InvalidInput is about, to point the clerk at it.
ERROR_FIELDS = {
    "name_required": "walk-in-name", "name_too_long": "walk-in-name",
    "contact_required": "walk-in-phone", "bad_phone": "walk-in-phone",
    "bad_email": "walk-in-email", "slot_taken": "walk-in-slot",
    "unknown_service": "walk-in-service", "unknown_office": "walk-in-service",
}


def _me() -> User:
    return current_user._get_current_object()


def reference_from_scan(text: object) -> str:
    """What the clerk typed or a USB QR scanner typed ("OKIENKO:K7MX3A"): the reference."""
    value = (text if isinstance(text, str) else "").strip()
    if value.upper().startswith(QR_PREFIX):
        value = value[len(QR_PREFIX):]
    return "".join(value.split()).upper()


def _offices() -> list[Office]:
    return list(db.session.scalars(select(Office).where(Office.active).order_by(Office.id)))


def _chosen_office(offices: list[Office]) -> Office | None:
    """?office= (remembered in the session), else the remembered one, else the first."""
    by_code = {o.code: o for o in offices}
    asked = request.values.get("office")
    if asked in by_code:
        session[SESSION_KEY] = asked
    return by_code.get(session.get(SESSION_KEY)) or (offices[0] if offices else None)


def _today() -> date:
    return to_local(utcnow()).date()


def _day(text: object) -> date:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and text else _today()
    except ValueError:
        return _today()


def _day_span(day: date, days: int = 1) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), zone())
    end = datetime.combine(day + timedelta(days=days), datetime.min.time(), zone())
    return to_utc(start), to_utc(end)


def _visits(office: Office, day: date) -> list[Booking]:
    start, end = _day_span(day)
    return list(db.session.scalars(
        select(Booking).where(Booking.office_id == office.id, Booking.starts_at >= start,
                              Booking.starts_at < end, Booking.state != "expired")
        .order_by(Booking.starts_at, Booking.id)))


def _upcoming(office: Office) -> list[tuple[date, int]]:
    """The next days with the number of visits still expected on each."""
    today = _today()
    start, end = _day_span(today, UPCOMING_DAYS)
    starts = db.session.scalars(
        select(Booking.starts_at).where(Booking.office_id == office.id,
                                        Booking.starts_at >= start, Booking.starts_at < end,
                                        Booking.state.in_(("held", "confirmed", "arrived"))))
    counts = Counter(to_local(s).date() for s in starts)
    return [(today + timedelta(days=i), counts[today + timedelta(days=i)])
            for i in range(UPCOMING_DAYS)]


def _services(office: Office) -> list[Service]:
    services = db.session.scalars(select(Service).where(Service.active).order_by(Service.id))
    return [s for s in services if office in s.offices]


def _walk_in_slots(service: Service | None, office: Office) -> list[tuple[date, list[Slot]]]:
    """The free times (staff-only cells included) of the next WALK_IN_DAYS days with any."""
    if service is None:
        return []
    days: dict[date, list[Slot]] = {}
    for slot in free_slots(service, office, for_staff=True):
        day = to_local(slot.starts_at).date()
        if day not in days and len(days) == WALK_IN_DAYS:
            break
        days.setdefault(day, []).append(slot)
    return list(days.items())


def visit_actions(visit: Booking, now: datetime) -> list[tuple[str, str, str]]:
    """The buttons a visit offers: (action, label, button class); the domain has the last word."""
    today = to_local(visit.starts_at).date() == to_local(now).date()
    actions = []
    if visit.state == "confirmed" and today:
        actions.append(("check-in", _("Check in"), "button-primary"))
    if visit.state == "arrived":
        actions.append(("done", _("Done"), "button-primary"))
    if visit.state == "arrived" or (visit.state == "confirmed" and visit.starts_at <= now):
        actions.append(("no-show", _("No-show"), "button-secondary"))
    if visit.state in ("held", "confirmed") and visit.starts_at > now:
        actions.append(("cancel", _("Cancel visit"), "button-danger"))
    return actions


def time_text(moment: datetime) -> str:
    return format_time(to_local(moment).time(), "H:mm")


def day_text(day: date) -> str:
    return format_date(day, "EEEE d MMMM y")


def _page(office: Office | None, offices: list[Office], *, walk_in: dict | None = None,
          error: InvalidInput | None = None, status: int = 200):
    day = _day(request.args.get("day"))
    walk_in = walk_in or {}
    context = {"offices": offices, "office": office, "day": day, "today": _today(),
               "previous_day": day - timedelta(days=1), "next_day": day + timedelta(days=1),
               "now": utcnow(), "states": STATES, "time_text": time_text, "day_text": day_text,
               "visit_actions": visit_actions,
               "walk_in": walk_in, "error": error,
               "error_field": ERROR_FIELDS.get(error.code) if error else None}
    if office is not None:
        services = _services(office)
        chosen = next((s for s in services if s.code == walk_in.get("service")), None)
        chosen = chosen or (services[0] if services else None)
        visits = _visits(office, day)
        slot_days = _walk_in_slots(chosen, office)
        desks = [d for d in office.desks if d.active or any(v.desk_id == d.id for v in visits)]
        context.update(
            desks=[(d, [v for v in visits if v.desk_id == d.id]) for d in desks],
            visit_count=sum(1 for v in visits if v.state != "cancelled"),
            upcoming=_upcoming(office), services=services, service=chosen,
            slot_days=slot_days, slot_format=SLOT_FORMAT,
            chosen_slot=walk_in.get("slot") or next(
                (slots[0].starts_at.strftime(SLOT_FORMAT) for _, slots in slot_days), None),
            office_name=office.name(current_language()),
        )
    return render_template("office/index.html", **context), status


@bp.get("")
@role_required("clerk")
def index():
    offices = _offices()
    return _page(_chosen_office(offices), offices,
                 walk_in={"service": request.args.get("service")})


def _back(booking: Booking | None = None):
    day = to_local(booking.starts_at).date() if booking is not None else _today()
    return redirect(url_for("office.index", day=None if day == _today() else day.isoformat()))


@bp.post("/check-in")
@role_required("clerk")
def check_in():
    """The one box at the desk: a typed reference or a scanned QR code → an arrival."""
    office = _chosen_office(_offices())
    reference = reference_from_scan(request.form.get("reference"))
    try:
        booking = booking_service.find_by_reference(reference)
        if office is not None and booking.office_id != office.id:
            flash(_("Visit %(reference)s is booked at another office: %(office)s.",
                    reference=booking.reference,
                    office=booking.office.name(current_language())), "error")
            return _back()
        booking_service.check_in(booking, _me())
    except InvalidInput as refusal:
        message = refusal.message
        if refusal.code in ("not_today", "booking_not_active"):
            message += " " + _("Visit %(reference)s (%(name)s): %(when)s, %(state)s.",
                               reference=booking.reference, name=booking.name,
                               when=booking_service.when_text(booking),
                               state=STATES[booking.state])
        flash(message, "error")
        return _back()
    flash(_("%(name)s has arrived: visit %(reference)s at %(time)s, %(desk)s.",
            name=booking.name, reference=booking.reference, time=time_text(booking.starts_at),
            desk=booking.desk.name))
    return _back()


ACTIONS = {
    "check-in": (lambda b, me: booking_service.check_in(b, me),
                 _l("%(name)s has arrived: visit %(reference)s at %(time)s, %(desk)s.")),
    "done": (lambda b, me: booking_service.finish(b, me, "done"),
             _l("Visit %(reference)s (%(name)s) is done.")),
    "no-show": (lambda b, me: booking_service.finish(b, me, "no_show"),
                _l("Visit %(reference)s (%(name)s) is marked as a no-show.")),
    "cancel": (lambda b, me: booking_service.cancel(b, me),
               _l("Visit %(reference)s (%(name)s) is cancelled; the resident is told.")),
}


@bp.post("/visits/<int:booking_id>/<action>")
@role_required("clerk")
def visit_action(booking_id: int, action: str):
    booking = db.session.get(Booking, booking_id)
    if booking is None or action not in ACTIONS:
        flash(_("No visit has this reference. Please check it and try again."), "error")
        return _back()
    change, done = ACTIONS[action]
    try:
        change(booking, _me())
    except InvalidInput as refusal:
        flash(refusal.message, "error")
        return _back(booking)
    flash(str(done) % {"name": booking.name, "reference": booking.reference,
                       "time": time_text(booking.starts_at), "desk": booking.desk.name})
    return _back(booking)


@bp.post("/walk-in")
@role_required("clerk")
def walk_in():
    """A visit booked at the desk or on the phone: confirmed at once, staff cells included."""
    offices = _offices()
    office = _chosen_office(offices)
    form = {k: request.form.get(k, "") for k in ("service", "slot", "name", "phone", "email")}
    try:
        if office is None:
            raise InvalidInput("unknown_office")
        service = booking_service.find_service(form["service"])
        booking_service.find_office(service, office.code)
        try:
            starts_at = datetime.strptime(form["slot"], SLOT_FORMAT)
        except ValueError:
            raise InvalidInput("slot_taken") from None
        booking = booking_service.hold(service, office, starts_at, name=form["name"],
                                       phone=form["phone"], email=form["email"], clerk=_me(),
                                       links=manage_link)
    except InvalidInput as refusal:
        return _page(office, offices, walk_in=form, error=refusal, status=400)
    flash(_("Visit booked: %(reference)s, %(when)s, %(desk)s.", reference=booking.reference,
            when=booking_service.when_text(booking), desk=booking.desk.name))
    return _back(booking)
