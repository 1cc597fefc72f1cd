"""Searching the interaction log: filters in, a page of interactions out.

Without words the most recently started interactions come first. With words, the
interactions whose messages contain them, ordered by their newest matching message (so
results can be read off the full-text index newest first, without collecting every match
of a common word).
The log page, its CSV export and bench/log_search.py all go through search() and
matching().
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import and_, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import ColumnElement

from hub.accounts.models import Department, User
from hub.clock import office_zone, to_utc
from hub.errors import MESSAGES, InvalidInput
from hub.extensions import db
from hub.interactions import fulltext
from hub.interactions import tags as tagging
from hub.interactions.dispositions import DISPOSITIONS
from hub.interactions.fulltext import Query
from hub.interactions.models import CHANNELS, Interaction, Message

PAGE_SIZE = 50
FEW = 300  # at most this many interactions pass the other filters: search only theirs
FIRST_CHUNK, LAST_CHUNK = 200, 20000  # matches read per query while walking the index
NEWEST = (Interaction.created_at.desc(), Interaction.id.desc())  # the list without words
BOUNDED_SPAN = 20000  # at most this many interactions in a period: bound its message ids
WALK_MS = 40  # PostgreSQL: how long the first walk may take before collecting instead
FIRST_YEAR, LAST_YEAR = 1970, 2999  # dates outside are typing mistakes

MESSAGES.update({
    "log_bad_date": _l("Please give a date as YYYY-MM-DD, e.g. 2027-05-04."),
    "log_dates_backwards": _l("The end of the period is before its start."),
    "log_unknown_channel": _l("Please choose a channel from the list."),
    "log_unknown_department": _l("Please choose a department from the list."),
    "log_unknown_clerk": _l("Please choose a member of staff from the list."),
    "log_unknown_disposition": _l("Please choose an outcome from the list."),
    "log_bad_tag": _l("A tag has 1 to 40 letters, digits, hyphens or underscores."),
    "log_bad_rating": _l("Please choose a rating from the list."),
    "log_bad_mystery": _l("Please choose whether to show mystery-shopper contacts."),
    "log_no_words": _l("Please type at least one word (letters or digits) to search for."),
    "log_too_many_words": _l("Please search for at most %(limit)s words."),
})


@dataclass(frozen=True)
class LogFilters:
    """What the log is narrowed to; None (or "") means any."""

    date_from: date | None = None  # the office's local dates, both included
    date_to: date | None = None
    channel: str | None = None
    department: str | None = None  # department code
    clerk_id: int | None = None
    disposition: str | None = None
    tag: str | None = None
    csat: int | str | None = None  # 1–5, or "low" for 1 or 2
    mystery: bool | None = None
    text: str = ""

    def query(self) -> Query | None:
        return Query.parse(self.text) if self.text else None

    def for_record(self) -> dict[str, object]:
        """The filters for the audit trail: the words searched are counted, not kept,
        since they may be a resident's name or number."""
        chosen = {k: (v.isoformat() if isinstance(v, date) else v)
                  for k, v in asdict(self).items() if v not in (None, "") and k != "text"}
        if self.text:
            chosen["words"] = len(Query.parse(self.text).words)
        return chosen


def parse_filters(args: Mapping[str, str]) -> tuple[LogFilters, dict[str, InvalidInput]]:
    """Filters from a query string; a bad value is left out and reported under its name."""
    raw = {name: (args.get(name) or "").strip() for name in (
        "from", "to", "channel", "department", "clerk", "disposition", "tag", "csat",
        "mystery", "q")}
    values: dict[str, object] = {}
    errors: dict[str, InvalidInput] = {}
    for name, parse in _PARSERS.items():
        if raw[name]:
            try:
                values.update(parse(raw[name]))
            except InvalidInput as error:
                errors[name] = error
    if values.get("date_from") and values.get("date_to") and values["date_to"] < values["date_from"]:
        errors["to"] = InvalidInput("log_dates_backwards")
        del values["date_to"]
    return LogFilters(**values), errors


def _date(key: str):
    def parse(text: str) -> dict[str, date]:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput("log_bad_date") from None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InvalidInput("log_bad_date")
        return {key: day}
    return parse


def _one_of(key: str, allowed, code: str):
    def parse(text: str) -> dict[str, str]:
        if text not in allowed:
            raise InvalidInput(code)
        return {key: text}
    return parse


def _department(text: str) -> dict[str, str]:
    if not db.session.scalar(select(Department.id).where(Department.code == text)):
        raise InvalidInput("log_unknown_department")
    return {"department": text}


def _clerk(text: str) -> dict[str, int]:
    clerk = db.session.get(User, int(text)) if is_id(text) else None
    if clerk is None:
        raise InvalidInput("log_unknown_clerk")
    return {"clerk_id": clerk.id}


def _tag(text: str) -> dict[str, str]:
    try:
        tags = tagging.parse(text)
    except InvalidInput:
        tags = []
    if len(tags) != 1:
        raise InvalidInput("log_bad_tag")
    return {"tag": tags[0]}


