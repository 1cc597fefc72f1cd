"""Resident pages: language, the feedback form that lands in the queue, health."""

from hub.extensions import db
from hub.interactions.models import Interaction, Message


def test_polish_by_default_english_on_request_and_the_choice_sticks(client):
    assert "Czat z urzędem miasta" in client.get("/chat").get_data(as_text=True)
    english = client.get("/chat?lang=en")
    assert "Chat with the city office" in english.get_data(as_text=True)
    assert 'lang="en"' in english.get_data(as_text=True)
    assert "Chat with the city office" in client.get("/chat").get_data(as_text=True)


def test_every_resident_page_links_the_accessibility_statement(client):
    for path in ("/", "/chat", "/chat?embed=1", "/city", "/accessibility"):
        assert 'href="/accessibility"' in client.get(path).get_data(as_text=True), path


def test_the_city_page_embeds_the_widget_with_one_script_tag(client):
    page = client.get("/city").get_data(as_text=True)
    assert page.count("widget/embed.js") >= 1


def test_accessibility_feedback_lands_in_the_queue(app, client):
    response = client.post("/accessibility", data={"message": "Przycisk jest za mały",
                                                   "email": "jan@example.pl"})
    assert response.status_code == 302
    with app.app_context():
        interaction = db.session.query(Interaction).one()
        assert (interaction.channel, interaction.department.code, interaction.state) == \
            ("form", "general", "queued")
        assert db.session.query(Message).one().body.startswith("Przycisk jest za mały")


def test_feedback_with_errors_changes_nothing(app, client):
    response = client.post("/accessibility", data={"message": "", "email": "not-an-email"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Interaction).count() == 0


def test_health(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["redis"] == "ok"
