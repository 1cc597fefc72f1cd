"""Commands: `flask demo load`, `flask queue rebuild|sweep|run-router`."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup

from hub.demo import load_demo, print_logins
from hub.extensions import db
from hub.interactions import routing
from hub.queue import router
from hub.supervisor import wallboard

demo = AppGroup("demo", help="Demo data.")
queue = AppGroup("queue", help="The routing queue in Redis.")


@demo.command("load")
def demo_load() -> None:
    """Create demo departments and staff (safe to repeat)."""
    print_logins(load_demo())


@queue.command("rebuild")
def queue_rebuild() -> None:
    """Restore waiting queues and clerk load from the database (after Redis was lost)."""
    router().redis.delete(router().prefix + "built")
    count = routing.rebuild_queues()
    click.echo(f"Rebuilt the queues: {count} waiting.")


@queue.command("sweep")
def queue_sweep() -> None:
    """One routing pass: lapsed offers, absent clerks, routing, queue positions."""
    click.echo(routing.sweep())


@queue.command("run-router")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between sweeps.")
def queue_run_router(interval: float) -> None:
    """Sweep forever (the Procfile's router process)."""
    while True:
        routing.sweep()
        wallboard.push_if_due()
        db.session.remove()
        time.sleep(interval)


def init_app(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(queue)
