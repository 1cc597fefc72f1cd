"""Demo data: departments and staff to try the hub with; logins printed for the README."""

from __future__ import annotations

import os
from datetime import time

from sqlalchemy import select

from hub.accounts.models import Department, User
from hub.booking.demo import load_booking_demo
from hub.canned.models import CannedResponse
from hub.extensions import db
from hub.hours.models import DepartmentHours

DEPARTMENTS = [
    ("registry", "Urząd Stanu Cywilnego", "Civil registry (births, marriages, deaths)", True),
    ("vehicles", "Rejestracja pojazdów i prawa jazdy", "Vehicle registration and driving licences", True),
    ("taxes", "Podatki i opłaty lokalne", "Local taxes and fees", True),
    ("residence", "Meldunki i dowody osobiste", "Residence registration and ID cards", True),
    ("general", "Informacja ogólna i dostępność", "General information and accessibility", True),
]

STAFF = [
    # email, name, display name, role, departments, desk phone ("Call now" rings it)
    ("anna@okienko.local", "Anna Kowalska", "Anna", "clerk", ["registry", "residence", "general"],
     "+48221000001"),
    ("piotr@okienko.local", "Piotr Nowak", "Piotr", "clerk", ["vehicles", "taxes", "general"],
     "+48221000002"),
    ("ewa@okienko.local", "Ewa Wiśniewska", "Ewa", "supervisor",
     ["registry", "vehicles", "taxes", "residence", "general"], "+48221000003"),
    ("admin@okienko.local", "Adam Zieliński", "Adam", "admin", ["general"], None),
]


# department code (None: every department), language, shortcut, title, body
CANNED = [
    (None, "pl", "godziny", "Godziny pracy",
     "{department} — godziny pracy: {office_hours}."),
    (None, "en", "hours", "Office hours",
     "{department} — opening hours: {office_hours}."),
    (None, "pl", "powitanie", "Powitanie",
     "Dzień dobry, {resident_name}! Z tej strony {clerk_name}. W czym mogę pomóc?"),
    (None, "en", "hello", "Greeting",
     "Hello, {resident_name}! This is {clerk_name}. How can I help you?"),
    (None, "pl", "dokumenty", "Dokument tożsamości",
     "Proszę zabrać ze sobą dowód osobisty albo paszport."),
    (None, "en", "documents", "Proof of identity",
     "Please bring your ID card or passport with you."),
    (None, "pl", "zakonczenie", "Zakończenie rozmowy",
     "Dziękuję za rozmowę, {resident_name}. Gdyby pojawiły się pytania, zapraszamy ponownie. "
     "Pozdrawiam, {clerk_name}."),
    (None, "en", "bye", "Closing",
     "Thank you for contacting us, {resident_name}. If you have more questions, just write "
     "again. Kind regards, {clerk_name}."),
    ("registry", "pl", "odpis", "Odpis aktu urodzenia",
     "Odpis skrócony lub zupełny aktu urodzenia kosztuje 22 zł (opłata skarbowa). Można go "
     "zamówić przez ePUAP albo osobiście w Urzędzie Stanu Cywilnego."),
    ("registry", "en", "copy", "Birth certificate copy",
     "A short or full copy of a birth certificate costs 22 zł (stamp duty). You can order it "
     "online through ePUAP or in person at the Civil Registry Office."),
    ("vehicles", "pl", "rejestracja", "Rejestracja pojazdu",
     "Do rejestracji pojazdu potrzebne są: dowód własności (np. umowa kupna), dotychczasowy "
     "dowód rejestracyjny, tablice rejestracyjne i potwierdzenie ubezpieczenia OC."),
    ("vehicles", "en", "registration", "Vehicle registration",
     "To register a vehicle, please bring proof of ownership (e.g. the purchase contract), the "
     "current registration certificate, the number plates and proof of third-party insurance."),
]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "okienko-demo")


def load_demo(capacity: int = 3) -> list[tuple[str, str, str]]:
    """Create what is missing (safe to run again); returns (email, role, password) rows."""
    by_code = {d.code: d for d in db.session.scalars(select(Department))}
    for code, name_pl, name_en, public in DEPARTMENTS:
        if code not in by_code:
            by_code[code] = Department(code=code, name_pl=name_pl, name_en=name_en, public=public)
            db.session.add(by_code[code])
    logins = []
    for email, name, display, role, codes, phone in STAFF:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, display_name=display, role=role,
                        capacity=capacity, presence="offline", phone=phone)
            user.set_password(demo_password())
            user.departments = [by_code[c] for c in codes]
            db.session.add(user)
        logins.append((email, role, demo_password()))
    _load_canned(by_code)
    _load_hours(by_code)
    load_booking_demo(by_code)
    db.session.commit()
    return logins


# Office-type departments keep office hours; the others answer chat at any time, so the
# demo shows both. Weekday 0 is Monday.
HOURS = {
    "vehicles": [(d, time(8), time(16)) for d in range(5)],
    "taxes": [(0, time(8), time(17))] + [(d, time(8), time(15, 30)) for d in range(1, 5)],
}


def _load_hours(by_code: dict[str, Department]) -> None:
    for code, ranges in HOURS.items():
        department = by_code[code]
        if department.id is None:
            db.session.flush()
        if db.session.scalar(select(DepartmentHours.id).where(
                DepartmentHours.department_id == department.id).limit(1)) is None:
            db.session.add_all(DepartmentHours(department_id=department.id, weekday=day,
                                               opens=opens, closes=closes)
                               for day, opens, closes in ranges)


def _load_canned(by_code: dict[str, Department]) -> None:
    """Add the demo answers not there yet (a deactivated one counts: it is not brought back)."""
    db.session.flush()
    existing = {(c.department_id, c.language, c.shortcut)
                for c in db.session.scalars(select(CannedResponse))}
    for code, language, shortcut, title, body in CANNED:
        department_id = by_code[code].id if code else None
        if (department_id, language, shortcut) not in existing:
            db.session.add(CannedResponse(department_id=department_id, language=language,
                                          shortcut=shortcut, title=title, body=body))


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    print("Demo logins (http://127.0.0.1:5000/login):")
    for email, role, password in logins:
        print(f"  {role:<10} {email:<24} {password}")
