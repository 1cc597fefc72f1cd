"""Residents' callback pages: ask the office to call (/callback) and cancel from the SMS link.

Asking takes two steps that work without JavaScript: the topic (skipped when it is known,
from ?department= or a waiting chat's token), then the number, the window and the consent.
Nothing is created until every field is right; a refusal comes back on the field it concerns.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_time
from flask_babel import lazy_gettext as _l

from hub import tokens
from hub.accounts.models import Department
from hub.callbacks.models import CallbackRequest
from hub.callbacks.service import callback_of, cancel, request_callback
from hub.callbacks.windows import Window, find_window, to_local, windows
from hub.errors import InvalidInput
from hub.extensions import db, limiter
from hub.i18n import current_language
from hub.interactions.models import Interaction
from hub.interactions.service import find_department
from hub.phones import display_phone, normalize_phone
from hub.resident.routes import public_departments

bp = Blueprint("callbacks", __name__, url_prefix="/callback")

WAITING = ("queued", "offered")
PENDING = ("scheduled", "queued", "offered")
SESSION_KEY = "callback_arranged"
# Where each refusal of the domain is shown; the rest go on the phone number.
FIELD_OF = {
    "bad_phone": "phone", "callback_exists": "phone", "name_too_long": "name",
    "bad_window": "window", "no_callback_window": "window", "unknown_department": "department",
}
FIELD_ORDER = ("department", "phone", "name", "window", "consent")
CONSENT_REQUIRED = _l("Please accept the privacy notice to ask for a call back.")
NO_WINDOW_CHOSEN = _l("Please choose when we should call you.")
BAD_LINK = _l("This link is not valid or has expired. If you still want us to call you, "
              "please ask again.")


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


def waiting_chat(token: object) -> Interaction | None:
    """The chat or text a token opens while it still waits in the queue, else None."""
    if not token:
        return None
    try:
        interaction = tokens.resolve(token)
    except InvalidInput:
        return None
    return interaction if interaction.state in WAITING else None


def _department(code: object, public_only: bool) -> Department | None:
    try:
        return find_department(code, public_only) if code else None
    except InvalidInput:
        return None


def _days(department: Department) -> list[tuple[str, list[tuple[Window, str]]]]:
    """The windows grouped by day: ('Tuesday 24 November', [(window, '10:00–12:00'), …])."""
    days: dict[str, list[tuple[Window, str]]] = {}
    for window in windows(department):
        start, end = to_local(window.start), to_local(window.end)
        day = format_date(start.date(), "EEEE d MMMM")
        span = f"{format_time(start.time(), 'H:mm')}–{format_time(end.time(), 'H:mm')}"
        days.setdefault(day[:1].upper() + day[1:], []).append((window, span))
    return list(days.items())


def _topic_page(chosen: str = "", error: str | None = None):
    errors = {"department": error} if error else {}
    return render_template("callbacks/topic.html", departments=public_departments(),
                           chosen=chosen, errors=errors), 400 if errors else 200


def _form_page(department: Department, chat: Interaction | None, values: dict,
               errors: dict[str, str]):
    days = _days(department)
    if not values.get("window") and days:
        values = {**values, "window": days[0][1][0][0].key}  # the soonest, unless chosen
    ordered = {field: errors[field] for field in FIELD_ORDER if field in errors}
    return render_template("callbacks/request.html", department=department, chat=chat,
                           token=request.values.get("chat", "") if chat else "",
                           days=days, values=values, errors=ordered), 400 if errors else 200


def cancel_link(token: str) -> str:
    """The absolute link to cancel a callback, for the confirmation text (any channel)."""
    base = current_app.config["PUBLIC_URL"] or request.host_url
    return base.rstrip("/") + url_for("callbacks.cancel_page", token=token,
                                       lang=current_language())


@bp.get("")
def ask():
    """Step one, the topic; step two, once it is known, the number and the time."""
    chat = waiting_chat(request.args.get("chat"))
    code = chat.department.code if chat else request.args.get("department", "")
    department = _department(code, public_only=chat is None)
    if department is None:
        if code:
            return _topic_page(code, InvalidInput("unknown_department").message)
        return _topic_page(request.args.get("topic", ""))  # "Change topic" keeps the choice
    name = chat.resident_name if chat is not None else ""
    return _form_page(department, chat, {"name": name or ""}, {})


@bp.post("")
@limiter.limit(_public_limit)
def submit():
    chat = waiting_chat(request.form.get("chat"))
    code = chat.department.code if chat else request.form.get("department", "")
    department = _department(code, public_only=chat is None)
    if department is None:
        return _topic_page(code, InvalidInput("unknown_department").message)
    values = {key: request.form.get(key, "").strip() for key in ("phone", "name", "window")}
    values["consent"] = request.form.get("consent") == "yes"
    errors = _check(department, values)
    if not errors:
        try:
            interaction = request_callback(
                department.code, values["phone"], language=current_language(),
                name=values["name"] or None, window=find_window(department, values["window"]),
                via="chat" if chat else "web", replaces=chat, cancel_link=cancel_link,
                public_only=chat is None,
            )
        except InvalidInput as refusal:
            errors[FIELD_OF.get(refusal.code, "phone")] = refusal.message
    if errors:
        return _form_page(department, chat, values, errors)
    session[SESSION_KEY] = interaction.id
    return redirect(url_for("callbacks.arranged"))


def _check(department: Department, values: dict) -> dict[str, str]:
    """Every field's problem at once (the domain checks again when it acts)."""
    errors: dict[str, str] = {}
    try:
        normalize_phone(values["phone"])
    except InvalidInput as refusal:
        errors["phone"] = refusal.message
    if not values["window"]:
        errors["window"] = str(NO_WINDOW_CHOSEN)
    elif find_window(department, values["window"]) is None:
        errors["window"] = InvalidInput("bad_window").message
    if not values["consent"]:
        errors["consent"] = str(CONSENT_REQUIRED)
    return errors


