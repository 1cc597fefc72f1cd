"""Factories for the review-list tests: past interactions in one line each, and staff.

Interactions are written as the record would hold them after the fact (a week ago, closed,
rated), with the events the hub would have logged, so the lists read them as they would
read real ones.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import select

from hub.accounts.models import Department, User
from hub.callbacks.models import CallAttempt, CallbackRequest
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import Interaction, Message
from hub.moderation.service import fingerprint
from hub.review.sampling import week_bounds
from tests.conftest import PASSWORD


def user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def department(code: str) -> Department:
    return db.session.scalar(select(Department).where(Department.code == code))


def add_staff(email: str, name: str, role: str = "supervisor") -> int:
    """A member of staff beyond the demo's, who signs in with the demo password."""
    person = User(email=email, name=name, display_name=name.split()[0], role=role,
                  departments=[department("registry")])
    person.set_password(PASSWORD)
    db.session.add(person)
    db.session.commit()
    return person.id


def in_week(monday: date, day: int = 0, hour: int = 10) -> datetime:
    """A moment in the week starting `monday` (naive UTC), `day` days in, at about `hour`."""
    return week_bounds(monday)[0] + timedelta(days=day, hours=hour)


def past(
    clerk: str | None,
    when: datetime,
    channel: str = "webchat",
    dept: str = "registry",
    *,
    wrote: bool = True,
    replied: bool = True,
    state: str = "closed",
    disposition: str | None = "resolved",
    csat: int | None = None,
    tags: list[str] | None = None,
    device: str | None = None,
    handle: str | None = None,
    waited: int = 10,
    mystery: bool = False,
    talked: int | None = None,
    replier: str | None = None,
) -> int:
    """An interaction created at `when`, answered `waited` s later and closed 10 min later;
    returns its id. `replier` writes the reply instead of the clerk (a colleague)."""
    staff = user(clerk) if clerk else None
    queued = when
    assigned = when + timedelta(seconds=waited) if staff else None
    closed = when + timedelta(minutes=10) if state in ("closed", "abandoned") else None
    item = Interaction(
        channel=channel, department=department(dept), state=state, resident_key=secrets.token_urlsafe(8),
        resident_device=fingerprint(device) if device else None, resident_handle=handle,
        clerk=staff, created_at=when, queued_at=queued, assigned_at=assigned,
        first_response_at=assigned, closed_at=closed, disposition=disposition if closed else None,
        csat=csat, tags=tags or [], mystery_shopper=mystery,
    )
    db.session.add(item)
    db.session.flush()
    record(item, "created", "resident", channel=channel).created_at = when
    if wrote:
        db.session.add(Message(interaction=item, kind="in", body="Dzień dobry, mam pytanie.",
                               created_at=when))
    if replied and staff:
        author = user(replier) if replier else staff
        db.session.add(Message(interaction=item, kind="out", body="W czym mogę pomóc?",
                               author=author, created_at=assigned))
    db.session.add(Message(interaction=item, kind="system", body="Koniec.", created_at=when))
    if channel == "callback":
        db.session.add(CallbackRequest(interaction=item, phone=handle or "+48601000000",
                                       requested_via="web", window_start=when,
                                       window_end=when + timedelta(hours=2), not_before=when))
        if talked is not None and staff:
            db.session.add(CallAttempt(interaction=item, clerk=staff, clerk_phone="+48221000001",
                                       resident_phone=handle or "+48601000000",
                                       status="completed", talk_seconds=talked, started_at=assigned))
    if closed:
        record(item, "closed", staff or "system").created_at = closed
    db.session.commit()
    return item.id

