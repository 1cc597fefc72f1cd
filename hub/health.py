"""Health endpoints for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text

from hub.extensions import db, limiter
from hub.queue import router

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Live: the process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Ready: the database and Redis both answer."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # report, don't crash: this is what the probe is for
        checks["database"] = f"error: {type(error).__name__}"
    try:
        router().redis.ping()
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"error: {type(error).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return {"status": "ok" if ready else "unavailable", **checks}, 200 if ready else 503
