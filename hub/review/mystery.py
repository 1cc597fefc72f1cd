"""Mystery shoppers: a supervisor's test contact that looks ordinary to the clerk.

The contact is an ordinary interaction; only the record knows: Interaction.mystery_shopper
and a MysteryShop row (department tested, scenario, who started it), and the events
`mystery_shop_started` (staff, outside any interaction) and `mystery_shop_linked` (in the
interaction's timeline, which clerks do not see). Nothing sent to clerks carries the flag.

- Chat: the supervisor gets a link to the resident chat with a signed token (one use,
  valid PENDING_HOURS); the chat that starts with it is flagged.
- SMS: the supervisor names the phone they will text from; the next new SMS conversation
  from it within PENDING_HOURS is flagged.
- Callback: the callback is requested at once, for the number and window given, as a
  resident's from the web would be, and flagged.

A started chat or SMS contact waits as its `mystery_shop_started` event until claimed
(or withdrawn); the event log is the record of it, so no half-made row exists.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from hub.accounts.models import Department, User
from hub.callbacks.windows import Window
from hub.clock import utcnow
from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db
from hub.interactions.events import record
from hub.interactions.models import Interaction, InteractionEvent
from hub.moderation.service import fingerprint
from hub.phones import normalize_phone
from hub.review.models import MysteryShop, Review

CHANNELS = ("webchat", "sms", "callback")
PENDING_HOURS = 24
SCENARIO_MAX = 2000
STARTED, LINKED, WITHDRAWN = "mystery_shop_started", "mystery_shop_linked", "mystery_shop_withdrawn"
CLAIM_KEY = "review:mystery:claimed:"

MESSAGES.update({
    "mystery_channel": _l("Please choose chat, SMS or callback."),
    "mystery_scenario": _l("Please describe the scenario."),
    "mystery_scenario_too_long": _l("The scenario is too long: at most %(limit)s characters."),
    "mystery_link": _l("This link is not valid, has expired or has already been used."),
    "mystery_not_pending": _l("This contact has already started or was withdrawn."),
})


@dataclass(frozen=True)
class Pending:
    """A started chat or SMS contact the shopper has not made yet."""

    event_id: int
    channel: str
    department_id: int
    scenario: str
    supervisor_id: int
    started_at: datetime
    device: str | None = None  # SMS: the keyed hash of the shopper's phone

    @property
    def expires_at(self) -> datetime:
        return self.started_at + timedelta(hours=PENDING_HOURS)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="mystery-shopper")


def chat_token(pending: Pending) -> str:
    return _serializer().dumps({"p": pending.event_id})


def _department(department_id: object) -> Department:
    department = db.session.get(Department, department_id) if str(department_id).isdigit() \
        else None
    if department is None or not department.active:
        raise InvalidInput("unknown_department")
    return department


def _scenario(text: object) -> str:
    scenario = text.strip() if isinstance(text, str) else ""
    if not scenario:
        raise InvalidInput("mystery_scenario")
    if len(scenario) > SCENARIO_MAX:
        raise InvalidInput("mystery_scenario_too_long", limit=SCENARIO_MAX)
    return scenario


def _start(actor: User, channel: str, department: Department, scenario: str,
           **data: object) -> Pending:
    event = record(None, STARTED, actor, channel=channel, department_id=department.id,
                   department=department.code, scenario=scenario, **data)
    db.session.flush()
    return Pending(event.id, channel, department.id, scenario, actor.id, event.created_at,
                   data.get("device"))


def start_chat(actor: User, department_id: object, scenario: object) -> Pending:
    """A chat test: the returned pending contact's chat_token() goes in the link."""
    department, text = _department(department_id), _scenario(scenario)
    if not department.public:
        raise InvalidInput("unknown_department")
    pending = _start(actor, "webchat", department, text)
    db.session.commit()
    return pending


def start_sms(actor: User, department_id: object, scenario: object, phone: object) -> Pending:
    """An SMS test from `phone`: its next new conversation within PENDING_HOURS is flagged."""
    department, text = _department(department_id), _scenario(scenario)
    number = normalize_phone(phone)
    pending = _start(actor, "sms", department, text, device=fingerprint(number))
    db.session.commit()
    return pending


