"""Callbacks: asking for one, waiting outside the queue until due, ringing, and retrying.

A callback is an Interaction on the "callback" channel with a CallbackRequest beside it.
It waits "scheduled" until its window opens (or its next attempt is due), then joins the
queue keeping the place it had when asked for, and is offered like any contact; as a call
it takes the whole clerk (EXCLUSIVE_CHANNELS). The clerk's "Call now" hands a CallAttempt
to the registered dialer (channels.voice); Twilio's reports come back through the
functions below. Nothing here knows about Twilio.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from hub import signals, tokens
from hub.accounts.models import User
from hub.callbacks.models import ATTEMPT_ACTIVE, CallAttempt, CallbackRequest
from hub.callbacks.windows import Window, moment_label, next_calling_time, windows
from hub.clock import epoch_ms, to_local, to_utc, utcnow
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions import routing, service
from hub.interactions.access import check_handler
from hub.interactions.delivery import deliver
from hub.interactions.events import record
from hub.interactions.models import Interaction, Message
from hub.interactions.notices import announce, system_message
from hub.phones import normalize_phone
from hub.queue import router

Dialer = Callable[[CallAttempt], None]
_dialer: list[Dialer] = []
# Twilio's DialCallStatus words for a resident who was not reached.
NOT_REACHED = ("busy", "no-answer", "failed", "canceled")


def register_dialer(dialer: Dialer) -> None:
    """The channel that places calls (channels.voice) registers itself at start-up."""
    _dialer[:] = [dialer]


def callback_of(interaction: Interaction) -> CallbackRequest | None:
    return db.session.scalar(
        select(CallbackRequest).where(CallbackRequest.interaction_id == interaction.id)
    )


def window_of(callback: CallbackRequest) -> Window:
    return Window(callback.window_start, callback.window_end)


def attempts_of(interaction: Interaction) -> list[CallAttempt]:
    return list(db.session.scalars(
        select(CallAttempt).where(CallAttempt.interaction_id == interaction.id)
        .order_by(CallAttempt.id)
    ))


def pending_for(phone: str) -> Interaction | None:
    """The number's callback still to be made, if any."""
    return db.session.scalar(
        select(Interaction).join(CallbackRequest, CallbackRequest.interaction_id == Interaction.id)
        .where(CallbackRequest.phone == phone,
               Interaction.state.in_(("scheduled", "queued", "offered", "assigned")))
        .limit(1)
    )


def request_callback(
    department_code: str,
    phone: object,
    *,
    language: str = "pl",
    name: str | None = None,
    window: Window | None = None,
    via: str = "web",
    replaces: Interaction | None = None,
    cancel_link: Callable[[str], str] | None = None,
    device: str | None = None,
    public_only: bool = True,
) -> Interaction:
    """Arrange a call to `phone` in `window` (None: the soonest), and confirm it by SMS.

    `replaces` is a chat or text still waiting that becomes this callback: it ends, and
    the callback keeps its place in the queue. `cancel_link(token)` makes the link the
    confirmation carries.
    """
    number = normalize_phone(phone)
    if pending_for(number) is not None:
        raise InvalidInput("callback_exists")
    department = service.find_department(department_code, public_only)
    now = utcnow()
    if window is None:
        offered = windows(department, now)
        if not offered:
            raise InvalidInput("no_callback_window")
        window = offered[0]
    since = replaces.queued_at if replaces is not None and replaces.queued_at else now
    interaction = service.open_interaction(
        "callback", department.code, language=language, resident_name=name,
        resident_handle=number, device=device or number, public_only=public_only,
        scheduled=True,
    )
    interaction.queue_score = routing.due_score("callback", department, epoch_ms(since))
    callback = CallbackRequest(
        interaction=interaction, phone=number, requested_via=via,
        window_start=window.start, window_end=window.end, not_before=max(window.start, now),
    )
    db.session.add(callback)
    record(interaction, "callback_requested", "resident", via=via,
           window_start=window.start.isoformat(), window_end=window.end.isoformat(),
           replaces=replaces.id if replaces is not None else None)
    db.session.commit()
    if replaces is not None:
        _end_replaced(replaces, interaction)
    with force_locale(interaction.language):
        text = _("The city office will call you back at this number: %(window)s.",
                 window=window.label(interaction.language))
        if cancel_link is not None:
            text += " " + _("To cancel: %(link)s", link=cancel_link(tokens.issue(interaction)))
    _text_resident(interaction, text, "callback_confirmation")
    release_due(now)
    return interaction


