"""RQ plumbing: a queue on the hub's Redis, enqueueing with retries, and a worker.

Many small jobs (SMS, pushes) run on a SimpleWorker, which does not fork per job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import redis
from rq import Queue, Retry, SimpleWorker
from rq.job import Job


def make_queue(url: str, name: str = "default", is_async: bool = True) -> Queue:
    # RQ stores pickled bytes: it needs a client without decode_responses.
    return Queue(name, connection=redis.Redis.from_url(url), is_async=is_async)


def enqueue(queue: Queue, func: Callable[..., Any], *args: Any,
            retry_intervals: Sequence[int] = (10, 60, 300)) -> Job:
    """Run func(*args) in a worker, retried after each interval (seconds) on failure."""
    retry = Retry(max=len(retry_intervals), interval=list(retry_intervals)) \
        if retry_intervals else None
    return queue.enqueue(func, *args, retry=retry)


def work(queues: Sequence[Queue], burst: bool = False) -> bool:
    """Process jobs (forever, or until the queues are empty with burst)."""
    worker = SimpleWorker(list(queues), connection=queues[0].connection)
    return worker.work(burst=burst, with_scheduler=True)
