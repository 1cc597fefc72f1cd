"""Okienko: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from hub import outages
from hub.config import ROOT, Config
from hub.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from hub.socket_session import SocketSessionInterface
from queueing.connection import connect, embedded_url
from queueing.router import Router


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build a hub: configuration first, then extensions, blueprints, channels and commands."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(Path(Config().INSTANCE_PATH)),
    )
    app.config.from_object(Config())
    app.config.update(overrides or {})
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))

    redis_url = app.config["REDIS_URL"] or embedded_url(
        Path(app.config["INSTANCE_PATH"]), app.config["EMBEDDED_REDIS_PORT"]
    )
    app.config["REDIS_URL"] = redis_url
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: count per process rather than refuse every form (the record is the database).
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    _sqlite_engine_options(app)

    _init_extensions(app, redis_url)
    _register_blueprints(app)
    _register_channels(app)
    from hub import cli

    cli.init_app(app)
    outages.init_app(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT load balancers, take the client's address from X-Forwarded-For:
    otherwise every resident would share the balancer's address and its rate limits.
    Wrapped last, around Socket.IO's middleware too, so sockets see the same address."""
    count = app.config["PROXY_COUNT"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def _sqlite_engine_options(app: Flask) -> None:
    """SQLite's driver options: a write waits SQLITE_BUSY_TIMEOUT_MS for another writer's
    lock, then fails with a clear 503 (shorter than a browser's 10 s wait for an answer); a
    file's pool is sized for a gevent worker."""
    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if not uri.startswith("sqlite"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = {"timeout": app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000,
                    **options.get("connect_args", {})}
    options["connect_args"] = connect_args
    if ":memory:" not in uri and uri.rstrip("/") not in ("sqlite:", "sqlite+pysqlite:"):
        # A file's connections are cheap to keep but not to open (each runs the PRAGMAs
        # below): with the default 5 kept + 10 overflow, an overloaded gevent worker kept
        # closing and reopening them (docs/performance.md "Chat"). Nothing can drop a
        # connection to a file, so the ping before every checkout is a wasted statement.
        options.setdefault("pool_size", 20)
        options.setdefault("max_overflow", 20)
        options["pool_pre_ping"] = False
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _init_extensions(app: Flask, redis_url: str) -> None:
    from channels import models as _channels  # noqa: F401  (models Alembic must see)
    from hub import i18n, security
    from hub import settings as _settings  # noqa: F401
    from hub.accounts.models import User
    from hub.booking import models as _booking  # noqa: F401
    from hub.callbacks import models as _callbacks  # noqa: F401
    from hub.canned import models as _canned  # noqa: F401
    from hub.hours import models as _hours  # noqa: F401
    from hub.moderation import models as _moderation  # noqa: F401
    from hub.review import models as _review  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    i18n.init_app(app)
    security.init_app(app)
    app.session_interface = SocketSessionInterface()

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.user_loader(lambda user_id: db.session.get(User, int(user_id)))

    from hub.fanout import ResyncingRedisManager

    socketio.init_app(
        app,
        client_manager=(ResyncingRedisManager(redis_url, channel="flask-socketio")
                        if app.config["SOCKETIO_MESSAGE_QUEUE"] else None),
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        # None: same origin only (the widget runs in a frame of the hub), also behind a proxy
        # that sets X-Forwarded-Proto/-Host; [] would switch the Origin check off.
        cors_allowed_origins=None,
    )
    app.extensions["okienko.router"] = Router(
        connect(redis_url), app.config["REDIS_PREFIX"], app.config["OFFER_TIMEOUT_SECONDS"]
    )


def _register_blueprints(app: Flask) -> None:
    from hub.accounts.routes import bp as accounts
    from hub.admin.routes import bp as admin
    from hub.api.routes import bp as api
    from hub.booking.admin import bp as booking_admin
    from hub.booking.office import bp as office
    from hub.booking.rating import bp as visit_rating
    from hub.booking.routes import bp as booking
    from hub.callbacks.routes import bp as callbacks
    from hub.canned.routes import bp as canned
    from hub.console.routes import bp as console
    from hub.health import bp as health
    from hub.metrics import bp as metrics
    from hub.privacy.routes import bp as privacy
    from hub.reports.routes import bp as reports
    from hub.resident.routes import bp as resident
    from hub.review.lists import bp as review_lists
    from hub.review.routes import bp as review
    from hub.review.scorecards import bp as scorecards
    from hub.supervisor.log import bp as log
    from hub.supervisor.routes import bp as supervisor

    for blueprint in (resident, callbacks, booking, visit_rating, accounts, console, office,
                      supervisor, log, review, review_lists, scorecards, reports, canned,
                      booking_admin, admin, privacy, health, metrics, api):
        app.register_blueprint(blueprint)


def _register_channels(app: Flask) -> None:
    from channels import dev_phone, email, rtc, sms, voice, webchat
    from hub.canned import sockets as canned_sockets
    from hub.console import sockets, visits
    from hub.supervisor import sockets as wallboard_sockets

    webchat.init_app(app)
    sms.init_app(app)
    email.init_app(app)
    voice.init_app(app)
    dev_phone.init_app(app)
    sockets.init_app(app)
    rtc.init_app(app)
    canned_sockets.init_app(app)
    visits.init_app(app)
    wallboard_sockets.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL and a busy timeout (the driver's `timeout`, see _sqlite_engine_options) let several
    threads and processes share one SQLite file."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL keeps every commit through a crash of the process and syncs at
        # checkpoints; FULL's fsync per commit (~2.5 ms here) blocks a whole gevent worker
        # and caps a hub near 400 commits a second (docs/performance.md, "Chat"). Only a
        # power cut or an OS crash may undo the last moments' commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
