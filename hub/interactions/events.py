"""The one way anything is written to the timeline, so it is complete by construction."""

from __future__ import annotations

from typing import Any

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
    if isinstance(actor, User):
        actor_type, actor_id = "clerk", actor.id
    else:
        actor_type, actor_id = actor, None
    event = InteractionEvent(
        interaction_id=interaction.id if interaction is not None else None,
        kind=kind,
        actor_type=actor_type,
        actor_id=actor_id,
        data=data,
    )
    db.session.add(event)
    return event
