"""Calls through Twilio: "Call now" for callbacks, and the city hotline.

Call now: Twilio rings the clerk's phone; when the clerk answers it fetches
/channels/voice/bridge/<attempt>, whose TwiML <Dial>s the resident. How the resident's leg
ended comes to /channels/voice/dialled/<attempt>, the whole call's end to
/channels/voice/status/<attempt>.

The hotline: in Twilio's console set "A call comes in" → POST {PUBLIC_URL}/channels/voice/inbound.
Outside opening hours, or when the wait is long, it offers "press 1 and we will call you
back, keeping your place". Every webhook must carry a valid X-Twilio-Signature.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from rq import get_current_job
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.voice_response import Gather, VoiceResponse

from channels import twilio_gateway
from hub.callbacks import service as callbacks
from hub.callbacks.models import CallAttempt
from hub.callbacks.routes import cancel_link
from hub.errors import InvalidInput
from hub.extensions import csrf, limiter
from hub.hours import service as hours
from hub.interactions import routing
from hub.interactions.service import find_department
from hub.jobs import in_app_context, submit
from hub.queue import router

bp = Blueprint("voice", __name__, url_prefix="/channels/voice")
VOICES = {"pl": "pl-PL", "en": "en-GB"}
ENDED = {"completed", "busy", "no-answer", "failed", "canceled"}


def _twiml(answer: VoiceResponse) -> Response:
    return Response(str(answer), mimetype="application/xml")


def _say(answer: VoiceResponse | Gather, text: str, language: str) -> None:
    answer.say(text, language=VOICES.get(language, "pl-PL"))


def _seconds(field: str) -> int:
    try:
        return max(0, int(request.form.get(field) or 0))
    except ValueError:
        return 0


def _attempt(attempt_id: int) -> CallAttempt:
    attempt = callbacks.attempt_by_id(attempt_id)
    if attempt is None:
        abort(404)
    return attempt


def _url(path: str) -> str:
    """Where Twilio should call back: absolute from PUBLIC_URL, a path when offline."""
    absolute = twilio_gateway.public_url(path)
    if absolute is None and twilio_gateway.configured():
        raise InvalidInput("calls_unavailable")  # Twilio cannot reach a relative URL
    return absolute or path


# -- Call now ----------------------------------------------------------------------------


def dial(attempt: CallAttempt) -> None:
    """The callbacks' dialer: a job places the call, so a Twilio hiccup is retried."""
    submit(place_call_job, attempt.id)


@in_app_context
def place_call_job(attempt_id: int) -> None:
    attempt = callbacks.attempt_by_id(attempt_id)
    if attempt is None or attempt.status != "queued":
        return
    try:
        sid = twilio_gateway.place_call(
            attempt.clerk_phone,
            _url(f"/channels/voice/bridge/{attempt.id}"),
            _url(f"/channels/voice/status/{attempt.id}"),
            timeout=current_app.config["CALLBACK_RING_SECONDS"],
        )
    except TwilioRestException as error:
        job = get_current_job()
        if job is not None and job.retries_left:
            raise
        callbacks.dial_failed(attempt, f"Twilio {error.code or error.status}: {error.msg}")
        return
    except InvalidInput:
        callbacks.dial_failed(attempt, "PUBLIC_URL is not set; Twilio cannot reach the hub")
        return
    callbacks.ringing_clerk(attempt, sid)


@bp.post("/bridge/<int:attempt_id>")
@limiter.exempt
def bridge(attempt_id: int):
    """The clerk answered: connect them to the resident."""
    twilio_gateway.require_signature()
    attempt = _attempt(attempt_id)
    answer = VoiceResponse()
    if attempt.status not in ("queued", "ringing_clerk", "dialling"):
        with force_locale("pl"):
            _say(answer, _("This call is no longer needed. Goodbye."), "pl")
        answer.hangup()
        return _twiml(answer)
    callbacks.clerk_answered(attempt)
    with force_locale("pl"):
        _say(answer, _("Call back from the city office. Connecting you to the resident."), "pl")
    caller_id = current_app.config["TWILIO_FROM_NUMBER"] or None
    dial_verb = answer.dial(action=_url(f"/channels/voice/dialled/{attempt.id}"),
                            caller_id=caller_id, timeout=current_app.config["CALLBACK_RING_SECONDS"])
    # Twilio reports the resident picking up, so the console can show "in call".
    dial_verb.number(attempt.resident_phone, status_callback_event="answered",
                     status_callback=_url(f"/channels/voice/resident/{attempt.id}"))
    return _twiml(answer)


