"""Load shedding: a web process that has fallen behind refuses new chats, not its open ones.

Past saturation a web process's backlog grows without bound, and every socket it serves
waits seconds for each message (docs/performance.md, "Chat"): one chat too many slows all
of them. So a web process watches how late its event loop wakes a sleeper. While a wake-up
in the last WINDOW_SECONDS came later than CHAT_ADMISSION_LAG_MS, a resident starting a
chat is told that the office is very busy and offered a call back. Conversations already
open go on, and so does a resume after a reload or a reconnect.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from flask import Flask, current_app

from hub.extensions import socketio

INTERVAL_SECONDS = 0.1  # how often the loop is asked to wake the watcher
WINDOW_SECONDS = 2.0  # how long one late wake-up keeps new chats out
_EXTENSION = "okienko.loop_lag"


class LoopLag:
    """How late the event loop has lately woken a greenlet that asked to sleep."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque()  # (when woken, seconds late)

    def watch(self, sleep: Callable[[float], object]) -> None:
        """Sleep and measure, for ever: the web process's background task."""
        while True:
            asked = time.monotonic()
            sleep(INTERVAL_SECONDS)
            woken = time.monotonic()
            self._record(woken, woken - asked - INTERVAL_SECONDS)

    def _record(self, woken: float, late: float) -> None:
        self._samples.append((woken, max(late, 0.0)))
        while self._samples and self._samples[0][0] < woken - WINDOW_SECONDS:
            self._samples.popleft()

    def worst(self) -> float:
        """The latest wake-up of the window, in seconds (0 before the first)."""
        since = time.monotonic() - WINDOW_SECONDS
        # A copy: with threads (the development server) the watcher may append meanwhile.
        samples = list(self._samples)
        return max((late for woken, late in samples if woken >= since), default=0.0)


def start_watching(app: Flask) -> None:
    """Measure this web process's event loop from now on (called once per web process)."""
    lag = app.extensions[_EXTENSION] = LoopLag()
    socketio.start_background_task(lag.watch, socketio.sleep)


def loop_lag() -> float | None:
    """This process's worst recent loop lag in seconds; None where nothing measures it
    (a worker, the CLI, the test client)."""
    lag = current_app.extensions.get(_EXTENSION)
    return lag.worst() if lag is not None else None


def too_busy_for_new_chats() -> bool:
    """Whether this process should refuse a new chat now (CHAT_ADMISSION_LAG_MS; 0: never)."""
    limit_ms = current_app.config["CHAT_ADMISSION_LAG_MS"]
    lag = loop_lag()
    return bool(limit_ms) and lag is not None and lag * 1000 > limit_ms
