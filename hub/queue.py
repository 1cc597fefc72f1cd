"""The app's router, for domain code that runs inside an app context."""

from flask import current_app

from queueing import Router


def router() -> Router:
    return current_app.extensions["okienko.router"]
