"""Residents rate an office visit from the link sent after it (/visit/rate/<token>).

When a clerk marks a visit done, the resident gets one message (SMS, else e-mail, in the
booking's language) with a signed link. The link works for RATING_LINK_DAYS after the visit
and rates it once: 1 to 5, and an optional comment. The stars go into the visit's timeline
(`visit_rated`); the comment stays on the booking only (it is the resident's own words).
Rated visits feed the office part of the service-quality index (hub.reports.quality).
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from hub.booking.models import Booking
from hub.booking.service import _tell, booking_log, when_text
from hub.clock import utcnow
from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db, limiter
from hub.interactions.events import record

bp = Blueprint("visit_rating", __name__, url_prefix="/visit")

RATING_LINK_DAYS = 14
COMMENT_MAX = 1000
STARS = range(1, 6)

MESSAGES.update({
    "bad_rating_link": _l("This link is not valid. Please check that you copied the whole "
                          "link from the message we sent."),
    "rating_link_expired": _l("This link has expired: a visit can be rated for %(days)s days "
                              "after it took place."),
    "bad_visit_rating": _l("Please choose how the visit was, from 1 to 5."),
    "rating_comment_too_long": _l("The comment is too long: at most %(limit)s characters."),
    "visit_already_rated": _l("Thank you, this visit has already been rated."),
})


# -- the link -----------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="visit-rating")


def issue_token(booking: Booking) -> str:
    """What the rating link carries; rotating the booking's token_key revokes it too."""
    return _serializer().dumps({"b": booking.id, "k": booking.token_key})


def resolve_token(token: object) -> Booking:
    """The visit a rating link is for; InvalidInput when forged, revoked or expired."""
    try:
        data = _serializer().loads(token if isinstance(token, str) else "")
    except BadSignature:
        raise InvalidInput("bad_rating_link") from None
    booking = db.session.get(Booking, data.get("b")) if isinstance(data, dict) else None
    if booking is None or booking.token_key != data.get("k") or booking.state != "done":
        raise InvalidInput("bad_rating_link")
    if booking.rating is None and utcnow() > link_expires_at(booking):
        raise InvalidInput("rating_link_expired", days=RATING_LINK_DAYS)
    return booking


def link_expires_at(booking: Booking):
    return (booking.finished_at or booking.starts_at) + timedelta(days=RATING_LINK_DAYS)


def rating_link(booking: Booking) -> str:
    """The absolute link (PUBLIC_URL, else the host of the request that finished the visit)."""
    values = {"token": issue_token(booking), "lang": booking.language}
    if has_request_context():
        path = url_for("visit_rating.rate", **values)
        base = current_app.config["PUBLIC_URL"] or request.host_url
    else:
        path = current_app.url_map.bind("").build("visit_rating.rate", values)
        base = current_app.config["PUBLIC_URL"]
    return base.rstrip("/") + path


# -- the domain ---------------------------------------------------------------------------


def ask_for_rating(booking: Booking) -> bool:
    """Send the rating link once, after a visit that took place; True if it went now."""
    if booking.state != "done" or booking.rating_requested_at is not None:
        return False
    if not (booking.phone or booking.email):
        return False
    booking.rating_requested_at = utcnow()  # the message is logged as a booking_message
    db.session.commit()
    with force_locale(booking.language):
        body = _("Thank you for your visit at the city office (%(service)s, %(reference)s). "
                 "How was it? Please rate it from 1 to 5 in a minute: %(link)s",
                 service=booking.service.name(booking.language), reference=booking.reference,
                 link=rating_link(booking))
        _tell(booking, _("How was your visit?"), body)
    return True


def rate_visit(booking: Booking, stars: object, comment: object = None) -> Booking:
    """The resident's rating, once: 1..5 and an optional comment; nothing is kept if either
    is wrong."""
    if booking.rating is not None:
        raise InvalidInput("visit_already_rated")
    text = str(stars).strip() if isinstance(stars, str | int) else ""
    if not text.isdigit() or int(text) not in STARS:
        raise InvalidInput("bad_visit_rating")
    words = (comment if isinstance(comment, str) else "").strip()
    if len(words) > COMMENT_MAX:
        raise InvalidInput("rating_comment_too_long", limit=COMMENT_MAX)
    booking.rating, booking.rating_comment, booking.rated_at = int(text), words or None, utcnow()
    # Stars only: the comment is personal data and stays on the booking (purged with it).
    record(booking_log(booking), "visit_rated", "resident", booking_id=booking.id,
           stars=booking.rating, has_comment=bool(words))
    db.session.commit()
    return booking


# -- the page -----------------------------------------------------------------------------


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


@bp.route("/rate/<token>", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def rate(token: str):
    """"How was your visit?": 1 to 5 and a comment; a thank-you once rated."""
    try:
        booking = resolve_token(token)
    except InvalidInput as refusal:
        status = 410 if refusal.code == "rating_link_expired" else 404
        return render_template("booking/rate_unavailable.html", message=refusal.message,
                               expired=status == 410), status
    if booking.rating is not None:
        return render_template("booking/rated.html", booking=booking,
                               already=request.method == "POST" or not request.args.get("done"))
    values = {"stars": request.form.get("stars", ""), "comment": request.form.get("comment", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            rate_visit(booking, values["stars"], values["comment"])
        except InvalidInput as refusal:
            if refusal.code == "visit_already_rated":  # rated meanwhile (a second tab)
                return render_template("booking/rated.html", booking=booking, already=True)
            field = "comment" if refusal.code == "rating_comment_too_long" else "stars"
            errors[field] = refusal.message
        else:
            return redirect(url_for("visit_rating.rate", token=token, done=1))
    return render_template("booking/rate.html", booking=booking, token=token,
                           when=when_text(booking), values=values, errors=errors,
                           comment_max=COMMENT_MAX), 400 if errors else 200
