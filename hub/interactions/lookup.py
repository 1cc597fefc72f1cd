"""Finding an interaction by id on the path every chat message takes.

The ORM's get builds the whole object from all its columns (~150 µs of CPU). A message
needs only the few columns below: read with a plain SELECT and built into the object,
they cost ~110 µs (bench/chat_steps.py; docs/performance.md, "Chat"). The object is a
normal member of the session, whose other attributes load on first use (one query).
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached

from hub.extensions import db
from hub.interactions.models import Interaction

# What receiving, replying, delivering and the checks before them read.
_COLUMNS = ("id", "channel", "state", "language", "resident_key", "clerk_id",
            "department_id", "first_response_at")
_SELECT = select(*(Interaction.__table__.c[name] for name in _COLUMNS)).where(
    Interaction.__table__.c.id == bindparam("id"))


def interaction(interaction_id: object) -> Interaction | None:
    """The interaction with this id in the current session, or None (also for an id that
    is not an integer)."""
    if type(interaction_id) is not int:
        return None
    session = db.session()
    held = session.identity_map.get(session.identity_key(Interaction, interaction_id))
    if held is not None:
        return held
    row = session.connection().execute(_SELECT, {"id": interaction_id}).mappings().first()
    if row is None:
        return None
    found = Interaction(**row)
    make_transient_to_detached(found)  # loaded as if by a query; the rest left expired
    session.add(found)
    return found
