"""The timeline read by people: each event as a short phrase with who, when and what,
and the times derived from it (wait, first answer, handling, total)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hub.accounts.models import Department, User
from hub.interactions.dispositions import DISPOSITIONS
from hub.interactions.models import Interaction, InteractionEvent
from hub.supervisor.labels import CHANNEL_LABELS, label

PHRASES = {
    "created": _l("Contact started"),
    "queued": _l("Queued"),
    "requeued": _l("Back in the queue"),
    "department_chosen": _l("Department chosen"),
    "offered": _l("Offered to a clerk"),
    "offer_lapsed": _l("Offer not answered in time"),
    "offer_declined": _l("Offer declined"),
    "offer_returned": _l("Offer withdrawn (clerk unavailable)"),
    "offer_abandoned": _l("Offer withdrawn (resident left)"),
    "accepted": _l("Accepted"),
    "claimed": _l("Taken from the queue"),
    "message_in": _l("Resident wrote"),
    "message_out": _l("Clerk replied"),
    "note": _l("Internal note"),
    "resend": _l("Message sent again"),
    "transferred": _l("Transferred"),
    "tags_changed": _l("Tags changed"),
    "closed": _l("Closed"),
    "abandoned": _l("Resident left the queue"),
    "resident_left": _l("Resident left the conversation"),
    "rated": _l("Rated"),
    "ended_as_abusive": _l("Ended as abusive"),
    "callback_requested": _l("Callback requested"),
    "became_callback": _l("Swapped for a callback"),
    "callback_confirmation": _l("Callback confirmed by SMS"),
    "callback_cancelled": _l("Callback cancelled"),
    "callback_rescheduled": _l("Callback rescheduled"),
    "callback_given_up": _l("Callback given up"),
    "callback_final_text": _l("Resident told by SMS"),
    "call_placed": _l("Call placed"),
    "call_ringing_clerk": _l("Ringing the clerk"),
    "call_dialling_resident": _l("Dialling the resident"),
    "call_resident_answered": _l("Resident answered"),
    "call_answered": _l("Call answered"),
    "call_not_reached": _l("Resident not reached"),
    "call_clerk_unreachable": _l("Clerk not reached"),
    "call_ended": _l("Call ended"),
    "call_failed": _l("Call failed"),
    "sms_sent": _l("SMS sent"),
    "sms_opt_out": _l("Resident stopped SMS"),
    "sms_opt_in": _l("Resident allowed SMS again"),
    "delivery_retry": _l("Sending retried"),
    "booking_held": _l("Visit held, awaiting code"),
    "booking_made": _l("Visit booked"),
    "booking_confirmed": _l("Visit confirmed"),
    "booking_code_wrong": _l("Wrong confirmation code"),
    "booking_cancelled": _l("Visit cancelled"),
    "booking_rescheduled": _l("Visit moved"),
    "booking_checked_in": _l("Resident arrived"),
    "booking_done": _l("Visit done"),
    "booking_no_show": _l("Resident did not come"),
    "booking_message": _l("Visit message sent"),
    "booking_reminder": _l("Visit reminder sent"),
    "review_started": _l("Review started"),
    "reviewed": _l("Reviewed"),
    "review_acknowledged": _l("Review acknowledged by the clerk"),
    "review_disputed": _l("Review disputed by the clerk"),
    "review_resolved": _l("Dispute resolved"),
    "transcript_viewed": _l("Transcript opened"),
    "log_exported": _l("Log exported"),
    "log_verified": _l("Log chain checked"),
    "report_exported": _l("Report exported"),
    "setting_changed": _l("Setting changed"),
    "resident_data_searched": _l("Resident's data looked up"),
    "resident_data_exported": _l("Resident's data exported"),
    "resident_data_erased": _l("Resident's data erased"),
    "retention_purge": _l("Old personal data anonymised"),
    "scorecard_created": _l("Scorecard created"),
    "scorecard_published": _l("Scorecard published"),
    "calibration_created": _l("Calibration started"),
    "calibration_closed": _l("Calibration closed"),
    "signed_in": _l("Signed in"),
    "signed_out": _l("Signed out"),
    "presence": _l("Status changed"),
    "set_away": _l("Set to away"),
    "set_offline": _l("Set offline"),
    "canned_created": _l("Canned answer created"),
    "canned_updated": _l("Canned answer changed"),
    "canned_deactivated": _l("Canned answer deactivated"),
    "hours_changed": _l("Opening hours changed"),
    "queue_rebuilt": _l("Queues rebuilt"),
    "video_call_requested": _l("Resident asked for a video call"),
    "video_call_invited": _l("Clerk invited to a call"),
    "video_call_started": _l("Call in the browser started"),
    "video_call_declined": _l("Resident declined the call"),
    "video_call_ended": _l("Call in the browser ended"),
    "video_call_cancelled": _l("Call invitation withdrawn"),
}
KEYS = {
    "channel": _l("channel"), "department": _l("department"), "clerk_id": _l("clerk"),
    "from_department": _l("from"), "to_department": _l("to"), "from_clerk": _l("from clerk"),
    "to_clerk": _l("to clerk"), "disposition": _l("outcome"), "stars": _l("stars"),
    "waited_seconds": _l("waited"), "reason": _l("reason"), "added": _l("added"),
    "removed": _l("removed"), "key": _l("setting"), "old": _l("was"), "new": _l("now"),
    "rows": _l("rows"), "filters": _l("filters"), "status": _l("status"),
    "previous": _l("before"), "seconds": _l("seconds"), "attempts": _l("attempts"),
    "error": _l("error"), "kind": _l("kind"), "score": _l("score"),
    "media": _l("call"), "duration_seconds": _l("duration"), "ended_by": _l("ended by"),
}
HIDDEN = {"message_id", "interaction_id", "department_id", "has_comment", "has_note"}


def phrase(kind: str) -> str:
    """A short English phrase (translated) for an event kind; unknown kinds read as words."""
    if kind in PHRASES:
        return str(PHRASES[kind])
    if kind.startswith("delivery_"):
        return _("Delivery: %(state)s", state=kind.removeprefix("delivery_"))
    return kind.replace("_", " ").capitalize()


def who(event: InteractionEvent, staff: dict[int, User]) -> str:
    if event.actor_type == "clerk" and event.actor_id in staff:
        return staff[event.actor_id].name
    return {"resident": _("Resident"), "system": _("System")}.get(event.actor_type,
                                                                event.actor_type)


def details(event: InteractionEvent, staff: dict[int, User],
            departments: dict[str, Department], language: str) -> list[tuple[str, str]]:
    """(what, value) pairs worth reading from the event's data, in its order."""
    pairs = []
    for key, value in (event.data or {}).items():
        if key in HIDDEN or value in (None, "", [], {}):
            continue
        pairs.append((str(KEYS.get(key, key.replace("_", " "))),
                      _value(key, value, staff, departments, language)))
    return pairs


