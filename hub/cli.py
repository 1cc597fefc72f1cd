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
hours = AppGroup("hours", help="Departments' weekly opening hours.")
jobs = AppGroup("jobs", help="Background jobs (RQ): sending SMS and calls.")


@jobs.command("work")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def jobs_work(burst: bool) -> None:
    """Run a worker that does not fork per job (RQ SimpleWorker), with the retry scheduler."""
    from hub.jobs import queue as job_queue
    from queueing.jobs import work

    work([job_queue()], burst=burst)
queue = AppGroup("queue", help="The routing queue in Redis.")


@demo.command("load")
def demo_load() -> None:
    """Create demo departments and staff (safe to repeat)."""
    print_logins(load_demo())


@demo.command("history")
def demo_history() -> None:
    """Add four weeks of past contacts to an empty log (for the log, reviews and reports)."""
    from hub.demo_history import load_demo_history

    click.echo(f"Added {load_demo_history()} past contacts.")


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


@hours.command("show")
def hours_show() -> None:
    """Every department's hours."""
    from sqlalchemy import select

    from hub.accounts.models import Department
    from hub.hours import spec
    from hub.hours.models import DepartmentHours

    for department in db.session.scalars(select(Department).order_by(Department.id)):
        week: dict = {}
        for row in db.session.scalars(select(DepartmentHours).where(
                DepartmentHours.department_id == department.id)):
            week.setdefault(row.weekday, []).append((row.opens, row.closes))
        click.echo(f"{department.code:<12} {spec.render(week)}")


@hours.command("set")
@click.argument("department")
@click.argument("weekly", required=False, default="")
def hours_set(department: str, weekly: str) -> None:
    """Replace a department's hours, e.g. "mo-fr 8:00-16:00; th 8:00-17:00".

    With no WEEKLY the department answers around the clock. Public holidays are closed.
    """
    from sqlalchemy import delete, select

    from hub.accounts.models import Department
    from hub.hours import spec
    from hub.hours.models import DepartmentHours
    from hub.interactions.events import record

    found = db.session.scalar(select(Department).where(Department.code == department))
    if found is None:
        raise click.BadParameter(f"no department {department!r}", param_hint="DEPARTMENT")
    try:
        week = spec.parse(weekly)
    except spec.SpecError as error:
        raise click.BadParameter(str(error), param_hint="WEEKLY") from None
    db.session.execute(delete(DepartmentHours).where(DepartmentHours.department_id == found.id))
    for day, ranges in week.items():
        for opens, closes in ranges:
            db.session.add(DepartmentHours(department_id=found.id, weekday=day,
                                           opens=opens, closes=closes))
    record(None, "hours_changed", "system", department=department, hours=spec.render(week))
    db.session.commit()
    click.echo(f"{department}: {spec.render(week)}")


departments = AppGroup("departments", help="Departments' settings.")


@departments.command("video-calls")
@click.argument("department")
@click.argument("allowed", type=click.Choice(["on", "off"]))
def departments_video_calls(department: str, allowed: str) -> None:
    """Let residents ask for a video call from the widget in DEPARTMENT (on), or not (off)."""
    from sqlalchemy import select

    from hub.accounts.models import Department
    from hub.interactions.events import record

    found = db.session.scalar(select(Department).where(Department.code == department))
    if found is None:
        raise click.BadParameter(f"no department {department!r}", param_hint="DEPARTMENT")
    found.video_calls = allowed == "on"
    record(None, "department_video_calls", "system", department=department, allowed=allowed)
    db.session.commit()
    click.echo(f"{department}: video calls {allowed}")


privacy = AppGroup("privacy", help="Residents' personal data: the retention purge.")


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what is past retention.")
def privacy_purge(dry_run: bool) -> None:
    """Anonymise residents' personal data past the retention period now."""
    from hub.privacy import retention
    from hub.privacy.storage import compact_fulltext

    cut = retention.cutoff()
    if dry_run:
        counts = retention.count_before(cut)
        click.echo(f"Past retention (ended before {cut:%Y-%m-%d %H:%M} UTC): "
                   + ", ".join(f"{kind} {n}" for kind, n in counts.items()))
        return
    done = retention.purge()
    compact_fulltext()
    click.echo(f"Anonymised (ended before {cut:%Y-%m-%d %H:%M} UTC): "
               + ", ".join(f"{kind} {n}" for kind, n in done.as_dict().items()))


review = AppGroup("review", help="Quality review: the weekly sample and the reactive list.")


@review.command("sample")
@click.option("--week", help="A day of the week to draw (YYYY-MM-DD); default: last week.")
def review_sample(week: str | None) -> None:
    """Draw a week's random review sample (drawing again adds nothing)."""
    from datetime import date

    from hub.errors import InvalidInput
    from hub.review import sampling

    try:
        monday = sampling.monday_of(date.fromisoformat(week)) if week \
            else sampling.last_full_week()
        drawn = sampling.draw(monday)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--week") from None
    except InvalidInput:
        raise click.BadParameter("a sample is drawn once the week is over",
                                 param_hint="--week") from None
    click.echo(f"Week of {monday:%Y-%m-%d}: {sum(len(i) for i in drawn.values())} drawn "
               f"for {len(drawn)} clerks.")


@review.command("reactive")
@click.option("--days", default=7, show_default=True, help="Look back this many days.")
def review_reactive(days: int) -> None:
    """Bring the reactive review list up to date over the last days."""
    from datetime import timedelta

    from hub.clock import utcnow
    from hub.review import reactive

    changed = reactive.update_reactive(utcnow() - timedelta(days=days))
    click.echo(f"Reactive list: {changed} added or changed.")


log = AppGroup("log", help="The interaction log's hash chain (tamper check).")


@log.command("verify")
def log_verify() -> None:
    """Recompute the chain; exit status 1 when it is broken. The check is itself logged."""
    from hub.interactions import chain
    from hub.interactions.events import record

    result = chain.check()
    record(None, "log_verified", "system", intact=result.intact, broken_at=result.broken_at,
           checked=result.checked, head_id=result.head_id, head_hash=result.head_hash)
    db.session.commit()
    if not result.intact:
        click.echo(f"BROKEN at event {result.broken_at} ({result.checked} sealed events "
                   "before it check out).")
        raise SystemExit(1)
    click.echo(f"Intact: {result.checked} sealed events, up to event {result.head_id} "
               f"(sealed at {result.sealed_at:%Y-%m-%d %H:%M:%S} UTC); "
               f"{result.pending} newer events not sealed yet." if result.head_id else
               f"Intact: nothing sealed yet; {result.pending} events not sealed yet.")


@log.command("seal")
def log_seal() -> None:
    """Seal every event old enough now (the sweep does this every few seconds)."""
    from hub.interactions import chain

    click.echo(f"Sealed {chain.seal_all()} events.")


@log.command("head")
def log_head() -> None:
    """Print the newest sealed event and its hash: keep it outside the database (daily)."""
    from hub.interactions import chain

    found = chain.head()
    if found is None:
        raise click.ClickException("nothing sealed yet")
    event_id, chain_hash, sealed_at = found
    click.echo(f"{event_id} {chain_hash} {sealed_at:%Y-%m-%dT%H:%M:%S}Z")


def init_app(app: Flask) -> None:
    app.cli.add_command(log)
    app.cli.add_command(review)
    app.cli.add_command(privacy)
    app.cli.add_command(demo)
    app.cli.add_command(hours)
    app.cli.add_command(departments)
    app.cli.add_command(jobs)
    app.cli.add_command(queue)