def _end_replaced(waiting: Interaction, callback: Interaction) -> None:
    """The chat or text the resident swapped for a callback leaves the queue."""
    if waiting.state in ("queued", "offered"):
        service.resident_leaves(waiting)
        record(waiting, "became_callback", "resident", callback=callback.id)
        db.session.commit()


def _text_resident(interaction: Interaction, text: str, event: str) -> Message:
    """An automatic SMS to the resident, kept in the conversation and retried like a reply."""
    message = Message(interaction=interaction, kind="out", body=text)
    db.session.add(message)
    db.session.flush()
    record(interaction, event, "system", message_id=message.id)
    db.session.commit()
    deliver(interaction, message)
    signals.message_added.send(interaction, message=message)
    return message


def release_due(now: datetime | None = None) -> int:
    """Put every callback whose time has come into the queue; returns how many."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Interaction).join(CallbackRequest, CallbackRequest.interaction_id == Interaction.id)
        .where(Interaction.state == "scheduled", CallbackRequest.not_before <= now)
        .order_by(CallbackRequest.not_before)
    ).all()
    for interaction in due:
        result = db.session.execute(
            update(Interaction).where(Interaction.id == interaction.id,
                                      Interaction.state == "scheduled")
            .values(state="queued", queued_at=now)
        )
        if not result.rowcount:
            continue  # another process released it
        db.session.refresh(interaction)
        record(interaction, "queued", "system", department=interaction.department.code,
               reason="callback_due")
        db.session.commit()
        routing.enqueue(interaction)
        signals.interaction_changed.send(interaction)
    return len(due)


def cancel(interaction: Interaction) -> Interaction:
    """The resident no longer wants the call (the link in the confirmation)."""
    callback = callback_of(interaction)
    if callback is None or not interaction.is_open:
        raise InvalidInput("callback_not_pending")
    if interaction.state == "assigned":
        raise InvalidInput("callback_in_progress")
    was = interaction.state
    result = db.session.execute(
        update(Interaction).where(Interaction.id == interaction.id,
                                  Interaction.state.in_(("scheduled", "queued", "offered")))
        .values(state="abandoned", closed_at=utcnow(), resident_left_at=utcnow())
    )
    if not result.rowcount:
        db.session.rollback()
        raise InvalidInput("callback_in_progress")
    callback.outcome = "cancelled"
    record(interaction, "callback_cancelled", "resident", was=was)
    db.session.commit()
    db.session.refresh(interaction)
    clerk = router().remove(interaction.id, interaction.department.code)
    if clerk is not None:
        signals.offer_withdrawn.send(interaction.id, clerk_id=clerk, reason="abandoned")
    routing.publish_positions(interaction.department.code)
    announce(interaction)
    return interaction


def place_call(interaction: Interaction, clerk: User, clerk_phone: object = None) -> CallAttempt:
    """The clerk's "Call now": Twilio rings the clerk's phone, then the resident's."""
    check_handler(interaction, clerk, assigned=True)
    if interaction.clerk_id != clerk.id or interaction.channel != "callback":
        raise InvalidInput("not_yours")
    if not _dialer:
        raise InvalidInput("calls_unavailable")
    phone = normalize_phone(clerk_phone if clerk_phone else clerk.phone)
    if active_attempt(interaction) is not None:
        raise InvalidInput("call_in_progress")
    clerk.phone = phone
    attempt = CallAttempt(interaction=interaction, clerk=clerk, clerk_phone=phone,
                          resident_phone=interaction.resident_handle, status="queued")
    db.session.add(attempt)
    db.session.flush()
    record(interaction, "call_placed", clerk, attempt_id=attempt.id,
           number=_attempt_number(interaction, attempt))
    db.session.commit()
    _dialer[0](attempt)
    signals.interaction_changed.send(interaction)
    return attempt


