"""The clerk's console page; its live work happens over the /staff socket."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from hub import settings
from hub.interactions import routing
from hub.interactions.dispositions import DISPOSITIONS
from hub.review import access as review_access
from hub.security import role_required

bp = Blueprint("console", __name__, url_prefix="/console")


@bp.get("")
@role_required("clerk")
def index():
    return render_template(
        "console/console.html",
        clerk=current_user,
        dispositions=DISPOSITIONS,
        complaint_tag=settings.get("complaint_tag"),
        allow_pull=routing.pull_allowed(current_user),
        max_chars=current_app.config["MESSAGE_MAX_CHARS"],
        reviews_waiting=review_access.awaiting_response(current_user),
    )
