"""Admins define scorecards; publishing makes a version that is never edited."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scorecards", __name__, url_prefix="/admin/scorecards")
