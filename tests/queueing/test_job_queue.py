"""Hubs sharing one Redis (several cities, or tests beside live hubs) keep their jobs apart."""

from hub import create_app
from hub.jobs import queue, submit


def test_a_hub_never_sees_the_jobs_of_another_hub_on_the_same_redis(settings):
    """Does a job queued by one hub stay out of the queue another hub's worker reads?"""
    first = create_app({**settings, "REDIS_PREFIX": settings["REDIS_PREFIX"] + "a:"})
    second = create_app({**settings, "REDIS_PREFIX": settings["REDIS_PREFIX"] + "b:"})
    with first.app_context():
        submit(print, "for the first hub only")
        assert queue().count == 1
    with second.app_context():
        assert queue().count == 0
