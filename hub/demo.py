"""Demo data: departments and staff to try the hub with; logins printed for the README."""

from __future__ import annotations

import os

from sqlalchemy import select

from hub.accounts.models import Department, User
from hub.extensions import db

DEPARTMENTS = [
    ("registry", "Urząd Stanu Cywilnego", "Civil registry (births, marriages, deaths)", True),
    ("vehicles", "Rejestracja pojazdów i prawa jazdy", "Vehicle registration and driving licences", True),
    ("taxes", "Podatki i opłaty lokalne", "Local taxes and fees", True),
    ("residence", "Meldunki i dowody osobiste", "Residence registration and ID cards", True),
    ("general", "Informacja ogólna i dostępność", "General information and accessibility", True),
]

STAFF = [
    # email, name, display name, role, departments
    ("anna@okienko.local", "Anna Kowalska", "Anna", "clerk", ["registry", "residence", "general"]),
    ("piotr@okienko.local", "Piotr Nowak", "Piotr", "clerk", ["vehicles", "taxes", "general"]),
    ("ewa@okienko.local", "Ewa Wiśniewska", "Ewa", "supervisor",
     ["registry", "vehicles", "taxes", "residence", "general"]),
    ("admin@okienko.local", "Adam Zieliński", "Adam", "admin", ["general"]),
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
    for email, name, display, role, codes in STAFF:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, display_name=display, role=role,
                        capacity=capacity, presence="offline")
            user.set_password(demo_password())
            user.departments = [by_code[c] for c in codes]
            db.session.add(user)
        logins.append((email, role, demo_password()))
    db.session.commit()
    return logins


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    print("Demo logins (http://127.0.0.1:5000/login):")
    for email, role, password in logins:
        print(f"  {role:<10} {email:<24} {password}")
