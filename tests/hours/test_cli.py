"""`flask hours set|show`: how a city sets its departments' opening hours."""

from datetime import time

from hub.accounts.models import Department
from hub.extensions import db
from hub.hours.models import DepartmentHours


def ranges_of(app, code):
    with app.app_context():
        department = db.session.query(Department).filter_by(code=code).one()
        return sorted((r.weekday, r.opens, r.closes) for r in db.session.query(
            DepartmentHours).filter_by(department_id=department.id))


def test_set_and_show_hours(app, runner):
    result = runner.invoke(args=["hours", "set", "registry",
                                 "mo-fr 8:00-16:00; th 8:00-12:00,13:00-17:00"])
    assert result.exit_code == 0, result.output
    assert "th 08:00-12:00,13:00-17:00" in result.output
    stored = ranges_of(app, "registry")
    assert (0, time(8), time(16)) in stored and (3, time(13), time(17)) in stored
    assert len(stored) == 6
    assert "registry     mo 08:00-16:00" in runner.invoke(args=["hours", "show"]).output


def test_bad_hours_are_refused_and_change_nothing(app, runner):
    before = ranges_of(app, "vehicles")
    for bad in ("xx 8:00-16:00", "mo-fr 16:00-8:00", "mo 8-16", "fr-mo 8:00-9:00"):
        result = runner.invoke(args=["hours", "set", "vehicles", bad])
        assert result.exit_code == 2, bad
        assert "Invalid value" in result.output
    assert ranges_of(app, "vehicles") == before
    assert runner.invoke(args=["hours", "set", "nope", ""]).exit_code == 2


def test_no_hours_means_around_the_clock(app, runner):
    result = runner.invoke(args=["hours", "set", "vehicles"])
    assert "around the clock" in result.output
    assert ranges_of(app, "vehicles") == []
