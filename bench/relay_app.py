"""The chat bench's middle line: a plain Flask-SocketIO relay on the hub's own stack.

Served exactly as the Procfile serves the hub (gunicorn, one gevent worker, the Redis
message queue between processes), it does what a chat needs of Socket.IO and nothing of
what the hub adds: each side of a conversation joins its room on connect, and a `message`
event is acknowledged and emitted to the other side's room. No database, no login, no
token, no rate limit. The hub's cost above this line is the hub's own; this line's cost
above the bare websocket floor is the stack's (docs/performance.md, "Chat").

With RELAY_DATABASE_URL set (bench/chat.py --relay-commit, a copy of the hub's database),
each message is first committed as the hub's design asks: a row in `messages` (with its
indexes and full-text trigger) and its `message_in` row in `interaction_events`, in one
transaction through SQLAlchemy Core, SQLite set up as the hub sets it up. That is the least
the hub's record of a message costs on this stack; what the hub spends above this line
with it is how it gets there (ORM, checks, signals), not what it keeps. With
RELAY_GROUP_COMMIT set as well (--relay-group-commit), the messages that arrive together
share one transaction (an experiment for docs/performance.md; the hub does not do this).

Run by bench/chat.py: gunicorn ... 'bench.relay_app:create_app()'
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, request
from flask_socketio import SocketIO, join_room
from sqlalchemy import Engine, MetaData, Table, create_engine, event, insert

NAMESPACE = "/relay"
OTHER_SIDE = {"r": "c", "c": "r"}

socketio = SocketIO()
_store: dict[str, Engine] = {}
_inserts: dict = {}


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
    if "engine" in _store:  # committed before it is delivered
        message = _message_row(int(pair), side, body)
        if "batches" in _store:
            _store["batches"].commit(message)
        else:
            with _store["engine"].begin() as connection:
                message_id = connection.execute(_inserts["messages"], message
                                                ).inserted_primary_key[0]
                connection.execute(_inserts["interaction_events"],
                                   _event_row(message, message_id))
    socketio.emit("message", {"body": body}, to=f"{pair}:{OTHER_SIDE[side]}",
                  namespace=NAMESPACE)
    return {"ok": True}


def _message_row(pair: int, side: str, body: str) -> dict:
    # The pair's number stands in for its interaction (foreign keys are not enforced on
    # this connection, as the copy's interactions are not the pairs).
    return {"interaction_id": pair, "kind": "in" if side == "r" else "out", "body": body,
            "author_id": None, "client_id": None, "delivery": "stored",
            "created_at": datetime.now(UTC)}


def _event_row(message: dict, message_id: int) -> dict:
    inbound = message["kind"] == "in"
    return {"interaction_id": message["interaction_id"],
            "kind": "message_in" if inbound else "message_out",
            "actor_type": "resident" if inbound else "clerk", "actor_id": None,
            "data": {"message_id": message_id}, "created_at": message["created_at"]}


class GroupCommit:
    """--relay-group-commit: the messages whose handlers ran while the last transaction was
    being written go into the next one together; each handler waits for its commit."""

    def __init__(self, engine: Engine, table: Table) -> None:
        from gevent.queue import Queue

        self.engine = engine
        self.insert = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        self.waiting = Queue()
        socketio.start_background_task(self._run)

    def commit(self, message: dict) -> None:
        from gevent.event import AsyncResult

        done = AsyncResult()
        self.waiting.put((message, done))
        done.get()

    def _run(self) -> None:
        while True:
            batch = [self.waiting.get()]
            while not self.waiting.empty():
                batch.append(self.waiting.get_nowait())
            messages = [message for message, _ in batch]
            try:
                with self.engine.begin() as connection:
                    ids = [row.id for row in connection.execute(self.insert, messages)]
                    events = [_event_row(message, message_id)
                              for message, message_id in zip(messages, ids, strict=True)]
                    connection.execute(_inserts["interaction_events"], events)
            except Exception as error:  # noqa: BLE001 - each waiter gets it
                for _, done in batch:
                    done.set_exception(error)
            else:
                for _, done in batch:
                    done.set(None)


def _sqlite_as_the_hub(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "relay")
    app.add_url_rule("/healthz", "healthz", lambda: "ok")
    socketio.init_app(app, message_queue=os.environ["REDIS_URL"],
                      channel=os.environ.get("REDIS_PREFIX", "") + "relay",
                      async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "gevent"))
    if os.environ.get("RELAY_DATABASE_URL"):
        engine = create_engine(os.environ["RELAY_DATABASE_URL"],
                               connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_as_the_hub)
        tables = MetaData()
        tables.reflect(engine, only=["messages", "interaction_events"])
        _inserts.update({name: insert(table) for name, table in tables.tables.items()})
        _store["engine"] = engine
        if os.environ.get("RELAY_GROUP_COMMIT"):
            _store["batches"] = GroupCommit(engine, tables.tables["messages"])
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("message", on_message, namespace=NAMESPACE)
    if os.environ.get("RELAY_HUB_GC"):  # --relay-gc: the hub's own settings, to compare
        from app import collect_garbage_rarely

        collect_garbage_rarely()
    return app
