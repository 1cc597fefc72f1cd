"""The interaction log: search, filters, CSV export and the audit trail."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("log", __name__, url_prefix="/supervisor")
