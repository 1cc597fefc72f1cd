"""Admin pages that are not part of one domain: run-time settings."""
