"""A clerk whose console went silent keeps their conversations for a while, then the
residents go back to the queue in their place, so nobody waits on an empty desk."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hub.extensions import db
from hub.interactions import routing
from hub.interactions.models import Interaction
from hub.interactions.notices import announce, system_message
from hub.queue import router
from queueing.router import now_ms


def return_conversations_of_absent_clerks() -> int:
    """Requeue the conversations of clerks gone longer than REASSIGN_AFTER_SECONDS."""
    limit = now_ms() - current_app.config["REASSIGN_AFTER_SECONDS"] * 1000
    returned = 0
    for member in router().redis.smembers(router().prefix + "clerks"):
        key = f"{router().prefix}clerk:{member}"
        gone_at = router().redis.hget(key, "gone_at")
        if not gone_at or int(gone_at) > limit:
            continue
        clerk_id = int(member)
        held = db.session.scalars(
            select(Interaction).where(
                Interaction.clerk_id == clerk_id, Interaction.state == "assigned"
            )
        ).all()
        for interaction in held:
            _requeue(interaction, clerk_id)
            returned += 1
        router().redis.hdel(key, "gone_at")
    return returned


def _requeue(interaction: Interaction, clerk_id: int) -> None:
    interaction.state = "queued"
    interaction.clerk_id = None
    interaction.assigned_at = None
    with force_locale(interaction.language):
        line = _("Your clerk has lost the connection. You are back in the queue, in your "
                 "place, and the next free clerk will continue.")
    message = system_message(interaction, line, "requeued", "system", reason="clerk_gone",
                             clerk_id=clerk_id)
    db.session.commit()
    router().release(interaction.id, clerk_id)
    announce(interaction, message)
    routing.enqueue(interaction)
