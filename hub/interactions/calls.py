"""Video and voice calls inside a web chat: invite, accept, decline, end.

A call is a live arrangement between the resident of an interaction and the clerk holding
it; its state lives in Redis for as long as it lasts. Only the timeline keeps a trace
(invited, started, ended with its duration and who ended it): no audio or video passes
through the hub or is stored anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub import clock, signals
from hub.accounts.models import User
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import Interaction
from hub.queue import router

KINDS = ("video", "voice")
# An unanswered invitation, or a call whose parties vanished, is forgotten after this long.
TTL_SECONDS = 4 * 3600


@dataclass(frozen=True)
class Call:
    interaction_id: int
    kind: str
    status: str  # "invited" until the resident accepts, then "active"
    clerk_id: int
    started_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def payload(self) -> dict:
        return {"interaction_id": self.interaction_id, "kind": self.kind, "status": self.status}


def _key(interaction_id: int) -> str:
    return router().prefix + f"call:{interaction_id}"


def current(interaction: Interaction) -> Call | None:
    """The interaction's call (invited or active), or None."""
    fields = router().redis.hgetall(_key(interaction.id))
    if not fields:
        return None
    started = fields.get("started_at")
    return Call(interaction.id, fields["kind"], fields["status"], int(fields["clerk_id"]),
                datetime.fromisoformat(started) if started else None)


def _store(call: Call) -> None:
    key = _key(call.interaction_id)
    mapping = {"kind": call.kind, "status": call.status, "clerk_id": str(call.clerk_id)}
    if call.started_at is not None:
        mapping["started_at"] = call.started_at.isoformat()
    pipe = router().redis.pipeline()
    pipe.hset(key, mapping=mapping)
    pipe.expire(key, TTL_SECONDS)
    pipe.execute()


def request_video(interaction: Interaction) -> bool:
    """The resident asked, when starting a chat, for a video call: the interaction is tagged
    "video" for the clerk who takes it, if its department allows video calls."""
    if not interaction.department.video_calls or "video" in (interaction.tags or []):
        return False
    interaction.tags = [*(interaction.tags or []), "video"]
    record(interaction, "video_call_requested", "resident")
    db.session.commit()
    signals.interaction_changed.send(interaction)
    return True


def invite(interaction: Interaction, clerk: User, kind: str) -> Call:
    """The clerk holding a live web chat invites its resident to a call.

    InvalidInput: 'not_yours' (not the holding clerk, or the chat is not live),
    'call_not_possible' (not a web chat, or an unknown kind), 'call_in_progress'."""
    if interaction.state != "assigned" or interaction.clerk_id != clerk.id:
        raise InvalidInput("not_yours")
    if interaction.channel != "webchat" or kind not in KINDS:
        raise InvalidInput("call_not_possible")
    if current(interaction) is not None:
        raise InvalidInput("call_in_progress")
    call = Call(interaction.id, kind, "invited", clerk.id)
    _store(call)
    record(interaction, "video_call_invited", clerk, media=kind)
    db.session.commit()
    return call


def accept(interaction: Interaction) -> Call:
    """The resident accepts the invitation: the call starts now. InvalidInput('no_call')."""
    call = current(interaction)
    if call is None or call.active or interaction.clerk_id != call.clerk_id:
        raise InvalidInput("no_call")
    call = Call(call.interaction_id, call.kind, "active", call.clerk_id, clock.utcnow())
    _store(call)
    record(interaction, "video_call_started", "resident", media=call.kind)
    db.session.commit()
    return call


def decline(interaction: Interaction, reason: str = "declined") -> Call:
    """The resident says no (or their browser cannot make the call). InvalidInput('no_call')."""
    call = current(interaction)
    if call is None or call.active:
        raise InvalidInput("no_call")
    router().redis.delete(_key(interaction.id))
    record(interaction, "video_call_declined", "resident", media=call.kind, reason=reason)
    db.session.commit()
    return call


def end(interaction: Interaction, actor: User | str, reason: str = "hung_up") -> Call | None:
    """Hang up (or withdraw an unanswered invitation). `actor` is the clerk, "resident" or
    "system". Returns the call that ended, or None if there was none."""
    call = current(interaction)
    if call is None:
        return None
    router().redis.delete(_key(interaction.id))
    ended_by = "clerk" if isinstance(actor, User) else actor
    if call.active and call.started_at is not None:
        duration = max(0, round((clock.utcnow() - call.started_at).total_seconds()))
        record(interaction, "video_call_ended", actor, media=call.kind, duration_seconds=duration,
               ended_by=ended_by, reason=reason)
    else:
        record(interaction, "video_call_cancelled", actor, media=call.kind, ended_by=ended_by,
               reason=reason)
    db.session.commit()
    return call


def in_call(interaction: Interaction, *, clerk: User | None = None) -> Call:
    """The active call this party may signal in: the resident (clerk=None) or the clerk
    holding the interaction and the call. InvalidInput('no_call') for anyone else."""
    call = current(interaction)
    if call is None or not call.active or interaction.state != "assigned":
        raise InvalidInput("no_call")
    if clerk is not None and (clerk.id != call.clerk_id or interaction.clerk_id != clerk.id):
        raise InvalidInput("no_call")
    return call
