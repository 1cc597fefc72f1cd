"""The residents' call-back pages: asking on /callback, the SMS confirmation, cancelling from
its link, and a waiting chat that becomes a call back."""

from __future__ import annotations

import html
import re

import pytest

from channels.models import OutboxEntry
from hub.callbacks.models import CallbackRequest
from hub.callbacks.routes import BAD_LINK, CONSENT_REQUIRED
from hub.callbacks.windows import windows
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent
from hub.interactions.service import find_department
from tests.conftest import ANNA, emit

PHONE = "+48601234567"


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": ()}


def polish(app, message) -> str:
    """A message as a resident with a Polish browser reads it (the catalogue's words)."""
    with app.test_request_context("/?lang=pl"):
        return InvalidInput(message).message if isinstance(message, str) else str(message)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def soonest(app, department: str = "general"):
    """The first window offered for a department, with its Polish label."""
    with app.test_request_context("/?lang=pl"):
        window = windows(find_department(department))[0]
        return window.key, window.label("pl")


def ask(client, app, phone="601 234 567", department="general", **extra):
    form = {"department": department, "phone": phone, "name": "Maria Nowak",
            "window": soonest(app, department)[0], "consent": "yes", **extra}
    return client.post("/callback", data=form)


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (db.session.query(Interaction).count(), db.session.query(CallbackRequest).count(),
                db.session.query(OutboxEntry).count())


def cancel_path(app) -> str:
    """The link the confirmation text carries, as a path on this hub."""
    with app.app_context():
        body = db.session.query(OutboxEntry).one().body
    link = re.search(r"https?://\S+/callback/cancel/\S+", body).group(0)
    return link.split("localhost", 1)[1]


def test_the_topic_comes_first_and_a_known_topic_shows_its_windows(app, client):
    """Without a topic only the topic is asked; ?department= goes straight to the times."""
    page = text_of(client.get("/callback"))
    assert 'name="department"' in page and 'name="phone"' not in page
    key, label = soonest(app)
    page = text_of(client.get("/callback?department=general"))
    assert 'type="tel"' in page and 'autocomplete="tel"' in page
    assert f'value="{key}"' in page and "Informacja ogólna i dostępność" in page
    assert label.split(", ")[1] in page  # the window's hours, under its day
    refused = client.get("/callback?department=nonexistent")
    assert refused.status_code == 400 and polish(app, "unknown_department") in text_of(refused)


def test_a_valid_request_is_confirmed_on_the_page_and_by_text(app, client):
    """Is the call arranged, shown, and confirmed by an SMS carrying a cancel link?"""
    answer = ask(client, app)
    assert answer.status_code == 302 and answer.location.endswith("/callback/arranged")
    page = text_of(client.get("/callback/arranged"))
    _key, label = soonest(app)
    assert label in page and "601 234 567" in page
    with app.app_context():
        interaction = db.session.query(Interaction).one()
        assert interaction.channel == "callback" and interaction.state in ("scheduled", "queued")
        assert interaction.resident_name == "Maria Nowak"
        callback = db.session.query(CallbackRequest).one()
        assert (callback.phone, callback.requested_via) == (PHONE, "web")
        entry = db.session.query(OutboxEntry).one()
        assert entry.to == PHONE and "/callback/cancel/" in entry.body


@pytest.mark.parametrize("change, field, message", [
    ({"phone": "12"}, "phone", "bad_phone"),
    ({"phone": ""}, "phone", "bad_phone"),
    ({"window": "209901010700-209901010900"}, "window", "bad_window"),
    ({"consent": ""}, "consent", CONSENT_REQUIRED),
])
def test_bad_input_is_shown_on_its_field_and_creates_nothing(app, client, change, field, message):
    answer = ask(client, app, **change)
    page = text_of(answer)
    assert answer.status_code == 400
    assert polish(app, message) in page
    assert 'class="error-summary" role="alert"' in page and f'href="#{field}' in page
    assert re.search(rf'id="{field}[^"]*"[^>]*aria-invalid="true"', page, re.S)
    assert re.search(rf'aria-describedby="[^"]*{field}-error', page)
    assert 'value="Maria Nowak"' in page  # what was typed is kept
    assert counts(app) == (0, 0, 0)


