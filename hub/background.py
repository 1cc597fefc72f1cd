"""Work a web process does besides answering: the periodic routing sweep (and wallboard push)."""

from __future__ import annotations

import logging

from flask import Flask

from hub.extensions import socketio
from hub.interactions import routing
from hub.supervisor import wallboard
from queueing.connection import OUTAGES as REDIS_OUTAGES

log = logging.getLogger(__name__)


def start_sweeper(app: Flask) -> None:
    """Sweep every ROUTER_SWEEP_SECONDS; safe in many processes (each step is atomic)."""
    interval = app.config["ROUTER_SWEEP_SECONDS"]

    def loop() -> None:
        while True:
            try:
                with app.app_context():
                    routing.sweep()
                    wallboard.push_if_due()  # throttled: waits on the wallboard tick up
            except REDIS_OUTAGES as error:  # rebuild once it answers again
                routing.redis_lost()
                log.warning("routing sweep: Redis unreachable (%s)", error)
            except Exception:  # a failed pass must not stop the next one
                log.exception("routing sweep failed")
            socketio.sleep(interval)

    socketio.start_background_task(loop)
