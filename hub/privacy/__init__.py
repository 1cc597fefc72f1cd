"""Residents' personal data: retention, anonymisation, export and erasure on request."""
