"""Factories for canned-answer tests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.accounts.models import Department, User
from hub.canned import service
from hub.extensions import db
from tests.conftest import ADMIN


@pytest.fixture
def make_answer(app):
    """make_answer(shortcut, body, department="registry", language="pl", title=...) → its id.

    department=None makes an answer for every department; created as the demo admin.
    """

    def make(shortcut: str, body: str, department: str | None = "registry",
             language: str = "pl", title: str | None = None) -> int:
        with app.app_context():
            admin = db.session.scalar(select(User).where(User.email == ADMIN))
            department_id = None
            if department is not None:
                department_id = db.session.scalar(
                    select(Department.id).where(Department.code == department))
            answer = service.create(admin, department_id=department_id, language=language,
                                    shortcut=shortcut, title=title or shortcut.title(), body=body)
            return answer.id

    return make
