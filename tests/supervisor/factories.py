"""Past contacts for the log's tests, one line each: contact("Dzień dobry", "Witam")."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from hub.accounts.models import Department, User
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent, Message


def clerk_id(email: str) -> int:
    return db.session.scalar(select(User.id).where(User.email == email))


def contact(*bodies: str, channel: str = "webchat", department: str = "registry",
            clerk: str | None = None, started: datetime | None = None, csat: int | None = None,
            tags: tuple[str, ...] = (), mystery: bool = False,
            disposition: str | None = "resolved", state: str = "closed") -> int:
    """A finished contact whose messages alternate resident / clerk; returns its id.

    Call inside an app context; it is committed.
    """
    start = started or utcnow() - timedelta(minutes=30)
    department_id = db.session.scalar(select(Department.id).where(Department.code == department))
    owner = clerk_id(clerk) if clerk else None
    interaction = Interaction(
        channel=channel, department_id=department_id, state=state, language="pl",
        resident_key=secrets.token_urlsafe(8), clerk_id=owner, created_at=start,
        queued_at=start, disposition=disposition if state == "closed" else None, csat=csat,
        tags=list(tags), mystery_shopper=mystery,
        closed_at=start + timedelta(minutes=10) if state == "closed" else None,
    )
    db.session.add(interaction)
    db.session.flush()
    for n, body in enumerate(bodies):
        db.session.add(Message(interaction_id=interaction.id, kind="in" if n % 2 == 0 else "out",
                               body=body, author_id=owner if n % 2 else None,
                               created_at=start + timedelta(seconds=30 * n)))
    db.session.add(InteractionEvent(interaction_id=interaction.id, kind="created",
                                    actor_type="resident", data={"channel": channel},
                                    created_at=start))
    db.session.commit()
    return interaction.id


def listed(html: str) -> list[int]:
    """The interaction ids a log page lists, in order."""
    return [int(n) for n in re.findall(r'<th scope="row"><a href="/supervisor/interactions/(\d+)"',
                                       html)]