def _attempt_number(interaction: Interaction, attempt: CallAttempt) -> int:
    return db.session.scalar(select(func.count(CallAttempt.id)).where(
        CallAttempt.interaction_id == interaction.id, CallAttempt.id <= attempt.id,
        CallAttempt.status != "clerk_unreachable"))


def active_attempt(interaction: Interaction) -> CallAttempt | None:
    return db.session.scalar(
        select(CallAttempt).where(CallAttempt.interaction_id == interaction.id,
                                  CallAttempt.status.in_(ATTEMPT_ACTIVE))
    )


def attempt_by_id(attempt_id: int) -> CallAttempt | None:
    return db.session.get(CallAttempt, attempt_id)


def ringing_clerk(attempt: CallAttempt, call_sid: str) -> None:
    """The dialer placed the call: the clerk's phone rings."""
    attempt.call_sid = call_sid
    if attempt.status == "queued":
        attempt.status = "ringing_clerk"
    record(attempt.interaction, "call_ringing_clerk", "system", attempt_id=attempt.id,
           call_sid=call_sid)
    _changed(attempt)


def clerk_answered(attempt: CallAttempt) -> None:
    """The clerk picked up; the resident's phone is rung next."""
    if attempt.status in ("queued", "ringing_clerk"):
        attempt.status = "dialling"
        record(attempt.interaction, "call_dialling_resident", "system", attempt_id=attempt.id)
        _changed(attempt)


def resident_answered(attempt: CallAttempt) -> None:
    """The resident picked up: they are talking with the clerk."""
    if attempt.status == "dialling":
        attempt.status = "answered"
        record(attempt.interaction, "call_resident_answered", "system", attempt_id=attempt.id)
        _changed(attempt)


def resident_leg_ended(attempt: CallAttempt, dial_status: str, seconds: int) -> None:
    """The resident's leg is over: talked (completed), or not reached (busy, no answer…)."""
    if attempt.resident_status is not None:
        return  # a retried webhook
    attempt.resident_status = dial_status
    interaction = attempt.interaction
    if dial_status == "completed" and seconds > 0:
        attempt.status = "completed"
        attempt.talk_seconds = seconds
        attempt.ended_at = utcnow()
        callback_of(interaction).outcome = "reached"
        record(interaction, "call_answered", "system", attempt_id=attempt.id, seconds=seconds)
        _changed(attempt)
        return
    attempt.status = "not_reached"
    attempt.ended_at = utcnow()
    record(interaction, "call_not_reached", "system", attempt_id=attempt.id, status=dial_status)
    if callback_of(interaction).outcome == "reached":
        # Calling again after they talked (the line dropped): the clerk keeps the contact.
        _changed(attempt)
        return
    db.session.commit()
    _after_not_reached(interaction)


def call_ended(attempt: CallAttempt, call_status: str, seconds: int, error: str | None = None) -> None:
    """The whole call is over (Twilio's status callback for the clerk's leg)."""
    if attempt.call_seconds is not None:
        return  # a retried webhook: the end is already recorded
    attempt.call_seconds = seconds
    if attempt.status in ("queued", "ringing_clerk"):
        # Never got past the clerk's phone: it does not count against the resident.
        attempt.status = "failed" if call_status == "failed" and error else "clerk_unreachable"
        attempt.error = error
        attempt.ended_at = utcnow()
        record(attempt.interaction, "call_clerk_unreachable", "system", attempt_id=attempt.id,
               status=call_status, has_error=bool(error))
    elif attempt.status == "dialling":
        # The clerk hung up before the resident's leg reported: treat as not reached.
        resident_leg_ended(attempt, "canceled", 0)
        return
    else:
        attempt.ended_at = attempt.ended_at or utcnow()
        record(attempt.interaction, "call_ended", "system", attempt_id=attempt.id,
               status=call_status, seconds=seconds)
    _changed(attempt)


