"""Hub-wide counters kept in Redis, so whichever web process answers a scrape shows the same
figures.

Each is counted where it happens (a response sent, a socket handler failing, a clerk taking a
contact) and read at scrape time. They live under the hub's key prefix, survive a queue
rebuild, and are lost only with Redis itself, which Prometheus reads as a counter reset.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.queue import router

# Upper bounds (seconds) of the answer-wait histogram: a chat is answered in seconds or
# minutes, a text within 30 minutes, a form within a day.
WAIT_BUCKETS = (10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


def _key(kind: str) -> str:
    return f"{router().prefix}metrics:{kind}"


def count_response(status: int) -> None:
    """One HTTP response sent with `status` (one round trip to Redis)."""
    status_class = f"{min(max(status // 100, 2), 5)}xx"
    if status != 429:
        router().redis.hincrby(_key("http"), status_class, 1)
        return
    pipe = router().redis.pipeline(transaction=False)
    pipe.hincrby(_key("http"), status_class, 1)
    pipe.hincrby(_key("http"), "429", 1)
    pipe.execute()


def count_socket_error(namespace: str, kind: str) -> None:
    """A Socket.IO handler failed: kind "unavailable" (database or Redis out) or "error"."""
    router().redis.hincrby(_key("socket_errors"), f"{namespace}|{kind}", 1)


def count_chat_refused(reason: str) -> None:
    """A resident's new chat was turned away: reason "busy" (the process had fallen behind)."""
    router().redis.hincrby(_key("chats_refused"), reason, 1)


def chats_refused() -> dict[str, int]:
    """reason → new chats turned away by every process."""
    raw = router().redis.hgetall(_key("chats_refused"))
    return {reason: int(value) for reason, value in raw.items()}


def observe_wait(department: str, channel: str, seconds: float) -> None:
    """A contact was taken by a clerk after waiting `seconds` since it was queued."""
    bucket = next((str(bound) for bound in WAIT_BUCKETS if seconds <= bound), "+Inf")
    series = f"{department}|{channel}|"
    pipe = router().redis.pipeline(transaction=False)
    pipe.hincrby(_key("wait"), series + bucket, 1)
    pipe.hincrbyfloat(_key("wait"), series + "sum", max(seconds, 0.0))
    pipe.execute()


def http_responses() -> dict[str, int]:
    """Responses sent by every process: status class ("2xx" … "5xx", and "429") → count."""
    counts = {field: int(value) for field, value in router().redis.hgetall(_key("http")).items()}
    return {**dict.fromkeys((*STATUS_CLASSES, "429"), 0), **counts}


def socket_errors() -> dict[tuple[str, str], int]:
    """(namespace, kind) → socket handler failures in every process."""
    raw = router().redis.hgetall(_key("socket_errors"))
    return {tuple(field.rsplit("|", 1)): int(value) for field, value in raw.items()}


@dataclass(frozen=True)
class WaitHistogram:
    buckets: list[tuple[str, int]]  # (upper bound, contacts answered within it), cumulative
    total: float
    count: int


def waits() -> dict[tuple[str, str], WaitHistogram]:
    """(department code, channel) → the cumulative histogram of answer waits."""
    raw: dict[tuple[str, str], dict[str, str]] = {}
    for field, value in router().redis.hgetall(_key("wait")).items():
        department, channel, part = field.split("|", 2)
        raw.setdefault((department, channel), {})[part] = value
    histograms = {}
    for series, parts in raw.items():
        running, buckets = 0, []
        for bound in (*WAIT_BUCKETS, "+Inf"):
            running += int(parts.get(str(bound), 0))
            buckets.append((bound if bound == "+Inf" else str(float(bound)), running))
        histograms[series] = WaitHistogram(buckets, float(parts.get("sum", 0)), running)
    return histograms
