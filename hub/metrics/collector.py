"""What /metrics reports, read at scrape time from the record, Redis and RQ.

Hub-wide figures come from the database (the wallboard's snapshot, so the two always agree),
from the router's Redis keys and from the counters in Redis: every web process answers a
scrape with the same values. Only `okienko_up`, `okienko_build_info` and
`okienko_dependency_up` describe the process answering (label `process`, hostname:pid).
Labels carry department codes, channels and states, never a resident's or clerk's data.

Figures that need an unreachable database or Redis are left out of the answer, and
`okienko_dependency_up` says which is down; a source failing for another reason is logged and
left out too. The rest is still reported.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, or_, select, text

from hub.accounts.models import Department
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import CHANNELS, OPEN_STATES, Interaction, InteractionEvent
from hub.jobs import queue
from hub.metrics import counters
from hub.overload import loop_lag
from hub.queue import router
from hub.supervisor import wallboard

log = logging.getLogger(__name__)
SMS_STATES = ("sent", "retry", "failed", "delivered", "undelivered", "blocked_opt_out")


class HubCollector(Collector):
    """A prometheus_client collector reading live values each time it is collected."""

    def collect(self) -> Iterator[Metric]:
        up = {"database": _database_answers(), "redis": _redis_answers()}
        yield from _process(up)
        # What needs an unreachable dependency is left out quietly: dependency_up says why.
        needs: dict[Callable[[], Iterable[Metric]], tuple[str, ...]] = {
            _wallboard: ("database", "redis"), _record: ("database",),
            _router: ("redis",), _counters: ("redis",), _jobs: ("redis",),
        }
        for source, dependencies in needs.items():
            if not all(up[d] for d in dependencies):
                continue
            try:
                yield from list(source())  # all of a source or none of it
            except Exception:  # one source down must not blank the whole scrape
                log.warning("metrics: %s failed", source.__name__, exc_info=True)


def _gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        _roll_back()
        return False


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone too; the request's session is discarded anyway
        log.debug("metrics: rollback failed", exc_info=True)


def _redis_answers() -> bool:
    try:
        return bool(router().redis.ping())
    except Exception:
        return False


def _process(up: dict[str, bool]) -> Iterator[Metric]:
    process = f"{socket.gethostname()}:{os.getpid()}"  # read now: gunicorn may have forked
    alive = _gauge("okienko_up", "1: this web process answers.", ("process",))
    alive.add_metric([process], 1)
    yield alive
    dependencies = _gauge("okienko_dependency_up",
                          "1 when this process reaches the dependency (database, redis).",
                          ("process", "dependency"))
    for name, answers in up.items():
        dependencies.add_metric([process, name], 1 if answers else 0)
    yield dependencies
    info = _gauge("okienko_build_info", "The database schema revision this process sees.",
                  ("process", "schema"))
    info.add_metric([process, _schema_revision() if up["database"] else "unknown"], 1)
    yield info
    lag = loop_lag()
    if lag is not None:  # only a web process measures it
        late = _gauge("okienko_event_loop_lag_seconds", "The latest this web process's event "
                      "loop woke a sleeper in the last 2 s: past CHAT_ADMISSION_LAG_MS it "
                      "turns new chats away.", ("process",))
        late.add_metric([process], lag)
        yield late


def _schema_revision() -> str:
    try:
        return db.session.scalar(text("SELECT version_num FROM alembic_version")) or "none"
    except Exception:
        _roll_back()
        return "unknown"


def _wallboard() -> Iterator[Metric]:
    """Queues now, today's service level and staff: the supervisors' wallboard, as numbers."""
    board = wallboard.snapshot()
    by_channel = ("department", "channel")
    families = {
        "waiting": _gauge("okienko_queue_waiting",
                          "Contacts waiting for a clerk now (queued or offered).", by_channel),
        "longest_wait": _gauge("okienko_queue_oldest_wait_seconds",
                               "How long the oldest contact waiting now has waited.", by_channel),
        "offered": _gauge("okienko_contacts_today",
                          "Contacts queued since midnight (office's zone).", by_channel),
        "answered": _gauge("okienko_answered_today",
                           "Contacts queued today that a clerk has taken.", by_channel),
        "in_target": _gauge("okienko_answered_in_target_today",
                            "Contacts queued today taken within their answer target.",
                            by_channel),
        "counted": _gauge("okienko_sla_counted_today",
                          "Contacts queued today that count for the service level (answered, "
                          "or waiting or abandoned past their target): the SLA is "
                          "answered_in_target / sla_counted.", by_channel),
    }
    for department in board["departments"]:
        rows = {row["channel"]: row for row in department["channels"]}
        for channel in CHANNELS:
            row = rows.get(channel, {})
            for field, family in families.items():
                family.add_metric([department["code"], channel], row.get(field, 0))
    yield from families.values()

    clerks = _gauge("okienko_clerks", "Active staff accounts by presence status.", ("status",))
    for status, count in board["presence"].items():
        clerks.add_metric([status], count)
    yield clerks
    seats_total = _gauge("okienko_seats_total",
                         "Capacity (chat units) of the staff who are available now.")
    seats_total.add_metric([], sum(c["capacity"] for c in board["clerks"]
                                   if c["presence"] == "available"))
    yield seats_total
    seats_used = _gauge("okienko_seats_used",
                        "Capacity units taken by conversations and open offers, all staff.")
    seats_used.add_metric([], sum(c["busy"] for c in board["clerks"]))
    yield seats_used


def _record() -> Iterator[Metric]:
    """Figures the wallboard does not show: open contacts by state, texts' delivery."""
    contacts = _gauge("okienko_contacts_open",
                      "Open contacts by state (scheduled: a callback before its window).",
                      ("state",))
    counts = dict(db.session.execute(
        select(Interaction.state, func.count()).where(Interaction.state.in_(OPEN_STATES))
        .group_by(Interaction.state)).all())
    for state in OPEN_STATES:
        contacts.add_metric([state], counts.get(state, 0))
    yield contacts

    delivery = _gauge("okienko_sms_delivery_last_hour",
                      "Replies by text in the last hour, by what happened to them (sent to "
                      "Twilio, retried, failed, and Twilio's delivery reports).", ("state",))
    kinds = dict(db.session.execute(
        select(InteractionEvent.kind, func.count())
        .where(InteractionEvent.created_at >= utcnow() - timedelta(hours=1),
               or_(InteractionEvent.kind == "sms_sent",
                   InteractionEvent.kind.like("delivery\\_%", escape="\\")))
        .group_by(InteractionEvent.kind)).all())
    states = {("sent" if kind == "sms_sent" else kind.removeprefix("delivery_")): count
              for kind, count in kinds.items()}
    for state in sorted({*SMS_STATES, *states}):
        delivery.add_metric([state], states.get(state, 0))
    yield delivery


