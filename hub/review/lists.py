"""Review lists (random sample, reactive), calibration sessions and mystery shoppers."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review_lists", __name__, url_prefix="/supervisor")