def _value(key: str, value: object, staff: dict[int, User],
           departments: dict[str, Department], language: str) -> str:
    if key in ("clerk_id", "from_clerk", "to_clerk") and isinstance(value, int):
        return staff[value].name if value in staff else f"#{value}"
    if key in ("department", "from_department", "to_department") and value in departments:
        return departments[value].name(language)
    if key == "disposition":
        return label(DISPOSITIONS, value)
    if key == "channel":
        return label(CHANNEL_LABELS, value)
    if key == "media":
        return {"video": _("video"), "voice": _("voice")}.get(str(value), str(value))
    if key == "ended_by":
        return {"clerk": _("clerk"), "resident": _("resident")}.get(str(value), str(value))
    if key in ("waited_seconds", "seconds", "duration_seconds") and isinstance(value, int | float):
        return duration(timedelta(seconds=value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def duration(span: timedelta | None) -> str:
    """"45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h"; an em dash when unknown."""
    if span is None:
        return "—"
    seconds = max(0, round(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h", days=days, hours=hours)
    if hours:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    if minutes:
        return _("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=seconds)
    return _("%(seconds)s s", seconds=seconds)


@dataclass(frozen=True)
class Times:
    """Spans read off the timeline; None when the interaction never reached that point."""

    wait: timedelta | None  # queued → first offered or taken
    first_response: timedelta | None  # queued → the clerk's first reply
    handling: timedelta | None  # first taken → closed
    total: timedelta | None  # started → closed


def derived_times(item: Interaction, events: Iterable[InteractionEvent]) -> Times:
    """The spans of one interaction from its (id-ordered) events and its stored times."""
    ordered = list(events)

    def first(*kinds: str) -> datetime | None:
        return next((e.created_at for e in ordered if e.kind in kinds), None)

    queued = first("queued") or item.queued_at
    reached = first("offered", "accepted", "claimed")
    taken = first("accepted", "claimed") or item.assigned_at
    return Times(
        wait=_between(queued, reached),
        first_response=_between(queued, item.first_response_at),
        handling=_between(taken, item.closed_at),
        total=_between(item.created_at, item.closed_at),
    )


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    return end - start if start is not None and end is not None else None
