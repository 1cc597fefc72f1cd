"""SMS under faults: a real RQ worker process sends through a Twilio stand-in on loopback,
and is killed mid-send, or Twilio answers 500, or never answers; webhooks come twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as daytime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from twilio.request_validator import RequestValidator

from channels.models import TextSending
from channels.sms import split_text
from hub import clock
from hub.callbacks.models import CallAttempt
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent, Message
from hub.notify import notify
from tests.conftest import ANNA, ROOT, emit, free_port

TIMEOUT = 30
PHONE = "+48601234567"
FROM = "+48221234567"
TOKEN = "secret-token"
PUBLIC = "https://hub.example.pl"
# Three parts of different words, so each part is told apart at the stand-in.
LONG_REPLY = " ".join(["Alfa"] * 250 + ["Beta"] * 250 + ["Gamma"] * 150)


class TwilioStandIn:
    """api.twilio.com on 127.0.0.1: takes Messages.json POSTs, lists them on GET.

    `answer` decides each POST: "ok" (201), "error" (500), "refuse" (400, a bad number),
    "hang" (no answer until released), or "take_then_hang" (Twilio keeps the message but
    the answer never comes).
    """

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.lists = 0
        self.accepted: list[dict] = []
        self.answer = lambda number: "ok"  # number: 1 for the first POST
        self.changed = threading.Condition()
        self.released = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query)
                with stand_in.changed:
                    stand_in.lists += 1
                    found = [m for m in reversed(stand_in.accepted)
                             if m["to"] == query.get("To", [""])[0]
                             and m["from"] == query.get("From", [""])[0]]
                self._reply(200, {"messages": found, "next_page_uri": None, "page": 0,
                                  "page_size": 50})

            def do_POST(self):
                form = {k: v[0] for k, v in parse_qs(
                    self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                with stand_in.changed:
                    stand_in.posts.append(form)
                    number = len(stand_in.posts)
                    stand_in.changed.notify_all()
                how = stand_in.answer(number)
                if how == "error":
                    return self._reply(500, {"code": 20500, "message": "Internal Server Error",
                                             "status": 500})
                if how == "refuse":
                    return self._reply(400, {"code": 21211, "status": 400,
                                             "message": "The 'To' number is not valid."})
                message = {"sid": f"SM{number:032d}", "to": form["To"], "from": form["From"],
                           "body": form["Body"], "status": "queued",
                           "date_created": format_datetime(datetime.now(UTC), usegmt=True)}
                if how in ("ok", "take_then_hang"):
                    with stand_in.changed:
                        stand_in.accepted.append(message)
                if how != "ok":
                    stand_in.released.wait(TIMEOUT)
                    return
                self._reply(201, message)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for_posts(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.posts) >= count, TIMEOUT), self.posts

    def accepted_bodies(self) -> list[str]:
        return [m["body"] for m in self.accepted]

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def twilio():
    stand_in = TwilioStandIn()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def settings(settings, twilio):
    return {**settings, "JOBS_ASYNC": True, "JOB_RETRY_INTERVALS": (0, 0),
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_FROM_NUMBER": FROM, "PUBLIC_URL": PUBLIC, "TWILIO_API_BASE": twilio.url,
            "TWILIO_TIMEOUT_SECONDS": 10, "SMS_STUCK_SECONDS": 2, "MESSAGE_MAX_CHARS": 5000}


class Worker:
    """`flask --app app jobs work` as its own process, on the test's Redis and database."""

    def __init__(self, app, log: Path, burst: bool = False, **extra: str) -> None:
        config = app.config
        env = {
            **os.environ, "OKIENKO_INSTANCE": str(log.parent),
            "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": config["REDIS_URL"],
            "REDIS_PREFIX": config["REDIS_PREFIX"], "SECRET_KEY": config["SECRET_KEY"],
            "SOCKETIO_MESSAGE_QUEUE": "0", "TWILIO_ACCOUNT_SID": config["TWILIO_ACCOUNT_SID"],
            "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": FROM, "PUBLIC_URL": PUBLIC,
            "TWILIO_API_BASE": config["TWILIO_API_BASE"],
            "TWILIO_TIMEOUT_SECONDS": str(config["TWILIO_TIMEOUT_SECONDS"]),
            "SMS_STUCK_SECONDS": str(config["SMS_STUCK_SECONDS"]),
            "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", **extra,
        }
        self.log = open(log, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "jobs", "work",
             *(["--burst"] if burst else [])],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def finish(self) -> None:
        """Wait for a burst worker to empty the queue and exit."""
        assert self.process.wait(TIMEOUT * 2) == 0, Path(self.log.name).read_text()
        self.log.close()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)  # no cleanup: as if the machine died
        self.process.wait(TIMEOUT)
        self.log.close()


@pytest.fixture
def workers(app, tmp_path):
    started: list[Worker] = []

    def start(burst: bool = False, **extra: str) -> Worker:
        started.append(Worker(app, tmp_path / "worker.log", burst, **extra))
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(TIMEOUT)
        worker.log.close()


