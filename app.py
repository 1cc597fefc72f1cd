"""Okienko's entry point: `python app.py` serves a whole hub on the embedded default.

It upgrades the database, loads demo data into an empty one, starts the routing sweep and a
job worker process (SMS sending), and serves HTTP and Socket.IO on 127.0.0.1:5000
(see --help). Production runs
`gunicorn 'app:create_web_app()'` from the Procfile instead.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import signal
import subprocess
import sys

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from hub import create_app
from hub.background import start_sweeper
from hub.overload import start_watching

GC_YOUNG_THRESHOLD = 20_000  # allocations between young collections (Python's default: 700)


def create_web_app() -> Flask:
    """The app as a web process runs it: with the periodic routing sweep and the watch on
    its event loop that turns new chats away when it falls behind."""
    app = create_app()
    if app.config["ROUTER_SWEEP_IN_WEB"]:
        start_sweeper(app)
    start_watching(app)
    collect_garbage_rarely()
    return app


def collect_garbage_rarely() -> None:
    """The web process's garbage collection, once its app is built."""
    # Every full garbage collection would scan the ~160,000 objects the app is built of
    # (~150 ms, a pause for every socket of the process); frozen, only newer ones are.
    gc.freeze()
    # A chat message allocates thousands of objects: with the default 700 a young
    # collection, every tenth of them a middle one and every hundredth a full one, which
    # scans every socket's state. Rarer collections: p99 99 ms instead of 296 ms at 500
    # messages a second (docs/performance.md, "Chat").
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)


def prepare(app: Flask, demo: bool) -> None:
    """Migrate the database; on an empty one, load the demo data and print its logins."""
    from hub.accounts.models import Department
    from hub.demo import load_demo, print_logins
    from hub.demo_history import load_demo_history
    from hub.extensions import db
    from hub.reports.demo import load_demo_reports
    from hub.review.defaults import ensure_default_scorecard
    from hub.review.mystery import load_demo_mystery

    with app.app_context():
        upgrade()
        if ensure_default_scorecard():  # the city's scorecard, so reviews can start at once
            db.session.commit()
        if demo and db.session.scalar(select(Department.id).limit(1)) is None:
            print_logins(load_demo())
            if os.environ.get("DEMO_HISTORY", "1") != "0":
                print(f"Demo history: {load_demo_history()} past contacts over four weeks, "
                      f"{load_demo_mystery()} of them mystery-shopper chats.")
                visits, reviews = load_demo_reports()
                print(f"Demo history: {visits} past office visits and {reviews} reviews.")


def start_worker(app: Flask) -> None:
    """A job worker process on the same Redis, stopped when this process exits."""
    env = {**os.environ, "REDIS_URL": app.config["REDIS_URL"]}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "jobs", "work"],
                              cwd=os.path.dirname(os.path.abspath(__file__)), env=env)
    atexit.register(worker.terminate)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Okienko hub.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 5000)))
    parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
    parser.add_argument("--no-worker", action="store_true",
                        help="do not start a job worker (SMS sending) beside the server")
    args = parser.parse_args()
    # Served on this machine only, the hub is a try-out: the test phone is on unless refused.
    if args.host in ("127.0.0.1", "localhost", "::1"):
        os.environ.setdefault("DEV_PHONE", "1")

    from hub.extensions import socketio

    # SIGTERM ends the process like Ctrl+C, so atexit stops the embedded Redis server too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = create_web_app()
    prepare(app, demo=not args.no_demo)
    if not args.no_worker:
        start_worker(app)
    print(f"Okienko serves on http://{args.host}:{args.port}/", flush=True)
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True,
                 use_reloader=False, log_output=False)


if __name__ == "__main__":
    main()
