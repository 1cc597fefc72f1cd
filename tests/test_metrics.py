"""/metrics: what a monitoring system scraping the hub reads, through HTTP, on a real Redis
and SQLite (and a real RQ worker for the jobs)."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from hub import create_app
from hub.extensions import socketio
from hub.jobs import queue, submit
from queueing.connection import connect
from queueing.jobs import work
from queueing.router import Router
from tests.channels.test_sms import PHONE, configure_twilio, sms_in
from tests.conftest import ANNA, emit, free_port, received

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RESIDENT_NAME = "Zdzisława Metrykowska"


@pytest.fixture
def settings(settings):
    return {**settings, "JOBS_ASYNC": False, "JOB_RETRY_INTERVALS": ()}


class Figures:
    """One scrape, parsed by prometheus_client's own parser."""

    def __init__(self, text: str):
        self.text = text
        self.families = {f.name: f for f in text_string_to_metric_families(text)}
        self.samples = [s for f in self.families.values() for s in f.samples]

    def value(self, name: str, **labels: str) -> float:
        """The one sample called `name` whose labels include `labels`."""
        found = [s.value for s in self.samples
                 if s.name == name and labels.items() <= s.labels.items()]
        assert len(found) == 1, (name, labels, found)
        return found[0]


def scrape(client, **headers: str) -> Figures:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"] == CONTENT_TYPE
    return Figures(response.get_data(as_text=True))


def crashing_job() -> None:
    raise RuntimeError("a bug in a job")


def test_the_hub_is_described_in_prometheus_text(client):
    """Does a scrape parse, with HELP and TYPE for every family, and say the hub is up?"""
    figures = scrape(client)
    for name in ("okienko_up", "okienko_queue_waiting", "okienko_queue_oldest_wait_seconds",
                 "okienko_offers_open", "okienko_clerks", "okienko_seats_total",
                 "okienko_seats_used", "okienko_wait_seconds", "okienko_jobs_queued",
                 "okienko_jobs_scheduled", "okienko_jobs_failed", "okienko_http_responses",
                 "okienko_http_errors", "okienko_socket_errors", "okienko_build_info"):
        assert name in figures.families, name
    undocumented = [f.name for f in figures.families.values()
                    if not f.documentation or f.type == "unknown"]  # no HELP or no TYPE line
    assert not undocumented
    assert figures.families["okienko_wait_seconds"].type == "histogram"
    assert figures.families["okienko_http_errors"].type == "counter"
    assert figures.value("okienko_up") == 1
    assert figures.value("okienko_dependency_up", dependency="database") == 1
    assert figures.value("okienko_dependency_up", dependency="redis") == 1
    assert figures.value("okienko_clerks", status="offline") == 4  # the demo's staff


def test_waiting_figures_follow_a_chat_from_the_queue_to_a_clerk(client, resident, staff):
    """Do waiting, offers, seats and the answer wait change as a chat is queued and taken?"""
    webchat = {"department": "registry", "channel": "webchat"}
    assert scrape(client).value("okienko_queue_waiting", **webchat) == 0

    chat = resident()
    started = emit(chat, "/chat", "start", {"department": "registry", "consent": True,
                                            "name": RESIDENT_NAME})
    assert started["ok"], started
    waiting = scrape(client)
    assert waiting.value("okienko_queue_waiting", **webchat) == 1
    assert waiting.value("okienko_queue_waiting", department="registry", channel="sms") == 0
    assert waiting.value("okienko_router_queued", department="registry") == 1
    assert waiting.value("okienko_contacts_open", state="queued") == 1
    assert waiting.value("okienko_queue_oldest_wait_seconds", **webchat) >= 0

    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    [offer] = received(anna, "/staff", "offer")
    offered = scrape(client)
    assert offered.value("okienko_offers_open") == 1
    assert offered.value("okienko_queue_waiting", **webchat) == 1  # offered is still waiting
    assert offered.value("okienko_router_queued", department="registry") == 0
    assert offered.value("okienko_clerks", status="available") == 1
    assert offered.value("okienko_seats_total") == 3 and offered.value("okienko_seats_used") == 1

    assert emit(anna, "/staff", "accept", {"interaction_id": offer["id"]})["ok"]
    taken = scrape(client)
    assert taken.value("okienko_queue_waiting", **webchat) == 0
    assert taken.value("okienko_offers_open") == 0
    assert taken.value("okienko_answered_today", **webchat) == 1
    assert taken.value("okienko_contacts_open", state="assigned") == 1
    assert taken.value("okienko_wait_seconds_count", **webchat) == 1
    assert taken.value("okienko_wait_seconds_bucket", **webchat, le="+Inf") == 1
    assert taken.value("okienko_wait_seconds_bucket", **webchat, le="600.0") == 1
    assert 0 <= taken.value("okienko_wait_seconds_sum", **webchat) < 600


