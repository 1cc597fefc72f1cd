"""Chat benchmark: message delivery over real websockets, hub against a bare relay.

N conversations, each a resident (/chat) and a clerk (/staff) on their own websocket,
exchange one message a second, the two sides taking turns (so each side sends every two
seconds). Latency is from the moment a side sends its message to the moment the other side
receives it, on one machine clock (both sides live in the same load-generator process).

The hub runs as production does: the Procfile's `web` line (gunicorn, one gevent worker),
the Redis message queue between processes, SQLite (WAL) or PostgreSQL; every message is
committed (message row + timeline event) before it is emitted. Conversations are seeded
as already assigned to their clerk (one each), clerks sign in through the real login form,
so the measured part is only the exchange.

The floor, in the same run: a bare aiohttp websocket server that pairs the two connections
of a conversation and relays each text frame to the other, nothing else (no Socket.IO, no
database, no Redis), under the same load.

The relay, in the same run: a plain Flask-SocketIO app served as the hub is (bench/relay_app.py)
that relays each side's `message` event to the other side's room: the stack's own cost,
between the floor and the hub.

The load generator speaks Engine.IO 4 / Socket.IO 5 on aiohttp websockets itself (a few
lines, see SocketIO below) rather than through python-socketio's client, whose per-message
cost would make the generator the bottleneck first; its own CPU use and event-loop lag are
printed beside each row, so a saturated generator shows.

Run: .venv/bin/python bench/chat.py [--pairs 100,500,1000] [--seconds 15] [--processes 1]
     .venv/bin/python bench/chat.py --find-max          (largest N with p99 < 100 ms, 1 and 2
                                                          processes)
     .venv/bin/python bench/chat.py --find-max --server relay [--relay-gc] [--relay-commit]
         (the same for the relay; with the hub's GC settings; committing each message first)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import multiprocessing as mp
import os
import random
import re
import secrets
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import add_database_arguments, environment, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
SECRET_KEY = secrets.token_hex(16)
TICKS = os.sysconf("SC_CLK_TCK")
CONNECT_TIMEOUT = 60
TARGET_P99_MS = 100.0


# -- the servers -------------------------------------------------------------------------


HUB_APP = "app:create_web_app()"
RELAY_APP = "bench.relay_app:create_app()"


def procfile_web(port: int, app: str = HUB_APP) -> tuple[dict[str, str], list[str]]:
    """The Procfile's `web` line as (environment, argv), bound to 127.0.0.1:port, serving
    the hub or (`app`) another WSGI app the same way."""
    line = next(raw for raw in (ROOT / "Procfile").read_text().splitlines()
                if raw.startswith("web:"))
    words = shlex.split(line.split(":", 1)[1].replace("${PORT:-5000}", str(port)))
    if HUB_APP not in words:
        raise RuntimeError(f"the Procfile's web line no longer serves {HUB_APP}")
    words = [app if word == HUB_APP else word for word in words]
    env = {}
    while "=" in words[0] and not words[0].startswith("-"):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    argv = [str(Path(sys.executable).parent / words[0]), *words[1:]]
    argv = [w.replace("0.0.0.0:", "127.0.0.1:") for w in argv]
    return env, argv


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children, from /proc."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited: " + log.read_text()[-3000:])
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)  # the port is not open yet: nothing to wait on but time
        except requests.Timeout:
            continue  # the worker is still loading the app
    raise RuntimeError("server did not start: " + log.read_text()[-3000:])


class Servers:
    """Started servers: their URLs, processes (for CPU) and stop()."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.processes: list[subprocess.Popen] = []

    def cpu(self) -> float:
        return sum(process_cpu(p.pid) for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def relay_database(database_url: str, work: Path) -> str:
    """A fresh copy of the hub's seeded SQLite database, for the relay to commit into."""
    copy = work / "relay.db"
    source = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{copy}"


def start_web(count: int, env: dict[str, str], work: Path, app: str = HUB_APP) -> Servers:
    """`count` processes of the Procfile's web line, each on its own loopback port."""
    from tests.conftest import free_port

    servers = Servers()
    try:
        for _ in range(count):
            port = free_port()
            extra, argv = procfile_web(port, app)
            # Its own control socket: gunicorn's default path is one per machine.
            argv += ["--control-socket", str(work / f"gunicorn-{port}.ctl")]
            log = work / f"gunicorn-{port}.log"
            with open(log, "w") as out:
                servers.processes.append(subprocess.Popen(
                    argv, cwd=ROOT, env={**os.environ, **env, **extra},
                    stdout=out, stderr=subprocess.STDOUT))
            servers.urls.append(f"http://127.0.0.1:{port}")
            wait_healthy(servers.urls[-1], servers.processes[-1], log)
    except BaseException:
        servers.stop()
        raise
    return servers


def floor_server(port: int) -> None:
    """The floor: pair the two websockets of a conversation, relay text frames, nothing else."""
    from aiohttp import WSMsgType, web

    peers: dict[tuple[str, str], web.WebSocketResponse] = {}
    other = {"r": "c", "c": "r"}

    async def relay(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conversation, side = request.match_info["conversation"], request.match_info["side"]
        peers[conversation, side] = ws
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                partner = peers.get((conversation, other[side]))
                if partner is not None:
                    await partner.send_str(message.data)
        peers.pop((conversation, side), None)
        return ws

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.add_routes([web.get("/ws/{conversation}/{side}", relay), web.get("/healthz", health)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=4096)


def start_floor(work: Path) -> Servers:
    from tests.conftest import free_port

    port = free_port()
    log = work / "floor.log"
    servers = Servers()
    with open(log, "w") as out:
        servers.processes.append(subprocess.Popen(
            [sys.executable, __file__, "--floor-server", str(port)], cwd=ROOT,
            stdout=out, stderr=subprocess.STDOUT))
    servers.urls.append(f"http://127.0.0.1:{port}")
    wait_healthy(servers.urls[0], servers.processes[0], log)
    return servers


# -- seeding -----------------------------------------------------------------------------


@dataclass
class Conversation:
    index: int
    interaction_id: int
    token: str
    clerk_email: str
    cookie: str = ""


def hub_env(database: str, redis_url: str, work: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database, "REDIS_URL": redis_url, "OKIENKO_INSTANCE": str(work),
        "REDIS_PREFIX": "chatbench:", "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "WARNING",
        # Rate limits stay on (their Redis check is part of every message's cost), raised so
        # a resident's message every two seconds and a thousand sign-ins from one address pass.
        "RATELIMIT_CHAT_MESSAGES": "600 per minute", "RATELIMIT_LOGIN": "100000 per minute",
    }


def seed(database: str, redis_url: str, work: Path, count: int) -> list[Conversation]:
    """`count` clerks (capacity 1), each holding one assigned web chat, and their tokens."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from hub import create_app, tokens
    from hub.accounts.models import Department, User, user_departments
    from hub.extensions import db
    from hub.interactions import routing
    from hub.interactions.models import Interaction

    env = hub_env(database, redis_url, work)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": redis_url,
                      "REDIS_PREFIX": env["REDIS_PREFIX"], "SECRET_KEY": SECRET_KEY,
                      "LOG_LEVEL": "WARNING", "SOCKETIO_MESSAGE_QUEUE": False})
    # Few iterations: a thousand real sign-ins in seconds; the hash is not what is measured.
    password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):  # Alembic's log of every migration
            upgrade()
        department = Department(code="bench", name_pl="Bench", name_en="Bench")
        db.session.add(department)
        db.session.flush()
        db.session.execute(insert(User), [
            {"id": 1000 + n, "email": f"clerk{n}@bench.local", "name": f"Clerk {n}",
             "display_name": f"C{n}", "password_hash": password_hash, "role": "clerk",
             "capacity": 1, "presence": "available"} for n in range(count)])
        db.session.execute(insert(user_departments), [
            {"user_id": 1000 + n, "department_id": department.id} for n in range(count)])
        db.session.execute(insert(Interaction), [
            {"channel": "webchat", "department_id": department.id, "language": "pl",
             "resident_name": f"Resident {n}", "resident_key": secrets.token_urlsafe(24),
             "state": "assigned", "clerk_id": 1000 + n, "queue_score": n, "tags": []}
            for n in range(count)])
        db.session.commit()
        routing.rebuild_queues()  # Redis holds the clerks' seats as a starting hub would
        rows = db.session.scalars(select(Interaction).order_by(Interaction.id)).all()
        conversations = [Conversation(n, i.id, tokens.issue(i), f"clerk{n}@bench.local")
                         for n, i in enumerate(rows)]
        db.engine.dispose()
    return conversations


async def sign_in(url: str, conversations: list[Conversation]) -> None:
    """A session cookie per clerk through the real login form (CSRF token included)."""
    import aiohttp

    limit = asyncio.Semaphore(20)

    async def one(conversation: Conversation) -> None:
        async with limit, aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(url + "/login") as page:
                csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                 await page.text()).group(1)
            async with http.post(url + "/login", allow_redirects=False, data={
                    "email": conversation.clerk_email, "password": PASSWORD,
                    "csrf_token": csrf}) as answer:
                if answer.status != 302:
                    raise RuntimeError(f"sign-in failed: {answer.status}")
            conversation.cookie = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)

    await asyncio.gather(*(one(c) for c in conversations if not c.cookie))


# -- the load generator ------------------------------------------------------------------


class SocketIO:
    """One Socket.IO namespace over one websocket, the wire protocol by hand (Engine.IO 4,
    Socket.IO 5): `40/ns,` connects, `42/ns,id[...]` is an event, `43/ns,id[...]` its ack,
    "2"/"3" the server's ping and our pong."""

    def __init__(self, ws, namespace: str, on_event) -> None:
        self.ws = ws
        self.prefix = "4{}" + namespace + ","
        self.event_prefix = "42" + namespace + ","
        self.ack_prefix = "43" + namespace + ","
        self.on_event = on_event
        self.acks: dict[int, asyncio.Future] = {}
        self.next_id = 0
        self.failures = 0
        self.last_failure = ""
        self.connected = asyncio.get_running_loop().create_future()

    async def read(self) -> None:
        from aiohttp import WSMsgType

        async for frame in self.ws:
            if frame.type != WSMsgType.TEXT:
                continue
            data = frame.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith(self.event_prefix):
                name, payload = json.loads(data[len(self.event_prefix):])[:2]
                self.on_event(name, payload)
            elif data.startswith(self.ack_prefix):
                body = data[len(self.ack_prefix):]
                split = body.index("[")
                answer = json.loads(body[split:])[0]
                future = self.acks.pop(int(body[:split]), None)
                if future is not None:
                    future.set_result(answer)
                elif not answer.get("ok"):
                    self.failures += 1
                    self.last_failure = str(answer)
            elif data.startswith(self.prefix.format(0)):
                self.connected.set_result(True)
            elif data.startswith(self.prefix.format(4)):
                self.connected.set_exception(RuntimeError("refused: " + data))
        if not self.connected.done():
            self.connected.set_exception(RuntimeError("closed before connecting"))

    async def emit(self, event: str, data: dict, wait: bool = False) -> dict | None:
        self.next_id += 1
        future = None
        if wait:
            future = self.acks[self.next_id] = asyncio.get_running_loop().create_future()
        await self.ws.send_str(f"{self.event_prefix}{self.next_id}"
                               + json.dumps([event, data], separators=(",", ":")))
        return await asyncio.wait_for(future, CONNECT_TIMEOUT) if wait else None


@dataclass
class Tally:
    """What one generator measured in the window."""

    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    failures: int = 0
    last_failure: str = ""
    lag: list[float] = field(default_factory=list)
    cpu: float = 0.0
    worst_by_second: dict = field(default_factory=dict)


class Pair:
    """One conversation's two sides and the messages in flight between them."""

    def __init__(self, conversation: Conversation, tally: Tally, window: list[float]) -> None:
        self.c = conversation
        self.tally = tally
        self.window = window  # [start, end] of the measured time, shared by all pairs
        self.in_flight: dict[str, float] = {}  # body → send time, both directions
        self.resident: SocketIO | None = None
        self.clerk: SocketIO | None = None
        self.tasks: list[asyncio.Task] = []

    def arrived(self, body: str) -> None:
        sent = self.in_flight.pop(body, None)
        if sent is not None and sent >= self.window[0]:
            self.tally.latencies.append(time.perf_counter() - sent)
            if os.environ.get("CHAT_DEBUG"):
                second = int(sent - self.window[0])
                self.tally.worst_by_second[second] = max(
                    self.tally.worst_by_second.get(second, 0), self.tally.latencies[-1])

    def send_time(self) -> float:
        now = time.perf_counter()
        if self.window[0] <= now < self.window[1]:
            self.tally.sent += 1
        return now


class HubPair(Pair):
    async def open(self, urls: list[str], session) -> None:
        resident_url = urls[self.c.index % len(urls)]
        clerk_url = urls[(self.c.index // 2) % len(urls)]  # half the pairs cross processes

        def on_resident(name: str, payload: dict) -> None:
            if name == "message" and payload.get("kind") == "out":
                self.arrived(payload["body"])

        def on_clerk(name: str, payload: dict) -> None:
            if name == "message" and payload.get("kind") == "in":
                self.arrived(payload["body"])

        self.resident = await self._connect(session, resident_url + "?lang=pl", "/chat",
                                            on_resident, {})
        self.clerk = await self._connect(session, clerk_url, "/staff", on_clerk,
                                         {"Cookie": self.c.cookie})
        # No history wanted: "after" past every message id (still a PostgreSQL integer).
        answer = await self.resident.emit("resume", {"token": self.c.token, "after": 2**31 - 1},
                                          wait=True)
        if not answer.get("ok"):
            raise RuntimeError(f"resume refused: {answer}")

    async def _connect(self, session, url: str, namespace: str, on_event, headers) -> SocketIO:
        base, _, query = url.partition("?")
        ws_url = (base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
                  + (f"&{query}" if query else ""))
        ws = await session.ws_connect(ws_url, headers=headers, autoping=True,
                                      max_msg_size=0, timeout=CONNECT_TIMEOUT)
        sio = SocketIO(ws, namespace, on_event)
        self.tasks.append(asyncio.create_task(sio.read()))
        await ws.send_str(f"40{namespace},")
        await asyncio.wait_for(sio.connected, CONNECT_TIMEOUT)
        return sio

    async def send(self, turn: int, body: str) -> None:
        if turn % 2 == 0:
            self.in_flight[body] = self.send_time()
            # With a client id, as the browser sends it (resends are stored once).
            await self.resident.emit("message", {"token": self.c.token, "body": body,
                                                 "client_id": body})
        else:
            self.in_flight[body] = self.send_time()
            await self.clerk.emit("reply", {"interaction_id": self.c.interaction_id,
                                            "body": body, "client_id": body})

    def failures(self) -> tuple[int, str]:
        sides = [s for s in (self.resident, self.clerk) if s is not None]
        last = next((s.last_failure for s in sides if s.last_failure), "")
        return sum(s.failures for s in sides), last

    async def close(self) -> None:
        for side in (self.resident, self.clerk):
            if side is not None:
                await side.ws.close()


class RelayPair(HubPair):
    """The same two Socket.IO sockets against bench/relay_app.py: no token, no login."""

    async def open(self, urls: list[str], session) -> None:
        resident_url = urls[self.c.index % len(urls)]
        clerk_url = urls[(self.c.index // 2) % len(urls)]  # as HubPair's

        def on_message(name: str, payload: dict) -> None:
            if name == "message":
                self.arrived(payload["body"])

        query = f"?pair={self.c.index}&side="
        self.resident = await self._connect(session, resident_url + query + "r", "/relay",
                                            on_message, {})
        self.clerk = await self._connect(session, clerk_url + query + "c", "/relay",
                                         on_message, {})

    async def send(self, turn: int, body: str) -> None:
        self.in_flight[body] = self.send_time()
        await (self.resident if turn % 2 == 0 else self.clerk).emit("message", {"body": body})


class FloorPair(Pair):
    async def open(self, urls: list[str], session) -> None:
        base = urls[0].replace("http://", "ws://") + f"/ws/{self.c.index}/"
        self.sockets = {}
        for side in ("r", "c"):
            ws = await session.ws_connect(base + side, autoping=True, timeout=CONNECT_TIMEOUT)
            self.sockets[side] = ws
            self.tasks.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws) -> None:
        from aiohttp import WSMsgType

        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                self.arrived(frame.data)

    async def send(self, turn: int, body: str) -> None:
        self.in_flight[body] = self.send_time()
        await self.sockets["r" if turn % 2 == 0 else "c"].send_str(body)

    def failures(self) -> tuple[int, str]:
        return 0, ""

    async def close(self) -> None:
        for ws in self.sockets.values():
            await ws.close()


async def generate(kind: str, urls: list[str], conversations: list[Conversation],
                   warmup: float, seconds: float, drain: float, ready, go) -> Tally:
    """Open every pair, then each sends a message a second (sides in turn) until the end."""
    import aiohttp

    tally = Tally()
    window = [float("inf"), float("inf")]
    cls = {"hub": HubPair, "relay": RelayPair, "floor": FloorPair}[kind]
    pairs = [cls(c, tally, window) for c in conversations]
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        limit = asyncio.Semaphore(50)

        async def open_one(pair: Pair) -> None:
            async with limit:
                await pair.open(urls, session)

        await asyncio.gather(*(open_one(p) for p in pairs))
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        start = time.perf_counter()
        window[:] = [start + warmup, start + warmup + seconds]
        stop = window[1]
        # Bodies double as client ids: unique per level, or a level that reuses the last
        # one's conversations would be taken for resends (stored once, not delivered again).
        level = secrets.token_hex(3)

        async def converse(pair: Pair) -> None:
            rng = random.Random(pair.c.index)
            at = start + rng.random()  # spread the pairs' ticks over the second
            turn = rng.randrange(2)
            while at < stop:
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                try:
                    await pair.send(turn, f"{level}:{pair.c.index}:{turn}")
                except (aiohttp.ClientError, ConnectionError) as error:  # the server dropped us
                    tally.failures += 1
                    tally.last_failure = tally.last_failure or f"send: {error!r}"
                    return
                turn += 1
                at += 1.0

        async def watch_lag() -> None:
            """How late the generator's loop wakes up: a busy generator shows here."""
            while time.perf_counter() < stop:
                before = time.perf_counter()
                await asyncio.sleep(0.05)
                if before >= window[0]:
                    tally.lag.append(time.perf_counter() - before - 0.05)

        cpu_before = time.process_time()
        await asyncio.gather(watch_lag(), *(converse(p) for p in pairs))
        tally.cpu = (time.process_time() - cpu_before) / (warmup + seconds) * seconds
        await asyncio.sleep(drain)  # what has not arrived by now is counted lost
        for pair in pairs:
            count, last = pair.failures()
            tally.failures += count
            tally.last_failure = tally.last_failure or last
        for pair in pairs:
            for task in pair.tasks:
                task.cancel()

        async def close(pair: Pair) -> None:
            try:
                await asyncio.wait_for(pair.close(), 10)
            except (TimeoutError, aiohttp.ClientError, ConnectionError):
                pass  # the server is gone or slow: the session's end drops the socket

        await asyncio.gather(*(close(p) for p in pairs))
    return tally


def generator_process(kind, urls, conversations, warmup, seconds, drain, ready, go, out) -> None:
    try:
        out.put(asyncio.run(generate(kind, urls, conversations, warmup, seconds, drain,
                                     ready, go)))
    except BaseException as error:  # the driver must hear of it, not wait forever
        ready.set()
        out.put(RuntimeError(f"{type(error).__name__}: {error}"))


# -- one measurement ---------------------------------------------------------------------


@dataclass
class Row:
    kind: str
    processes: int
    pairs: int
    delivered: int
    sent: int
    per_second: float
    p50: float
    p99: float
    worst: float
    lost: int
    failures: int
    server_cpu_per_1k: float
    server_util: float
    redis_cpu_per_1k: float
    generator_util: float
    lag_p99: float
    note: str = ""


def measure(kind: str, servers: Servers, conversations: list[Conversation], seconds: float,
            generators: int, redis_pid: int | None, processes: int) -> Row:
    warmup, drain = 3.0, 3.0
    ctx = mp.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    shares = [conversations[g::generators] for g in range(generators)]
    readies = [ctx.Event() for _ in shares]
    workers = [ctx.Process(target=generator_process,
                           args=(kind, servers.urls, share, warmup, seconds, drain, ready, go,
                                 out))
               for share, ready in zip(shares, readies, strict=True)]
    for worker in workers:
        worker.start()
    for ready in readies:
        if not ready.wait(600):
            raise RuntimeError("the generators did not connect in 10 minutes")
    go.set()
    time.sleep(warmup)  # the generators' clocks start on `go`; CPU is read over the window
    cpu0, redis0, wall0 = servers.cpu(), process_cpu(redis_pid) if redis_pid else 0, time.time()
    time.sleep(seconds)
    cpu1, redis1, wall1 = servers.cpu(), process_cpu(redis_pid) if redis_pid else 0, time.time()
    tallies = [out.get(timeout=120 + seconds) for _ in workers]
    for worker in workers:
        worker.join(30)
    errors = [t for t in tallies if isinstance(t, Exception)]
    if errors:
        raise errors[0]
    latencies = [x for t in tallies for x in t.latencies]
    if os.environ.get("CHAT_DEBUG"):
        print("       worst latency by second (ms):", {k: round(v * 1000) for k, v in
                                         sorted(tallies[0].worst_by_second.items())})
    sent = sum(t.sent for t in tallies)
    delivered = len(latencies)
    thousands = max(delivered, 1) / 1000
    return Row(
        kind=kind, processes=processes, pairs=len(conversations), delivered=delivered,
        sent=sent, per_second=delivered / seconds,
        p50=percentile(latencies, 0.5) * 1000 if latencies else float("nan"),
        p99=percentile(latencies, 0.99) * 1000 if latencies else float("nan"),
        worst=max(latencies) * 1000 if latencies else float("nan"),
        lost=max(0, sent - delivered), failures=sum(t.failures for t in tallies),
        server_cpu_per_1k=(cpu1 - cpu0) / thousands,
        server_util=(cpu1 - cpu0) / (wall1 - wall0) * 100,
        redis_cpu_per_1k=(redis1 - redis0) / thousands,
        generator_util=max(t.cpu for t in tallies) / seconds * 100,
        lag_p99=percentile([x for t in tallies for x in t.lag], 0.99) * 1000,
        note=next((t.last_failure for t in tallies if t.last_failure), "")[:120],
    )


HEADER = (f"{'server':<6} {'procs':>5} {'N':>5} {'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'lost':>5} {'errors':>6} {'CPU s/1k':>9} {'srv CPU%':>8} "
          f"{'redis s/1k':>10} {'gen CPU%':>8} {'gen lag p99':>11}")


def show(row: Row) -> None:
    print(f"{row.kind:<6} {row.processes:>5} {row.pairs:>5} {row.per_second:>7.0f} "
          f"{row.p50:>8.2f} {row.p99:>8.2f} {row.worst:>8.1f} {row.lost:>5} {row.failures:>6} "
          f"{row.server_cpu_per_1k:>9.3f} {row.server_util:>8.0f} {row.redis_cpu_per_1k:>10.3f} "
          f"{row.generator_util:>8.0f} {row.lag_p99:>11.1f}", flush=True)
    if row.note:
        print(f"       last error: {row.note}", flush=True)


def ratio(upper: Row, lower: Row) -> None:
    print(f"{upper.kind}/{lower.kind} at N={upper.pairs}: CPU per message "
          f"{upper.server_cpu_per_1k / lower.server_cpu_per_1k:.1f}×, "
          f"p50 {upper.p50 / lower.p50:.1f}×, p99 {upper.p99 / lower.p99:.1f}×", flush=True)


# -- driver ------------------------------------------------------------------------------


class Bench:
    """Seeded conversations, signed-in clerks and started servers, reused across levels."""

    def __init__(self, args, env) -> None:
        self.args = args
        self.env = env
        self.conversations: list[Conversation] = []
        self.webs: dict[tuple[str, int], Servers] = {}  # (hub or relay, processes)
        self.floor: Servers | None = None
        self.redis_pid = redis_pid(env.redis_url)

    def ensure(self, count: int) -> None:
        if count > len(self.conversations):
            if self.webs:
                raise RuntimeError("seed before starting servers")
            self.conversations = seed(self.env.database_url, self.env.redis_url, self.env.work,
                                      count)

    def web(self, kind: str, processes: int) -> Servers:
        if (kind, processes) not in self.webs:
            for other in list(self.webs):  # one set of servers at a time: the cores are few
                self.webs.pop(other).stop()
            env = hub_env(self.env.database_url, self.env.redis_url, self.env.work)
            if kind == "relay" and self.args.relay_commit:
                env["RELAY_DATABASE_URL"] = relay_database(self.env.database_url, self.env.work)
                if self.args.relay_group_commit:
                    env["RELAY_GROUP_COMMIT"] = "1"
            self.webs[kind, processes] = start_web(processes, env, self.env.work,
                                                   HUB_APP if kind == "hub" else RELAY_APP)
        return self.webs[kind, processes]

    def run(self, kind: str, pairs: int, processes: int) -> Row:
        conversations = self.conversations[:pairs]
        if kind == "floor":
            self.floor = self.floor or start_floor(self.env.work)
            servers = self.floor
        else:
            servers = self.web(kind, processes)
            if kind == "hub":
                asyncio.run(sign_in(servers.urls[0], conversations))
        row = measure(kind, servers, conversations, self.args.seconds, self.args.generators,
                      None if kind == "floor" else self.redis_pid, processes)
        show(row)
        return row

    def stop(self) -> None:
        for servers in [*self.webs.values(), self.floor]:
            if servers is not None:
                servers.stop()


def redis_pid(url: str) -> int | None:
    import redis

    try:
        return int(redis.Redis.from_url(url).info("server")["process_id"])
    except Exception:
        return None


def find_max(bench: Bench, kind: str, processes: int, start: int, step: int) -> int:
    """Step N up until p99 reaches the target (or messages are lost); the last N below it."""
    best, pairs = 0, start
    while pairs <= len(bench.conversations):
        row = bench.run(kind, pairs, processes)
        if row.p99 >= TARGET_P99_MS or row.lost or row.failures:
            break
        best, pairs = pairs, pairs + step
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default="100,500,1000",
                        help="conversation counts, comma-separated (default 100,500,1000)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per level")
    parser.add_argument("--processes", type=int, choices=(1, 2), default=1,
                        help="hub web processes (residents and clerks spread over both)")
    parser.add_argument("--generators", type=int, default=1,
                        help="load-generator processes (each takes a share of the pairs)")
    parser.add_argument("--find-max", action="store_true",
                        help="step N up until p99 ≥ 100 ms, for 1 and then 2 processes")
    parser.add_argument("--max-start", type=int, default=100)
    parser.add_argument("--max-step", type=int, default=100)
    parser.add_argument("--max-pairs", type=int, default=2000)
    parser.add_argument("--no-floor", action="store_true",
                        help="measure the hub only (neither the floor nor the relay)")
    parser.add_argument("--server", choices=("hub", "relay"), default="hub",
                        help="what --find-max measures: the hub, or the plain relay")
    parser.add_argument("--relay-gc", action="store_true",
                        help="give the relay the hub's garbage-collection settings")
    parser.add_argument("--relay-commit", action="store_true",
                        help="the relay commits each message and its event, as the hub's "
                             "design asks, into a copy of the hub's SQLite database")
    parser.add_argument("--relay-group-commit", action="store_true",
                        help="with --relay-commit: messages that arrive together share one "
                             "transaction")
    parser.add_argument("--per-second", action="store_true",
                        help="also print the worst latency of each second (finds stalls)")
    parser.add_argument("--floor-server", type=int, help=argparse.SUPPRESS)
    add_database_arguments(parser)
    args = parser.parse_args()
    if args.floor_server:
        floor_server(args.floor_server)
        return
    levels = [int(n) for n in args.pairs.split(",")]
    # Stopped from outside, still stop the servers and the embedded Redis (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.per_second:
        os.environ["CHAT_DEBUG"] = "1"  # read by the generator processes

    if args.relay_commit and (args.postgresql or
                              not (args.database_url or "sqlite:").startswith("sqlite:")):
        parser.error("--relay-commit commits into a copy of the SQLite database")
    if args.relay_gc:  # read by relay_app in the servers, which inherit the environment
        os.environ["RELAY_HUB_GC"] = "1"
    with environment(args, "chat.db") as env:
        bench = Bench(args, env)
        try:
            bench.ensure(args.max_pairs if args.find_max else max(levels))
            print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; database "
                  f"{env.database_url.split(':')[0]}; {args.seconds:g} s per level; "
                  f"{args.generators} generator process(es); one message a second per "
                  f"conversation, sides in turn", flush=True)
            print(HEADER, flush=True)
            if args.find_max:
                found = {p: find_max(bench, args.server, p, args.max_start, args.max_step)
                         for p in (1, 2)}
                for processes, best in found.items():
                    print(f"largest N with p99 < {TARGET_P99_MS:.0f} ms and nothing lost, "
                          f"{args.server}, {processes} process(es): {best}", flush=True)
                return
            for pairs in levels:
                floor = relay = None
                if not args.no_floor:
                    floor = bench.run("floor", pairs, 1)
                    relay = bench.run("relay", pairs, args.processes)
                hub = bench.run("hub", pairs, args.processes)
                if floor is not None and relay is not None:
                    ratio(hub, floor)
                    ratio(relay, floor)
                    ratio(hub, relay)
        finally:
            bench.stop()


if __name__ == "__main__":
    main()
