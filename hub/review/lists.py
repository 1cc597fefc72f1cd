"""Supervisors' pages: the review lists (weekly random sample, reactive list), calibration
sessions and mystery-shopper contacts. The rules live in hub.review.sampling, .reactive,
.calibration and .mystery; this module reads forms and shows pages. Scoring itself is the
review form (review.edit), begun through review.start or, for calibration, here.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from hub.accounts.models import Department, User
from hub.callbacks.routes import cancel_link
from hub.callbacks.windows import find_window, windows
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.review import calibration, mystery, reactive, sampling
from hub.review.models import Calibration, Review, ReviewListItem
from hub.review.service import current_version
from hub.security import role_required

bp = Blueprint("review_lists", __name__, url_prefix="/supervisor")
PAGE_SIZE = 50

CHANNEL_LABELS = {
    "webchat": _l("Web chat"), "sms": _l("SMS"), "callback": _l("Callback"),
    "booking": _l("Booking"), "form": _l("Form"),
}
REASON_LABELS = {
    "low_rating": _l("Rated 1–2 stars"),
    "complaint": _l("Complaint"),
    "past_sla": _l("Answered late"),
    "repeat_contact": _l("Repeat contact"),
}
MYSTERY_CHANNELS = {"webchat": _l("Chat"), "sms": _l("SMS"), "callback": _l("Callback")}


def _me() -> User:
    return current_user._get_current_object()


@bp.app_context_processor
def _labels() -> dict:
    return {"channel_labels": CHANNEL_LABELS, "reason_labels": REASON_LABELS}


@bp.app_template_filter("format_day")
def format_day(day: date) -> str:
    return format_date(day, "d MMMM yyyy")


@bp.app_template_filter("format_week")
def format_week(monday: date) -> str:
    """'16–22 November 2026' (the week's Monday to Sunday)."""
    return _("%(start)s – %(end)s", start=format_date(monday, "d MMM"),
             end=format_date(monday + timedelta(days=6), "d MMM yyyy"))


@bp.app_template_filter("signed")
def signed(value: float | None) -> str:
    """A difference with its sign: '+1', '−0.5', '0'."""
    if value is None:
        return "—"
    text = format_decimal(abs(value), "#,##0.##")
    return text if value == 0 else ("+" if value > 0 else "−") + text


@bp.app_template_filter("decimal")
def decimal(value: float | None) -> str:
    return "—" if value is None else format_decimal(value, "#,##0.00")


@bp.app_template_filter("points")
def points(share: float | None, signed: bool = True) -> str:
    """A difference of two scores (0..1) in percentage points: '+12.5 pp'."""
    if share is None:
        return "—"
    value = round(share * 100, 1)
    text = format_decimal(abs(value) if signed else value, "#,##0.#")
    if signed and value:
        text = ("+" if value > 0 else "−") + text
    return _("%(value)s pp", value=text)


def _week_arg() -> date:
    try:
        return sampling.monday_of(date.fromisoformat(request.values.get("week") or ""))
    except ValueError:
        return sampling.last_full_week()


def _reviews_for(items: list[ReviewListItem]) -> dict[int, Review]:
    """List item id → its review: the one begun from the list, else the latest of that
    interaction and kind (begun from the interaction's page)."""
    found = {item.id: item.review for item in items if item.review is not None}
    missing = {(i.interaction_id, i.kind): i.id for i in items if i.id not in found}
    if missing:
        for review in db.session.scalars(
            select(Review).where(Review.interaction_id.in_([k[0] for k in missing]),
                                 Review.kind.in_(("random", "reactive"))).order_by(Review.id)
        ):
            item_id = missing.get((review.interaction_id, review.kind))
            if item_id is not None:
                found[item_id] = review
    return found


# -- the review lists ------------------------------------------------------------------------


@bp.get("/review-lists")
@role_required("supervisor")
def lists():
    """The week's random sample grouped by clerk, and the reactive list with its reasons."""
    week = _week_arg()
    weeks = sampling.recent_weeks()
    if week not in weeks:
        weeks = sorted({*weeks, week}, reverse=True)
    sample = list(db.session.scalars(
        select(ReviewListItem).where(ReviewListItem.kind == "random", ReviewListItem.week == week)
        .options(selectinload(ReviewListItem.interaction))
        .order_by(ReviewListItem.interaction_id)
    ))
    clerks = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({i.clerk_id for i in sample})))}
    by_clerk: dict[int, list[ReviewListItem]] = {}
    for item in sample:
        by_clerk.setdefault(item.clerk_id, []).append(item)
    groups = sorted(by_clerk.items(), key=lambda pair: clerks[pair[0]].name if pair[0] in clerks
                    else "")

    show_all = request.args.get("reactive") == "all"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = select(ReviewListItem).where(ReviewListItem.kind == "reactive")
    if not show_all:  # nobody has begun a reactive review of it, from here or elsewhere
        query = query.where(ReviewListItem.review_id.is_(None), ~exists().where(
            Review.interaction_id == ReviewListItem.interaction_id, Review.kind == "reactive"))
    reactive_items = list(db.session.scalars(
        query.options(selectinload(ReviewListItem.interaction).selectinload(Interaction.clerk))
        .order_by(ReviewListItem.interaction_id.desc())
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ))
    more = len(reactive_items) > PAGE_SIZE
    reactive_items = reactive_items[:PAGE_SIZE]
    return render_template(
        "review_lists/lists.html", week=week, weeks=weeks, week_end=week + timedelta(days=6),
        week_over=week <= sampling.last_full_week(), groups=groups, clerks=clerks,
        reactive_items=reactive_items, show_all=show_all, page=page, more=more,
        reviews=_reviews_for(sample + reactive_items),
    )