def _router() -> Iterator[Metric]:
    """The routing index in Redis (compare with okienko_queue_waiting: they should agree)."""
    offers = _gauge("okienko_offers_open", "Offers made to clerks and not yet answered.")
    offers.add_metric([], router().redis.zcard(router().prefix + "offers"))
    yield offers
    queued = _gauge("okienko_router_queued",
                    "Contacts in the router's waiting sets (not yet offered).", ("department",))
    prefix = router().prefix + "queue:"
    # Redis drops an empty set: the record's departments keep a series at 0 for each.
    found = {key.removeprefix(prefix)
             for key in router().redis.scan_iter(match=prefix + "*", count=1000)}
    codes = sorted(found | set(_department_codes()))
    pipe = router().redis.pipeline(transaction=False)
    for code in codes:
        pipe.zcard(prefix + code)
    for code, count in zip(codes, pipe.execute(), strict=True):
        queued.add_metric([code], count)
    yield queued


def _department_codes() -> list[str]:
    try:
        return list(db.session.scalars(select(Department.code).where(Department.active)))
    except Exception:  # the database is out: the departments Redis knows will do
        _roll_back()
        return []


def _counters() -> Iterator[Metric]:
    """What every process counted in Redis: responses, socket failures, answer waits."""
    http = counters.http_responses()
    responses = CounterMetricFamily("okienko_http_responses",
                                    "HTTP responses sent, by status class.",
                                    labels=["status_class"])
    for status_class in counters.STATUS_CLASSES:
        responses.add_metric([status_class], http[status_class])
    yield responses
    yield CounterMetricFamily("okienko_http_errors",
                              "HTTP responses with a server error (5xx).", value=http["5xx"])
    yield CounterMetricFamily("okienko_http_rate_limited",
                              "HTTP requests refused by a rate limit (429).", value=http["429"])
    socket_errors = CounterMetricFamily(
        "okienko_socket_errors", "Socket.IO handlers that failed: kind unavailable (database "
        "or Redis out) or error (a bug).", labels=["namespace", "kind"])
    for (namespace, kind), count in sorted(counters.socket_errors().items()):
        socket_errors.add_metric([namespace, kind], count)
    yield socket_errors
    refused = CounterMetricFamily(
        "okienko_chats_refused", "New web chats turned away: reason busy (a web process had "
        "fallen behind, CHAT_ADMISSION_LAG_MS).", labels=["reason"])
    for reason, count in sorted({"busy": 0, **counters.chats_refused()}.items()):
        refused.add_metric([reason], count)
    yield refused
    waits = HistogramMetricFamily(
        "okienko_wait_seconds", "How long contacts waited from queueing until a clerk took "
        "them, counted when taken.", labels=["department", "channel"])
    for (department, channel), histogram in sorted(counters.waits().items()):
        waits.add_metric([department, channel], histogram.buckets, histogram.total)
    yield waits


def _jobs() -> Iterator[Metric]:
    """The hub's RQ queue (texts, e-mails, calls): read only, nothing is cleaned up here."""
    from rq import Worker

    jobs = queue()
    figures = {
        "queued": (jobs.count, "Jobs waiting for a worker."),
        "started": (jobs.started_job_registry.get_job_count(cleanup=False),
                    "Jobs a worker is running now."),
        "scheduled": (jobs.scheduled_job_registry.get_job_count(cleanup=False),
                      "Jobs waiting for their time, retries included."),
        "failed": (jobs.failed_job_registry.get_job_count(cleanup=False),
                   "Jobs that failed after their last try, kept in RQ's failed registry."),
    }
    for name, (value, documentation) in figures.items():
        family = _gauge(f"okienko_jobs_{name}", documentation)
        family.add_metric([], value)
        yield family
    workers = _gauge("okienko_job_workers", "Workers registered on the hub's job queue.")
    workers.add_metric([], Worker.count(queue=jobs))
    yield workers
