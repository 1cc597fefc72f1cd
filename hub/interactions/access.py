"""Who may act on an interaction: the clerk who holds it, or a supervisor."""

from __future__ import annotations

from hub.accounts.models import User
from hub.errors import InvalidInput
from hub.interactions.models import Interaction


def check_handler(interaction: Interaction, clerk: User, *, assigned: bool = False) -> None:
    """InvalidInput('not_yours') unless `clerk` holds it or is a supervisor; with
    assigned=True it must also still be assigned (a live conversation)."""
    if assigned and interaction.state != "assigned":
        raise InvalidInput("not_yours")
    if interaction.clerk_id != clerk.id and not clerk.has_role("supervisor"):
        raise InvalidInput("not_yours")
