"""Residents rate an office visit from the link sent after it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("visit_rating", __name__, url_prefix="/visit")
