"""Canned answers: found by keyword while a clerk types, placeholders filled in; kept by
supervisors and admins.

A body may use `{resident_name}`, `{clerk_name}`, `{department}` and `{office_hours}`; any
other `{word}` is left as typed. Each change is committed with its timeline event.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select

from hub.accounts.models import Department, User
from hub.canned.models import CannedResponse
from hub.errors import InvalidInput
from hub.extensions import db
from hub.hours.service import describe_hours
from hub.interactions.access import check_handler
from hub.interactions.events import record
from hub.interactions.models import Interaction

SHORTCUT_MAX = 40
TITLE_MAX = 120
BODY_MAX = 2000
SUGGESTIONS = 8
PLACEHOLDERS = ("resident_name", "clerk_name", "department", "office_hours")

_SHORTCUT = re.compile(r"[\w-]+")  # \w: letters (Polish too), digits and "_"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# With no resident name the placeholder goes, with the space before it, and a comma before
# it too when punctuation follows: "Dzień dobry, {resident_name}!" → "Dzień dobry!".
_NAME_BEFORE_PUNCTUATION = re.compile(r",?[ \t]*\{resident_name\}(?=[ \t]*(?:[,.!?;:]|$))", re.M)
_NAME = re.compile(r"[ \t]*\{resident_name\}")


class InvalidAnswer(InvalidInput):
    """A canned answer that cannot be saved; `problems` maps each bad field to its refusal."""

    def __init__(self, problems: dict[str, InvalidInput]) -> None:
        first = next(iter(problems.values()))
        super().__init__(first.code, **first.params)
        self.problems = problems


# -- finding an answer while typing ----------------------------------------------------------


def search(clerk: User, interaction: Interaction, query: object) -> list[dict]:
    """Active answers for the interaction's department (or every department) and language.

    Shortcuts starting with the query come first, then answers whose shortcut, title or body
    contains it (case and Polish accents ignored); at most SUGGESTIONS, bodies rendered for
    this interaction. Only the clerk holding the interaction, or a supervisor, may search.
    """
    check_handler(interaction, clerk)
    wanted = _fold(query.strip() if isinstance(query, str) else "")[:SHORTCUT_MAX]
    candidates = db.session.scalars(
        select(CannedResponse).where(
            CannedResponse.active.is_(True),
            CannedResponse.language == interaction.language,
            (CannedResponse.department_id == interaction.department_id)
            | CannedResponse.department_id.is_(None),
        )
    ).all()
    ranked = []
    for answer in candidates:
        if _fold(answer.shortcut).startswith(wanted):
            rank = 0
        elif wanted in _fold(f"{answer.shortcut}\n{answer.title}\n{answer.body}"):
            rank = 1
        else:
            continue
        # Within a rank, the department's own answers before the shared ones.
        ranked.append((rank, answer.department_id is None, _fold(answer.shortcut), answer))
    ranked.sort(key=lambda item: item[:3])
    fill = _filler(clerk, interaction)
    return [
        {"id": a.id, "shortcut": a.shortcut, "title": a.title, "body": fill(a.body)}
        for *_, a in ranked[:SUGGESTIONS]
    ]


def render(body: str, clerk: User, interaction: Interaction) -> str:
    """The body with its placeholders filled in for this interaction and clerk."""
    return _filler(clerk, interaction)(body)


def _filler(clerk: User, interaction: Interaction) -> Callable[[str], str]:
    language = interaction.language
    name = (interaction.resident_name or "").strip()
    hours: list[str] = []  # worked out once, and only when a body asks for it

    def value(key: str) -> str | None:
        if key == "resident_name":
            return name
        if key == "clerk_name":
            return clerk.display_name
        if key == "department":
            return interaction.department.name(language)
        if key == "office_hours":
            if not hours:
                hours.append(describe_hours(interaction.department, language))
            return hours[0]
        return None

    def fill(body: str) -> str:
        if not name:
            body = _NAME.sub("", _NAME_BEFORE_PUNCTUATION.sub("", body))
        return _PLACEHOLDER.sub(lambda m: value(m.group(1)) or m.group(0), body)

    return fill


def _fold(text: str) -> str:
    """Lower case without accents, so "zakończ" finds "zakonczenie" and the other way round."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# -- keeping the answers ---------------------------------------------------------------------


