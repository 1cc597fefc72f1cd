"""Full text of the messages: residents' words turned into a safe query, per database.

SQLite searches the FTS5 table messages_fts, PostgreSQL the stored column messages.body_tsv
= to_tsvector('okienko_search', body) and its GIN index (both made by migration a6b100000001). The words typed
are never passed on as query syntax: each is reduced to letters and digits and quoted, so
input like `"`, `NEAR(` or `*` cannot cause an error. All words must occur in one message;
the last one may be the start of a word ("zaświadcz" finds "zaświadczenie").

Diacritics are folded ("zaswiadczenie" finds "zaświadczenie"), except that Unicode gives
"ł" no decomposition, so SQLite keeps it apart from "l": a word typed with "l" is also
searched with "ł" in its place (and the other way round), which is how Polish is often
typed without diacritics.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import Integer, column, func, literal_column, select, table, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import ColumnElement

from hub.extensions import db
from hub.interactions.models import Message

MAX_WORDS = 8
MAX_WORD_LENGTH = 60
PREFIX_FROM = 3  # letters the last word needs before it also matches longer words
PG_CONFIG = "okienko_search"
_WORD = re.compile(r"[^\W_]+")  # as FTS5's unicode61 tokenizer: "_" separates words
_L_VARIANTS = 3  # at most 2**3 spellings of a word's l/ł

messages_fts = table("messages_fts", column("rowid", Integer))


@dataclass(frozen=True)
class Query:
    """The words of a search, lower case, in the order typed."""

    words: tuple[str, ...]
    prefix_last: bool

    @classmethod
    def parse(cls, text: str) -> Query:
        words = tuple(dict.fromkeys(w.casefold()[:MAX_WORD_LENGTH] for w in _WORD.findall(text)))
        return cls(words, bool(words) and len(words[-1]) >= PREFIX_FROM)

    def prefixed(self, index: int) -> bool:
        return self.prefix_last and index == len(self.words) - 1

    def fts5(self) -> str:
        """An FTS5 MATCH expression: every word, quoted; l/ł alternatives OR-ed."""
        terms = []
        for n, word in enumerate(self.words):
            star = "*" if self.prefixed(n) else ""
            options = [f'"{spelling}"{star}' for spelling in _spellings(word)]
            terms.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
        return " AND ".join(terms)

    def tsquery(self) -> str:
        """A to_tsquery expression for PostgreSQL, built the same way."""
        terms = []
        for n, word in enumerate(self.words):
            star = ":*" if self.prefixed(n) else ""
            options = [f"'{spelling}'{star}" for spelling in _spellings(word)]
            terms.append("(" + " | ".join(options) + ")")
        return " & ".join(terms)


def _spellings(word: str) -> list[str]:
    """The word, and the word with its l and ł swapped (the first few of them)."""
    places = [i for i, ch in enumerate(word) if ch in "lł"][:_L_VARIANTS]
    spellings = []
    for choice in itertools.product("lł", repeat=len(places)):
        letters = list(word)
        for place, letter in zip(places, choice, strict=True):
            letters[place] = letter
        spellings.append("".join(letters))
    return sorted(set(spellings), key=lambda s: (s != word, s))


def matches(dialect: str, query: Query) -> tuple[ColumnElement[bool], ColumnElement[int]]:
    """(condition, message id) to search with: the FTS table's rowid on SQLite, else the
    message's id with a condition the GIN index answers."""
    if dialect == "sqlite":
        condition = literal_column("messages_fts").op("MATCH")(query.fts5())
        return condition, messages_fts.c.rowid
    config = literal_column(f"'{PG_CONFIG}'::regconfig")
    condition = literal_column("messages.body_tsv").op("@@")(
        func.to_tsquery(config, query.tsquery()))
    return condition, Message.id


@contextmanager
def planner(**switches: bool) -> Iterator[None]:
    """PostgreSQL: turn planner methods off for the statements inside (this transaction)."""
    names = [f"enable_{name}" for name, on in switches.items() if not on]
    for name in names:
        db.session.execute(text(f"SET LOCAL {name} = off"))
    try:
        yield
    finally:
        for name in names:
            db.session.execute(text(f"SET LOCAL {name} = on"))


def within(statement, milliseconds: int) -> list | None:
    """PostgreSQL: the statement's rows, or None when it takes longer than `milliseconds`
    (the server cancels it; the session carries on from a savepoint)."""
    from psycopg.errors import QueryCanceled

    previous = db.session.scalar(text("SELECT current_setting('statement_timeout')"))
    limit = text("SELECT set_config('statement_timeout', :value, true)")
    try:
        with db.session.begin_nested():
            db.session.execute(limit, {"value": f"{milliseconds}ms"})
            rows = db.session.execute(statement).all()
            db.session.execute(limit, {"value": previous})
    except OperationalError as error:
        if not isinstance(error.orig, QueryCanceled):
            raise
        return None
    return rows


def among(dialect: str, query: Query, low: int, high: int) -> ColumnElement[bool]:
    """A condition on Message: it has the words and its id is from `low` to `high`."""
    condition, message_id = matches(dialect, query)
    if dialect == "sqlite":  # the matches in the range, collected once, then probed
        return Message.id.in_(
            select(message_id).where(condition, message_id.between(low, high)))
    return condition & Message.id.between(low, high)


def fold(text: str) -> str:
    """Lower case without diacritics (ł as l), to compare a message's words with the query."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ł", "l")


def snippet(body: str, query: Query, width: int = 160) -> Markup:
    """A short excerpt of `body` around the first match, the query's words in <mark>.

    Everything else is escaped: the text comes from residents.
    """
    wanted = [fold(w) for w in query.words]

    def hit(token: str) -> bool:
        folded = fold(token)
        return any(folded == w or (query.prefixed(n) and folded.startswith(w))
                   for n, w in enumerate(wanted))

    tokens = list(_WORD.finditer(body))
    first = next((t for t in tokens if hit(t.group())), None)
    start = 0 if first is None else max(0, first.start() - width // 3)
    end = min(len(body), start + width)
    if start > 0:  # begin on a word
        space = body.find(" ", start)
        start = space + 1 if 0 <= space < (first.start() if first else end) else start
    if end < len(body):
        space = body.rfind(" ", start, end)
        end = space if space > (first.end() if first else start) else end
    parts = [Markup("…") if start > 0 else Markup("")]
    cursor = start
    for token in tokens:
        if token.start() < start or token.end() > end or not hit(token.group()):
            continue
        parts.append(escape(body[cursor:token.start()]))
        parts.append(Markup("<mark>%s</mark>") % token.group())
        cursor = token.end()
    parts.append(escape(body[cursor:end]))
    if end < len(body):
        parts.append(Markup("…"))
    return Markup("").join(parts)
