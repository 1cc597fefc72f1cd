"""The chat bench's middle line: a plain Flask-SocketIO relay on the hub's own stack.

Served exactly as the Procfile serves the hub (gunicorn, one gevent worker, the Redis
message queue between processes), it does what a chat needs of Socket.IO and nothing of
what the hub adds: each side of a conversation joins its room on connect, and a `message`
event is acknowledged and emitted to the other side's room. No database, no login, no
token, no rate limit. The hub's cost above this line is the hub's own; this line's cost
above the bare websocket floor is the stack's (docs/performance.md, "Chat").

Run by bench/chat.py: gunicorn ... 'bench.relay_app:create_app()'
"""

from __future__ import annotations

import os

from flask import Flask, request
from flask_socketio import SocketIO, join_room

NAMESPACE = "/relay"
OTHER_SIDE = {"r": "c", "c": "r"}

socketio = SocketIO()


def on_connect(auth: object = None) -> bool:
    pair, side = request.args.get("pair", ""), request.args.get("side", "")
    if not pair.isdigit() or side not in OTHER_SIDE:
        return False
    join_room(f"{pair}:{side}")
    return True


def on_message(data: object) -> dict:
    body = data.get("body") if isinstance(data, dict) else None
    if not isinstance(body, str):
        return {"ok": False}
    pair, side = request.args["pair"], request.args["side"]
    socketio.emit("message", {"body": body}, to=f"{pair}:{OTHER_SIDE[side]}",
                  namespace=NAMESPACE)
    return {"ok": True}


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "relay")
    app.add_url_rule("/healthz", "healthz", lambda: "ok")
    socketio.init_app(app, message_queue=os.environ["REDIS_URL"],
                      channel=os.environ.get("REDIS_PREFIX", "") + "relay",
                      async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "gevent"))
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("message", on_message, namespace=NAMESPACE)
    if os.environ.get("RELAY_HUB_GC"):  # --relay-gc: the hub's own settings, to compare
        from app import collect_garbage_rarely

        collect_garbage_rarely()
    return app