def test_a_second_request_for_the_same_number_is_refused(app, client):
    assert ask(client, app).status_code == 302
    again = ask(client, app, phone="+48 601-234-567")
    assert again.status_code == 400 and polish(app, "callback_exists") in text_of(again)
    assert counts(app) == (1, 1, 1)


def test_the_cancel_link_shows_first_and_cancels_only_on_the_button(app, client):
    """Link previewers fetch links: a GET changes nothing; the button's POST cancels."""
    ask(client, app)
    path = cancel_path(app)
    page = client.get(path)
    assert page.status_code == 200
    text = text_of(page)
    assert "567" in text and "601 234 567" not in text and "601234567" not in text
    assert soonest(app)[1] in text and 'method="post"' in text
    with app.app_context():
        assert db.session.query(Interaction).one().is_open

    answer = client.post(path)
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.query(Interaction).one().state == "abandoned"
        assert db.session.query(CallbackRequest).one().outcome == "cancelled"
    after = text_of(client.get(path))
    assert 'method="post"' not in after and 'role="status"' in after
    again = client.post(path)
    assert again.status_code == 409 and polish(app, "callback_not_pending") in text_of(again)


def test_cancelling_needs_the_forms_csrf_token(app, client):
    ask(client, app)
    path = cancel_path(app)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(path).status_code == 400
    with app.app_context():
        assert db.session.query(CallbackRequest).one().outcome is None


def test_a_forged_or_foreign_token_gets_a_clear_page(app, client, resident):
    forged = client.get("/callback/cancel/not-a-real-token")
    assert forged.status_code == 404 and polish(app, BAD_LINK) in text_of(forged)
    assert client.post("/callback/cancel/not-a-real-token").status_code == 404
    # A chat's own token is no call back's.
    chat = resident()
    token = emit(chat, "/chat", "start", {"department": "general", "consent": True})["token"]
    assert client.get(f"/callback/cancel/{token}").status_code == 404


def test_a_waiting_chat_is_offered_a_call_back_and_becomes_one(app, client, resident):
    """No clerk on duty: the widget offers a call back; the form keeps the chat's place."""
    chat = resident()
    started = emit(chat, "/chat", "start", {"department": "general", "consent": True,
                                             "name": "Jan"})
    assert started["status"]["callback_offered"] is True
    assert started["status"]["department_code"] == "general"
    token = started["token"]

    page = text_of(client.get(f"/callback?department=registry&chat={token}"))
    assert f'value="{token}"' in page and 'value="Jan"' in page
    assert "Informacja ogólna i dostępność" in page  # the chat's topic, not the link's
    answer = ask(client, app, department="registry", chat=token, window=soonest(app)[0])
    assert answer.status_code == 302
    with app.app_context():
        webchat = db.session.query(Interaction).filter_by(channel="webchat").one()
        callback = db.session.query(Interaction).filter_by(channel="callback").one()
        assert webchat.state == "abandoned" and callback.department.code == "general"
        assert db.session.query(CallbackRequest).one().requested_via == "chat"
        assert db.session.query(InteractionEvent).filter_by(
            interaction_id=webchat.id, kind="became_callback").count() == 1


def test_a_chat_that_no_longer_waits_is_not_replaced(app, client, resident):
    chat = resident()
    token = emit(chat, "/chat", "start", {"department": "general", "consent": True})["token"]
    emit(chat, "/chat", "leave", {"token": token})
    assert ask(client, app, chat=token).status_code == 302
    with app.app_context():
        assert db.session.query(CallbackRequest).one().requested_via == "web"


def test_no_offer_while_the_wait_is_short(app, resident, staff):
    app.config["CALLBACK_OFFER_WAIT_SECONDS"] = 10**6
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    chat = resident()
    started = emit(chat, "/chat", "start", {"department": "general", "consent": True})
    assert started["status"]["callback_offered"] is False
