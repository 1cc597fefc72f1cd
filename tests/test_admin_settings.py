"""Admins change the run-time settings on /admin/settings: every setting labelled and
explained, bad input refused as a whole with a summary, each change logged and shown."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from hub import settings
from hub.extensions import db
from hub.interactions.models import InteractionEvent
from tests.conftest import ADMIN, ANNA, EWA, login

URL = "/admin/settings?lang=en"


@pytest.fixture
def admin(app):
    return login(app, ADMIN)


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form(**changes: str) -> dict[str, str]:
    values = {"retention_days": "730", "quality_weights-csat": "30",
              "quality_weights-office": "30", "quality_weights-mystery": "40",
              "quality_pass_mark": "80", "review_sample_per_clerk": "3",
              "complaint_tag": "complaint", "repeat_contact_days": "7"}
    return {**values, **changes}


def stored(app) -> dict:
    with app.app_context():
        return {key: settings.get(key) for key in settings.DEFAULTS}


def changes_logged(app) -> list[dict]:
    with app.app_context():
        return [e.data for e in db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.kind == "setting_changed").order_by(InteractionEvent.id))]


def test_every_setting_has_a_labelled_input_with_its_help(admin):
    text = page(admin.get(URL))
    for field in settings.FORM_FIELDS:
        assert re.search(rf'<label for="{field}">[^<]+</label>', text), field
        tag = re.search(rf'<input [^>]*id="{field}"[^>]*>', text, re.S).group(0)
        assert 'name="' + field + '"' in tag
    for key in ("retention_days", "quality_pass_mark", "review_sample_per_clerk",
                "complaint_tag", "repeat_contact_days"):
        tag = re.search(rf'<input [^>]*id="{key}"[^>]*>', text, re.S).group(0)
        assert f'aria-describedby="{key}-hint {key}-changed"' in tag
        assert re.search(rf'<p class="hint" id="{key}-hint">[^<]{{20,}}</p>', text)
    assert "<legend>Weights of the service-quality index</legend>" in text
    assert "From 30 to 3650 days (default 730)" in text
    assert text.count("The default; nobody has changed it.") == len(settings.DEFAULTS)


def test_bad_input_is_listed_with_links_kept_as_typed_and_nothing_is_stored(app, admin):
    """One bad field keeps even the good ones from being stored."""
    before = stored(app)
    answer = admin.post(URL, data=form(**{
        "retention_days": "10", "quality_weights-mystery": "30", "quality_pass_mark": "85",
        "complaint_tag": "skarga!", "repeat_contact_days": "siedem"}))
    text = page(answer)

    assert answer.status_code == 400
    assert "<title>Error: Settings · Okienko</title>" in text
    summary = re.search(r'<div class="error-summary".*?</div>', text, re.S).group(0)
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert [target for target, _ in links] == [
        "retention_days", "quality_weights-csat", "complaint_tag", "repeat_contact_days"]
    assert links[0][1] == ("Keep residents' personal data for (days): Please give a whole "
                           "number from 30 to 3650.")
    assert links[1][1].endswith("The three weights must add up to 100; now they add up to 90.")
    for typed in ('value="10"', 'value="85"', 'value="skarga!"', 'value="siedem"'):
        assert typed in text
    tag = re.search(r'<input [^>]*id="retention_days"[^>]*>', text, re.S).group(0)
    assert 'aria-invalid="true"' in tag and "retention_days-error" in tag
    assert stored(app) == before
    assert changes_logged(app) == []


@pytest.mark.parametrize("field, value", [
    ("retention_days", "3651"), ("retention_days", "29"), ("retention_days", "1.5"),
    ("quality_weights-csat", "101"), ("quality_weights-csat", "-1"),
    ("quality_pass_mark", "101"), ("review_sample_per_clerk", "0"),
    ("review_sample_per_clerk", "21"), ("repeat_contact_days", "61"),
    ("complaint_tag", ""), ("complaint_tag", "x" * 41), ("complaint_tag", "dwa słowa"),
])
def test_each_limit_is_checked(app, admin, field, value):
    changes = {field: value}
    if field == "quality_weights-csat" and value == "-1":
        changes["quality_weights-mystery"] = "71"
    answer = admin.post(URL, data=form(**changes))
    assert answer.status_code == 400
    assert f'<a href="#{field}">' in page(answer)
    assert changes_logged(app) == []


def test_changes_are_stored_logged_with_old_and_new_and_shown_with_who_and_when(app, admin):
    answer = admin.post(URL, data=form(**{
        "retention_days": " 365 ", "quality_weights-csat": "20",
        "quality_weights-mystery": "50", "complaint_tag": "#Skarga"}))

    assert answer.status_code == 302 and answer.location.endswith("/admin/settings")
    values = stored(app)
    assert values["retention_days"] == 365
    assert values["quality_weights"] == {"csat": 20, "office": 30, "mystery": 40 + 10}
    assert values["complaint_tag"] == "skarga"
    logged = changes_logged(app)
    assert logged == [
        {"key": "retention_days", "old": 730, "new": 365},
        {"key": "quality_weights", "old": {"csat": 30, "office": 30, "mystery": 40},
         "new": {"csat": 20, "office": 30, "mystery": 50}},
        {"key": "complaint_tag", "old": "complaint", "new": "skarga"},
    ]
    with app.app_context():
        actors = set(db.session.scalars(select(InteractionEvent.actor_id).where(
            InteractionEvent.kind == "setting_changed")))
        assert actors == {db.session.scalar(select(settings.Setting.updated_by_id).limit(1))}
    text = page(admin.get(URL))
    assert "The settings were saved: 3 changed." in text
    assert text.count("Last changed by Adam Zieliński") == 3
    assert 'value="365"' in text and 'value="skarga"' in text
    # Saving the same values again changes and logs nothing.
    admin.post(URL, data=form(**{"retention_days": "365", "quality_weights-csat": "20",
                                 "quality_weights-mystery": "50", "complaint_tag": "skarga"}))
    assert len(changes_logged(app)) == 3
    assert "Nothing was changed." in page(admin.get(URL))


@pytest.mark.parametrize("path", ["/admin", "/admin/settings"])
def test_only_admins_may_open_or_change_settings(app, client, path):
    for email in (ANNA, EWA):
        assert login(app, email).get(path).status_code == 403
    assert login(app, EWA).post(path, data=form(retention_days="30")).status_code in (403, 405)
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert changes_logged(app) == []


def test_the_admin_home_links_to_every_admin_page(app, admin):
    text = page(admin.get("/admin?lang=en"))
    for path in ("/admin/settings", "/admin/privacy", "/admin/booking", "/supervisor/canned"):
        assert f'href="{path}"' in text
    if "scorecards.index" in app.view_functions:
        assert 'href="/admin/scorecards"' in text