def test_no_personal_data_is_exposed(client, resident, staff):
    """Do a waiting resident's name and phone, or a clerk's name, never appear?"""
    chat = resident()
    assert emit(chat, "/chat", "start", {"department": "registry", "consent": True,
                                         "name": RESIDENT_NAME})["ok"]
    assert sms_in(client, "Pytanie o podatek", "SM900").status_code == 200
    staff(ANNA)
    figures = scrape(client)
    assert figures.value("okienko_contacts_open", state="queued") == 2
    for private in (RESIDENT_NAME, "Metrykowska", PHONE, PHONE.removeprefix("+48"), "Anna",
                    "anna@okienko.local"):
        assert private not in figures.text


def test_server_errors_are_counted_for_the_whole_hub(app, settings):
    """Is a 500 counted, and does another process of the same hub report it too?"""

    @app.get("/test-only/fails")
    def fails():
        raise RuntimeError("a bug")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as production does
    client = app.test_client()
    before = scrape(client)
    assert client.get("/test-only/fails").status_code == 500
    assert client.get("/no-such-page").status_code == 404
    after = scrape(client)
    assert after.value("okienko_http_errors_total") == before.value("okienko_http_errors_total") + 1
    assert after.value("okienko_http_responses_total", status_class="5xx") == \
        before.value("okienko_http_responses_total", status_class="5xx") + 1
    assert after.value("okienko_http_responses_total", status_class="4xx") == \
        before.value("okienko_http_responses_total", status_class="4xx") + 1
    # the first scrape's 200 was counted once it was sent
    assert after.value("okienko_http_responses_total", status_class="2xx") >= 1

    other_process = create_app(settings)  # same Redis prefix and database: the same hub
    seen_there = scrape(other_process.test_client())
    assert seen_there.value("okienko_http_errors_total") == after.value("okienko_http_errors_total")


def test_a_failing_socket_handler_is_counted(app, client, resident):
    """Is a socket event whose handler crashes counted as a socket error?"""

    def broken(_data=None):
        raise RuntimeError("a bug in a handler")

    socketio.on_event("test-only-fails", broken, namespace="/chat")  # this app's server only
    assert "okienko_socket_errors_total" not in [s.name for s in scrape(client).samples]
    chat = resident()
    with pytest.raises(RuntimeError):  # the test client re-raises what the handler raised
        chat.emit("test-only-fails", {}, namespace="/chat")
    figures = scrape(client)
    assert figures.value("okienko_socket_errors_total", namespace="/chat", kind="error") == 1


