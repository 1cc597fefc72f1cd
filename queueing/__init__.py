"""The unified queue and routing engine on Redis.

It speaks in ids, department codes and capacities, never in models: the domain in `hub/`
hands it what it needs and acts on what it returns.
"""

from queueing.router import Offer, Router

__all__ = ["Offer", "Router"]
