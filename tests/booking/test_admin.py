"""The booking catalogue kept by admins through /admin/booking: services with their ordered
documents, offices with desks, weekly hours with breaks and closures, and what residents
then see in the free slots."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select

from hub import clock
from hub.accounts.models import Department
from hub.booking.models import Office, OfficeClosure, OfficeHours, Service
from hub.errors import InvalidInput
from hub.extensions import db
from tests.conftest import ADMIN, ANNA, EWA, login

ADMIN_URL = "/admin/booking"


@pytest.fixture(autouse=True)
def mid_january(app):
    """A plain Wednesday with no holiday near: 2027-01-13 9:58 UTC (10:58 in Warsaw)."""
    clock.advance((datetime(2027, 1, 13, 9, 58) - clock.utcnow()).total_seconds())


@pytest.fixture
def admin(app):
    return login(app, ADMIN)


def department_id(app, code="residence") -> str:
    with app.app_context():
        return str(db.session.scalar(select(Department.id).where(Department.code == code)))


def office_id(app, code) -> int:
    with app.app_context():
        return db.session.scalar(select(Office.id).where(Office.code == code))


def message(app, code, lang, **params) -> str:
    """A refusal as the page shows it in that language."""
    with app.test_request_context(), force_locale(lang):
        return InvalidInput(code, **params).message


def office_form(**fields) -> dict:
    form = {"code": "osiedle", "name_pl": "Filia Osiedle", "name_en": "Estate Branch",
            "address": "ul. Krótka 5, 00-200 Miasto", "active": "1",
            "hours": "mo-fr 9:00-11:00,12:00-13:00",
            "desk-0-name": "Stanowisko 1", "desk-0-staff_only_percent": "0", "desk-0-active": "1",
            "desk-1-name": "", "desk-1-staff_only_percent": "", "desk-1-active": "1"}
    return {k: v for k, v in {**form, **fields}.items() if v is not None}


def service_form(offices, **fields) -> dict:
    form = {"code": "paszport", "name_pl": "Wniosek o paszport", "name_en": "Passport application",
            "department": fields.pop("department"), "duration_minutes": "30",
            "fee_pl": "140 zł", "fee_en": "PLN 140", "min_notice_hours": "0",
            "max_days_ahead": "30", "offices": [str(o) for o in offices], "active": "1",
            "doc-0-name_pl": "Wniosek paszportowy", "doc-0-name_en": "Passport form",
            "doc-0-required": "1", "doc-0-position": "2",
            "doc-1-name_pl": "Zdjęcie", "doc-1-name_en": "Photo", "doc-1-required": "1",
            "doc-1-note_pl": "35 × 45 mm", "doc-1-note_en": "35 × 45 mm", "doc-1-position": "1",
            "doc-2-name_pl": "", "doc-2-name_en": "", "doc-2-required": "1",
            "doc-2-position": ""}
    return {k: v for k, v in {**form, **fields}.items() if v is not None}


def create_office_and_service(app, admin) -> tuple[int, int]:
    response = admin.post(f"{ADMIN_URL}/offices/new", data=office_form())
    assert response.status_code == 302, response.text
    place = office_id(app, "osiedle")
    assert response.location.endswith(f"/offices/{place}")
    response = admin.post(f"{ADMIN_URL}/offices/{place}/closures",
                          data={"closure-day": "2027-01-15", "closure-reason": "Szkolenie"})
    assert response.status_code == 302, response.text
    response = admin.post(f"{ADMIN_URL}/services/new",
                          data=service_form([place], department=department_id(app)))
    assert response.status_code == 302, response.text
    with app.app_context():
        service = db.session.scalar(select(Service.id).where(Service.code == "paszport"))
    return place, service


def slot_times(client, days=3) -> list[str]:
    response = client.get("/api/v1/services/paszport/offices/osiedle/slots?from=2027-01-14"
                          f"&days={days}")
    assert response.status_code == 200, response.json
    return [s["starts_at_local"] for s in response.json["slots"]]


def documents(client, lang="pl") -> list[str]:
    listing = client.get(f"/api/v1/services?lang={lang}").json["services"]
    return [d["name"] for d in next(s for s in listing if s["code"] == "paszport")["documents"]]


def test_a_new_service_and_office_are_bookable_around_the_break_and_the_closure(app, admin,
                                                                                client):
    """Can an admin set up a matter and an office whose free times follow the hours given?"""
    create_office_and_service(app, admin)

    assert documents(client) == ["Zdjęcie", "Wniosek paszportowy"]
    assert documents(client, "en") == ["Photo", "Passport form"]
    times = slot_times(client)
    thursday = [t[11:16] for t in times if t.startswith("2027-01-14")]
    # 30-minute visits: 9:00–11:00, a break, 12:00–13:00; none across the break.
    assert thursday == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30",
                        "12:00", "12:15", "12:30"]
    assert not [t for t in times if t.startswith("2027-01-15")]  # the closure (a Friday)
    assert not [t for t in times if t.startswith("2027-01-16")]  # Saturday: no hours

    page = admin.get(f"{ADMIN_URL}/offices/{office_id(app, 'osiedle')}")
    assert "mo-fr 09:00-11:00,12:00-13:00" in page.text
    assert "2027-01-15" in page.text and "Szkolenie" in page.text


def test_editing_the_hours_and_removing_the_closure_count_at_once(app, admin, client):
    """Do changed hours and a removed closure show in the free slots straight away?"""
    place, _ = create_office_and_service(app, admin)
    response = admin.post(f"{ADMIN_URL}/offices/{place}", data=office_form(
        code=None, hours="mo-fr 9:00-10:00", **{"desk-0-id": _desk_id(app, place)}))
    assert response.status_code == 302, response.text
    with app.app_context():
        closure = db.session.scalar(select(OfficeClosure.id))
    response = admin.post(f"{ADMIN_URL}/offices/{place}/closures/{closure}/remove")
    assert response.status_code == 302

    times = slot_times(client, days=2)
    assert [t[11:16] for t in times if t.startswith("2027-01-14")] == [
        "09:00", "09:15", "09:30"]
    assert [t[11:16] for t in times if t.startswith("2027-01-15")] == [
        "09:00", "09:15", "09:30"]
    with app.app_context():
        desks = db.session.get(Office, place).desks
        assert [(d.name, d.active) for d in desks] == [("Stanowisko 1", True)]


def _desk_id(app, place) -> str:
    with app.app_context():
        return str(db.session.get(Office, place).desks[0].id)


def test_editing_the_order_of_the_documents(app, admin, client):
    """Can an admin reorder, add and remove documents in one form?"""
    _, service = create_office_and_service(app, admin)
    page = admin.get(f"{ADMIN_URL}/services/{service}")
    assert page.status_code == 200
    assert page.text.index("Zdjęcie") < page.text.index("Wniosek paszportowy")
    with app.app_context():
        photo, form = (str(d.id) for d in db.session.get(Service, service).documents)

    response = admin.post(f"{ADMIN_URL}/services/{service}", data=service_form(
        [office_id(app, "osiedle")], department=department_id(app), code=None,
        **{"doc-0-id": form, "doc-0-position": "1",
           "doc-1-id": photo, "doc-1-position": "3",
           "doc-2-name_pl": "Stary paszport", "doc-2-name_en": "Old passport",
           "doc-2-position": "2", "doc-2-required": None}))
    assert response.status_code == 302, response.text
    assert documents(client) == ["Wniosek paszportowy", "Stary paszport", "Zdjęcie"]
    listing = client.get("/api/v1/services").json["services"]
    old = next(s for s in listing if s["code"] == "paszport")["documents"][1]
    assert old["required"] is False

    response = admin.post(f"{ADMIN_URL}/services/{service}", data=service_form(
        [office_id(app, "osiedle")], department=department_id(app), code=None,
        **{"doc-0-id": form, "doc-1-id": photo, "doc-1-remove": "1", "doc-1-position": "1"}))
    assert response.status_code == 302, response.text
    assert documents(client) == ["Wniosek paszportowy", "Stary paszport"]


@pytest.mark.parametrize(("path", "fields", "field", "code", "params"), [
    ("offices/new", {"hours": "mo-fr 9:00-11:00; xx 8:00-9:00"}, "hours", "hours_unknown_day",
     {"text": "xx"}),
    ("offices/new", {"hours": "mo 9:00-12:00,11:00-13:00"}, "hours", "hours_overlap",
     {"day": "mo", "text": "09:00-12:00,11:00-13:00"}),
    ("offices/new", {"code": "Filia Osiedle"}, "code", "catalogue_code", {"limit": 40}),
    ("offices/new", {"desk-0-staff_only_percent": "150"}, "desk-0-staff_only_percent",
     "catalogue_number", {"low": 0, "high": 100}),
    ("services/new", {"code": "Paszport!"}, "code", "catalogue_code", {"limit": 40}),
    ("services/new", {"duration_minutes": "0"}, "duration_minutes", "catalogue_number",
     {"low": 5, "high": 480}),
    ("services/new", {"doc-1-name_en": ""}, "doc-1-name_en", "catalogue_document_name", {}),
])
def test_bad_input_is_refused_in_polish_and_changes_nothing(app, admin, path, fields, field,
                                                              code, params):
    """Is bad input refused next to its field, in Polish, with what was typed kept?"""
    with app.app_context():
        before = (db.session.scalar(select(func.count(Office.id))),
                  db.session.scalar(select(func.count(Service.id))),
                  db.session.scalar(select(func.count(OfficeHours.id))))
    if path.startswith("services"):
        data = service_form([office_id(app, "ratusz")], department=department_id(app), **fields)
    else:
        data = office_form(**fields)
    response = admin.post(f"{ADMIN_URL}/{path}", data=data)

    assert response.status_code == 400
    page = response.text
    assert 'class="error-summary"' in page
    assert f'href="#{field}"' in page
    assert f'aria-describedby="{field}-error"' in page or f'{field}-hint {field}-error' in page
    assert 'aria-invalid="true"' in page
    assert '<html lang="pl">' in page
    assert escape(message(app, code, "pl", **params)) in page
    assert "Filia Osiedle" in page or "Wniosek o paszport" in page  # what was typed is kept
    with app.app_context():
        assert before == (db.session.scalar(select(func.count(Office.id))),
                          db.session.scalar(select(func.count(Service.id))),
                          db.session.scalar(select(func.count(OfficeHours.id))))


def test_a_bad_edit_leaves_the_office_as_it_was(app, admin, client):
    """Does a refused edit keep the old hours and the typed text?"""
    place, _ = create_office_and_service(app, admin)
    response = admin.post(f"{ADMIN_URL}/offices/{place}", data=office_form(
        code=None, name_pl="Nowa nazwa", hours="mo-fr 9:00-8:00",
        **{"desk-0-id": _desk_id(app, place)}))
    assert response.status_code == 400
    assert "Nowa nazwa" in response.text and "mo-fr 9:00-8:00" in response.text
    with app.app_context():
        office = db.session.get(Office, place)
        assert office.name_pl == "Filia Osiedle"
        assert len(office.hours) == 10
    assert len(slot_times(client, days=1)) == 10


def test_a_closure_needs_a_date_and_one_per_day(app, admin):
    place, _ = create_office_and_service(app, admin)
    response = admin.post(f"{ADMIN_URL}/offices/{place}/closures",
                          data={"closure-day": "15.01.2027", "closure-reason": "x"})
    assert response.status_code == 400
    assert escape(message(app, "catalogue_date", "pl")) in response.text
    assert 'id="closure-day-error"' in response.text and 'value="15.01.2027"' in response.text
    response = admin.post(f"{ADMIN_URL}/offices/{place}/closures",
                          data={"closure-day": "2027-01-15", "closure-reason": ""})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(OfficeClosure.id))) == 1


@pytest.mark.parametrize("email", [ANNA, EWA])
def test_clerks_and_supervisors_may_not_change_the_catalogue(app, email):
    staff = login(app, email)
    for path in ("", "/services/new", "/offices/new"):
        assert staff.get(ADMIN_URL + path).status_code == 403
    assert staff.post(f"{ADMIN_URL}/offices/new", data=office_form()).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Office.id).where(Office.code == "osiedle")) is None


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ("", "/services/new", "/offices/1"):
        response = client.get(ADMIN_URL + path)
        assert response.status_code == 302
        assert "/login" in response.location


def test_admins_find_the_catalogue(app, admin):
    page = admin.get(ADMIN_URL)
    assert page.status_code == 200
    assert "Rejestracja pojazdu" in page.text and "Filia Północ" in page.text
    assert f'href="{ADMIN_URL}"' in admin.get("/supervisor").text
    assert f'href="{ADMIN_URL}"' not in login(app, EWA).get("/supervisor").text