def answers(department: str = "", language: str = "") -> list[CannedResponse]:
    """Active answers for the management list; department "" is any, "every" the shared ones,
    else a department id; language "" is any."""
    query = select(CannedResponse).where(CannedResponse.active.is_(True))
    if department == "every":
        query = query.where(CannedResponse.department_id.is_(None))
    elif department.isdigit():
        query = query.where(CannedResponse.department_id == int(department))
    if language:
        query = query.where(CannedResponse.language == language)
    return list(db.session.scalars(query.order_by(CannedResponse.language,
                                                  CannedResponse.shortcut)))


def active_answer(answer_id: int) -> CannedResponse | None:
    answer = db.session.get(CannedResponse, answer_id)
    return answer if answer is not None and answer.active else None


def create(user: User, *, department_id: object, language: object, shortcut: object,
           title: object, body: object) -> CannedResponse:
    """Save a new answer; InvalidAnswer (nothing saved) when a field is not acceptable."""
    fields = _validated(None, department_id, language, shortcut, title, body)
    answer = CannedResponse(**fields, active=True, updated_by_id=user.id)
    db.session.add(answer)
    db.session.flush()
    record(None, "canned_created", user, canned_id=answer.id)
    db.session.commit()
    return answer


def update(answer: CannedResponse, user: User, *, department_id: object, language: object,
           shortcut: object, title: object, body: object) -> CannedResponse:
    """Change an active answer; InvalidAnswer (nothing changed) when a field is not acceptable."""
    if not answer.active:
        raise InvalidInput("canned_inactive")
    fields = _validated(answer, department_id, language, shortcut, title, body)
    for key, value in fields.items():
        setattr(answer, key, value)
    answer.updated_by_id = user.id
    record(None, "canned_updated", user, canned_id=answer.id)
    db.session.commit()
    return answer


def deactivate(answer: CannedResponse, user: User) -> None:
    """Withdraw an answer: clerks no longer find it; the row stays for the record."""
    if not answer.active:
        raise InvalidInput("canned_inactive")
    answer.active = False
    answer.updated_by_id = user.id
    record(None, "canned_deactivated", user, canned_id=answer.id)
    db.session.commit()


def _validated(answer: CannedResponse | None, department_id: object, language: object,
               shortcut: object, title: object, body: object) -> dict:
    """The cleaned fields, or InvalidAnswer listing every field that is not acceptable."""
    problems: dict[str, InvalidInput] = {}
    department = None
    try:
        department = _department(department_id)
    except InvalidInput as refused:
        problems["department_id"] = refused
    language = language if language in current_app.config["LANGUAGES"] else None
    if language is None:
        problems["language"] = InvalidInput("canned_language")
    shortcut = _text(shortcut)
    if not (len(shortcut) <= SHORTCUT_MAX and _SHORTCUT.fullmatch(shortcut)):
        problems["shortcut"] = InvalidInput("canned_shortcut", limit=SHORTCUT_MAX)
    elif not problems and _taken(answer, department, language, shortcut):
        problems["shortcut"] = InvalidInput("canned_shortcut_taken")
    title, body = _text(title), _text(body)
    if not title:
        problems["title"] = InvalidInput("canned_title")
    elif len(title) > TITLE_MAX:
        problems["title"] = InvalidInput("canned_title_too_long", limit=TITLE_MAX)
    if not body:
        problems["body"] = InvalidInput("canned_body")
    elif len(body) > BODY_MAX:
        problems["body"] = InvalidInput("canned_body_too_long", limit=BODY_MAX)
    if problems:
        raise InvalidAnswer(problems)
    return {"department_id": department.id if department else None, "language": language,
            "shortcut": shortcut, "title": title, "body": body}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _department(department_id: object) -> Department | None:
    """The active department with this id, or None (every department) for an empty one."""
    if department_id in (None, ""):
        return None
    try:
        department = db.session.get(Department, int(department_id))
    except (TypeError, ValueError):
        department = None
    if department is None or not department.active:
        raise InvalidInput("canned_department")
    return department


def _taken(answer: CannedResponse | None, department: Department | None, language: str,
           shortcut: str) -> bool:
    """Is the shortcut (case ignored) used by another active answer of the same scope?"""
    others = db.session.scalars(
        select(CannedResponse.shortcut).where(
            CannedResponse.active.is_(True),
            CannedResponse.language == language,
            CannedResponse.department_id == department.id if department
            else CannedResponse.department_id.is_(None),
            CannedResponse.id != (answer.id if answer is not None else -1),
        )
    )
    return any(_fold(other) == _fold(shortcut) for other in others)
