"""The audit trail and the log's CSV export: who looked at or took what, and when."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import select, update

from hub.accounts.models import User
from hub.clock import to_local, utcnow
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import InteractionEvent
from tests.conftest import ADMIN, ANNA, EWA, login
from tests.supervisor.factories import clerk_id, contact


def rows_of(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def trail_text(http, **args) -> str:
    html = http.get("/supervisor/audit", query_string={"lang": "en", **args}).get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<tbody>")[1]))


def test_the_export_has_the_filtered_rows_with_english_headers(app):
    with app.app_context():
        sms = contact("Pytanie o podatek.", channel="sms", clerk=ANNA, csat=4,
                      tags=("complaint",))
        contact("Pytanie o ślub.", channel="webchat")
        contact("Inne pytanie o podatek.", channel="webchat")
    ewa = login(app, EWA)
    response = ewa.get("/supervisor/interactions.csv?channel=sms")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0][:9] == ["ID", "Started", "Channel", "Department", "Clerk", "State", "Outcome",
                           "Rating", "Tags"]
    assert [r[:9] for r in rows[1:]] == [[str(sms), rows[1][1], "sms", "registry",
                                          "Anna Kowalska", "closed", "resolved", "4",
                                          "complaint"]]
    by_words = rows_of(ewa.get("/supervisor/interactions.csv?q=podatek"))
    assert len(by_words) == 3  # the header and both conversations about tax


def test_cells_cannot_run_as_formulas(app):
    with app.app_context():
        db.session.execute(update(User).where(User.email == ANNA)
                           .values(name='=HYPERLINK("http://evil.example","x")'))
        db.session.commit()
        contact("Dzień dobry.", clerk=ANNA, tags=("-cmd", "@sum", "+1"))
    rows = rows_of(login(app, EWA).get("/supervisor/interactions.csv"))
    clerk, tags = rows[1][4], rows[1][8]
    assert clerk == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert tags.startswith("'")
    for row in rows[1:]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@"), cell


def test_an_export_is_logged_with_its_filters_and_row_count(app):
    with app.app_context():
        for _ in range(3):
            contact("Wniosek o dowód osobisty, Jan Kowalski, tel. 601 234 567.", channel="sms")
    ewa = login(app, EWA)
    ewa.get("/supervisor/interactions.csv?channel=sms&q=Kowalski").get_data()
    with app.app_context():
        event = db.session.scalar(select(InteractionEvent).where(
            InteractionEvent.kind == "log_exported"))
        assert event.interaction_id is None and event.actor_id == clerk_id(EWA)
        assert event.data == {"filters": {"channel": "sms", "words": 1}, "rows": 3}
    trail = trail_text(ewa, kind="log_exported")
    assert "Ewa Wiśniewska Log exported" in trail and "rows: 3" in trail
    assert "Kowalski" not in trail  # the words searched may name a resident


def test_the_trail_lists_views_exports_and_settings_with_who(app):
    with app.app_context():
        seen = contact("Dzień dobry.")
    ewa = login(app, EWA)
    ewa.get(f"/supervisor/interactions/{seen}")
    ewa.get("/supervisor/interactions.csv").get_data()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        record(None, "setting_changed", admin, key="retention_days", old=365, new=180)
        record(None, "report_exported", admin, report="volumes")
        record(None, "something_new_viewed", admin, thing=1)  # a kind added later shows up
        db.session.commit()
    trail = trail_text(ewa)
    assert f"Ewa Wiśniewska Transcript opened #{seen}" in trail
    assert "Ewa Wiśniewska Log exported" in trail
    assert "Adam Zieliński Setting changed setting: retention_days · was: 365 · now: 180" in trail
    assert "Adam Zieliński Report exported" in trail
    assert "Adam Zieliński Something new viewed" in trail
    html = ewa.get("/supervisor/audit?lang=en").get_data(as_text=True)
    assert f'href="/supervisor/interactions/{seen}"' in html


def test_the_trail_leaves_out_conversation_events(app):
    with app.app_context():
        contact("Dzień dobry.")  # its "created" event belongs to the timeline
    assert "Contact started" not in trail_text(login(app, EWA))


def test_the_trail_filters_by_who_what_and_when(app):
    ewa, anna = login(app, EWA), login(app, ANNA)
    with app.app_context():
        seen = contact("Dzień dobry.")
        old = db.session.scalar(select(User).where(User.email == ADMIN))
        record(None, "report_exported", old, report="old")
        db.session.commit()
        db.session.execute(update(InteractionEvent).where(InteractionEvent.kind == "report_exported")
                           .values(created_at=utcnow() - timedelta(days=30)))
        db.session.commit()
        today = to_local(utcnow()).date().isoformat()
        anna_id = clerk_id(ANNA)
    ewa.get(f"/supervisor/interactions/{seen}")
    del anna  # Anna signed in: her sign-in is in the trail
    assert "Anna Kowalska Signed in" in trail_text(ewa, who=anna_id)
    assert "Ewa" not in trail_text(ewa, who=anna_id)
    only_views = trail_text(ewa, kind="transcript_viewed")
    assert "Transcript opened" in only_views and "Signed in" not in only_views
    assert "Report exported" not in trail_text(ewa, **{"from": today})
    assert "Report exported" in trail_text(ewa, to=(utcnow() - timedelta(days=20)).date()
                                           .isoformat())
    html = ewa.get("/supervisor/audit?lang=en&who=abc&kind=DROP%20TABLE&from=x").get_data(
        as_text=True)
    assert "Please choose a person" in html and "An event kind has" in html
    assert "YYYY-MM-DD" in html


def test_the_trail_pages_newest_first(app):
    ewa = login(app, EWA)
    with app.app_context():
        for n in range(60):
            record(None, "report_exported", "system", n=n)
        db.session.commit()
    first = trail_text(ewa, kind="report_exported")
    assert "n: 59" in first and "n: 10 " in first and "n: 9 " not in first
    second = trail_text(ewa, kind="report_exported", page=2)
    assert "n: 9 " in second and "n: 0 " in second and "n: 59" not in second