@bp.post("/resident/<int:attempt_id>")
@limiter.exempt
def resident_answered(attempt_id: int):
    """The resident's leg was answered: clerk and resident are talking."""
    twilio_gateway.require_signature()
    attempt = _attempt(attempt_id)
    if request.form.get("CallStatus") == "in-progress":
        callbacks.resident_answered(attempt)
    return Response(status=204)


@bp.post("/dialled/<int:attempt_id>")
@limiter.exempt
def dialled(attempt_id: int):
    """How the resident's leg ended (Twilio's <Dial action>)."""
    twilio_gateway.require_signature()
    attempt = _attempt(attempt_id)
    status = request.form.get("DialCallStatus", "")
    callbacks.resident_leg_ended(attempt, status, _seconds("DialCallDuration"))
    answer = VoiceResponse()
    if attempt.status == "not_reached":
        with force_locale("pl"):
            _say(answer, _("The resident did not answer. The next attempt is scheduled."), "pl")
    answer.hangup()
    return _twiml(answer)


@bp.post("/status/<int:attempt_id>")
@limiter.exempt
def status(attempt_id: int):
    """The whole call's end (the clerk's leg): its duration, or why it did not connect."""
    twilio_gateway.require_signature()
    attempt = _attempt(attempt_id)
    call_status = request.form.get("CallStatus", "")
    if call_status in ENDED:
        callbacks.call_ended(attempt, call_status, _seconds("CallDuration"),
                             request.form.get("ErrorCode") or None)
    return Response(status=204)


# -- The hotline -------------------------------------------------------------------------


def _language() -> str:
    return "en" if request.args.get("lang") == "en" else "pl"


def _estimated_wait(department_code: str) -> int | None:
    """Estimated seconds for a new contact joining the department's queue now."""
    place = len(router().waiting(department_code)) + 1
    return routing._estimator(department_code)(place)


@bp.post("/inbound")
@limiter.exempt
def inbound():
    """The city hotline: greet, and offer a callback when closed or the wait is long."""
    twilio_gateway.require_signature()
    language = _language()
    department = find_department(current_app.config["HOTLINE_DEPARTMENT"], public_only=False)
    wait = _estimated_wait(department.code)
    is_open = hours.is_open(department)
    forward = current_app.config["HOTLINE_FORWARD_NUMBER"]
    answer = VoiceResponse()
    with force_locale(language):
        if is_open and forward and (wait or 0) <= current_app.config["CALLBACK_OFFER_WAIT_SECONDS"]:
            _say(answer, _("Welcome to the city office. Connecting you to a clerk."), language)
            answer.dial(forward)
            return _twiml(answer)
        gather = Gather(num_digits=1, timeout=8, method="POST",
                        action=url_for("voice.menu", lang=language))
        if not is_open:
            _say(gather, _("Welcome to the city office. We are closed now."), language)
        elif forward:
            minutes = max(1, round((wait or 0) / 60))
            _say(gather, _("Welcome to the city office. All clerks are busy; the wait is about "
                           "%(minutes)s minutes.", minutes=minutes), language)
        else:
            _say(gather, _("Welcome to the city office."), language)
        _say(gather, _("Press 1 and we will call you back, keeping your place in the queue."),
             language)
        if language == "pl":
            _say(gather, "For English, press 9.", "en")
        answer.append(gather)
        answer.redirect(url_for("voice.inbound", lang=language), method="POST")
    return _twiml(answer)


@bp.post("/menu")
@limiter.exempt
def menu():
    """The caller's key: 1 arranges a callback, 9 switches to English, else the menu again."""
    twilio_gateway.require_signature()
    language = _language()
    digit = request.form.get("Digits", "")
    answer = VoiceResponse()
    if digit == "9":
        answer.redirect(url_for("voice.inbound", lang="en"), method="POST")
        return _twiml(answer)
    if digit != "1":
        answer.redirect(url_for("voice.inbound", lang=language), method="POST")
        return _twiml(answer)
    with force_locale(language):
        try:
            interaction = callbacks.request_callback(
                current_app.config["HOTLINE_DEPARTMENT"], request.form.get("From", ""),
                language=language, via="hotline", public_only=False,
                cancel_link=cancel_link,
            )
        except InvalidInput as refusal:
            text = refusal.message
            if refusal.code == "bad_phone":
                text = _("We cannot see your phone number. Please write to us on the chat "
                         "or by text message.")
            _say(answer, text, language)
            answer.hangup()
            return _twiml(answer)
        callback = callbacks.callback_of(interaction)
        _say(answer, _("Thank you. We will call you back at this number: %(window)s. "
                       "You will get a text message with the details. Goodbye.",
                       window=callbacks.window_of(callback).label(language)), language)
    answer.hangup()
    return _twiml(answer)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # Twilio signs its requests instead
    app.register_blueprint(bp)
    callbacks.register_dialer(dial)