@bp.get("/arranged")
def arranged():
    """The confirmation after asking (the browser's own request, kept in its session)."""
    interaction = db.session.get(Interaction, session.get(SESSION_KEY) or 0)
    callback = callback_of(interaction) if interaction is not None else None
    if callback is None:
        return redirect(url_for("callbacks.ask"))
    return render_template("callbacks/arranged.html", **_facts(interaction, callback),
                           cancel_url=url_for("callbacks.cancel_page",
                                              token=tokens.issue(interaction)))


@bp.route("/cancel/<token>", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def cancel_page(token: str):
    """What is arranged, and a button to cancel it. A GET never changes anything: phones
    and messengers fetch links to preview them."""
    try:
        interaction = tokens.resolve(token)
    except InvalidInput:
        interaction = None
    callback = callback_of(interaction) if interaction is not None else None
    if callback is None:
        return render_template("callbacks/cancel.html", problem=str(BAD_LINK)), 404
    if request.method == "POST":
        try:
            cancel(interaction)
        except InvalidInput as refusal:
            return render_template("callbacks/cancel.html", problem=refusal.message,
                                   **_facts(interaction, callback)), 409
        return redirect(url_for("callbacks.cancel_page", token=token))
    problem = None
    if callback.outcome != "cancelled" and interaction.state not in PENDING:
        code = "callback_in_progress" if interaction.state == "assigned" else "callback_not_pending"
        problem = InvalidInput(code).message
    return render_template("callbacks/cancel.html", problem=problem,
                           cancelled=callback.outcome == "cancelled",
                           **_facts(interaction, callback))


def _facts(interaction: Interaction, callback: CallbackRequest) -> dict:
    window = Window(callback.window_start, callback.window_end)
    return {
        "phone": display_phone(callback.phone),
        "last_digits": callback.phone[-3:],
        "window": window.label(current_language()),
        "department": interaction.department.name(current_language()),
    }
