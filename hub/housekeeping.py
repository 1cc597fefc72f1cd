"""Periodic work beside routing: sealing the log, the retention purge, review lists.

Each step is cheap when there is nothing to do and is guarded on its own, so a failure in
one (logged) never stops routing or the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from hub.extensions import db

log = logging.getLogger(__name__)
# Steps the channels add at start-up (e.g. SMS: sending on texts whose worker died).
_registered: dict[str, Callable[[], int]] = {}


def register_step(name: str, step: Callable[[], int]) -> None:
    _registered[name] = step


def run() -> dict[str, int]:
    """One pass of every housekeeping step; returns what each did."""
    from hub.interactions.chain import seal_pending
    from hub.privacy.retention import purge_if_due
    from hub.review.reactive import reactive_due
    from hub.review.sampling import draw_due

    steps: dict[str, Callable[[], int]] = {
        "sealed": seal_pending, "anonymised": purge_if_due,
        "sampled": draw_due, "reactive": reactive_due, **_registered,
    }
    return {name: _guarded(name, step) for name, step in steps.items()}


def _guarded(name: str, step: Callable[[], int]) -> int:
    try:
        return step()
    except Exception:  # one failing step must not stop routing or the other steps
        log.exception("housekeeping step %s failed", name)
        db.session.rollback()
        return 0
