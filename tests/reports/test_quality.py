"""The service-quality index (hub.reports.quality): its three parts, the published weights,
renormalising when a part has no data, and the pass mark, with exact numbers; the page shows
every part and how the index is computed."""

from __future__ import annotations

import html
import re
from datetime import datetime, time

import pytest
from sqlalchemy import select

from hub import settings
from hub.accounts.models import User
from hub.extensions import db
from hub.reports.quality import quality_report
from tests.conftest import ADMIN, ANNA, EWA, PIOTR, login
from tests.reports.conftest import (
    FIRST,
    VISIT_DAY,
    contact,
    rate,
    review,
    settle_visits,
    twentieths_scorecard,
)

BEFORE_THE_PERIOD = datetime(2027, 1, 3, 22, 30)  # 23:30 on 3 January in Warsaw


@pytest.fixture
def rated(app):
    """Registry: chats rated 5 and 3 (online 75 %), visits rated 3 and 5 (office 75 %), a
    mystery shop scored 12/20 (60 %). Taxes: a chat rated 5 (100 %), a mystery shop 18/20
    (90 %), no rated visit. Left out: a mystery shopper's own rating, a form, a chat of
    January 3rd (before the period). Vehicles, residence and general: nothing."""
    with app.app_context():
        version = twentieths_scorecard()
        contact("registry", waited=10, handled=60, csat=5)
        contact("registry", waited=10, handled=60, csat=3)
        shop = contact("registry", waited=10, handled=60, csat=1, mystery=True)
        review(shop, 12, version, kind="mystery")
        contact("taxes", waited=10, handled=60, csat=5, clerk=PIOTR)
        review(contact("taxes", waited=10, handled=60, clerk=PIOTR, mystery=True), 18, version,
               kind="mystery")
        review(contact("taxes", waited=10, handled=60, clerk=PIOTR), 0, version)  # random: not here
        contact("general", "form", waited=10, handled=60, csat=1)
        contact("registry", queued=BEFORE_THE_PERIOD, waited=10, handled=60, csat=1)
        first, second, _ = settle_visits([("odpis-aktu", time(9), "done"),
                                          ("odpis-aktu", time(9, 15), "done"),
                                          ("odpis-aktu", time(9, 30), "done")])
        rate(first, 3)
        rate(second, 5, "Bardzo sprawnie")
    return app


def parts(index) -> dict:
    return {p.key: (p.count, p.value) for p in index.parts}


def test_the_index_combines_the_parts_with_the_published_weights(rated):
    with rated.app_context():
        report = quality_report(FIRST, VISIT_DAY)
    assert report.weights == {"csat": 30, "office": 30, "mystery": 40}
    assert report.pass_mark == 80
    by_code = {i.department.code: i for i in report.departments}
    assert list(by_code) == ["registry", "vehicles", "taxes", "residence", "general"]

    registry = by_code["registry"]
    assert parts(registry) == {"csat": (2, 0.75), "office": (2, 0.75), "mystery": (1, 0.6)}
    assert registry.value == pytest.approx(0.69)          # (30·0.75 + 30·0.75 + 40·0.6) / 100
    assert registry.passed is False and registry.missing == ()

    taxes = by_code["taxes"]                              # no office part: 30 + 40 = 70
    assert parts(taxes) == {"csat": (1, 1.0), "office": (0, None), "mystery": (1, 0.9)}
    assert taxes.value == pytest.approx(66 / 70)          # (30·1 + 40·0.9) / 70
    assert [p.key for p in taxes.missing] == ["office"]
    assert taxes.effective_weight(taxes.parts[0]) == pytest.approx(3 / 7)
    assert taxes.effective_weight(taxes.parts[1]) is None
    assert taxes.passed is True

    general = by_code["general"]                          # a form's rating is not online
    assert (general.value, general.passed) == (None, None)

    overall = report.overall                              # every rating and review pooled
    assert parts(overall) == {"csat": (3, pytest.approx(2.5 / 3)), "office": (2, 0.75),
                              "mystery": (2, pytest.approx(0.75))}
    assert overall.value == pytest.approx(0.775)          # (25 + 22.5 + 30) / 100


def test_changed_weights_and_pass_mark_apply_and_a_zero_weight_part_is_left_out(rated):
    with rated.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        settings.set_value("quality_weights", {"csat": 50, "office": 50, "mystery": 0}, admin)
        settings.set_value("quality_pass_mark", 75, admin)
        db.session.commit()
        report = quality_report(FIRST, VISIT_DAY)
    by_code = {i.department.code: i for i in report.departments}
    registry, taxes = by_code["registry"], by_code["taxes"]
    assert registry.value == pytest.approx(0.75)          # (50·0.75 + 50·0.75) / 100
    assert registry.passed is True                        # exactly the pass mark passes
    assert [p.key for p in registry.used] == ["csat", "office"]
    assert taxes.value == 1.0 and taxes.passed is True    # mystery has data but weight 0


def test_a_period_without_ratings_gives_no_index(rated):
    with rated.app_context():
        report = quality_report(FIRST.replace(year=2026), FIRST.replace(year=2026, day=10))
    assert all(i.value is None and i.passed is None for i in report.departments)
    assert report.overall.value is None


def table(page: str, table_id: str) -> list[list[str]]:
    """The rows of one table as whitespace-normalised cell texts."""
    body = page[page.index(f'id="{table_id}"'):]
    body = body[:body.index("</table>")]
    rows = []
    for row in re.findall(r"<tr\b.*?</tr>", body, re.S):
        cells = re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows


def test_the_page_shows_every_part_the_weights_and_the_method(rated):
    page = login(rated, EWA).get(f"/supervisor/quality?from={FIRST}&to={VISIT_DAY}&lang=en")
    assert page.status_code == 200
    text = page.text
    assert "How the index is computed" in text
    assert "Online ratings (CSAT)</strong>, weight 30.0%" in text
    assert "Mystery-shopper reviews</strong>, weight 40.0%" in text
    assert "passes at 80.0% or above" in text

    summary = table(text, "table-summary")
    assert summary[0] == ["Department", "Index", "Online ratings (CSAT)", "Office visit ratings",
                          "Mystery-shopper reviews", "Result"]
    assert summary[1] == ["Civil registry (births, marriages, deaths)", "69.0%", "75.0%", "75.0%",
                          "60.0%", "✗ below the pass mark"]
    assert summary[3] == ["Local taxes and fees", "94.3%", "100.0%", "—", "90.0%", "✓ pass"]
    assert summary[5][-1] == "no data"

    taxes = table(text, "table-department-taxes")
    assert taxes[1:] == [
        ["Online ratings (CSAT)", "100.0%", "1 rating", "30.0% used: 42.9%"],
        ["Office visit ratings", "—", "0 ratings", "30.0% left out: no data"],
        ["Mystery-shopper reviews", "90.0%", "1 review", "40.0% used: 57.1%"],
        ["Index", "94.3%", "✓ pass"],
    ]
    assert "Missing: Office visit ratings." in text
    assert 'id="chart-quality"' in text and 'role="img"' in text
    assert "js/reports.js" in text and "vendor/chart.umd.min.js" in text


def test_only_supervisors_see_the_index(app, client):
    assert client.get("/supervisor/quality").status_code == 302
    assert login(app, ANNA).get("/supervisor/quality").status_code == 403
    assert login(app, ADMIN).get("/supervisor/quality").status_code == 200
