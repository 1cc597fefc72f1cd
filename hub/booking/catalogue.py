"""The booking catalogue as admins keep it: services with their documents, offices with their
desks, weekly hours and closures.

Each save checks everything first and changes nothing when something is wrong: it raises
InvalidCatalogue, whose `problems` map each bad field (its form name) to its refusal. Free
slots read the catalogue on every search, so a saved change counts from the next one on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, time

from sqlalchemy import select

from hub.accounts.models import Department
from hub.booking.models import (
    Desk,
    Office,
    OfficeClosure,
    OfficeHours,
    Service,
    ServiceDocument,
)
from hub.errors import InvalidInput
from hub.extensions import db
from hub.hours import spec

CODE_MAX = 40
_CODE = re.compile(r"[a-z0-9][a-z0-9-]*")
DURATION = (5, 480)           # minutes
MIN_NOTICE = (0, 720)         # hours
MAX_DAYS_AHEAD = (1, 365)     # days
STAFF_ONLY_PERCENT = (0, 100)
POSITION = (0, 999)
NAME_MAX = {"service": 160, "office": 120, "document": 200, "desk": 60}
FEE_MAX = 200
ADDRESS_MAX = 200
NOTE_MAX = 1000
REASON_MAX = 200


class InvalidCatalogue(InvalidInput):
    """A change that cannot be saved; `problems` maps each bad field to its refusal."""

    def __init__(self, problems: dict[str, InvalidInput]) -> None:
        first = next(iter(problems.values()))
        super().__init__(first.code, **first.params)
        self.problems = problems


class _Checker:
    """Reads submitted text field by field and collects the first refusal of each."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self.values = values
        self.problems: dict[str, InvalidInput] = {}

    def refuse(self, field: str, code: str, **params: object) -> None:
        self.problems.setdefault(field, InvalidInput(code, **params))

    def raw(self, field: str) -> str:
        value = self.values.get(field)
        return value.strip() if isinstance(value, str) else ""

    def text(self, field: str, limit: int, *, required: bool = True) -> str | None:
        value = self.raw(field)
        if not value:
            if required:
                self.refuse(field, "catalogue_required")
            return None
        if len(value) > limit:
            self.refuse(field, "catalogue_too_long", limit=limit)
        return value

    def number(self, field: str, bounds: tuple[int, int]) -> int | None:
        value = self.raw(field)
        low, high = bounds
        if not value.isdigit() or not low <= int(value) <= high:
            self.refuse(field, "catalogue_number", low=low, high=high)
            return None
        return int(value)

    def done(self) -> None:
        if self.problems:
            raise InvalidCatalogue(self.problems)


# -- reading the catalogue ------------------------------------------------------------------


def services() -> list[Service]:
    return list(db.session.scalars(select(Service).order_by(Service.active.desc(), Service.code)))


def offices() -> list[Office]:
    return list(db.session.scalars(select(Office).order_by(Office.id)))


def departments() -> list[Department]:
    return list(db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.id)))


def upcoming_closures(office: Office, today: date) -> list[OfficeClosure]:
    return list(db.session.scalars(
        select(OfficeClosure).where(OfficeClosure.office_id == office.id,
                                    OfficeClosure.day >= today).order_by(OfficeClosure.day)))


def hours_text(office: Office) -> str:
    """The office's weekly hours in the hub.hours.spec format, runs of days with the same
    hours written as a span ("mo-fr 08:00-16:00"); "" when none are set."""
    week: dict[int, list[tuple[time, time]]] = {}
    for opening in office.hours:
        week.setdefault(opening.weekday, []).append((opening.opens, opening.closes))
    days, parts = sorted(week), []
    while days:
        run = [days.pop(0)]
        while days and days[0] == run[-1] + 1 and week[days[0]] == week[run[0]]:
            run.append(days.pop(0))
        span = spec.DAYS[run[0]] + (f"-{spec.DAYS[run[-1]]}" if len(run) > 1 else "")
        parts.append(f"{span} {spec.render({run[0]: week[run[0]]}).partition(' ')[2]}")
    return "; ".join(parts)


# -- services -------------------------------------------------------------------------------