def start_callback(actor: User, department_id: object, scenario: object, phone: object,
                   window: Window | None, cancel_link: Callable[[str], str]) -> MysteryShop:
    """A callback test: requested now like a resident's from the web, and flagged."""
    from hub.callbacks import service as callbacks

    department, text = _department(department_id), _scenario(scenario)
    number = normalize_phone(phone)
    interaction = callbacks.request_callback(
        department.code, number, window=window, via="web", cancel_link=cancel_link,
        public_only=False,
    )
    pending = _start(actor, "callback", department, text)
    return link(interaction, pending)


def _pending_events(now: datetime) -> list[InteractionEvent]:
    """The day's mystery-shop events, oldest first (sorted here: an ORDER BY id would make
    SQLite walk the whole table instead of the time index)."""
    since = now - timedelta(hours=PENDING_HOURS)
    return sorted(db.session.scalars(
        select(InteractionEvent).where(InteractionEvent.created_at >= since,
                                       InteractionEvent.kind.in_((STARTED, LINKED, WITHDRAWN)))
    ), key=lambda e: e.id)


def pending(now: datetime | None = None) -> list[Pending]:
    """Chat and SMS contacts started in the last PENDING_HOURS, not yet made or withdrawn."""
    events = _pending_events(now or utcnow())
    finished = {e.data.get("pending") for e in events if e.kind in (LINKED, WITHDRAWN)}
    return [
        Pending(e.id, e.data["channel"], e.data["department_id"], e.data.get("scenario", ""),
                e.actor_id, e.created_at, e.data.get("device"))
        for e in events
        if e.kind == STARTED and e.id not in finished and e.data.get("channel") != "callback"
    ]


def find_pending(event_id: object, channel: str) -> Pending:
    found = next((p for p in pending() if p.event_id == event_id and p.channel == channel), None)
    if found is None:
        raise InvalidInput("mystery_not_pending")
    return found


def chat_pending(token: object) -> Pending:
    """The pending chat contact a link's token names; InvalidInput('mystery_link') if the
    token is forged or expired, or the contact was made or withdrawn."""
    if not isinstance(token, str) or not token:
        raise InvalidInput("mystery_link")
    try:
        data = _serializer().loads(token, max_age=PENDING_HOURS * 3600)
    except BadSignature:
        raise InvalidInput("mystery_link") from None
    try:
        return find_pending(data.get("p"), "webchat")
    except InvalidInput:
        raise InvalidInput("mystery_link") from None


def _claim_once(pending: Pending) -> bool:
    """True for the first claim of a pending contact across processes (a Redis key)."""
    from hub.queue import router

    key = router().prefix + CLAIM_KEY + str(pending.event_id)
    return bool(router().redis.set(key, "1", nx=True, ex=2 * PENDING_HOURS * 3600))


def link(interaction: Interaction, pending: Pending) -> MysteryShop | None:
    """Flag the interaction as this mystery-shopper contact (None if it was claimed
    meanwhile by another contact: this one then stays an ordinary one)."""
    if pending.channel != "callback" and not _claim_once(pending):
        return None
    interaction.mystery_shopper = True
    shop = MysteryShop(interaction=interaction, department_id=pending.department_id,
                       supervisor_id=pending.supervisor_id, scenario=pending.scenario)
    db.session.add(shop)
    db.session.flush()
    record(interaction, LINKED, "system", pending=pending.event_id, shop_id=shop.id,
           supervisor=pending.supervisor_id)
    db.session.commit()
    return shop


def claim_sms(interaction: Interaction) -> MysteryShop | None:
    """Called when a text opens a new SMS conversation: flag it if its number is awaited."""
    if interaction.channel != "sms" or not interaction.resident_device:
        return None
    awaited = next((p for p in pending() if p.channel == "sms"
                    and p.device == interaction.resident_device), None)
    return link(interaction, awaited) if awaited is not None else None


def withdraw(event_id: object, actor: User) -> None:
    """The supervisor calls off a chat or SMS contact not yet made."""
    found = next((p for p in pending() if p.event_id == event_id), None)
    if found is None:
        raise InvalidInput("mystery_not_pending")
    record(None, WITHDRAWN, actor, pending=found.event_id)
    db.session.commit()


