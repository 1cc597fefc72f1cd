"""The wallboard's figures (hub.supervisor.wallboard) and its page, /supervisor/live."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from sqlalchemy import select

from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.supervisor import wallboard
from tests.conftest import ANNA, EWA, login
from tests.supervisor.conftest import clear_of_midnight, set_times, start

NO_FIGURES = {"waiting": 0, "longest_wait": 0, "offered": 0, "answered": 0, "in_target": 0,
              "counted": 0, "sla_percent": None}
# The registry's day (see registry_day): 6 queued today, 2 answered, 1 of them in target;
# counted: the 2 answered, the one waiting 300 s and the one who left after 200 s.
REGISTRY = {"waiting": 2, "longest_wait": 300, "offered": 6, "answered": 2, "in_target": 1,
            "counted": 4, "sla_percent": 25}


class Tables(HTMLParser):
    """Each table's caption and rows (thead, tbody, tfoot) as whitespace-normalised text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.captions: dict[str, str] = {}
        self._id: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._id = dict(attrs).get("id", "")
            self.tables[self._id] = []
        elif tag == "tr" and self._id is not None:
            self.tables[self._id].append([])
        elif tag in ("th", "td", "caption") and self._id is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td", "caption") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if tag == "caption":
                self.captions[self._id] = text
            else:
                self.tables[self._id][-1].append(text)
            self._cell = None
        elif tag == "table":
            self._id = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_only_supervisors_see_the_wallboard(client, app):
    """Is the page refused to a clerk and shown to a supervisor (and to no one signed out)?"""
    assert client.get("/supervisor/live").status_code == 302
    assert login(app, ANNA).get("/supervisor/live").status_code == 403
    page = login(app, EWA).get("/supervisor/live")
    assert page.status_code == 200
    assert 'id="department-registry"' in page.text
    assert "js/wallboard.js" in page.text


def test_snapshot_of_a_day_at_the_registry(app, registry_day):
    """Are waiting, longest wait, today's counts and the SLA share exactly as defined?"""
    with app.app_context():
        ref = wallboard.start_of_local_day(utcnow()) + timedelta(hours=12)
    registry_day(ref)
    with app.app_context():
        board = wallboard.snapshot(now=ref)
    departments = {d["code"]: d for d in board["departments"]}
    registry = departments["registry"]
    assert registry["sla_seconds"] == 60
    assert registry["channels"] == [{"channel": "webchat", "target_seconds": 60, **REGISTRY}]
    assert registry["total"] == REGISTRY
    assert departments["taxes"] == {"code": "taxes", "sla_seconds": 120, "channels": [],
                                    "total": NO_FIGURES}

    assert board["presence"] == {"available": 0, "break": 1, "after_call_work": 0, "away": 0,
                                 "offline": 3}
    clerks = {c["name"]: c for c in board["clerks"]}
    assert list(clerks) == sorted(clerks)
    assert clerks["Anna Kowalska"] == {
        "id": clerks["Anna Kowalska"]["id"], "name": "Anna Kowalska", "presence": "break",
        "active": 3, "offers": 0, "capacity": 3, "busy": 3,
        "departments": ["general", "registry", "residence"],
    }
    assert clerks["Piotr Nowak"]["active"] == 0

    # A minute later the fresh contact is past the target too: one more miss, no new hit.
    with app.app_context():
        later = wallboard.snapshot(now=ref + timedelta(seconds=60))
    registry = later["departments"][0]
    assert registry["code"] == "registry"
    assert (registry["total"]["counted"], registry["total"]["sla_percent"]) == (5, 20)
    assert registry["total"]["longest_wait"] == 360


