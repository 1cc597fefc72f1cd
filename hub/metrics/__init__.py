"""Metrics for the monitoring system: Prometheus text at /metrics (docs/operations.md)."""

from hub.metrics.routes import bp, count_socket_error

__all__ = ["bp", "count_socket_error"]
