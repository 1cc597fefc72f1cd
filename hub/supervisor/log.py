"""The interaction log: search, filters, CSV export and the audit trail."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub.accounts.models import Department, User
from hub.clock import to_local, utcnow
from hub.extensions import db
from hub.i18n import current_language
from hub.interactions import chain
from hub.interactions.dispositions import DISPOSITIONS
from hub.interactions.events import record
from hub.interactions.models import CHANNELS, Interaction, InteractionEvent
from hub.interactions.search import LogFilters, every, parse_filters, search
from hub.security import role_required
from hub.supervisor import audit as trail
from hub.supervisor import timeline
from hub.supervisor.labels import CHANNEL_LABELS, CSAT_CHOICES, MYSTERY_CHOICES, STATE_LABELS

bp = Blueprint("log", __name__, url_prefix="/supervisor")

CSV_HEADERS = ("ID", "Started", "Channel", "Department", "Clerk", "State", "Outcome",
               "Rating", "Tags", "Mystery shopper", "Queued", "Assigned", "First response",
               "Closed")
MAX_PAGE = 10000


@bp.get("/interactions", endpoint="search")
@role_required("supervisor")
def search_log():
    filters, errors = parse_filters(request.args)
    page = search(filters, page_number())
    return render_template(
        "supervisor/log.html", page=page, filters=filters, args=request.args,
        errors={name: error.message for name, error in errors.items()},
        link=lambda **extra: url_for("log.search", **query_args(filters), **extra),
        csv_link=url_for("log.export_csv", **query_args(filters)),
        narrowed=bool(set(query_args(filters)) - {"q"}),
        **choices(),
    )


def page_number() -> int:
    """?page=, from 1 to MAX_PAGE."""
    return min(max(1, request.args.get("page", 1, type=int)), MAX_PAGE)


def query_args(filters: LogFilters) -> dict[str, str]:
    """The valid filters as a query string, for the pager and the export link."""
    args = {
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
        "channel": filters.channel, "department": filters.department,
        "clerk": filters.clerk_id, "disposition": filters.disposition, "tag": filters.tag,
        "csat": filters.csat,
        "mystery": None if filters.mystery is None else ("yes" if filters.mystery else "no"),
        "q": filters.text or None,
    }
    return {k: str(v) for k, v in args.items() if v is not None}


def choices() -> dict[str, object]:
    """(value, label) pairs for the filters' lists, and the labels of the codes shown."""
    language = current_language()
    departments = db.session.scalars(select(Department).order_by(Department.id))
    clerks = db.session.scalars(select(User).order_by(User.name))
    return {
        "channel_options": [(c, CHANNEL_LABELS.get(c, c)) for c in CHANNELS],
        "department_options": [(d.code, d.name(language)) for d in departments],
        "clerk_options": [(str(c.id), c.name) for c in clerks],
        "disposition_options": list(DISPOSITIONS.items()),
        "csat_options": list(CSAT_CHOICES.items()),
        "mystery_options": [(k, v) for k, v in MYSTERY_CHOICES.items() if k != "any"],
        "mystery_any": MYSTERY_CHOICES["any"],
        "dispositions": DISPOSITIONS, "channel_labels": CHANNEL_LABELS,
        "state_labels": STATE_LABELS,
    }


@bp.get("/interactions.csv")
@role_required("supervisor")
def export_csv():
    """Every interaction the filters match, streamed; the export itself is logged."""
    filters, _errors = parse_filters(request.args)
    user = current_user._get_current_object()

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADERS)
        yield "\ufeff" + buffer.getvalue()  # the BOM tells Excel it is UTF-8
        rows = 0
        try:
            for item in every(filters):
                buffer.seek(0)
                buffer.truncate()
                writer.writerow([_cell(v) for v in csv_row(item)])
                rows += 1
                yield buffer.getvalue()
        finally:
            record(None, "log_exported", user, filters=filters.for_record(), rows=rows)
            db.session.commit()

    stamp = to_local(utcnow()).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="interactions-{stamp}.csv"'})


def csv_row(item: Interaction) -> list[object]:
    def when(moment):
        return to_local(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""

    return [item.id, when(item.created_at), item.channel, item.department.code,
            item.clerk.name if item.clerk else "", item.state, item.disposition or "",
            item.csat or "", " ".join(item.tags or []), "yes" if item.mystery_shopper else "no",
            when(item.queued_at), when(item.assigned_at), when(item.first_response_at),
            when(item.closed_at)]


def _cell(value: object) -> object:
    """A spreadsheet must not run a cell as a formula: text starting = + - @ (or a tab or
    carriage return) gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/audit")
@role_required("supervisor")
def audit():
    filters, errors = trail.parse_filters(request.args)
    page = page_number()
    events, older = trail.page_of(filters, page)
    args = {k: v for k, v in {
        "who": filters.who, "kind": filters.kind,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
    }.items() if v is not None}
    last_check = db.session.scalar(
        select(InteractionEvent).where(InteractionEvent.kind == "log_verified",
                                       InteractionEvent.interaction_id.is_(None))
        .order_by(InteractionEvent.id.desc()).limit(1))
    staff = {u.id: u for u in db.session.scalars(select(User).order_by(User.name))}
    return render_template(
        "supervisor/audit.html", events=events, page=page, older=older, args=request.args,
        errors={name: error.message for name, error in errors.items()},
        link=lambda **extra: url_for("log.audit", **args, **extra),
        staff=staff, departments=_departments(), head=chain.head(), last_check=last_check,
        known_kinds=trail.KNOWN_KINDS, phrase=timeline.phrase, who=timeline.who,
        details=timeline.details, is_access=trail.is_access,
    )


@bp.post("/audit/verify")
@role_required("supervisor")
def verify_chain():
    """Recompute the chain now; the outcome is logged and shown on the audit page."""
    result = chain.check()
    record(None, "log_verified", current_user._get_current_object(), intact=result.intact,
           broken_at=result.broken_at, checked=result.checked, head_id=result.head_id,
           head_hash=result.head_hash)
    db.session.commit()
    if result.intact:
        flash(_("The log is intact: %(count)s sealed events checked.", count=result.checked),
              "success")
    else:
        flash(_("The log has been tampered with: the chain breaks at event %(id)s.",
                id=result.broken_at), "error")
    return redirect(url_for("log.audit"))


def _departments() -> dict[str, Department]:
    return {d.code: d for d in db.session.scalars(select(Department))}
