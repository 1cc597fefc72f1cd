"""Estimated wait for a place in a queue.

A department's clerks work `slots` conversations at once (their chat capacity, summed over
the clerks available now); each takes about `mean_handling` seconds. So a place opens about
every mean_handling / slots seconds, and the resident at `position` waits about that many
times their position. With nobody available there is no honest estimate: None.
"""

from __future__ import annotations

import math


def estimate_wait(position: int, slots: int, mean_handling: float) -> int | None:
    """Seconds until the resident at `position` (1-based) is likely offered to a clerk."""
    if slots <= 0:
        return None
    return int(math.ceil(position * mean_handling / slots))
