"""Two real hub processes and a router worker share one Redis and one database.

Residents talk to one process, clerks to the other; every event crosses through Redis.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import socketio

from tests.conftest import ANNA, PASSWORD, PIOTR, ROOT

TIMEOUT = 15


def staff_client(hub, email: str):
    """A clerk's console connection: signed in through the real login form (with CSRF)."""
    http = requests.Session()
    page = http.get(hub.url + "/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = http.post(hub.url + "/login", allow_redirects=False,
                         data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    offers: queue.Queue = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("offer", offers.put, namespace="/staff")
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    sio.connect(hub.url, namespaces=["/staff"], transports=["websocket"],
                headers={"Cookie": cookie}, wait_timeout=TIMEOUT)
    return sio, offers


def resident_client(hub):
    events: queue.Queue = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("status", lambda s: events.put(("status", s)), namespace="/chat")
    sio.on("message", lambda m: events.put(("message", m)), namespace="/chat")
    sio.connect(hub.url + "?lang=pl", namespaces=["/chat"], transports=["websocket"],
                wait_timeout=TIMEOUT)
    return sio, events


def wait_for(events: queue.Queue, predicate):
    """The first event matching predicate; fails after TIMEOUT seconds without one."""
    while True:
        item = events.get(timeout=TIMEOUT)
        if predicate(item):
            return item


@pytest.fixture
def router_worker(live_hubs, tmp_path):
    processes = []

    def start(env: dict[str, str]):
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "queue", "run-router",
             "--interval", "0.5"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        processes.append(process)

    yield start
    for process in processes:
        process.terminate()
        process.wait(10)


def test_two_processes_never_assign_twice_nor_exceed_capacity(live_hubs, router_worker):
    """Residents on process A, clerks on process B: offers and replies cross via Redis."""
    resident_hub, clerk_hub = live_hubs(2, OFFER_TIMEOUT_SECONDS="60")
    router_worker({**os.environ, **_env_of(resident_hub)})
    clerks = {email: staff_client(clerk_hub, email) for email in (ANNA, PIOTR)}
    for sio, _ in clerks.values():
        assert sio.call("presence", {"status": "available"}, namespace="/staff",
                        timeout=TIMEOUT)["ok"]

    residents = []
    for n in range(10):
        sio, events = resident_client(resident_hub)
        answer = sio.call("start", {"department": "general", "name": f"R{n}", "consent": True},
                          namespace="/chat", timeout=TIMEOUT)
        assert answer["ok"], answer
        residents.append((sio, events, answer))

    # Each clerk accepts every offer they get, all at once, until they hold three.
    accepted: dict[str, list[int]] = {email: [] for email in clerks}
    lock = threading.Lock()

    def work(email: str) -> None:
        sio, offers = clerks[email]
        while len(accepted[email]) < 3:
            offer = offers.get(timeout=TIMEOUT)
            answer = sio.call("accept", {"interaction_id": offer["id"]}, namespace="/staff",
                              timeout=TIMEOUT)
            if answer["ok"]:
                with lock:
                    accepted[email].append(offer["id"])

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(work, email) for email in clerks]:
            future.result(timeout=3 * TIMEOUT)

    taken = accepted[ANNA] + accepted[PIOTR]
    assert len(taken) == len(set(taken)) == 6          # nobody got the same chat twice
    for email, (_sio, offers) in clerks.items():       # and nobody was offered a fourth
        assert offers.empty(), f"{email} was offered past capacity"

    # A resident on process A hears from the clerk on process B.
    sio_anna = clerks[ANNA][0]
    first = accepted[ANNA][0]
    _, events, _ = next(r for r in residents if r[2]["status"]["interaction_id"] == first)
    assert sio_anna.call("reply", {"interaction_id": first, "body": "Dzień dobry, tu Anna"},
                         namespace="/staff", timeout=TIMEOUT)["ok"]
    wait_for(events, lambda e: e[0] == "message" and e[1]["body"] == "Dzień dobry, tu Anna")

    # Closing frees a place: the oldest waiting resident is offered to Anna next.
    assert sio_anna.call("close", {"interaction_id": first, "disposition": "resolved"},
                         namespace="/staff", timeout=TIMEOUT)["ok"]
    waiting = sorted(r[2]["status"]["interaction_id"] for r in residents
                     if r[2]["status"]["interaction_id"] not in taken)
    offer = clerks[ANNA][1].get(timeout=TIMEOUT)
    assert offer["id"] == waiting[0]

    # A client's disconnect can take seconds to finish its handshake: close them together.
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda sio: sio.disconnect(),
                      [r[0] for r in residents] + [c[0] for c in clerks.values()]))


def _env_of(hub) -> dict[str, str]:
    """The environment the live hub runs with (for the worker to share it)."""
    return {k: v for k, v in hub.env.items()}
