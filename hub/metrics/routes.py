"""GET /metrics for the monitoring system, and the hooks that count as the hub works.

With METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`. Without it,
only a request made straight to this process from the same machine is answered: one that
came through a proxy (it carries X-Forwarded-For, Forwarded or X-Real-IP) is refused, since
a proxy on the same machine would otherwise make every visitor look local.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.process_collector import ProcessCollector

from hub import signals
from hub.extensions import limiter
from hub.metrics import counters
from hub.metrics.collector import HubCollector

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


@bp.get("/metrics")
@limiter.exempt
def scrape() -> Response:
    """Prometheus text format 0.0.4, read live from the record, Redis and RQ."""
    refusal = _refusal()
    if refusal is not None:
        return refusal
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector())
    ProcessCollector(registry=registry)  # this process's CPU, memory and open files
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4,
                    headers={"Cache-Control": "no-store"})


def _refusal() -> Response | None:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        scheme, _space, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(),
                                                              token.encode()):
            return None
        return Response(_("The metrics need the monitoring token (Authorization: Bearer)."),
                        401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                        mimetype="text/plain")
    if _straight_from_loopback():
        return None
    return Response(_("The metrics are served only on this machine unless METRICS_TOKEN "
                      "is set."), 403, mimetype="text/plain")


def _straight_from_loopback() -> bool:
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


# -- counting ---------------------------------------------------------------------------------


@bp.after_app_request
def _count_response(response: Response) -> Response:
    """Every HTTP response, hub-wide (Socket.IO traffic does not pass through here)."""
    try:
        counters.count_response(response.status_code)
    except Exception:  # counting must never cost the user their answer (Redis may be out)
        log.debug("metrics: response not counted", exc_info=True)
    return response


def count_socket_error(error: BaseException) -> None:
    """Count a Socket.IO handler's failure; called by the hub's socket error handler
    (hub.outages), inside the event's request context. Never raises."""
    from hub.outages import is_outage

    try:
        counters.count_socket_error(getattr(request, "namespace", None) or "/",
                                    "unavailable" if is_outage(error) else "error")
    except Exception:
        log.debug("metrics: socket error not counted", exc_info=True)


def _observe_wait(interaction, waited_seconds: float, **_: object) -> None:
    try:
        counters.observe_wait(interaction.department.code, interaction.channel, waited_seconds)
    except Exception:  # the contact is taken and committed: a lost sample must not undo that
        log.warning("metrics: wait not counted", exc_info=True)


@bp.record_once
def _subscribe(state: BlueprintSetupState) -> None:
    signals.interaction_assigned.connect(_observe_wait)