def save_service(service: Service | None, values: Mapping[str, object],
                 documents: Sequence[Mapping[str, object]]) -> Service:
    """Create (service None) or update a service and its documents, or change nothing.

    `values` holds the form's fields (code only on create; `offices` a list of office ids,
    `active` a bool); `documents` its rows in form order, each with `id` (empty for a new
    row), names, notes, `required`, `position` and `remove`. Empty new rows are ignored;
    the rest are ordered by position (ties in form order) and numbered from 0. Only rows
    marked `remove` are deleted; a document the form did not show stays, after the others.
    """
    check = _Checker(values)
    code = _checked_code(check, Service) if service is None else service.code
    name_pl = check.text("name_pl", NAME_MAX["service"])
    name_en = check.text("name_en", NAME_MAX["service"])
    department = next((d for d in departments() if str(d.id) == check.raw("department")), None)
    if department is None:
        check.refuse("department", "catalogue_department")
    duration = check.number("duration_minutes", DURATION)
    fee_pl = check.text("fee_pl", FEE_MAX, required=False)
    fee_en = check.text("fee_en", FEE_MAX, required=False)
    notice = check.number("min_notice_hours", MIN_NOTICE)
    ahead = check.number("max_days_ahead", MAX_DAYS_AHEAD)
    chosen = {str(i) for i in values.get("offices") or ()}
    places = [o for o in offices() if str(o.id) in chosen]
    if len(places) != len(chosen):
        check.refuse("offices", "catalogue_offices")
    rows = _checked_documents(check, documents)
    check.done()

    if service is None:
        service = Service(code=code)
        db.session.add(service)
    service.name_pl, service.name_en, service.department = name_pl, name_en, department
    service.duration_minutes, service.fee_pl, service.fee_en = duration, fee_pl, fee_en
    service.min_notice_hours, service.max_days_ahead = notice, ahead
    service.active = bool(values.get("active"))
    service.offices = places
    _replace_documents(service, rows, {str(r.get("id")) for r in documents if r.get("remove")})
    db.session.commit()
    return service


def _checked_code(check: _Checker, model: type[Service] | type[Office]) -> str | None:
    code = check.raw("code")
    if not _CODE.fullmatch(code) or len(code) > CODE_MAX:
        check.refuse("code", "catalogue_code", limit=CODE_MAX)
    elif db.session.scalar(select(model.id).where(model.code == code)) is not None:
        check.refuse("code", "catalogue_code_taken")
    return code


def _checked_documents(check: _Checker,
                       documents: Sequence[Mapping[str, object]]) -> list[dict]:
    """The rows to keep, checked and in their new order."""
    kept = []
    for index, row in enumerate(documents):
        row_check = _Checker(row)
        texts = ("name_pl", "name_en", "note_pl", "note_en", "position")
        if row.get("remove") or (not row_check.raw("id")
                                 and not any(row_check.raw(t) for t in texts)):
            continue
        prefix = f"doc-{index}-"
        name_pl = row_check.raw("name_pl")
        name_en = row_check.raw("name_en")
        if not name_pl or not name_en:
            check.refuse(prefix + ("name_en" if name_pl else "name_pl"),
                         "catalogue_document_name")
        for field, limit in (("name_pl", NAME_MAX["document"]), ("name_en", NAME_MAX["document"]),
                             ("note_pl", NOTE_MAX), ("note_en", NOTE_MAX)):
            if len(row_check.raw(field)) > limit:
                check.refuse(prefix + field, "catalogue_too_long", limit=limit)
        position = _position(check, prefix, row_check.raw("position"))
        kept.append({
            "id": row_check.raw("id"), "name_pl": name_pl, "name_en": name_en,
            "note_pl": row_check.raw("note_pl") or None,
            "note_en": row_check.raw("note_en") or None,
            "required": bool(row.get("required")),
            "order": (position if position is not None else POSITION[1] + 1, index),
        })
    return sorted(kept, key=lambda r: r["order"])


def _position(check: _Checker, prefix: str, value: str) -> int | None:
    if not value:
        return None
    low, high = POSITION
    if not value.isdigit() or not low <= int(value) <= high:
        check.refuse(prefix + "position", "catalogue_number", low=low, high=high)
        return None
    return int(value)


def _replace_documents(service: Service, rows: list[dict], removed: set[str]) -> None:
    existing = {str(d.id): d for d in service.documents}
    shown = {r["id"] for r in rows} | removed
    rows = rows + [{"id": key, "name_pl": d.name_pl, "name_en": d.name_en, "note_pl": d.note_pl,
                    "note_en": d.note_en, "required": d.required}
                   for key, d in existing.items() if key not in shown]
    documents = []
    for position, row in enumerate(rows):
        document = existing.pop(row["id"], None) or ServiceDocument()
        document.position = position
        document.name_pl, document.name_en = row["name_pl"], row["name_en"]
        document.note_pl, document.note_en = row["note_pl"], row["note_en"]
        document.required = row["required"]
        documents.append(document)
    for gone in existing.values():
        db.session.delete(gone)
    service.documents = documents


