"""E-mail: through SMTP when SMTP_HOST is set, else kept in the outbox like offline SMS.

Sent by a retried RQ job, as texts are; used for booking codes, confirmations and reminders
when a resident gave an e-mail address instead of a phone.
"""

from __future__ import annotations

import secrets
import smtplib
from email.message import EmailMessage

from flask import Flask, current_app

from channels.models import OutboxEntry
from hub.extensions import db
from hub.jobs import in_app_context, submit
from hub.notify import register_notifier


def configured() -> bool:
    return bool(current_app.config["SMTP_HOST"])


def queue_email(to: str, subject: str, body: str) -> None:
    submit(send_email_job, to, subject, body)


@in_app_context
def send_email_job(to: str, subject: str, body: str) -> None:
    """Send one e-mail; an SMTP error raises, so the job is retried."""
    config = current_app.config
    if not configured():
        db.session.add(OutboxEntry(kind="email", sid="EM" + secrets.token_hex(16), to=to,
                                   from_=config["MAIL_FROM"], subject=subject, body=body))
        db.session.commit()
        return
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["MAIL_FROM"], to, subject
    message.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as server:
        if config["SMTP_STARTTLS"]:
            server.starttls()
        if config["SMTP_USER"]:
            server.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        server.send_message(message)


def init_app(app: Flask) -> None:
    register_notifier("email", queue_email)
