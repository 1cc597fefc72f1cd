"""Admins export or erase one resident's data."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")
