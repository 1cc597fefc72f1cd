"""Pages residents see: the chat, the demo city page, accessibility and language."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from hub.accounts.models import Department
from hub.errors import InvalidInput
from hub.extensions import db, limiter
from hub.hours import service as hours
from hub.i18n import current_language
from hub.interactions import service
from hub.interactions.transcript import transcript_text
from hub.tokens import resolve

bp = Blueprint("resident", __name__)


def public_departments() -> list[Department]:
    return list(
        db.session.scalars(
            select(Department)
            .where(Department.active.is_(True), Department.public.is_(True))
            .order_by(Department.id)
        )
    )


@bp.get("/")
def home():
    return render_template("resident/home.html")


@bp.get("/chat")
def chat():
    embedded = request.args.get("embed") == "1"
    language = current_language()
    departments = public_departments()
    # Shown when a closed department is chosen: the chat still takes a message.
    closed_notes = {
        d.code: hours.describe_next_opening(d, language) or ""
        for d in departments if not hours.is_open(d)
    }
    return render_template("resident/chat.html", departments=departments,
                           closed_notes=closed_notes, embedded=embedded)


@bp.get("/city")
def city():
    """A stand-in for the city's own website, with the widget embedded by one script tag."""
    return render_template("resident/city.html")


@bp.get("/chat/transcript")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def transcript():
    """The resident's own transcript; the token comes in a header, never in the URL."""
    try:
        interaction = resolve(request.headers.get("X-Resident-Token"))
    except InvalidInput as refusal:
        return {"error": refusal.message}, 403
    filename = f"okienko-{interaction.id}.txt"
    return Response(
        transcript_text(interaction),
        mimetype="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class FeedbackForm(FlaskForm):
    message = TextAreaField(
        _l("Describe the problem"), validators=[DataRequired(), Length(max=2000)]
    )
    page = StringField(_l("Page or place where it happened (optional)"),
                       validators=[Optional(), Length(max=300)])
    name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=120)])
    email = EmailField(_l("E-mail for our answer (optional)"),
                       validators=[Optional(), Email(), Length(max=200)])


@bp.route("/accessibility", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"], methods=["POST"])
def accessibility():
    """The accessibility statement; feedback sent here lands in the queue like any contact."""
    form = FeedbackForm()
    if form.validate_on_submit():
        body = form.message.data
        if form.page.data:
            body = f"{body}\n\n[{_('Page')}: {form.page.data}]"
        service.open_interaction(
            channel="form",
            department_code=current_app.config["FEEDBACK_DEPARTMENT"],
            language=current_language(),
            resident_name=form.name.data,
            resident_handle=form.email.data or None,
            first_message=body,
            public_only=False,
        )
        flash(_("Thank you. Your message has been passed to the city office."), "success")
        return redirect(url_for("resident.accessibility", _anchor="feedback"))
    status = 400 if form.errors else 200
    return render_template("resident/accessibility.html", form=form), status
