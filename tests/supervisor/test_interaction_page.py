"""An interaction's page: transcript, a readable timeline and the times derived from it."""

from __future__ import annotations

import re

from hub import clock
from tests.conftest import ANNA, EWA, emit, login, received
from tests.supervisor.factories import contact


def text_of(html: str) -> str:
    """The page's words without tags, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def shown(page: str, label: str) -> int:
    """Seconds of a time shown as "<label> 1 min 10 s" (or "40 s")."""
    found = re.search(label + r" (?:(\d+) min )?(\d+) s", page)
    assert found, label
    return int(found.group(1) or 0) * 60 + int(found.group(2))


def test_wait_first_answer_handling_and_total_come_from_the_timeline(app, resident, staff):
    sio = resident()
    started = emit(sio, "/chat", "start", {"department": "registry", "consent": True,
                                           "name": "Jan"})
    interaction_id = started["status"]["interaction_id"]
    clock.advance(40)  # nobody is available yet
    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    assert [o["id"] for o in received(anna, "/staff", "offer")] == [interaction_id]
    clock.advance(5)
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    clock.advance(25)
    assert emit(anna, "/staff", "reply", {"interaction_id": interaction_id,
                                          "body": "W czym mogę pomóc?"})["ok"]
    clock.advance(300)
    assert emit(anna, "/staff", "close", {"interaction_id": interaction_id,
                                          "disposition": "information_given"})["ok"]

    html = login(app, EWA).get(f"/supervisor/interactions/{interaction_id}?lang=en")
    page = text_of(html.get_data(as_text=True))
    # The real clock runs on between the steps: a second or two either way.
    assert abs(shown(page, "Wait") - 40) <= 2  # queued → offered
    assert abs(shown(page, "First answer") - 70) <= 2  # queued → the first reply
    assert abs(shown(page, "Handling") - 325) <= 2  # accepted → closed
    assert abs(shown(page, "Total") - 370) <= 2
    for line in ("Contact started — Resident", "Queued — System", "Offered to a clerk — System",
                 "clerk: Anna Kowalska", "Accepted — Anna Kowalska", "waited: 4",
                 "Clerk replied — Anna Kowalska", "Closed — Anna Kowalska",
                 "outcome: Information given"):
        assert line in page, line
    assert "W czym mogę pomóc?" in page


def test_opening_a_page_is_logged_and_a_mystery_shop_is_marked(app):
    with app.app_context():
        shop = contact("Dzień dobry, mam pytanie o ślub.", mystery=True)
        plain = contact("Dzień dobry.")
    ewa = login(app, EWA)
    page = ewa.get(f"/supervisor/interactions/{shop}?lang=en").get_data(as_text=True)
    assert "Mystery-shopper contact." in page
    assert "Mystery-shopper contact." not in ewa.get(
        f"/supervisor/interactions/{plain}?lang=en").get_data(as_text=True)
    trail = text_of(ewa.get("/supervisor/audit?lang=en&kind=transcript_viewed")
                    .get_data(as_text=True))
    assert trail.count("Ewa Wiśniewska Transcript opened") == 2 and f"#{shop}" in trail


def test_an_unknown_interaction_is_not_found(app):
    assert login(app, EWA).get("/supervisor/interactions/999999").status_code == 404