def test_jobs_waiting_to_retry_and_failed_jobs_show(app, client):
    """Does a job that crashed show as scheduled while a retry is due, then as failed?"""
    app.config["JOBS_ASYNC"] = True
    app.config["JOB_RETRY_INTERVALS"] = (600,)
    with app.app_context():
        submit(crashing_job)
    assert scrape(client).value("okienko_jobs_queued") == 1
    with app.app_context():
        work([queue()], burst=True)
    retrying = scrape(client)
    assert (retrying.value("okienko_jobs_queued"), retrying.value("okienko_jobs_scheduled"),
            retrying.value("okienko_jobs_failed")) == (0, 1, 0)

    app.config["JOB_RETRY_INTERVALS"] = ()
    with app.app_context():
        submit(crashing_job)
        work([queue()], burst=True)
    failed = scrape(client)
    assert (failed.value("okienko_jobs_scheduled"), failed.value("okienko_jobs_failed")) == (1, 1)
    assert failed.value("okienko_job_workers") == 0  # the burst worker has left


def test_a_reply_by_text_that_could_not_be_sent_shows_as_failed(app, client, staff):
    """Does a reply Twilio refused show in the texts' delivery figures?"""
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    assert sms_in(client, "Pytanie", "SM901").status_code == 200  # through the test phone
    twilio = configure_twilio(app)  # the reply goes out through Twilio's REST API
    twilio.answers = [(400, {"code": 21211, "message": "Invalid 'To' number", "status": 400})]
    [offer] = received(anna, "/staff", "offer")
    assert emit(anna, "/staff", "accept", {"interaction_id": offer["id"]})["ok"]
    assert emit(anna, "/staff", "reply", {"interaction_id": offer["id"], "body": "Dzień dobry"})["ok"]
    figures = scrape(client)
    assert figures.value("okienko_sms_delivery_last_hour", state="failed") == 1
    assert figures.value("okienko_sms_delivery_last_hour", state="sent") == 0


def test_a_token_is_required_when_configured(app, client):
    """With METRICS_TOKEN set: 401 without it or with a wrong one, 200 with it."""
    app.config["METRICS_TOKEN"] = "monitoring-secret"
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "okienko_" not in refused.get_data(as_text=True)
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic monitoring-secret"}
                      ).status_code == 401
    scrape(client, Authorization="Bearer monitoring-secret")


def test_without_a_token_only_this_machine_may_scrape(client):
    """Without METRICS_TOKEN: loopback is answered; another host, or a proxy, is refused."""
    scrape(client)  # the test client calls from 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 403
    through_proxy = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert through_proxy.status_code == 403
    assert "METRICS_TOKEN" in through_proxy.get_data(as_text=True)


def test_with_redis_down_the_hub_still_answers_and_says_so(app, client):
    """Is Redis being out reported, without turning every page into an error?"""
    app.extensions["okienko.router"] = Router(
        connect(f"redis://127.0.0.1:{free_port()}/0"), app.config["REDIS_PREFIX"])
    assert client.get("/healthz").status_code == 200  # counting the answer failed quietly
    figures = scrape(client)
    assert figures.value("okienko_dependency_up", dependency="redis") == 0
    assert figures.value("okienko_dependency_up", dependency="database") == 1
    assert figures.value("okienko_contacts_open", state="queued") == 0  # the record still read


def test_two_hub_processes_report_the_same_hub_wide_figures(live_hubs):
    """Do two real web processes on one Redis and database answer with the same counts?"""
    first, second = live_hubs(2)
    for _ in range(3):
        assert requests.get(first.url + "/no-such-page", timeout=10).status_code == 404

    def live_scrape(hub) -> Figures:
        response = requests.get(hub.url + "/metrics", timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == CONTENT_TYPE
        return Figures(response.text)

    one, other = live_scrape(first), live_scrape(second)
    assert one.value("okienko_http_responses_total", status_class="4xx") == 3
    assert other.value("okienko_http_responses_total", status_class="4xx") == 3
    assert one.value("okienko_clerks", status="offline") == \
        other.value("okienko_clerks", status="offline")
    processes = {next(s.labels["process"] for s in f.samples if s.name == "okienko_up")
                 for f in (one, other)}
    assert len(processes) == 2  # each names the process that answered
