"""/supervisor/reports and its CSV: the period chooser, the department filter, charts with
their tables, the CSV (BOM, a section column, formula-safe, logged) and who may see them."""

from __future__ import annotations

import csv
import io
from datetime import time

from sqlalchemy import func, select, update

from hub.accounts.models import Department, User
from hub.extensions import db
from hub.interactions.models import InteractionEvent
from tests.conftest import ADMIN, ANNA, EWA, login
from tests.reports.conftest import FIRST, LAST, contact, settle_visits
from tests.reports.test_quality import table

PAGES = ("/supervisor/reports", "/supervisor/reports.csv", "/supervisor/quality")


def supervisor(app):
    http = login(app, EWA)
    http.set_cookie("lang", "en")
    return http


def some_contacts(app) -> None:
    with app.app_context():
        contact("registry", waited=30, replied=40, handled=300, csat=5)
        contact("registry", left=400)
        contact("vehicles", "sms", waited=100, replied=120, handled=200)


def test_only_supervisors_and_admins_see_the_reports(app, client):
    for path in PAGES:
        assert client.get(path).status_code == 302
        assert login(app, ANNA).get(path).status_code == 403
        assert login(app, ADMIN).get(path).status_code == 200
    with app.app_context():  # the admin's export is logged, the refused ones are not
        assert db.session.scalar(select(func.count(InteractionEvent.id)).where(
            InteractionEvent.kind == "report_exported")) == 1


def test_the_page_has_a_chart_and_a_table_for_each_figure(app):
    some_contacts(app)
    page = supervisor(app).get(f"/supervisor/reports?from={FIRST}&to={LAST}")
    assert page.status_code == 200
    text = page.text
    assert table(text, "table-channels") == [
        ["Channel", "Contacts", "Answered"], ["Web chat", "2", "1"], ["SMS", "1", "1"],
        ["All channels", "3", "2"]]
    assert table(text, "table-abandonment")[1] == [
        "Civil registry (births, marriages, deaths)", "2", "50.0% 1 of 2"]
    assert table(text, "table-times")[1:] == [
        ["First response", "2", "40 s", "2 min", "1 min 20 s"],
        ["Wait to be answered", "2", "30 s", "1 min 40 s", "1 min 5 s"],
        ["Handling", "2", "3 min 20 s", "5 min", "4 min 10 s"]]
    for chart in ("channels", "departments", "sla", "abandonment", "times_wait", "csat"):
        assert f'id="chart-{chart}" data-chart="{chart}" role="img"' in text
    assert 'aria-label="Bar chart, contacts by channel. Web chat: 2; SMS: 1."' in text
    assert '<script type="application/json" id="report-charts">' in text
    assert "vendor/chart.umd.min.js" in text and "js/reports.js" in text
    # Nothing to chart (no visits, no reviews): a sentence instead of an empty canvas.
    assert 'data-chart="no_shows"' not in text and "Nothing to chart in this period." in text
    assert f'href="/supervisor/reports.csv?from={FIRST}&amp;to={LAST}&amp;department="' in text


def test_the_department_filter_and_the_default_period(app):
    some_contacts(app)
    http = supervisor(app)
    page = http.get("/supervisor/reports")                # the last 30 days, ending today
    assert 'name="from" type="date" value="2026-12-15"' in page.text
    assert 'name="to" type="date" value="2027-01-13"' in page.text
    assert '<dd id="total-contacts">3</dd>' in page.text
    only = http.get("/supervisor/reports?department=vehicles")
    assert '<option value="vehicles" selected>' in only.text
    assert '<dd id="total-contacts">1</dd>' in only.text
    assert "department=vehicles" in only.text              # the CSV link keeps the filter


def test_a_wrong_period_is_refused_with_a_message(app):
    http = supervisor(app)
    backwards = http.get("/supervisor/reports?from=2027-01-10&to=2027-01-01")
    assert backwards.status_code == 200
    assert '<p class="alert" role="alert">The end of the period is before its start.</p>' in backwards.text
    assert 'value="2026-12-15"' in backwards.text          # shown for the default instead
    too_long = http.get("/supervisor/reports?from=2025-01-01&to=2027-01-01")
    assert "Please choose a period of at most a year." in too_long.text
    assert http.get("/supervisor/reports.csv?from=2027-01-10&to=2027-01-01").status_code == 400
    assert "at most a year" in http.get("/supervisor/quality?from=2025-01-01&to=2027-01-01").text


def test_the_csv_has_every_section_a_bom_safe_cells_and_is_logged(app):
    some_contacts(app)
    with app.app_context():
        db.session.execute(update(Department).where(Department.code == "registry")
                           .values(name_en="=HYPERLINK(\"http://x\")", name_pl="@SUM(1)"))
        db.session.commit()
        settle_visits([("odpis-aktu", time(9), "done"), ("odpis-aktu", time(9, 15), "no_show")])
    response = supervisor(app).get(f"/supervisor/reports.csv?from={FIRST}&to=2027-01-14")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="okienko-report-2027-01-04-2027-01-14.csv"')
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeffsection,item,label,measure,value\r\n")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    found = {(r[0], r[1], r[3]): r[4] for r in rows[1:]}
    labels = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert found[("period", "", "first_day")] == "2027-01-04"
    assert found[("contacts_by_channel", "webchat", "contacts")] == "2"
    assert found[("contacts_by_department", "registry", "abandonment_percent")] == "50.0"
    assert found[("times", "wait", "p50_seconds")] == "30.0"
    assert found[("times", "handling", "seconds_300_600")] == "1"
    assert found[("csat", "5", "ratings")] == "1"
    assert found[("visits", "registry", "no_show_percent")] == "50.0"
    assert found[("qa", "", "random_reviews")] == "0"
    assert {r[0] for r in rows[1:]} >= {"contacts_by_department", "times", "csat", "visits",
                                        "qa", "qa_clerks_by_band", "reactive_reviews",
                                        "mystery_reviews"}
    # A name a spreadsheet would run as a formula is written as text.
    assert labels[("contacts_by_department", "registry")] == "'=HYPERLINK(\"http://x\")"

    with app.app_context():
        event = db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.kind == "report_exported")).one()
        ewa = db.session.scalar(select(User).where(User.email == EWA))
        assert (event.interaction_id, event.actor_type, event.actor_id) == (None, "clerk", ewa.id)
        assert event.data == {"first": "2027-01-04", "last": "2027-01-14", "department": None}
