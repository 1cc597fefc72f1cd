"""Tags on an interaction (e.g. "complaint"): set by the clerk when closing or by a supervisor.

Tags feed the log's filters and the reactive review list, so they are normalised: lower
case, letters, digits, hyphens and underscores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from hub.accounts.models import User
from hub.errors import MESSAGES, InvalidInput
from hub.interactions.events import record
from hub.interactions.models import Interaction

MAX_TAGS = 10
MAX_LENGTH = 40
_TAG = re.compile(rf"^[\w-]{{1,{MAX_LENGTH}}}$")

MESSAGES.update({
    "bad_tag": _l("A tag may have 1 to %(limit)s letters, digits, hyphens or underscores."),
    "too_many_tags": _l("At most %(limit)s tags."),
})


def parse(raw: object) -> list[str]:
    """Tags from a list or a comma/space separated text; InvalidInput when one is not a tag."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else re.split(r"[,\s]+", str(raw))
    tags: list[str] = []
    for item in items:
        tag = str(item).strip().lower().lstrip("#")
        if not tag:
            continue
        if not _TAG.match(tag):
            raise InvalidInput("bad_tag", limit=MAX_LENGTH)
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInput("too_many_tags", limit=MAX_TAGS)
    return tags


def set_tags(interaction: Interaction, actor: User, tags: Iterable[str]) -> bool:
    """Replace the interaction's tags and log what changed; False when nothing did."""
    new = list(tags)
    old = list(interaction.tags or [])
    if new == old:
        return False
    interaction.tags = new
    record(interaction, "tags_changed", actor, added=[t for t in new if t not in old],
           removed=[t for t in old if t not in new])
    return True