def test_a_channel_with_its_own_target_is_measured_against_it(app, client, resident):
    """A form message waiting 10 minutes is within its 24 h target; a chat is not within 2."""
    sent = client.post("/accessibility", data={"message": "Przycisk jest za mały."})
    assert sent.status_code in (200, 302), sent.text
    chat = start(resident, "general")[1]["status"]["interaction_id"]
    with app.app_context():
        ref = wallboard.start_of_local_day(utcnow()) + timedelta(hours=12)
        form = db.session.scalar(select(Interaction.id).where(Interaction.channel == "form"))
        for interaction_id in (form, chat):
            set_times(interaction_id, queued_at=ref - timedelta(minutes=10))
        board = wallboard.snapshot(now=ref)
    general = next(d for d in board["departments"] if d["code"] == "general")
    rows = {row["channel"]: row for row in general["channels"]}
    assert list(rows) == ["webchat", "form"]
    assert rows["form"] == {"channel": "form", "target_seconds": 24 * 3600, "waiting": 1,
                            "longest_wait": 600, "offered": 1, "answered": 0, "in_target": 0,
                            "counted": 0, "sla_percent": None}
    assert (rows["webchat"]["target_seconds"], rows["webchat"]["counted"],
            rows["webchat"]["sla_percent"]) == (120, 1, 0)
    assert (general["total"]["counted"], general["total"]["sla_percent"]) == (1, 0)

    page = Tables(login(app, EWA).get("/supervisor/live?lang=en").text)
    labels = [row[0] for row in page.tables["department-general"][1:-1]]
    assert labels == ["Web chat", "Form, target: 24 h"]


def test_the_day_starts_at_midnight_in_warsaw(app):
    """Is 'today' counted from local midnight (CET/CEST), in the stored naive UTC?"""
    from datetime import datetime

    with app.app_context():
        assert wallboard.start_of_local_day(datetime(2026, 1, 15, 10, 0)) == datetime(2026, 1, 14, 23, 0)
        assert wallboard.start_of_local_day(datetime(2026, 7, 15, 10, 0)) == datetime(2026, 7, 14, 22, 0)
        # 23:30 UTC on 15 January is already the 16th in Warsaw.
        assert wallboard.start_of_local_day(datetime(2026, 1, 15, 23, 30)) == datetime(2026, 1, 15, 23, 0)


def test_the_page_shows_the_figures(app, registry_day):
    """Does /supervisor/live render the same figures, the target and the staff, in tables?"""
    registry_day(clear_of_midnight(app))
    page = login(app, EWA).get("/supervisor/live?lang=en")
    parsed = Tables(page.text)
    tables = parsed.tables

    head, *body, total = tables["department-registry"]
    assert head == ["Channel", "Waiting now", "Longest wait", "Answered in target",
                    "Contacts today", "Answered today"]
    assert len(body) == 1
    for row in (body[0], total):
        waiting, longest, share, offered, answered = row[1:]
        assert (waiting, offered, answered, share) == ("2", "6", "2", "25% (1 of 4)")
        assert longest in ("5:00", "5:01", "5:02")   # the page reads the real clock
    assert body[0][0] == "Web chat" and total[0] == "All channels"
    assert parsed.captions["department-registry"] == (
        "Civil registry (births, marriages, deaths), target: 1 min")
    assert parsed.captions["department-taxes"] == "Local taxes and fees, target: 2 min"
    assert tables["department-taxes"][1] == ["All channels", "0", "0:00",
                                             "—nothing counted yet", "0", "0"]

    assert tables["presence-counts"][1:] == [["Available", "0"], ["On a break", "1"],
                                             ["After-call work", "0"], ["Away", "0"],
                                             ["Offline", "3"]]
    clerks = {row[0]: row[1:] for row in tables["clerks"][1:]}
    assert clerks["Anna Kowalska"] == [
        "On a break", "3 / 3",
        "General information and accessibility, Civil registry (births, marriages, deaths), "
        "Residence registration and ID cards",
    ]
    assert clerks["Piotr Nowak"][:2] == ["Offline", "0 / 3"]


def test_the_page_says_nothing_on_its_own(app):
    """Are updates silent for screen readers (only the connection line is a status)?"""
    page = login(app, EWA).get("/supervisor/live").text
    assert "aria-live" not in page
    assert page.count('role="status"') == 1 and 'id="wallboard-connection"' in page
    assert "<caption" in page and 'scope="row"' in page and 'scope="col"' in page


def test_the_wallboard_is_linked_for_supervisors_only(app):
    assert "/supervisor/live" in login(app, EWA).get("/supervisor").text
    assert "/supervisor/live" not in login(app, ANNA).get("/console").text
