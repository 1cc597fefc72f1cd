"""Supervisors: live queues, the wallboard and the log of interactions with their timelines."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import format_date, format_percent
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub.accounts.models import Department, User
from hub.booking.figures import office_figures
from hub.booking.slots import to_local
from hub.callbacks import service as callbacks
from hub.clock import utcnow
from hub.extensions import db
from hub.i18n import current_language
from hub.interactions.dispositions import DISPOSITIONS
from hub.interactions.events import record
from hub.interactions.models import Interaction, InteractionEvent
from hub.queue import router
from hub.security import role_required
from hub.supervisor import timeline, wallboard
from hub.supervisor.labels import CHANNEL_LABELS, STATE_LABELS

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.get("")
@role_required("supervisor")
def index():
    departments = db.session.scalars(select(Department).where(Department.active)).all()
    queues = [
        {"department": d, "waiting": router().waiting_count(d.code),
         "staffed": router().staffed_slots(d.code)}
        for d in departments
    ]
    clerks = db.session.scalars(select(User).where(User.active).order_by(User.name)).all()
    # Capacity in use counts units (a call fills the clerk), then the open offers.
    loads = {c.id: (min(router().busy_units(c.id), c.capacity), router().clerk_load(c.id)[1])
             for c in clerks}
    return render_template("supervisor/index.html", queues=queues, clerks=clerks, loads=loads)


@bp.get("/live")
@role_required("supervisor")
def live():
    """The wallboard: rendered whole here, then kept current over the staff socket."""
    now = utcnow()
    departments = db.session.scalars(select(Department).where(Department.active)).all()
    return render_template(
        "supervisor/live.html", board=wallboard.snapshot(now), now=now,
        department_names={d.code: d.name(current_language()) for d in departments},
        target_text=target_text,
        channel_targets={channel: target_text(seconds) for channel, seconds
                         in current_app.config["CHANNEL_SLA_SECONDS"].items()},
    )


def target_text(seconds: int) -> str:
    """An answer target for people: "target: 2 min", "target: 24 h", "target: 90 s"."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return _("target: %(hours)s h", hours=seconds // 3600)
    if seconds >= 60 and seconds % 60 == 0:
        return _("target: %(minutes)s min", minutes=seconds // 60)
    return _("target: %(seconds)s s", seconds=seconds)


@bp.get("/bookings")
@role_required("supervisor")
def bookings():
    """Visit figures per office for a range of days (this month unless chosen)."""
    today = to_local(utcnow()).date()
    month_start = today.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    first = _date_arg("from", month_start)
    last = _date_arg("to", month_end)
    error = None
    if last < first:
        error = _("The end of the period is before its start.")
        first, last = month_start, month_end
    elif (last - first).days > 366:
        error = _("Please choose a period of at most a year.")
        first, last = month_start, month_end
    return render_template("supervisor/bookings.html", figures=office_figures(first, last),
                           first=first, last=last, error=error, percent=_percent,
                           day_text=lambda d: format_date(d, "d MMMM y"))


def _percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


def _date_arg(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return default


@bp.get("/interactions/<int:interaction_id>")
@role_required("supervisor")
def interaction(interaction_id: int):
    """Transcript with notes, and the full timeline; opening it is itself logged."""
    item = db.session.get(Interaction, interaction_id) or abort(404)
    events = db.session.scalars(
        select(InteractionEvent)
        .where(InteractionEvent.interaction_id == interaction_id)
        .order_by(InteractionEvent.id)
    ).all()
    staff = {u.id: u for u in db.session.scalars(select(User))}
    record(None, "transcript_viewed", current_user._get_current_object(),
           interaction_id=interaction_id)
    db.session.commit()
    callback = callbacks.callback_of(item) if item.channel == "callback" else None
    return render_template(
        "supervisor/interaction.html", item=item, events=events, staff=staff,
        callback=callback, window=callbacks.window_of(callback) if callback else None,
        attempts=callbacks.attempts_of(item) if callback else [],
        times=timeline.derived_times(item, events), timeline=timeline,
        departments={d.code: d for d in db.session.scalars(select(Department))},
        channel_labels=CHANNEL_LABELS, state_labels=STATE_LABELS, dispositions=DISPOSITIONS,
    )
