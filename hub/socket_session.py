"""The login session of Socket.IO events: the cookie is read once per connection.

Flask-SocketIO keeps a copy of the session for each connection (in the socket's environ,
under "saved_session") and installs it for every event. Flask opens the cookie again for
every event before that, verifying its signature only for the result to be replaced:
about 4 % of a chat message's CPU at saturation (docs/performance.md, "Chat").
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

SAVED = "saved_session"  # Flask-SocketIO's key in the connection's environ


class SocketSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions; a Socket.IO event gets its connection's copy directly."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        saved = request.environ.get(SAVED)
        if saved is not None:
            return saved
        return super().open_session(app, request)