def twilio_post(client, path: str, form: dict, token: str = TOKEN, base: str = PUBLIC):
    signature = RequestValidator(token).compute_signature(base + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def conversation(app, client, staff):
    """A resident's text, accepted by Anna: her console and the conversation's id."""
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    form = {"From": PHONE, "To": FROM, "Body": "Pytanie", "MessageSid": "SM" + "9" * 32}
    assert twilio_post(client, "/channels/sms/inbound", form).status_code == 200
    with app.app_context():
        interaction_id = db.session.query(Interaction.id).scalar()
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    return anna, interaction_id


def reply(anna, interaction_id: int, body: str) -> int:
    answer = emit(anna, "/staff", "reply", {"interaction_id": interaction_id, "body": body})
    assert answer["ok"], answer
    return answer["message"]["id"]


def shown(anna, interaction_id: int, message_id: int) -> str:
    """The delivery the console shows for a reply, as it reopens the conversation."""
    opened = emit(anna, "/staff", "open", {"interaction_id": interaction_id})
    return next(m["delivery"] for m in opened["messages"] if m["id"] == message_id)


def events(app, kind: str) -> list[dict]:
    with app.app_context():
        return [e.data for e in db.session.query(InteractionEvent).filter_by(kind=kind)]


def wait_for_lease_to_lapse(app) -> None:
    """Until the killed job's lease on its text has run out (SMS_STUCK_SECONDS): only time
    passes here, so this polls, with a deadline."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        with app.app_context():
            leases = [s.lease_until for s in db.session.query(TextSending)]
            db.session.remove()
        if leases and all(lease < clock.utcnow() for lease in leases):
            return
        assert time.monotonic() < deadline, leases
        time.sleep(0.2)


@pytest.mark.parametrize("twilio_took_it", [True, False], ids=["taken", "not-taken"])
def test_a_worker_killed_mid_send_sends_every_part_once_after_a_restart(
        app, client, staff, runner, twilio, workers, twilio_took_it):
    """A three-part reply; the worker dies while Twilio holds part 2 unanswered (having
    taken it, or not). After the sweep and a new worker, each part went out exactly once."""
    parts = split_text(LONG_REPLY)
    assert len(parts) == 3
    twilio.answer = lambda n: ("take_then_hang" if twilio_took_it else "hang") if n == 2 else "ok"
    anna, interaction_id = conversation(app, client, staff)
    first = workers()
    message_id = reply(anna, interaction_id, LONG_REPLY)
    twilio.wait_for_posts(2)
    first.kill()
    assert shown(anna, interaction_id, message_id) == "stored"  # "sending…" in the console

    wait_for_lease_to_lapse(app)
    swept = runner.invoke(args=["queue", "sweep"])
    assert "'sms_resumed': 1" in swept.output, swept.output
    workers(burst=True).finish()

    assert twilio.accepted_bodies() == parts  # each part once, in order
    assert twilio.lists == 1  # part 2 was looked up before it was sent again
    assert [p["Body"] for p in twilio.posts] == (
        parts if twilio_took_it else [parts[0], parts[1], parts[1], parts[2]])
    assert shown(anna, interaction_id, message_id) == "sent"
    assert events(app, "sms_sent") == [{"message_id": message_id, "parts": 3}]
    with app.app_context():
        assert db.session.query(TextSending).count() == 0  # nothing left on its way


def test_twilio_answering_500_is_retried_then_the_reply_shows_failed(
        app, client, staff, twilio, workers):
    twilio.answer = lambda n: "error"
    anna, interaction_id = conversation(app, client, staff)
    message_id = reply(anna, interaction_id, "Odpowiedź")
    workers(burst=True).finish()
    assert len(twilio.posts) == 3  # the first try and two retries (JOB_RETRY_INTERVALS)
    assert twilio.accepted == []
    assert shown(anna, interaction_id, message_id) == "failed"  # "NOT delivered", resendable
    assert len(events(app, "delivery_retry")) == 2
    assert events(app, "delivery_failed") == [
        {"message_id": message_id, "error": 20500, "status": 500}]

    # Twilio is back: the clerk sends it again, and it goes out once.
    twilio.answer = lambda n: "ok"
    assert emit(anna, "/staff", "resend", {"interaction_id": interaction_id,
                                           "message_id": message_id})["ok"]
    workers(burst=True).finish()
    assert twilio.accepted_bodies() == ["Odpowiedź"]
    assert shown(anna, interaction_id, message_id) == "sent"


def test_a_number_twilio_refuses_fails_at_once_without_retries(
        app, client, staff, twilio, workers):
    twilio.answer = lambda n: "refuse"
    anna, interaction_id = conversation(app, client, staff)
    message_id = reply(anna, interaction_id, "Odpowiedź")
    workers(burst=True).finish()
    assert len(twilio.posts) == 1
    assert shown(anna, interaction_id, message_id) == "failed"
    assert events(app, "delivery_retry") == []
    assert events(app, "delivery_failed") == [
        {"message_id": message_id, "error": 21211, "status": 400}]


def test_twilio_never_answering_times_out_is_retried_then_the_reply_shows_failed(
        app, client, staff, twilio, workers):
    twilio.answer = lambda n: "hang"
    anna, interaction_id = conversation(app, client, staff)
    message_id = reply(anna, interaction_id, "Odpowiedź")
    started = time.monotonic()
    workers(burst=True, TWILIO_TIMEOUT_SECONDS="0.5").finish()
    assert time.monotonic() - started < TIMEOUT  # bounded: three tries of half a second
    assert len(twilio.posts) == 3
    assert twilio.lists == 2  # before each retry: did Twilio take it after all?
    assert shown(anna, interaction_id, message_id) == "failed"
    assert [e["status"] for e in events(app, "delivery_failed")] == [0]


def test_a_standalone_text_is_stored_first_and_sent_once_by_the_worker(app, twilio, workers):
    """A booking code goes through the same path: stored, then sent by id, then dropped."""
    with app.app_context():
        assert notify("sms", PHONE, "Kod", "Twój kod: 123456")
        assert db.session.query(TextSending).one().body == "Twój kod: 123456"
    workers(burst=True).finish()
    assert twilio.accepted_bodies() == ["Twój kod: 123456"]
    with app.app_context():
        assert db.session.query(TextSending).count() == 0


# -- Twilio's webhooks, delivered twice --------------------------------------------------


def test_a_status_report_twice_or_late_is_recorded_once(app, client, staff, twilio, workers):
    anna, interaction_id = conversation(app, client, staff)
    message_id = reply(anna, interaction_id, "Odpowiedź")
    workers(burst=True).finish()
    with app.app_context():
        sid = db.session.get(Message, message_id).external_id
    for state in ("delivered", "delivered", "sent"):
        assert twilio_post(client, "/channels/sms/status",
                           {"MessageSid": sid, "MessageStatus": state}).status_code == 204
    assert shown(anna, interaction_id, message_id) == "delivered"
    assert len(events(app, "delivery_delivered")) == 1
    assert events(app, "delivery_sent") == []


def test_an_inbound_text_twice_is_stored_once(app, client):
    form = {"From": PHONE, "To": FROM, "Body": "Dzień dobry", "MessageSid": "SM" + "7" * 32}
    assert twilio_post(client, "/channels/sms/inbound", form).status_code == 200
    assert twilio_post(client, "/channels/sms/inbound", form).status_code == 200
    with app.app_context():
        assert [m.body for m in db.session.query(Message)] == ["Dzień dobry"]


@pytest.fixture
def calls_any_time(app):
    """Tomorrow at 10:00 in Warsaw, all hours open, Twilio off (the outbox takes the call);
    webhooks are still signed with the auth token, for PUBLIC_URL."""
    app.config.update(CALLBACK_HOURS="mo-su 0:00-24:00", TWILIO_ACCOUNT_SID="",
                      JOBS_ASYNC=False)
    warsaw = ZoneInfo("Europe/Warsaw")
    now = datetime.now(warsaw)
    clock.advance((datetime.combine(now.date() + timedelta(days=1), daytime(10), warsaw)
                   - now).total_seconds())


def callback_call(app, client, staff) -> int:
    """A hotline callback accepted by Anna, and her Call now: the attempt's id."""
    anna = staff(ANNA)
    emit(anna, "/staff", "presence", {"status": "available"})
    menu = twilio_post(client, "/channels/voice/menu?lang=pl", {"From": PHONE, "Digits": "1"})
    assert menu.status_code == 200
    with app.app_context():
        interaction_id = db.session.query(Interaction.id).filter_by(channel="callback").scalar()
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    assert emit(anna, "/staff", "call", {"interaction_id": interaction_id})["ok"]
    with app.app_context():
        return db.session.query(CallAttempt.id).scalar()


def voice(client, path: str, form: dict) -> None:
    assert twilio_post(client, path, form).status_code in (200, 204)


def test_call_status_reports_twice_are_acted_on_once(app, client, staff, calls_any_time):
    attempt_id = callback_call(app, client, staff)
    voice(client, f"/channels/voice/bridge/{attempt_id}", {"CallStatus": "in-progress"})
    for _ in range(2):
        voice(client, f"/channels/voice/resident/{attempt_id}", {"CallStatus": "in-progress"})
        voice(client, f"/channels/voice/dialled/{attempt_id}",
              {"DialCallStatus": "completed", "DialCallDuration": "95"})
    for seconds in ("110", "111"):
        voice(client, f"/channels/voice/status/{attempt_id}",
              {"CallStatus": "completed", "CallDuration": seconds})
    with app.app_context():
        attempt = db.session.get(CallAttempt, attempt_id)
        assert (attempt.status, attempt.talk_seconds, attempt.call_seconds) == (
            "completed", 95, 110)
    for kind in ("call_resident_answered", "call_answered", "call_ended"):
        assert len(events(app, kind)) == 1, kind


def test_a_clerk_unreachable_report_twice_is_recorded_once(app, client, staff, calls_any_time):
    attempt_id = callback_call(app, client, staff)
    for _ in range(2):
        voice(client, f"/channels/voice/status/{attempt_id}",
              {"CallStatus": "no-answer", "CallDuration": "0"})
    assert len(events(app, "call_clerk_unreachable")) == 1
    assert events(app, "call_ended") == []