def dial_failed(attempt: CallAttempt, error: str) -> None:
    """The call could not be placed at all (Twilio refused it after every retry)."""
    attempt.status = "failed"
    attempt.error = error[:200]
    attempt.ended_at = utcnow()
    # Twilio's message can quote the number, so it stays on the attempt (erased after
    # retention), not in the append-only log.
    record(attempt.interaction, "call_failed", "system", attempt_id=attempt.id)
    _changed(attempt)


def _changed(attempt: CallAttempt) -> None:
    db.session.commit()
    signals.interaction_changed.send(attempt.interaction)


def next_attempt_at(interaction: Interaction, now: datetime | None = None) -> datetime | None:
    """When to try again after the resident was not reached, or None: give up.

    At most CALLBACK_ATTEMPTS_PER_DAY tries on one (office-zone) day, CALLBACK_RETRY_GAP
    apart, on at most CALLBACK_RETRY_DAYS different days, and only within calling hours.
    """
    config = current_app.config
    now = now or utcnow()
    tried = [a.started_at for a in attempts_of(interaction)
             if a.status not in ("clerk_unreachable", "failed", "queued")]
    days = {_day(t) for t in tried}
    candidate = next_calling_time(interaction.department,
                                  now + timedelta(minutes=config["CALLBACK_RETRY_GAP_MINUTES"]))
    while candidate is not None:
        day = _day(candidate)
        if sum(_day(t) == day for t in tried) < config["CALLBACK_ATTEMPTS_PER_DAY"]:
            return candidate if len(days | {day}) <= config["CALLBACK_RETRY_DAYS"] else None
        # This day has had its tries: the next day's calling hours.
        midnight = _next_midnight(candidate)
        candidate = next_calling_time(interaction.department, midnight)
    return None


def _day(moment: datetime) -> date:
    return to_local(moment).date()


def _next_midnight(moment: datetime) -> datetime:
    local = to_local(moment)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), local.tzinfo)
    return to_utc(midnight)


def _after_not_reached(interaction: Interaction) -> None:
    """Retry later (the clerk is freed), or give up and tell the resident by SMS."""
    clerk_id = interaction.clerk_id
    callback = callback_of(interaction)
    when = next_attempt_at(interaction)
    tries = sum(a.status == "not_reached" for a in attempts_of(interaction))
    if when is not None:
        callback.not_before = when
        interaction.state = "scheduled"
        with force_locale(interaction.language):
            text = _("Not reached. The next attempt will be %(when)s.",
                     when=moment_label(when, interaction.language))
        message = system_message(interaction, text, "callback_rescheduled", "system",
                                 at=when.isoformat(), attempts=tries)
    else:
        now = utcnow()
        interaction.state = "closed"
        interaction.closed_at = now
        interaction.disposition = "no_response"
        callback.outcome = "unreachable"
        with force_locale(interaction.language):
            text = _("Not reached. No more attempts.")
        message = system_message(interaction, text, "callback_given_up", "system",
                                 attempts=tries)
    db.session.commit()
    if clerk_id is not None:
        router().release(interaction.id, clerk_id)
    signals.message_added.send(interaction, message=message)
    signals.interaction_changed.send(interaction)
    if when is None:
        with force_locale(interaction.language):
            text = _("The city office tried to call you back %(count)s times but could not "
                     "reach you. To get in touch, reply to this text.", count=tries)
            site = current_app.config["PUBLIC_URL"]
            if site:
                text += " " + _("You can also write to us at %(link)s", link=site.rstrip("/") + "/chat")
        _text_resident(interaction, text, "callback_final_text")
    if clerk_id is not None:
        routing.dispatch_for_clerk(clerk_id)


def payload(interaction: Interaction) -> dict:
    """What a console shows of a callback: the number, the window and every attempt."""
    callback = callback_of(interaction)
    if callback is None:
        return {}
    window = window_of(callback)
    return {
        "phone": callback.phone,
        "window": window.label(interaction.language),
        "via": callback.requested_via,
        "not_before": callback.not_before.isoformat() + "Z",
        "outcome": callback.outcome,
        "attempts": [{"id": a.id, "status": a.status, "resident_status": a.resident_status,
                      "talk_seconds": a.talk_seconds, "at": a.started_at.isoformat() + "Z"}
                     for a in attempts_of(interaction)],
    }
