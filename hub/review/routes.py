"""Supervisors' review pages and the clerk's own reviews.

Supervisors begin a review from an interaction's page, score it beside its transcript, and
answer disputes; clerks read their reviews in the console and acknowledge or dispute them.
The rules live in hub.review.service; this module reads forms and shows pages.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db
from hub.interactions.models import Interaction
from hub.review import access, labels, scoring, service
from hub.review.models import REVIEW_KINDS, REVIEW_STATES, Review, ReviewListItem
from hub.security import role_required

bp = Blueprint("review", __name__, url_prefix="")

# Kinds a supervisor begins from an interaction's page (calibration has its own pages).
START_KINDS = ("random", "reactive", "mystery")


def _me():
    return current_user._get_current_object()


def review_panel(item: Interaction) -> dict:
    """What the interaction page's review section shows: its reviews (without others' blind
    calibration reviews), whether the viewer can begin one, and why not."""
    me = _me()
    reviews = access.of_interaction(item, me)
    reason = None
    if item.is_open:
        reason = MESSAGES["review_still_open"]
    elif item.clerk_id is None:
        reason = MESSAGES["review_no_clerk"]
    elif service.handled_by(item, me):
        reason = MESSAGES["review_own_work"]
    return {
        "reviews": reviews,
        "reason": reason,
        "draft": next((r for r in reviews if r.reviewer_id == me.id and r.state == "draft"
                       and r.kind in START_KINDS), None),
        "versions": service.published_versions(),
        "kind": "mystery" if item.mystery_shopper else "random",
        "kinds": START_KINDS,
    }


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"review_panel": review_panel, "review_labels": labels}


# -- beginning and scoring -----------------------------------------------------------------


@bp.post("/supervisor/interactions/<int:interaction_id>/review")
@role_required("supervisor")
def start(interaction_id: int):
    """A draft review of this interaction by the signed-in supervisor (the same one again if
    they already began it); then the scoring form."""
    item = db.session.get(Interaction, interaction_id) or abort(404)
    back = url_for("supervisor.interaction", interaction_id=item.id)
    list_item = None
    if request.form.get("list_item"):
        list_item = db.session.get(ReviewListItem, request.form.get("list_item", type=int) or 0)
        if list_item is None or list_item.interaction_id != item.id:
            abort(400)
    kind = request.form.get("kind") or (list_item.kind if list_item else "random")
    try:
        if kind not in START_KINDS:
            raise InvalidInput("review_kind")
        if item.is_open:
            raise InvalidInput("review_still_open")
        scorecard = request.form.get("scorecard", type=int)
        version = service.current_version(scorecard) if scorecard else None
        review = service.start_review(item, _me(), kind, version=version)
    except InvalidInput as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(back + "#reviews-heading")
    if list_item is not None and list_item.review_id is None:
        list_item.review_id = review.id
    db.session.commit()
    return redirect(url_for("review.edit", review_id=review.id))


def _read_answers(review: Review) -> tuple[dict, dict, dict[int, InvalidInput]]:
    """The submitted form: values by criterion id (None for N/A), comments by criterion id,
    and the refusals found while reading (a value that is not a number)."""
    values: dict[int, int | None] = {}
    comments: dict[int, str] = {}
    unreadable: dict[int, InvalidInput] = {}
    for criterion in review.version.criteria:
        raw = request.form.get(f"value-{criterion.id}", "").strip()
        comments[criterion.id] = request.form.get(f"comment-{criterion.id}", "")
        if raw == "na":
            values[criterion.id] = None
        elif raw:
            try:
                values[criterion.id] = int(raw)
            except ValueError:
                unreadable[criterion.id] = InvalidInput("review_out_of_scale")
    return values, comments, unreadable


def _with_others(review: Review, values: dict, unreadable: dict) -> scoring.InvalidAnswers:
    """The refusal naming the unreadable answers and every other criterion at fault."""
    return scoring.InvalidAnswers(
        {**scoring.problems(review.version.criteria, values), **unreadable})


def _entered() -> dict:
    """What was typed and chosen, to show again after a refusal."""
    return {key: value for key, value in request.form.items() if key != "csrf_token"}


def _answers_entered(review: Review) -> dict:
    """The stored answers as form values (to correct them when resolving a dispute)."""
    entered = {"comment": review.comment}
    for answer in review.answers:
        entered[f"value-{answer.criterion_id}"] = "na" if answer.value is None \
            else str(answer.value)
        entered[f"comment-{answer.criterion_id}"] = answer.comment
    return entered


def _page(review: Review, status: int = 200, **context):
    me = _me()
    context.setdefault("errors", {})
    context.setdefault("problem", None)
    if "entered" not in context:
        context["entered"] = _answers_entered(review) if review.state != "draft" else {}
    return render_template(
        "review/edit.html", review=review, item=review.interaction,
        may_edit=review.state == "draft" and review.reviewer_id == me.id,
        failed=labels.failed(review), **context,
    ), status


@bp.route("/supervisor/reviews/<int:review_id>", methods=["GET", "POST"])
@role_required("supervisor")
def edit(review_id: int):
    """The scoring form of a draft (its reviewer only), or the submitted review."""
    review = db.session.get(Review, review_id) or abort(404)
    me = _me()
    if not access.can_view(review, me):
        abort(403)
    if request.method == "GET":
        return _page(review)
    if review.state != "draft" or review.reviewer_id != me.id:
        code = "review_not_draft" if review.state != "draft" else "review_not_yours"
        return _page(review, 403, problem=InvalidInput(code).message)
    values, comments, unreadable = _read_answers(review)
    try:
        if unreadable:
            raise _with_others(review, values, unreadable)
        service.submit_review(review, me, values, comments, request.form.get("comment", ""))
    except scoring.InvalidAnswers as refused:
        db.session.rollback()
        errors = {cid: problem.message for cid, problem in refused.problems.items()}
        return _page(review, 400, errors=errors, entered=_entered())
    except InvalidInput as refused:
        db.session.rollback()
        return _page(review, 400, problem=refused.message, entered=_entered())
    db.session.commit()
    flash(_("The review was submitted: %(score)s.", score=labels.percent(review.score)),
          "success")
    return redirect(url_for("review.edit", review_id=review.id))


@bp.post("/supervisor/reviews/<int:review_id>/resolve")
@role_required("supervisor")
def resolve(review_id: int):
    """Answer a dispute: accept or partly accept (with corrected scores), or reject."""
    review = db.session.get(Review, review_id) or abort(404)
    me = _me()
    if not access.can_view(review, me):
        abort(403)
    resolution = request.form.get("resolution", "")
    values, comments, unreadable = _read_answers(review)
    try:
        if unreadable and resolution != "rejected":
            raise _with_others(review, values, unreadable)
        service.resolve(review, me, resolution, request.form.get("resolution_comment", ""),
                        values=None if resolution == "rejected" else values,
                        comments=comments)
    except scoring.InvalidAnswers as refused:
        db.session.rollback()
        errors = {cid: problem.message for cid, problem in refused.problems.items()}
        return _page(review, 400, errors=errors, entered=_entered())
    except InvalidInput as refused:
        db.session.rollback()
        field = {"review_resolution": "resolution-accepted",
                 "review_resolution_comment": "resolution_comment"}.get(refused.code)
        return _page(review, 400, resolve_error=(field, refused.message), entered=_entered())
    db.session.commit()
    flash(_("Your answer to the dispute was sent to %(clerk)s.", clerk=review.clerk.name),
          "success")
    return redirect(url_for("review.edit", review_id=review.id))


@bp.get("/supervisor/reviews")
@role_required("supervisor")
def index():
    """My drafts, disputes waiting for an answer, and the recent reviews (filtered)."""
    me = _me()
    chosen = {
        "clerk": request.args.get("clerk", type=int),
        "kind": request.args.get("kind", "") if request.args.get("kind") in REVIEW_KINDS else "",
        "state": request.args.get("state", "")
        if request.args.get("state") in REVIEW_STATES else "",
    }
    page = max(1, request.args.get("page", 1, type=int))
    reviews, more = access.recent(me, chosen["clerk"], chosen["kind"], chosen["state"], page)
    return render_template(
        "review/index.html", drafts=access.drafts_of(me), disputes=access.disputed(me),
        reviews=reviews, more=more, page=page, chosen=chosen, clerks=access.clerks_reviewed(),
        filtered=any(chosen.values()),
    )


# -- the clerk's side ------------------------------------------------------------------------


@bp.get("/console/reviews")
@role_required("clerk")
def my_reviews():
    return _my_reviews_page()


def _my_reviews_page(errors: dict | None = None, entered: dict | None = None, status=200):
    reviews = access.of_clerk(_me())
    return render_template("review/my_reviews.html", reviews=reviews, errors=errors or {},
                           entered=entered or {},
                           waiting=sum(r.state == "submitted" for r in reviews)), status


@bp.post("/console/reviews/<int:review_id>")
@role_required("clerk")
def respond(review_id: int):
    """Acknowledge the review, or dispute it with a comment (once)."""
    review = db.session.get(Review, review_id) or abort(404)
    me = _me()
    if review.clerk_id != me.id or review.kind not in access.CLERK_KINDS \
            or review.state == "draft":
        abort(404)
    action = request.form.get("action", "")
    comment = request.form.get("comment", "")
    try:
        service.respond(review, me, action, comment)
    except InvalidInput as refused:
        db.session.rollback()
        return _my_reviews_page({review.id: refused.message}, {review.id: comment}, 400)
    db.session.commit()
    flash(_("Thank you: the review is acknowledged.") if action == "acknowledge"
          else _("Your dispute was sent to %(reviewer)s.", reviewer=review.reviewer.name),
          "success")
    return redirect(url_for("review.my_reviews") + f"#review-{review.id}")