# -- scoring and reporting -------------------------------------------------------------------


def latest_reviews(shops: list[MysteryShop]) -> dict[int, Review]:
    """Interaction id → the latest submitted mystery review of it."""
    ids = [s.interaction_id for s in shops]
    found: dict[int, Review] = {}
    if not ids:
        return found
    for review in db.session.scalars(
        select(Review).where(Review.kind == "mystery", Review.submitted_at.is_not(None),
                             Review.interaction_id.in_(ids)).order_by(Review.submitted_at)
    ):
        found[review.interaction_id] = review
    return found


def shops(since: datetime | None = None, until: datetime | None = None) -> list[MysteryShop]:
    """Mystery-shopper contacts started in [since, until), newest first."""
    query = select(MysteryShop).order_by(MysteryShop.id.desc())
    if since is not None:
        query = query.where(MysteryShop.created_at >= since)
    if until is not None:
        query = query.where(MysteryShop.created_at < until)
    return list(db.session.scalars(query))


def department_scores(since: datetime | None = None,
                      until: datetime | None = None) -> dict[int, tuple[int, float]]:
    """Department id → (contacts scored, mean score 0..1), over the contacts started in
    [since, until), each counted by its latest submitted mystery review."""
    found = shops(since, until)
    reviews = latest_reviews(found)
    scores: dict[int, list[float]] = {}
    for shop in found:
        review = reviews.get(shop.interaction_id)
        if review is not None and review.score is not None:
            scores.setdefault(shop.department_id, []).append(review.score)
    return {d: (len(values), statistics.fmean(values)) for d, values in scores.items()}


# -- demo ------------------------------------------------------------------------------------

DEMO_SCENARIOS = {
    "registry": "Pytam o odpis aktu urodzenia dla syna. Dobra odpowiedź: ePUAP albo okienko, "
                "22 zł, gotowy w 3 dni robocze.",
    "vehicles": "Kupiłem samochód z Niemiec. Dobra odpowiedź: dokumenty (własność, tłumaczenia, "
                "badanie, akcyza), rejestracja czasowa od ręki, stała do 30 dni.",
    "taxes": "Nie dostałem decyzji podatkowej. Dobra odpowiedź: sprawdzenie, duplikat, termin "
             "raty.",
}


def load_demo_mystery(supervisor_email: str = "ewa@okienko.local", seed: int = 6) -> int:
    """Scored mystery-shopper chats in the demo history (one per department above), so the
    mystery page and the quality index have something to show; returns how many were added.
    Does nothing when there are some already or no suitable past chat."""
    import random

    from hub.review import sampling
    from hub.review.service import current_version, start_review, submit_review

    supervisor = db.session.scalar(select(User).where(User.email == supervisor_email))
    if supervisor is None or db.session.scalar(select(MysteryShop.id).limit(1)) is not None:
        return 0
    rng = random.Random(seed)
    criteria = current_version().criteria
    added = 0
    for code, scenario in DEMO_SCENARIOS.items():
        department = db.session.scalar(select(Department).where(Department.code == code))
        interaction = db.session.scalar(
            select(Interaction).join(Department)
            .where(Department.code == code, Interaction.channel == "webchat",
                   sampling.reviewable(), sampling.real_exchange(),
                   Interaction.closed_at < utcnow() - timedelta(days=8))
            .order_by(Interaction.id).limit(1))
        if department is None or interaction is None:
            continue
        interaction.mystery_shopper = True
        shop = MysteryShop(interaction=interaction, department=department, supervisor=supervisor,
                           scenario=scenario, created_at=interaction.created_at)
        db.session.add(shop)
        db.session.flush()
        record(interaction, LINKED, "system", shop_id=shop.id, supervisor=supervisor.id)
        review = start_review(interaction, supervisor, "mystery")
        values = {c.id: c.scale_max if c.severity == "fatal" or rng.random() < 0.75
                  else max(c.scale_min, c.scale_max - 1) for c in criteria}
        submit_review(review, supervisor, values, {}, "")
        added += 1
    db.session.commit()
    return added
