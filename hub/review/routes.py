"""Supervisors' review pages and the clerk's own reviews."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="")
