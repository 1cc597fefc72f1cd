"""Jobs run inside the hub: the app's queue, and an app context for job functions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, has_app_context
from rq import Queue

from queueing.jobs import enqueue, make_queue

_worker_app: Flask | None = None


def queue() -> Queue:
    app = current_app
    if "okienko.queue" not in app.extensions:
        # Named after the hub's key prefix, so hubs sharing one Redis never run each
        # other's jobs (against the wrong database).
        app.extensions["okienko.queue"] = make_queue(
            app.config["REDIS_URL"], name=app.config["REDIS_PREFIX"] + "jobs",
            is_async=app.config["JOBS_ASYNC"],
        )
    return app.extensions["okienko.queue"]


def submit(func: Callable[..., Any], *args: Any) -> None:
    """Enqueue a job with the configured retry intervals."""
    enqueue(queue(), func, *args, retry_intervals=current_app.config["JOB_RETRY_INTERVALS"])


def in_app_context(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a job function inside the hub's app (a worker builds one app, once)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _worker_app
        if has_app_context():
            return func(*args, **kwargs)
        if _worker_app is None:
            from hub import create_app

            _worker_app = create_app()
        with _worker_app.app_context():
            return func(*args, **kwargs)

    return wrapper
