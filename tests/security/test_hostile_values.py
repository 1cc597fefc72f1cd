"""Hostile values where the OpenAPI fuzzing does not reach: ids in staff URLs and fields of
every Socket.IO event. A value of the wrong type or out of range is refused (404, or an ack
with ok: false), never a server error or an event left unanswered."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

from hub.extensions import socketio
from tests.conftest import ADMIN, EWA, emit, login

HUGE = 2**70  # beyond a database integer: once an OverflowError (a 500, a lost ack)
BEYOND_INT4 = 2**40  # fits SQLite's integer, not PostgreSQL's INTEGER (the suite runs on both)
VALUES = [None, [], "x", HUGE, BEYOND_INT4, -1, {"x": 1}, "😀" * 3000, 1.5, True]


def test_huge_ids_in_urls_are_not_found(app):
    admin = login(app, ADMIN)
    failed, tried = [], 0
    for rule in app.url_map.iter_rules():
        ids = [n for n in rule.arguments if isinstance(rule._converters[n], IntegerConverter)]
        if not ids:
            continue
        for number in (HUGE, BEYOND_INT4):
            url = rule.build({n: number if n in ids else "done" for n in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                tried += 1
                response = admin.open(url, method=method, data={})
                if response.status_code >= 500 or response.status_code == 200:
                    failed.append((method, url, response.status_code))
    assert tried > 20 and not failed


def test_every_socket_event_answers_hostile_fields(app, staff, resident):
    chat = resident()
    started = emit(chat, "/chat", "start", {"department": "registry", "consent": True})
    ewa = staff(EWA)
    sockets = (("/staff", ewa, {"interaction_id": started["status"]["interaction_id"]}),
               ("/chat", chat, {"token": started["token"]}))
    failed = []
    for namespace, sio, base in sockets:
        events = sorted(set(socketio.server.handlers[namespace]) - {"connect", "disconnect"})
        for event in events:
            for key in ("interaction_id", "after", "body", "token"):
                for value in VALUES:
                    try:
                        ack = emit(sio, namespace, event, {**base, key: value})
                    except Exception as error:  # noqa: BLE001 - any escape is the failure
                        failed.append((namespace, event, key, repr(value)[:20], repr(error)))
                        continue
                    if not isinstance(ack, dict) or "ok" not in ack:
                        failed.append((namespace, event, key, repr(value)[:20], ack))
    assert not failed