# -- offices --------------------------------------------------------------------------------


def save_office(office: Office | None, values: Mapping[str, object],
                desks: Sequence[Mapping[str, object]]) -> Office:
    """Create (office None) or update an office, its desks and weekly hours, or change nothing.

    `values` holds the form's fields (code only on create, `hours` in the hub.hours.spec
    format, `active` a bool); `desks` its desk rows in form order, each with `id` (empty for
    a new row), `name`, `staff_only_percent` and `active`. Empty new rows are ignored; desks
    are never deleted (bookings point at them), only made inactive.
    """
    check = _Checker(values)
    code = _checked_code(check, Office) if office is None else office.code
    name_pl = check.text("name_pl", NAME_MAX["office"])
    name_en = check.text("name_en", NAME_MAX["office"])
    address = check.text("address", ADDRESS_MAX)
    week = _checked_hours(check)
    rows = _checked_desks(check, desks)
    check.done()

    if office is None:
        office = Office(code=code)
        db.session.add(office)
    office.name_pl, office.name_en, office.address = name_pl, name_en, address
    office.active = bool(values.get("active"))
    existing = {str(d.id): d for d in office.desks}
    for row in rows:
        desk = existing.get(row["id"]) or Desk()
        desk.name, desk.staff_only_percent, desk.active = row["name"], row["percent"], row["active"]
        if desk.id is None:
            office.desks.append(desk)
    for opening in list(office.hours):
        db.session.delete(opening)
    office.hours = [OfficeHours(weekday=day, opens=opens, closes=closes)
                    for day, ranges in sorted(week.items()) for opens, closes in ranges]
    db.session.commit()
    return office


def _checked_hours(check: _Checker) -> dict[int, list[tuple[time, time]]]:
    try:
        week = spec.parse(check.raw("hours"))
    except spec.SpecError as unreadable:
        check.refuse("hours", f"hours_{unreadable.code}", **unreadable.params)
        return {}
    for day, ranges in week.items():
        for (_, closes), (opens, _) in zip(ranges, ranges[1:], strict=False):
            if opens < closes:
                text = spec.render({day: ranges}).partition(" ")[2]
                check.refuse("hours", "hours_overlap", day=spec.DAYS[day], text=text)
    return week


def _checked_desks(check: _Checker, desks: Sequence[Mapping[str, object]]) -> list[dict]:
    kept = []
    for index, row in enumerate(desks):
        row_check = _Checker(row)
        desk_id, name = row_check.raw("id"), row_check.raw("name")
        if not desk_id and not name and not row_check.raw("staff_only_percent"):
            continue
        prefix = f"desk-{index}-"
        if not name:
            check.refuse(prefix + "name", "catalogue_desk_name")
        elif len(name) > NAME_MAX["desk"]:
            check.refuse(prefix + "name", "catalogue_too_long", limit=NAME_MAX["desk"])
        percent = row_check.raw("staff_only_percent") or "0"
        low, high = STAFF_ONLY_PERCENT
        if not percent.isdigit() or not low <= int(percent) <= high:
            check.refuse(prefix + "staff_only_percent", "catalogue_number", low=low, high=high)
            percent = "0"
        kept.append({"id": desk_id, "name": name, "percent": int(percent),
                     "active": bool(row.get("active"))})
    return kept


# -- closures -------------------------------------------------------------------------------


def add_closure(office: Office, day: object, reason: object) -> OfficeClosure:
    """Close the office on a day (besides public holidays), or change nothing."""
    check = _Checker({"day": day, "reason": reason})
    try:
        closed_on = date.fromisoformat(check.raw("day"))
    except ValueError:
        check.refuse("day", "catalogue_date")
        closed_on = None
    text = check.text("reason", REASON_MAX, required=False)
    if closed_on and db.session.scalar(select(OfficeClosure.id).where(
            OfficeClosure.office_id == office.id, OfficeClosure.day == closed_on)):
        check.refuse("day", "catalogue_closure_exists")
    check.done()
    closure = OfficeClosure(office_id=office.id, day=closed_on, reason=text)
    db.session.add(closure)
    db.session.commit()
    return closure


def remove_closure(office: Office, closure_id: int) -> bool:
    """Open the office again on that day; False if there was no such closure."""
    closure = db.session.get(OfficeClosure, closure_id)
    if closure is None or closure.office_id != office.id:
        return False
    db.session.delete(closure)
    db.session.commit()
    return True
