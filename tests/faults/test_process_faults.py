"""A web process dies behind nginx: its resident and clerk reconnect to the other process and
carry on the same conversation, and nothing acknowledged is lost. And between two live
processes, bursts of messages, and emits from processes without sockets, arrive whole.

Production's shape on loopback: two web processes started with the Procfile's `web` line
(gunicorn, one gevent worker) and its `router` share one SQLite file and one Redis; the example
`deploy/nginx.conf`, rendered with their ports, is the only address the clients know.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import go_available, sign_in
from tests.conftest import ANNA, ROOT, free_port
from tests.faults.conftest import TIMEOUT, Clerk, Resident, converse, live_database

NGINX = "/usr/sbin/nginx"
# The example's addresses in deploy/nginx.conf, replaced by the test's own.
EXAMPLE_UPSTREAMS = ("127.0.0.1:5001", "127.0.0.1:5002")
EXAMPLE_LISTEN = "listen 127.0.0.1:8080;"


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    """Until url/healthz answers 200 (nothing to wait on but the port opening)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer: " + log.read_text()[-3000:])


class WebProcess:
    """The Procfile's `web` line (gunicorn, one gevent worker) on a loopback port."""

    def __init__(self, env: dict[str, str], directory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        line = next(raw for raw in (ROOT / "Procfile").read_text().splitlines()
                    if raw.startswith("web:"))
        words = shlex.split(line.removeprefix("web:").replace("${PORT:-5000}", str(self.port)))
        procfile_env = {}
        while "=" in words[0]:
            key, value = words.pop(0).split("=", 1)
            procfile_env[key] = value
        argv = [str(Path(sys.executable).parent / words[0]),
                *(w.replace("0.0.0.0:", "127.0.0.1:") for w in words[1:])]
        self.log = directory / f"web-{self.port}.log"
        with open(self.log, "w") as out:
            # Its own process group: killing it takes the gunicorn master and its worker.
            self.process = subprocess.Popen(argv, cwd=ROOT, env={**env, **procfile_env},
                                            stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def kill(self) -> None:
        """As a crashed machine: no shutdown, every socket cut."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(TIMEOUT)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()


class Nginx:
    """deploy/nginx.conf rendered with the test's ports, run in the foreground."""

    def __init__(self, prefix: Path, upstreams: list[int]) -> None:
        self.prefix = prefix
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        for folder in ("logs", "tmp"):
            (prefix / folder).mkdir(parents=True, exist_ok=True)
        config = prefix / "nginx.conf"
        config.write_text(self.render(upstreams))
        self.access_log = prefix / "logs" / "access.log"
        output = prefix / "logs" / "output.log"  # what nginx says before its error_log opens
        with open(output, "w") as out:
            self.process = subprocess.Popen(
                [NGINX, "-p", f"{prefix}/", "-c", str(config),
                 "-g", f"daemon off; pid {prefix}/nginx.pid;"],
                stdout=out, stderr=subprocess.STDOUT)
        wait_healthy(self.url, self.process, output)

    def render(self, upstreams: list[int]) -> str:
        text = (ROOT / "deploy" / "nginx.conf").read_text()
        for example, port in zip(EXAMPLE_UPSTREAMS, upstreams, strict=True):
            assert example in text, f"{example} is no longer in deploy/nginx.conf"
            text = text.replace(example, f"127.0.0.1:{port}")
        assert EXAMPLE_LISTEN in text and "access_log off;" in text
        text = text.replace(EXAMPLE_LISTEN, f"listen 127.0.0.1:{self.port};")
        # Which process served a request: the upstream address, in the test's access log.
        return text.replace("access_log off;", "log_format upstream '$request_uri $upstream_addr';"
                                               "\n    access_log logs/access.log upstream;")

    def upstream_port(self) -> int:
        """The port of the web process nginx sends this machine's requests to now."""
        probe = f"/healthz?probe={uuid.uuid4().hex}"
        assert requests.get(self.url + probe, timeout=TIMEOUT).status_code == 200
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:  # the line is written just after the answer
            for line in self.access_log.read_text().splitlines():
                uri, _, addresses = line.partition(" ")
                if uri == probe:  # "a:1, b:2" when the first refused: the last one answered
                    return int(addresses.split(",")[-1].strip().rsplit(":", 1)[1])
            time.sleep(0.05)
        raise AssertionError(f"{probe} is not in nginx's access log")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: lets the workers go
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(TIMEOUT)


def live_env(tmp_path: Path, redis_url: str, sqlite_template: Path) -> dict[str, str]:
    """A live hub's environment: its own SQLite file (migrated, demo loaded: the release
    step) and key prefix on the test's Redis."""
    database = tmp_path / "live.db"
    shutil.copyfile(sqlite_template, database)
    return {**os.environ, "OKIENKO_INSTANCE": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": redis_url,
            "REDIS_PREFIX": f"web{uuid.uuid4().hex[:8]}:", "SECRET_KEY": "live-secret",
            "RATELIMIT_ENABLED": "0"}


@pytest.fixture
def web_processes(tmp_path, redis_url, sqlite_template):
    """Two web processes (SQLite file and Redis shared) and the Procfile's router."""
    env = live_env(tmp_path, redis_url, sqlite_template)
    web = [WebProcess(env, tmp_path) for _ in range(2)]
    # The Procfile's `router`: the periodic sweep the web processes leave to it.
    router = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "queue", "run-router", "--interval",
         "0.5"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for process in web:
            wait_healthy(process.url, process.process, process.log)
        yield web
    finally:
        for process in web:
            process.stop()
        router.terminate()
        router.wait(TIMEOUT)


@pytest.fixture
def behind_nginx(tmp_path, web_processes):
    """The two web processes behind the example nginx."""
    if not Path(NGINX).exists():
        message = f"nginx is not installed ({NGINX}; make nginx installs Debian's)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    nginx = Nginx(tmp_path / "nginx", [process.port for process in web_processes])
    try:
        yield nginx, web_processes
    finally:
        nginx.stop()


def stored(process: WebProcess, interaction_id: int) -> list[str]:
    """The conversation's messages as the database holds them, in order."""
    with live_database(process) as connection:
        return [body for (body,) in connection.execute(
            "SELECT body FROM messages WHERE interaction_id = ? AND kind IN ('in', 'out') "
            "ORDER BY id", (interaction_id,))]


def test_a_dead_web_process_loses_no_conversation(behind_nginx, closing):
    """A web process is killed mid-chat: do its resident and clerk reconnect through nginx
    to the other process, see what was sent meanwhile, and go on with every message stored
    exactly once?"""
    nginx, web = behind_nginx
    anna = closing(Clerk(nginx.url, ANNA))
    assert anna.call("presence", {"status": "available"})["ok"]
    resident = closing(Resident(nginx.url))
    assert resident.start(name="Jan")["ok"]
    anna.wait_until(lambda: any(o["id"] == resident.interaction_id for o in anna.offers),
                    what="Anna's offer")
    assert anna.call("accept", {"interaction_id": resident.interaction_id})["ok"]
    converse(resident, anna, "before")

    serving = next(p for p in web if p.port == nginx.upstream_port())
    other = next(p for p in web if p is not serving)
    # The resident's page is away a while (a phone in a tunnel): it reconnects when told to.
    resident.sio.reconnection = False
    resident.sio.on("disconnect", lambda *_: resident.notify(), namespace="/chat")
    hello_before = anna.snapshot
    # Acknowledged the instant before the kill: stored, whatever was fanned out.
    assert resident.send("resident right before the kill")["ok"]
    serving.kill()

    resident.wait_until(lambda: not resident.sio.connected, what="the resident's page to drop")
    anna.wait_until(lambda: anna.snapshot is not hello_before,
                    what="the console to reconnect and say hello")
    assert nginx.upstream_port() == other.port
    assert resident.interaction_id in [c["id"] for c in anna.snapshot["conversations"]]
    anna.wait_until(lambda: anna.sees("resident right before the kill"),
                    what="the console to show the message sent before the kill")
    away = anna.call("reply", {"interaction_id": resident.interaction_id,
                               "body": "clerk while the resident was away"})
    assert away["ok"], away
    assert not resident.sees("clerk while the resident was away")

    # The page comes back through nginx and resumes with its token after its last message.
    resident.sio.reconnection = True
    resident.sio.connect(nginx.url + "?lang=en", namespaces=["/chat"],
                         transports=["websocket"], wait_timeout=TIMEOUT)
    resident.wait_until(lambda: resident.sees("clerk while the resident was away"),
                        what="the resident to catch up")
    assert resident.status["state"] == "assigned" and resident.status["clerk"]
    converse(resident, anna, "after")

    assert anna.connects == 2 and resident.connects == 2
    assert stored(other, resident.interaction_id) == [
        "resident before", "clerk before", "resident right before the kill",
        "clerk while the resident was away", "resident after", "clerk after"]


def test_the_console_in_a_browser_shows_what_came_while_it_was_away(behind_nginx, contexts,
                                                                     closing):
    """Anna's console in Chromium loses its process: once it is back through nginx, does
    the open conversation show the message that came meanwhile, without a click?"""
    nginx, web = behind_nginx
    contexts.allow("WebSocket connection to")  # the browser reports the refused reconnects
    console = contexts.new_page(nginx.url)
    sign_in(console)
    go_available(console)
    resident = closing(Resident(nginx.url))
    assert resident.start(name="Jan")["ok"]
    console.locator("#offers li").first.locator("button.button-primary").click()
    expect(console.locator("#workspace-body")).to_be_visible()
    assert resident.send("Dzień dobry")["ok"]
    expect(console.locator("#staff-transcript")).to_contain_text("Dzień dobry")

    # The console's next attempt comes late enough for the resident to write first.
    console.evaluate("""() => { const manager = window.okienkoConsole.socket.io;
        manager.randomizationFactor(0); manager.reconnectionDelay(3000);
        manager.reconnectionDelayMax(3000); }""")
    next(p for p in web if p.port == nginx.upstream_port()).kill()
    expect(console.locator("#console-alert")).to_have_text("Utracono połączenie. Trwa ponowne łączenie…")
    resident.wait_until(lambda: resident.connects == 2 and resident.status,
                        what="the resident to reconnect")
    assert resident.send("Czy ktoś tam jest?")["ok"]
    assert not console.evaluate("() => window.okienkoConsole.socket.connected"), \
        "the console came back before the message: this test would prove nothing"

    expect(console.locator("#console-alert")).to_be_empty()
    expect(console.locator("#staff-transcript")).to_contain_text("Czy ktoś tam jest?")
    expect(console.locator("#conversations .item")).to_have_count(1)
    console.fill("#reply", "Tak, słucham")
    console.locator("#reply-send").click()
    resident.wait_until(lambda: resident.sees("Tak, słucham"), what="the console's reply")


def test_bursts_between_two_processes_arrive_whole_and_once(web_processes, closing):
    """The resident on one process, their clerk on the other, both sending a burst without
    waiting for answers: does every message reach the other side live, exactly once? (What
    a process publishes while Redis is busy leaves in one batch; the other unpacks it.)"""
    first, second = web_processes
    resident = closing(Resident(first.url))
    anna = closing(Clerk(second.url, ANNA))
    assert anna.call("presence", {"status": "available"})["ok"]
    assert resident.start(name="Jan")["ok"]
    anna.wait_until(lambda: any(o["id"] == resident.interaction_id for o in anna.offers),
                    what="Anna's offer")
    assert anna.call("accept", {"interaction_id": resident.interaction_id})["ok"]

    burst = 40
    answers: list[dict] = []

    def answered(answer: dict) -> None:
        answers.append(answer)
        anna.notify()

    for n in range(burst):
        resident.sio.emit("message", {"token": resident.token, "body": f"resident {n}",
                                      "client_id": f"r{n}"},
                          namespace="/chat", callback=answered)
        anna.sio.emit("reply", {"interaction_id": resident.interaction_id,
                                "body": f"clerk {n}"}, namespace="/staff", callback=answered)
    anna.wait_until(lambda: len(answers) == 2 * burst, what="every message acknowledged")
    assert all(answer["ok"] for answer in answers), answers
    from_resident = {f"resident {n}" for n in range(burst)}
    from_clerk = {f"clerk {n}" for n in range(burst)}
    anna.wait_until(lambda: from_resident <= set(anna.arrivals), what="the resident's burst")
    resident.wait_until(lambda: from_clerk <= set(resident.arrivals), what="the clerk's burst")
    # Once each (the resident also had the clerk's greeting, a system message).
    assert sorted(b for b in anna.arrivals if b.startswith("resident ")) == sorted(from_resident)
    assert sorted(b for b in resident.arrivals if b.startswith("clerk ")) == sorted(from_clerk)
    assert sorted(stored(first, resident.interaction_id)) == sorted(from_resident | from_clerk)


def test_what_a_process_without_sockets_emits_reaches_the_pages(web_processes, closing):
    """The router, the workers and CLI commands serve no sockets, so Socket.IO never
    initialises their message queue; does what they emit (an offer, a delivery report)
    still reach a page held by a web process, even from a command that exits at once?"""
    resident = closing(Resident(web_processes[0].url))
    assert resident.start(name="Jan")["ok"]
    emit_and_exit = (
        "from app import create_app; from hub.extensions import socketio\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    socketio.emit('message', {{'id': {2**31 - 1}, 'body': 'from a worker'}},\n"
        f"                  to='interaction:{resident.interaction_id}', namespace='/chat')\n")
    subprocess.run([sys.executable, "-c", emit_and_exit], cwd=ROOT, env=web_processes[0].env,
                   check=True, timeout=TIMEOUT, capture_output=True)
    resident.wait_until(lambda: resident.sees("from a worker"), what="the worker's message")


def loop_lag(process: WebProcess) -> float:
    """The process's own figure at /metrics: its event loop's worst recent lateness."""
    metrics = requests.get(process.url + "/metrics", timeout=TIMEOUT).text
    found = re.search(r"^okienko_event_loop_lag_seconds\{[^}]*\} (\S+)$", metrics, re.M)
    assert found, "no okienko_event_loop_lag_seconds at /metrics"
    return float(found.group(1))


def test_a_process_that_falls_behind_turns_new_chats_away_and_keeps_the_open_ones(
        tmp_path, redis_url, sqlite_template, contexts, closing):
    """A web process stalls (stopped for 0.6 s, as a starved or overloaded one would): for
    the next moments a resident starting a chat in the browser is told why and offered a
    call back, nothing is stored for them, the chat already open goes on, and new chats
    are taken again once the process keeps up."""
    env = {**live_env(tmp_path, redis_url, sqlite_template), "CHAT_ADMISSION_LAG_MS": "300"}
    process = WebProcess(env, tmp_path)
    try:
        wait_healthy(process.url, process.process, process.log)
        open_chat = closing(Resident(process.url))
        assert open_chat.start(name="Jan")["ok"]
        page = contexts.new_page(process.url)
        page.goto("/chat")
        page.select_option("#department", "general")
        page.check("#consent")
        with live_database(process) as connection:
            chats_before = connection.execute("SELECT count(*) FROM interactions").fetchone()

        os.killpg(process.process.pid, signal.SIGSTOP)
        time.sleep(0.6)  # the stall itself
        os.killpg(process.process.pid, signal.SIGCONT)
        deadline = time.monotonic() + TIMEOUT
        while loop_lag(process) <= 0.3:  # the watcher measures as soon as the loop runs
            assert time.monotonic() < deadline, "the stall never showed at /metrics"
            time.sleep(0.05)  # polling a figure: no event says it changed

        page.get_by_role("button", name="Rozpocznij czat").click()
        expect(page.locator("#chat-alert")).to_contain_text("bardzo wielu mieszkańców")
        link = page.get_by_role("link", name="Poproś o telefon z urzędu")
        expect(link).to_be_visible()
        expect(link).to_have_attribute("href", re.compile(r"^/callback\?department=general&"))
        expect(page.locator("#start-form")).to_be_visible()
        assert open_chat.send("Czy mój wniosek jest gotowy?")["ok"]
        with live_database(process) as connection:
            assert connection.execute("SELECT count(*) FROM interactions").fetchone() == \
                chats_before
        metrics = requests.get(process.url + "/metrics", timeout=TIMEOUT).text
        assert 'okienko_chats_refused_total{reason="busy"} 1.0' in metrics

        newcomer = closing(Resident(process.url))
        while not newcomer.start(name="Ewa")["ok"]:  # until the 2-s window has passed
            assert time.monotonic() < deadline, "new chats stayed refused"
            time.sleep(0.2)  # as a resident trying again: no event says the window closed
        assert newcomer.status["state"] == "queued"
    finally:
        process.stop()
