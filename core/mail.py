"""Outgoing mail: SMTP when SMTP_HOST is set (production insists on it); otherwise the log and a local outbox.

SMTP delivery runs on one background thread per process, never on the request's: a slow or unreachable
mail server cannot hold request threads, and a password reset for an existing account answers as fast
as one for an unknown address, so the answer's timing does not tell which accounts exist.

The outbox (JSON lines, `MAIL_OUTBOX`, by default `instance/outbox.jsonl`) is where development reads
its mail and where the tests read password reset tokens. A mail that cannot be delivered is logged
(without its body) and dropped: the caller's answer must not depend on it.
"""

import json
import logging
import os
import smtplib
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

from flask import current_app

from core.db import utcnow

log = logging.getLogger(__name__)

# One sender per process keeps mail in order and bounds the connections to the mail server; mail still
# queued when the process exits is sent first (concurrent.futures joins its threads at exit).
_smtp_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp")
SMTP_SETTINGS = ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_STARTTLS", "MAIL_SENDER")


def send(*, to: str, subject: str, body: str) -> None:
    """Send one plain-text mail."""
    config = current_app.config
    if config["SMTP_HOST"]:
        settings = {name: config[name] for name in SMTP_SETTINGS}  # the thread has no app context
        _smtp_sender.submit(_send_by_smtp, settings, to=to, subject=subject, body=body)
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