def _csat(text: str) -> dict[str, int | str]:
    if text == "low":
        return {"csat": "low"}
    if len(text) == 1 and text in "12345":
        return {"csat": int(text)}
    raise InvalidInput("log_bad_rating")


def _mystery(text: str) -> dict[str, bool]:
    if text not in ("any", "yes", "no"):
        raise InvalidInput("log_bad_mystery")
    return {} if text == "any" else {"mystery": text == "yes"}


def _words(text: str) -> dict[str, str]:
    words = Query.parse(text).words
    if not words:
        raise InvalidInput("log_no_words")
    if len(words) > fulltext.MAX_WORDS:
        raise InvalidInput("log_too_many_words", limit=fulltext.MAX_WORDS)
    return {"text": text[:500]}


_PARSERS = {
    "from": _date("date_from"), "to": _date("date_to"),
    "channel": _one_of("channel", CHANNELS, "log_unknown_channel"),
    "department": _department, "clerk": _clerk,
    "disposition": _one_of("disposition", DISPOSITIONS, "log_unknown_disposition"),
    "tag": _tag, "csat": _csat, "mystery": _mystery, "q": _words,
}


def is_id(text: str) -> bool:
    """Digits that fit a database integer."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def conditions(filters: LogFilters) -> list[ColumnElement[bool]]:
    """SQL conditions on Interaction for every filter but the words."""
    found: list[ColumnElement[bool]] = []
    if filters.date_from:
        found.append(Interaction.created_at >= _local_midnight(filters.date_from))
    if filters.date_to:
        found.append(Interaction.created_at < _local_midnight(filters.date_to + timedelta(days=1)))
    if filters.channel:
        found.append(Interaction.channel == filters.channel)
    if filters.department:
        found.append(Interaction.department_id == select(Department.id).where(
            Department.code == filters.department).scalar_subquery())
    if filters.clerk_id:
        found.append(Interaction.clerk_id == filters.clerk_id)
    if filters.disposition:
        found.append(Interaction.disposition == filters.disposition)
    if filters.tag:
        found.append(_has_tag(filters.tag))
    if filters.csat == "low":
        found.append(Interaction.csat.in_((1, 2)))
    elif filters.csat:
        found.append(Interaction.csat == filters.csat)
    if filters.mystery is not None:
        found.append(Interaction.mystery_shopper.is_(filters.mystery))
    return found


def _local_midnight(day: date) -> datetime:
    return to_utc(datetime.combine(day, time(0), tzinfo=office_zone()))


def _has_tag(tag: str) -> ColumnElement[bool]:
    if db.engine.dialect.name == "postgresql":
        return cast(Interaction.tags, JSONB).contains(cast([tag], JSONB))
    each = func.json_each(Interaction.tags).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == tag))


@dataclass
class Result:
    """One row of the log: the interaction and, for a search by words, where they were found."""

    interaction: Interaction
    hit_id: int | None = None  # the newest matching message
    snippet: Markup | None = None


@dataclass
class Page:
    rows: list[Result] = field(default_factory=list)
    number: int = 1
    has_older: bool = False

    @property
    def has_newer(self) -> bool:
        return self.number > 1


def search(filters: LogFilters, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of the log, newest first (with words: newest matching message first)."""
    skip = (max(page, 1) - 1) * per_page
    query = filters.query()
    if query is None:
        ids = list(db.session.scalars(
            select(Interaction.id).where(*conditions(filters))
            .order_by(*NEWEST).offset(skip).limit(per_page + 1)))
        hits: dict[int, int] = {}
    else:
        hits = dict(islice(matching(filters, query), skip, skip + per_page + 1))
        ids = list(hits)
    rows = _load(ids[:per_page], hits, query)
    return Page(rows, max(page, 1), len(ids) > per_page)


def every(filters: LogFilters, batch: int = 500) -> Iterator[Interaction]:
    """All matching interactions in the page's order, loaded a batch at a time (for export)."""
    query = filters.query()
    if query is None:
        after: list = []
        while True:
            rows = db.session.execute(
                select(Interaction.id, Interaction.created_at).where(*conditions(filters), *after)
                .order_by(*NEWEST).limit(batch)).all()
            yield from (r.interaction for r in _load([i for i, _ in rows], {}, None))
            if len(rows) < batch:
                return
            last_id, last_start = rows[-1]
            after = [or_(Interaction.created_at < last_start, and_(
                Interaction.created_at == last_start, Interaction.id < last_id))]
    found = matching(filters, query)
    while ids := [i for i, _ in islice(found, batch)]:
        yield from (r.interaction for r in _load(ids, {}, None))


def _load(ids: list[int], hits: dict[int, int], query: Query | None) -> list[Result]:
    if not ids:
        return []
    loaded = {i.id: i for i in db.session.scalars(
        select(Interaction).where(Interaction.id.in_(ids))
        .options(joinedload(Interaction.department), joinedload(Interaction.clerk)))}
    bodies = {}
    if query is not None and hits:
        bodies = dict(db.session.execute(
            select(Message.id, Message.body).where(Message.id.in_([hits[i] for i in ids]))).all())
    return [Result(loaded[i], hits.get(i),
                   fulltext.snippet(bodies[hits[i]], query) if hits.get(i) in bodies else None)
            for i in ids if i in loaded]


