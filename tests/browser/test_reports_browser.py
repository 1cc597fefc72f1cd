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

    resident = contexts.new_page(hub.url, **AXE_CONTEXT)
    resident.goto(link)
    expect(resident.locator("h1")).to_be_visible()
    check_axe(resident, "the rating page")
    resident.locator("label[for=stars-4]").click()
    resident.fill("#comment", "Sprawnie i uprzejmie.")
    resident.locator("main form button[type=submit]").click()
    resident.wait_for_url("**done=1")                       # the thank-you page
    expect(resident.locator("main form")).to_have_count(0)
    expect(resident.locator("main")).to_contain_text("4")
    check_axe(resident, "the rating page after rating")


def test_the_rating_page_shows_errors_accessibly(hub, contexts):
    link = with_history(hub)
    contexts.allow("status of 400")                        # the refused form answers 400
    page = contexts.new_page(hub.url, **AXE_CONTEXT)
    page.goto(link + "?lang=en")
    page.locator("main form button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please choose how the visit was, from 1 to 5.")
    expect(page.locator("#stars-5")).to_have_attribute("aria-invalid", "true")
    check_axe(page, "the rating page with an error")
