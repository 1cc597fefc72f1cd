"""The reports in a real browser: /supervisor/reports draws its charts (Chart.js, vendored)
from the page's data under the hub's CSP, /supervisor/quality too, and a resident rates a
visit from the link; axe finds nothing on any of them."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from hub import create_app
from hub.booking.models import Booking
from hub.booking.rating import issue_token
from hub.clock import utcnow
from hub.demo_history import load_demo_history
from hub.extensions import db
from hub.reports.demo import load_demo_reports
from tests.browser.conftest import check_axe
from tests.conftest import EWA, PASSWORD

AXE_CONTEXT = {"bypass_csp": True}
CHARTS_JS = """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(canvas => {
    const chart = Chart.getChart(canvas);
    return {id: canvas.dataset.chart, width: canvas.clientWidth, height: canvas.clientHeight,
            points: chart ? chart.data.datasets[0].data.filter(v => v !== null).length : -1,
            label: canvas.getAttribute('aria-label')};
})"""


def with_history(hub) -> str:
    """Past visits and reviews beside the live hub's demo contacts; returns the rating link
    of a visit just done."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": hub.env["DATABASE_URL"],
                      "REDIS_URL": hub.env["REDIS_URL"], "REDIS_PREFIX": hub.env["REDIS_PREFIX"],
                      "SECRET_KEY": hub.env["SECRET_KEY"], "SOCKETIO_MESSAGE_QUEUE": False})
    with app.app_context():
        load_demo_history()
        visits, reviews = load_demo_reports()
        assert visits and reviews
        booking = db.session.scalars(select(Booking).where(
            Booking.state == "done", Booking.rating.is_(None))
            .order_by(Booking.starts_at.desc())).first()
        booking.finished_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        token = issue_token(booking)
        db.engine.dispose()
    return f"/visit/rate/{token}"


def sign_in_as_supervisor(page) -> None:
    page.goto("/login")
    page.fill("#email", EWA)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/supervisor")


def drawn(page) -> dict[str, dict]:
    charts = page.evaluate(CHARTS_JS)
    return {c["id"]: c for c in charts}


def test_reports_and_quality_draw_their_charts_and_a_resident_rates_a_visit(hub, contexts):
    """Does every chart get drawn (a Chart instance with data on a canvas of real size) under
    the CSP, with no script errors; are the pages, and the rating page in each of its
    states, free of axe findings?"""
    link = with_history(hub)
    page = contexts.new_page(hub.url, **AXE_CONTEXT)
    sign_in_as_supervisor(page)

    page.goto("/supervisor/reports")
    expect(page.locator("#table-channels tbody tr").first).to_be_visible()
    charts = drawn(page)
    assert {"channels", "departments", "sla", "abandonment", "times_first_response",
            "times_wait", "times_handling", "csat", "no_shows", "qa_bands"} <= set(charts)
    for name, chart in charts.items():
        assert chart["width"] > 100 and chart["height"] > 100, (name, chart)
        assert chart["points"] > 0, (name, chart)          # a Chart instance with data
        assert chart["label"]                              # its text summary
    check_axe(page, "/supervisor/reports")

    page.locator("#department").select_option("vehicles")
    page.locator(".report-filters button[type=submit]").click()
    page.wait_for_url("**department=vehicles**")
    assert drawn(page)["departments"]["points"] == 1

    page.goto("/supervisor/quality")
    expect(page.locator("#table-summary")).to_be_visible()
    quality = drawn(page)["quality"]
    assert quality["width"] > 100 and quality["points"] > 0
    check_axe(page, "/supervisor/quality")

    contexts.allow("status of 400")                        # the refused rating answers 400
    resident = contexts.new_page(hub.url, **AXE_CONTEXT)
    resident.goto(link + "?lang=en")
    expect(resident.locator("h1")).to_have_text("How was your visit?")
    check_axe(resident, "the rating page")
    resident.locator("main form button[type=submit]").click()   # nothing chosen
    summary = resident.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please choose how the visit was, from 1 to 5.")
    expect(resident.locator("#stars-5")).to_have_attribute("aria-invalid", "true")
    check_axe(resident, "the rating page with an error")

    resident.locator("label[for=stars-4]").click()
    expect(resident.locator("#stars-4")).to_be_checked()
    resident.fill("#comment", "Sprawnie i uprzejmie.")
    resident.locator("main form button[type=submit]").click()
    resident.wait_for_url("**done=1")
    expect(resident.locator("main h1")).to_have_text("Thank you for your rating")
    expect(resident.locator("main")).to_contain_text("4 out of 5")
    check_axe(resident, "the rating page after rating")
