"""What the steps of a chat message cost in CPU, each on its own, in one process.

The chat benchmark (bench/chat.py) measures the whole path under load, where a 10 % change
drowns in the shared machine's noise. This one times the steps that a change touches, in
CPU seconds of this process (not wall time: a Redis round trip's wait is not counted),
alternatives side by side in the same run:

- the chat message's rate limit: a Lua call in Redis, or counted in the process (what the
  message path does);
- the request context of a Socket.IO event: with Flask opening the signed session cookie,
  or with the connection's saved copy (hub/socket_session.py);
- reading the interaction (the ORM's get, and hub.interactions.lookup, which the message
  path uses) and storing a message (service.receive).

Run: .venv/bin/python bench/chat_steps.py [--rounds 3] [--count 3000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import add_database_arguments, cpus, environment  # noqa: E402


def cpu_per_call(step: Callable[[], object], count: int) -> float:
    """Microseconds of this process's CPU per call, after a short warm-up."""
    for _ in range(100):
        step()
    start = time.process_time()
    for _ in range(count):
        step()
    return (time.process_time() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=3000)
    add_database_arguments(parser)
    args = parser.parse_args()

    from bench.chat import SECRET_KEY, seed

    with environment(args, "steps.db") as env:
        conversations = seed(env.database_url, env.redis_url, env.work, 5)
        from flask import session
        from flask.sessions import SecureCookieSessionInterface
        from flask_socketio import _ManagedSession

        from hub import create_app, ratelimit
        from hub.extensions import db
        from hub.interactions import lookup, service
        from hub.interactions.models import Interaction
        from hub.socket_session import SocketSessionInterface

        app = create_app({
            "SQLALCHEMY_DATABASE_URI": env.database_url, "REDIS_URL": env.redis_url,
            "REDIS_PREFIX": "chatsteps:", "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "WARNING",
            "SOCKETIO_MESSAGE_QUEUE": False, "RATELIMIT_ENABLED": True,
            "RATELIMIT_CHAT_MESSAGES": "1000000 per minute"})
        interaction_id = conversations[0].interaction_id

        # A clerk's socket: its environ carries a signed-in session cookie.
        with app.test_request_context():
            session.update({"_user_id": "1000", "_fresh": True, "csrf_token": "x" * 40})
            response = app.response_class()
            app.session_interface.save_session(app, session, response)
            cookie = response.headers["Set-Cookie"].split(";")[0]
        environ = dict(app.test_request_context(
            "/socket.io/", headers={"Cookie": cookie}).request.environ)

        def event_context() -> None:
            with app.request_context(environ):
                pass

        sent = [0]

        def read_and_store() -> None:
            with app.app_context():
                interaction = lookup.interaction(interaction_id)
                sent[0] += 1
                service.receive(interaction, f"message {sent[0]}", f"steps-{sent[0]}")

        def read() -> None:
            with app.app_context():
                db.session.get(Interaction, interaction_id)

        def look_up() -> None:
            with app.app_context():
                lookup.interaction(interaction_id)

        print(f"{cpus()}; CPU µs per call, {args.count} calls, {args.rounds} rounds")
        rows: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            with app.test_request_context():
                rows.setdefault("rate limit (Redis)", []).append(cpu_per_call(
                    lambda: ratelimit.check("chat-message", "a", "RATELIMIT_CHAT_MESSAGES"),
                    args.count))
                rows.setdefault("rate limit (in the process)", []).append(cpu_per_call(
                    lambda: ratelimit.check_in_process("chat-message", "a",
                                                       "RATELIMIT_CHAT_MESSAGES"),
                    args.count))
            app.session_interface = SecureCookieSessionInterface()
            environ.pop("saved_session", None)
            rows.setdefault("event context, cookie opened (Flask)", []).append(
                cpu_per_call(event_context, args.count))
            app.session_interface = SocketSessionInterface()
            with app.request_context(environ):
                environ["saved_session"] = _ManagedSession(session)
            rows.setdefault("event context, the socket's copy", []).append(
                cpu_per_call(event_context, args.count))
            rows.setdefault("read the interaction (ORM get)", []).append(
                cpu_per_call(read, args.count))
            rows.setdefault("read the interaction (lookup)", []).append(
                cpu_per_call(look_up, args.count))
            rows.setdefault("look it up + store a message (receive)", []).append(
                cpu_per_call(read_and_store, args.count // 3))
        for name, values in rows.items():
            shown = " / ".join(f"{v:7.1f}" for v in values)
            print(f"{name:40s} {shown}   min {min(values):7.1f}")


if __name__ == "__main__":
    main()
