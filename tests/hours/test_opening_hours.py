"""Out of hours the chat says so, names the next opening and still takes a message."""

from datetime import date, datetime, time, timedelta

from hub.accounts.models import Department
from hub.extensions import db
from hub.hours import service as hours
from hub.hours.models import DepartmentHours
from tests.conftest import emit


def set_hours(app, code, weekdays, opens=time(0, 0), closes=time(23, 59, 59)):
    with app.app_context():
        department = db.session.query(Department).filter_by(code=code).one()
        db.session.query(DepartmentHours).filter_by(department_id=department.id).delete()
        for day in weekdays:
            db.session.add(DepartmentHours(department_id=department.id, weekday=day,
                                           opens=opens, closes=closes))
        db.session.commit()


def today_local(app) -> date:
    with app.app_context():
        return hours._local(None).date()


def test_closed_today_the_widget_names_the_next_opening_and_queues_the_message(app, client,
                                                                                resident):
    today = today_local(app)
    set_hours(app, "registry", [d for d in range(7) if d != today.weekday()], opens=time(8))
    page = client.get("/chat").get_data(as_text=True)
    assert 'data-closed="1"' in page
    sio = resident()
    started = emit(sio, "/chat", "start", {"department": "registry", "consent": True})
    status = started["status"]
    assert status["closed"] is True and status["state"] == "queued"
    assert "8:00" in status["next_opening"]
    assert emit(sio, "/chat", "message", {"token": started["token"], "client_id": "m",
                                          "body": "Proszę o kontakt rano"})["ok"]


def test_open_around_the_clock_on_working_days(app):
    set_hours(app, "registry", range(7))
    with app.app_context():
        department = db.session.query(Department).filter_by(code="registry").one()
        assert hours.is_open(department) == (not hours.is_holiday(hours._local(None).date()))


def test_public_holidays_are_closed(app):
    set_hours(app, "registry", range(5), opens=time(8), closes=time(16))  # Mon–Fri
    with app.app_context():
        department = db.session.query(Department).filter_by(code="registry").one()
        christmas_noon_utc = datetime(2026, 12, 25, 11, 0)
        assert hours.is_holiday(date(2026, 12, 25))
        assert not hours.is_open(department, christmas_noon_utc)
        # 26 Dec is a holiday too, then a weekend: the next opening is Monday the 28th.
        opening = hours.next_opening(department, christmas_noon_utc)
        assert opening.date() == date(2026, 12, 28) and opening.hour == 8
        assert hours.is_open(department, christmas_noon_utc + timedelta(days=3))
