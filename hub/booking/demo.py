"""The demo catalogue: two offices and five matters with the documents they need."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from hub.accounts.models import Department
from hub.booking.models import Desk, Office, OfficeHours, Service, ServiceDocument
from hub.extensions import db

WEEKDAYS = range(5)
# code, name pl, name en, address, desks (name, staff-only %), hours (weekday, opens, closes)
OFFICES = [
    ("ratusz", "Ratusz – Biuro Obsługi Mieszkańców", "Town Hall – Residents' Service Office",
     "ul. Rynek 1, 00-001 Miasto", [("Stanowisko 1", 0), ("Stanowisko 2", 0), ("Stanowisko 3", 25)],
     [(d, time(8), time(12)) for d in WEEKDAYS] + [(d, time(12, 30), time(16)) for d in WEEKDAYS]
     + [(3, time(16), time(18))]),
    ("polnoc", "Filia Północ", "North Branch",
     "ul. Długa 10, 00-100 Miasto", [("Stanowisko A", 0), ("Stanowisko B", 20)],
     [(d, time(9), time(15)) for d in WEEKDAYS]),
]
# code, department, name pl, name en, minutes, fee pl, fee en, offices, documents
# (name pl, name en, required, note pl, note en)
SERVICES = [
    ("rejestracja-pojazdu", "vehicles", "Rejestracja pojazdu", "Vehicle registration", 30,
     "180,50 zł (pojazd z kraju) lub 256 zł (sprowadzony)", "PLN 180.50 (bought in Poland) or "
     "PLN 256 (imported)", ["ratusz", "polnoc"], [
         ("Dowód osobisty", "ID card", True, None, None),
         ("Dowód własności pojazdu (umowa kupna, faktura)", "Proof of ownership (purchase "
          "contract, invoice)", True, None, None),
         ("Dotychczasowy dowód rejestracyjny", "The current registration certificate", True,
          None, None),
         ("Tablice rejestracyjne", "Number plates", True, "Jeśli pojazd był już zarejestrowany.",
          "If the vehicle was registered before."),
         ("Karta pojazdu", "Vehicle card", False, "Jeśli była wydana.", "If one was issued."),
         ("Potwierdzenie opłaty", "Proof of payment", False, "Można też zapłacić na miejscu.",
          "You can also pay at the office."),
     ]),
    ("dowod-osobisty", "residence", "Wniosek o dowód osobisty", "Applying for an ID card", 15,
     "Bezpłatnie", "Free of charge", ["ratusz", "polnoc"], [
         ("Aktualne zdjęcie 35 × 45 mm", "A recent photo, 35 × 45 mm", True, None, None),
         ("Dotychczasowy dowód osobisty", "Your current ID card", True,
          "Jeśli go masz.", "If you have one."),
     ]),
    ("zameldowanie", "residence", "Zameldowanie na pobyt stały", "Registering permanent residence",
     15, "Bezpłatnie", "Free of charge", ["ratusz"], [
         ("Dowód osobisty lub paszport", "ID card or passport", True, None, None),
         ("Umowa najmu lub akt własności lokalu", "Rental contract or title deed", True,
          "Albo obecność właściciela lokalu.", "Or the owner coming with you."),
     ]),
    ("odpis-aktu", "registry", "Odpis aktu stanu cywilnego", "Copy of a civil-status record", 15,
     "22 zł (skrócony), 33 zł (zupełny)", "PLN 22 (short), PLN 33 (full)", ["ratusz"], [
         ("Dowód osobisty", "ID card", True, None, None),
     ]),
    ("zaswiadczenie-podatki", "taxes", "Zaświadczenie o niezaleganiu w podatkach",
     "Certificate of no tax arrears", 15, "21 zł", "PLN 21", ["ratusz"], [
         ("Dowód osobisty", "ID card", True, None, None),
         ("Potwierdzenie opłaty skarbowej", "Proof of the stamp duty paid", False,
          "Można też zapłacić na miejscu.", "You can also pay at the office."),
     ]),
]


def load_booking_demo(by_code: dict[str, Department]) -> None:
    """Create the demo offices and services that are missing (safe to run again)."""
    offices = {o.code: o for o in db.session.scalars(select(Office))}
    for code, name_pl, name_en, address, desks, hours in OFFICES:
        if code in offices:
            continue
        office = Office(code=code, name_pl=name_pl, name_en=name_en, address=address)
        office.desks = [Desk(name=n, staff_only_percent=p) for n, p in desks]
        office.hours = [OfficeHours(weekday=d, opens=o, closes=c) for d, o, c in hours]
        db.session.add(office)
        offices[code] = office
    existing = set(db.session.scalars(select(Service.code)))
    for code, department, name_pl, name_en, minutes, fee_pl, fee_en, at, documents in SERVICES:
        if code in existing:
            continue
        service = Service(code=code, department=by_code[department], name_pl=name_pl,
                          name_en=name_en, duration_minutes=minutes, fee_pl=fee_pl, fee_en=fee_en,
                          offices=[offices[o] for o in at])
        service.documents = [
            ServiceDocument(position=i, name_pl=n_pl, name_en=n_en, required=required,
                            note_pl=note_pl, note_en=note_en)
            for i, (n_pl, n_en, required, note_pl, note_en) in enumerate(documents)
        ]
        db.session.add(service)
