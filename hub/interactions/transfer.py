"""Handing a conversation to another department or a named colleague.

The resident stays in the same conversation and keeps their place: the contact goes back
to the queue with its first queueing time, so it is offered ahead of newer ones.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hub.accounts.models import User
from hub.errors import InvalidInput
from hub.extensions import db
from hub.interactions import routing
from hub.interactions.access import check_handler
from hub.interactions.models import Interaction, Message
from hub.interactions.notices import announce, system_message
from hub.interactions.service import find_department
from hub.queue import router
from queueing.router import Offer

NOTE_MAX = 1000


def transfer_targets(clerk: User) -> dict:
    """Departments, and colleagues available now, a conversation can be handed to."""
    from hub.accounts.models import Department

    departments = db.session.scalars(select(Department).where(Department.active)).all()
    colleagues = db.session.scalars(
        select(User).where(User.active, User.id != clerk.id, User.presence == "available")
        .order_by(User.name)
    ).all()
    return {
        "departments": [{"code": d.code, "name_pl": d.name_pl, "name_en": d.name_en}
                        for d in departments],
        "clerks": [{"id": u.id, "name": u.name, "departments": list(u.department_codes)}
                   for u in colleagues],
    }


def transfer(
    interaction: Interaction,
    clerk: User,
    department_code: str,
    to_clerk_id: int | None = None,
    note: str | None = None,
) -> Interaction:
    """Move an assigned conversation to a department, optionally offered to a named clerk."""
    check_handler(interaction, clerk, assigned=True)
    department = find_department(department_code, public_only=False)
    target = _target(to_clerk_id, department.code, clerk) if to_clerk_id else None
    text = (note or "").strip() if isinstance(note, str) else ""
    if len(text) > NOTE_MAX:
        raise InvalidInput("message_too_long", limit=NOTE_MAX)

    holder, from_department = interaction.clerk_id, interaction.department.code
    if text:
        db.session.add(Message(interaction=interaction, kind="note", body=text, author=clerk))
    interaction.department = department
    interaction.state = "queued"
    interaction.clerk_id = None
    interaction.assigned_at = None
    with force_locale(interaction.language):
        line = _("You are being transferred to %(department)s. Please stay in this "
                 "conversation: you keep your place in the queue.",
                 department=department.name(interaction.language))
    message = system_message(interaction, line, "transferred", clerk,
                             from_department=from_department, to_department=department.code,
                             from_clerk=holder, to_clerk=target.id if target else None,
                             has_note=bool(text))
    db.session.commit()

    router().release(interaction.id, holder)
    announce(interaction, message)
    offered = target is not None and router().offer_to(
        interaction.id, target.id, department.code, interaction.queue_score
    )
    if offered:
        routing.record_offers([Offer(interaction.id, target.id, department.code)],
                              rule="named_transfer")
    else:
        routing.enqueue(interaction)
    routing.dispatch_for_clerk(holder)
    return interaction


def _target(clerk_id: object, department: str, sender: User) -> User:
    try:
        target = db.session.get(User, int(clerk_id))
    except (TypeError, ValueError):
        target = None
    if target is None or not target.active or target.id == sender.id:
        raise InvalidInput("unknown_clerk")
    if department not in target.department_codes:
        raise InvalidInput("clerk_lacks_skill")
    if target.presence != "available":
        raise InvalidInput("clerk_unavailable")
    return target