@bp.post("/review-lists/draw")
@role_required("supervisor")
def draw():
    """Draw the chosen week's sample (nothing changes when it was drawn already)."""
    week = _week_arg()
    try:
        drawn = sampling.draw(week)
    except InvalidInput as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for(".lists", week=week.isoformat()))
    if drawn:
        flash(_("Drew %(count)s interactions for %(clerks)s clerks.",
                count=sum(len(items) for items in drawn.values()), clerks=len(drawn)), "success")
    else:
        flash(_("Nothing new to draw: the sample for this week is complete."), "success")
    return redirect(url_for(".lists", week=week.isoformat()))


@bp.post("/review-lists/reactive")
@role_required("supervisor")
def refresh_reactive():
    """Look for new reactive contacts now (the sweep does it every half minute)."""
    changed = reactive.reactive_due(force=True)
    flash(_("The reactive list is up to date: %(count)s added or changed.", count=changed),
          "success")
    return redirect(url_for(".lists", _anchor="reactive-heading"))


# -- calibration -----------------------------------------------------------------------------


def _offered_interactions(per_list: int = 15) -> dict[str, list[ReviewListItem]]:
    """To pick from for a session: the latest of each review list, newest contacts first."""
    offered: dict[str, list[ReviewListItem]] = {}
    for kind in ("random", "reactive"):
        offered[kind] = list(db.session.scalars(
            select(ReviewListItem).where(ReviewListItem.kind == kind)
            .options(selectinload(ReviewListItem.interaction))
            .order_by(ReviewListItem.interaction_id.desc()).limit(per_list)
        ))
    return offered


def _progress_counts(sessions: list[Calibration]) -> dict[int, tuple[int, int]]:
    """Session id → (submitted reviews, expected reviews)."""
    done = dict(db.session.execute(
        select(Review.calibration_id, func.count())
        .where(Review.calibration_id.in_([s.id for s in sessions]),
               Review.submitted_at.is_not(None))
        .group_by(Review.calibration_id)
    ).all()) if sessions else {}
    return {s.id: (done.get(s.id, 0), len(s.participants) * len(s.interactions))
            for s in sessions}


def _calibrations_page(errors: dict | None = None, entered: dict | None = None,
                       status: int = 200):
    sessions = calibration.sessions()
    return render_template(
        "review_lists/calibrations.html", sessions=sessions,
        counts=_progress_counts(sessions), offered=_offered_interactions(),
        staff=calibration.eligible_staff(), errors=errors or {}, version=current_version(),
        entered=entered or {"participants": [_me().id], "lead": _me().id},
    ), status


@bp.get("/calibrations")
@role_required("supervisor")
def calibrations():
    return _calibrations_page()


@bp.post("/calibrations")
@role_required("supervisor")
def create_calibration():
    form = request.form
    entered = {
        "title": form.get("title", ""), "numbers": form.get("numbers", ""),
        "interactions": [int(v) for v in form.getlist("interaction") if v.isdigit()],
        "participants": [int(v) for v in form.getlist("participant") if v.isdigit()],
        "lead": form.get("lead", type=int),
    }
    try:
        session = calibration.create(_me(), entered["title"], entered["interactions"],
                                     entered["participants"], entered["lead"],
                                     numbers=entered["numbers"])
    except calibration.InvalidCalibration as refused:
        db.session.rollback()
        errors = {name: problem.message for name, problem in refused.problems.items()}
        return _calibrations_page(errors, entered, 400)
    flash(_("The calibration session was created. Participants score each interaction "
            "from this page."), "success")
    return redirect(url_for(".calibration", calibration_id=session.id))


@bp.get("/calibrations/<int:calibration_id>", endpoint="calibration")
@role_required("supervisor")
def calibration_session(calibration_id: int):
    """Who has scored what; the results once the viewer may see them."""
    session = db.session.get(Calibration, calibration_id) or abort(404)
    me = _me()
    visible = calibration.can_see_results(session, me)
    return render_template(
        "review_lists/calibration.html", session=session,
        progress=calibration.progress(session),
        participant=calibration.is_participant(session, me),
        own={r.interaction_id: r for r in calibration.reviews_of(session)
             if r.reviewer_id == me.id},
        results=calibration.results(session) if visible else None,
        may_close=session.closed_at is None and (me.id == session.lead_id
                                                 or me.has_role("admin")),
    )


