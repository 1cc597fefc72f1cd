"""A conversation as plain text, for the resident to keep."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from hub.i18n import local_time
from hub.interactions.models import Interaction


def transcript_text(interaction: Interaction) -> str:
    """Every message the resident saw, with local times, in their language; no notes."""
    with force_locale(interaction.language):
        lines = [
            _("Conversation with the city office"),
            f"{_('Topic')}: {interaction.department.name(interaction.language)}",
            f"{_('Started')}: {local_time(interaction.created_at, 'medium')}",
            "",
        ]
        for message in interaction.messages:
            if not message.visible_to_resident:
                continue
            if message.kind == "in":
                who = interaction.resident_name or _("You")
            elif message.kind == "out":
                who = message.author.display_name if message.author else _("Clerk")
            else:
                who = "—"
            lines.append(f"[{local_time(message.created_at, 'medium')}] {who}: {message.body}")
    return "\n".join(lines) + "\n"
