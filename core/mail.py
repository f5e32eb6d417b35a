"""Outgoing mail: SMTP when SMTP_HOST is set; otherwise, outside production, the log and a local outbox.

The outbox (JSON lines, `MAIL_OUTBOX`, by default `instance/outbox.jsonl`) is where development reads
its mail and where the tests read password reset tokens. A mail that cannot be delivered is logged
(without its body) and dropped: the caller's answer must not depend on it.
"""

import json
import logging
import os
import smtplib
from email.message import EmailMessage

from flask import current_app

from core.db import utcnow

log = logging.getLogger(__name__)


def send(*, to: str, subject: str, body: str) -> None:
    """Send one plain-text mail."""
    config = current_app.config
    if config["SMTP_HOST"]:
        _send_by_smtp(config, to=to, subject=subject, body=body)
    elif config["APP_ENV"] == "production":
        # Never into production logs or files: the body may carry a reset token.
        log.error("mail to %s not sent: SMTP_HOST is not set", to)
    else:
        _write_to_outbox(config, to=to, subject=subject, body=body)


def _send_by_smtp(config, *, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["MAIL_SENDER"], to, subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.error("mail to %s not sent: %s", to, error.__class__.__name__)


def _write_to_outbox(config, *, to: str, subject: str, body: str) -> None:
    log.info("mail (no SMTP_HOST, kept in the outbox) to %s: %s\n%s", to, subject, body)
    path = config["MAIL_OUTBOX"] or os.path.join(current_app.instance_path, "outbox.jsonl")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    entry = {"at": utcnow().isoformat(), "from": config["MAIL_SENDER"], "to": to, "subject": subject, "body": body}
    with open(path, "a", encoding="utf-8") as outbox:
        outbox.write(json.dumps(entry, ensure_ascii=False) + "\n")
