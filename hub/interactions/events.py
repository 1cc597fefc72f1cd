"""The one way anything is written to the timeline, so it is complete by construction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from hub.accounts.models import User
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent


def record(
    interaction: Interaction | None,
    kind: str,
    actor: User | str = "system",
    **data: Any,
) -> InteractionEvent:
    """Append an event to the session (committed with the change it describes).

    `actor` is a staff member, or "resident" / "system". Staff actions outside any
    interaction (presence, viewing, exporting) pass interaction=None.
    """
    event = InteractionEvent(**_row(interaction, kind, actor, data))
    db.session.add(event)
    return event


_INSERT = insert(InteractionEvent.__table__)


def record_now(interaction: Interaction, kind: str, actor: User | str, **data: Any) -> None:
    """Write an event at once in the session's transaction, committed with it; the same
    row as record() gives.

    For a message's event, which names the message's id: the message's flush has just
    given it, and a plain INSERT here spares a second flush of the unit of work at the
    commit (docs/performance.md, "Chat")."""
    db.session.connection().execute(_INSERT, _row(interaction, kind, actor, data))


def _row(interaction: Interaction | None, kind: str, actor: User | str,
         data: dict[str, Any]) -> dict[str, Any]:
    if isinstance(actor, User):
        actor_type, actor_id = "clerk", actor.id
    else:
        actor_type, actor_id = actor, None
    return {
        "interaction_id": interaction.id if interaction is not None else None,
        "kind": kind,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "data": data,
    }