def matching(filters: LogFilters, query: Query) -> Iterator[tuple[int, int]]:
    """(interaction id, newest matching message id) for every interaction whose messages
    contain the words and that passes the other filters, newest match first."""
    where = conditions(filters)
    if where:
        few = list(db.session.scalars(select(Interaction.id).where(*where).limit(FEW + 1)))
        if len(few) <= FEW:
            yield from _matching_among(few, query)
            return
    bounds = _date_bounds(filters) if filters.date_from or filters.date_to else None
    yield from _walk_index(where, query, bounds)


def _date_bounds(filters: LogFilters) -> tuple[int, int] | None:
    """The ids of the messages of the interactions started in the period, as (lowest,
    highest), so the index is read only there; None when the period is too long to help."""
    dated = conditions(LogFilters(date_from=filters.date_from, date_to=filters.date_to))
    first, last = db.session.execute(
        select(*_span(Interaction.id)).where(*dated)).one()
    if first is None:
        return (1, 0)
    if last - first > BOUNDED_SPAN:
        return None
    low, high = db.session.execute(select(*_span(Message.id)).where(
        Message.interaction_id.between(first, last))).one()
    return (1, 0) if low is None else (low, high)


def _span(column) -> tuple:
    """min() and max() of a column over the rows a filter selects. "+ 0" keeps PostgreSQL
    from answering them by walking the primary key from either end, which filters its way
    through most of the table when the rows wanted sit in the middle."""
    return func.min(column + 0), func.max(column + 0)


def _walk_index(where: list, query: Query,
                bounds: tuple[int, int] | None) -> Iterator[tuple[int, int]]:
    """Read matches off the index newest first, a growing chunk at a time, and keep the
    first (newest) one of each interaction: common words stop after the first page."""
    condition, message_id = fulltext.matches(db.engine.dialect.name, query)
    seen: set[int] = set()
    before, chunk = None, FIRST_CHUNK
    if bounds is not None:
        condition = condition & (message_id >= bounds[0])
        before = bounds[1] + 1
    postgresql = db.engine.dialect.name == "postgresql"
    while True:
        statement = (
            select(message_id.label("hit"), Message.interaction_id)
            .where(condition, *([message_id < before] if before is not None else []))
            .order_by(message_id.desc()).limit(chunk)
        )
        if message_id is not Message.id:
            statement = statement.select_from(fulltext.messages_fts).join(
                Message, Message.id == message_id)
        if where:
            statement = statement.join(Interaction, Interaction.id == Message.interaction_id)
            statement = statement.where(*where)
        if postgresql and chunk == FIRST_CHUNK:
            # PostgreSQL reads newest first along the primary key when it guesses the words
            # (and filters) common; when they are rare together that walk is long, so after
            # a moment the few matches are collected through the GIN index instead.
            rows = fulltext.within(statement, WALK_MS)
            if rows is None:
                yield from _collect(where, condition & (message_id < before)
                                    if before is not None else condition)
                return
        else:
            rows = db.session.execute(statement).all()
        for hit, interaction_id in rows:
            if interaction_id not in seen:
                seen.add(interaction_id)
                yield interaction_id, hit
        if len(rows) < chunk:
            return
        before, chunk = rows[-1].hit, min(chunk * 4, LAST_CHUNK)


def _collect(where: list, condition) -> Iterator[tuple[int, int]]:
    """PostgreSQL, few matches: all of them through the GIN index, newest first."""
    hits = (select(Message.id, Message.interaction_id).where(condition)
            .cte("hits").prefix_with("MATERIALIZED"))
    statement = select(hits.c.id, hits.c.interaction_id).order_by(hits.c.id.desc())
    if where:
        statement = statement.join(Interaction, Interaction.id == hits.c.interaction_id)
        statement = statement.where(*where)
    with fulltext.planner(seqscan=False):
        rows = db.session.execute(statement).all()
    seen: set[int] = set()
    for hit, interaction_id in rows:
        if interaction_id not in seen:
            seen.add(interaction_id)
            yield interaction_id, hit


def _matching_among(ids: list[int], query: Query) -> Iterator[tuple[int, int]]:
    """The newest match in each of a few interactions: the index is read only between
    their first and last message (on SQLite; PostgreSQL plans this itself)."""
    if not ids:
        return
    low, high = db.session.execute(select(*_span(Message.id)).where(
        Message.interaction_id.in_(ids))).one()
    if low is None:
        return
    newest = func.max(Message.id).label("hit")
    yield from db.session.execute(
        select(Message.interaction_id, newest)
        .where(Message.interaction_id.in_(ids),
               fulltext.among(db.engine.dialect.name, query, low, high))
        .group_by(Message.interaction_id).order_by(newest.desc())).all()