@bp.post("/calibrations/<int:calibration_id>/interactions/<int:interaction_id>/score")
@role_required("supervisor")
def calibration_score(calibration_id: int, interaction_id: int):
    """A participant begins (or goes back to) their blind review of one interaction."""
    session = db.session.get(Calibration, calibration_id) or abort(404)
    item = db.session.get(Interaction, interaction_id) or abort(404)
    try:
        review = calibration.begin(session, item, _me())
    except InvalidInput as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for(".calibration", calibration_id=session.id))
    return redirect(url_for("review.edit", review_id=review.id))


@bp.post("/calibrations/<int:calibration_id>/close")
@role_required("supervisor")
def calibration_close(calibration_id: int):
    session = db.session.get(Calibration, calibration_id) or abort(404)
    try:
        calibration.close(session, _me())
        flash(_("The session is closed; the results are below."), "success")
    except InvalidInput as refused:
        db.session.rollback()
        flash(refused.message, "error")
    return redirect(url_for(".calibration", calibration_id=session.id,
                            _anchor="results-heading"))


# -- mystery shoppers ------------------------------------------------------------------------


def _departments() -> list[Department]:
    return list(db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.id)))


def _mystery_page(errors: dict | None = None, entered: dict | None = None, status: int = 200):
    departments = _departments()
    shops = mystery.shops()
    reviews = mystery.latest_reviews(shops)
    drafts = {r.interaction_id: r for r in db.session.scalars(
        select(Review).where(Review.kind == "mystery", Review.reviewer_id == _me().id,
                             Review.interaction_id.in_([s.interaction_id for s in shops]))
    )}
    waiting = mystery.pending()
    scores = mystery.department_scores()
    return render_template(
        "review_lists/mystery.html", departments=departments,
        by_id={d.id: d for d in departments}, shops=shops, reviews=reviews, drafts=drafts,
        pending=waiting, links={p.event_id: _chat_link(p) for p in waiting
                                if p.channel == "webchat"},
        scores=scores, channels=MYSTERY_CHANNELS, errors=errors or {},
        entered=entered or {"channel": "webchat"},
        windows={d.id: windows(d) for d in departments},
        staff={u.id: u for u in db.session.scalars(select(User))},
    ), status


def _chat_link(pending: mystery.Pending) -> str:
    """The resident chat's address with the contact's token (PUBLIC_URL when configured)."""
    department = db.session.get(Department, pending.department_id)
    path = url_for("resident.chat", department=department.code,
                   mystery=mystery.chat_token(pending))
    return (current_app.config["PUBLIC_URL"] or request.host_url).rstrip("/") + path


@bp.get("/mystery", endpoint="mystery")
@role_required("supervisor")
def mystery_page():
    return _mystery_page()


# Which form field a refusal belongs to.
MYSTERY_FIELDS = {
    "unknown_department": "department", "mystery_channel": "channel",
    "mystery_scenario": "scenario", "mystery_scenario_too_long": "scenario",
    "bad_phone": "phone", "callback_exists": "phone", "no_callback_window": "window",
    "bad_window": "window",
}


@bp.post("/mystery")
@role_required("supervisor")
def mystery_start():
    form = request.form
    entered = {key: form.get(key, "").strip()
               for key in ("department", "channel", "scenario", "phone", "window")}
    me = _me()
    try:
        if entered["channel"] == "webchat":
            mystery.start_chat(me, entered["department"], entered["scenario"])
            flash(_("Open the chat link below in a private browser window and play the "
                    "scenario. The link works once, for %(hours)s hours.",
                    hours=mystery.PENDING_HOURS), "success")
        elif entered["channel"] == "sms":
            mystery.start_sms(me, entered["department"], entered["scenario"], entered["phone"])
            flash(_("Text the office from that phone within %(hours)s hours; choose the "
                    "department's topic from the menu the answer offers.",
                    hours=mystery.PENDING_HOURS), "success")
        elif entered["channel"] == "callback":
            department = db.session.get(Department, int(entered["department"])) \
                if entered["department"].isdigit() else None
            window = None
            if entered["window"]:
                window = find_window(department, entered["window"]) if department else None
                if window is None and department is not None:
                    raise InvalidInput("bad_window")
            shop = mystery.start_callback(me, entered["department"], entered["scenario"],
                                          entered["phone"], window, cancel_link)
            flash(_("The callback is booked (contact #%(number)s); the clerk will call the "
                    "number given.", number=shop.interaction_id), "success")
        else:
            raise InvalidInput("mystery_channel")
    except InvalidInput as refused:
        db.session.rollback()
        field = MYSTERY_FIELDS.get(refused.code, "scenario")
        return _mystery_page({field: refused.message}, entered, 400)
    return redirect(url_for(".mystery"))


@bp.post("/mystery/pending/<int:event_id>/withdraw")
@role_required("supervisor")
def mystery_withdraw(event_id: int):
    try:
        mystery.withdraw(event_id, _me())
        flash(_("The contact was withdrawn; its link no longer works."), "success")
    except InvalidInput as refused:
        db.session.rollback()
        flash(refused.message, "error")
    return redirect(url_for(".mystery"))
