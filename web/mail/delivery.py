"""Deliver the outbox: due messages, one short transaction each, over SMTP or to the local mailbox.

At least once, deduplicated: a message is locked (PostgreSQL ``FOR UPDATE SKIP LOCKED``, so two
workers never take the same row), sent, then marked ``sent_at`` in the same transaction. A crash
between the SMTP exchange and the commit leaves it unsent: it is sent again, with the same
Message-ID (derived from the outbox row), which lets a reader or a server recognise the repeat.

A failure counts an attempt, keeps a short reason (never a credential) and puts the message off
1 min, 2, 4... up to 1 h; after ``mail_max_attempts`` it stays unsent with its reason, a dead
letter the report counts. On SQLite the lock is not available (SQLAlchemy drops it): run one
worker there, as the embedded mode does.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from web.db.models import OutboxMessage
from web.settings import Settings

log = logging.getLogger(__name__)

FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
MAX_ERROR = 300


@dataclass
class DeliveryReport:
    """What one pass did, by outbox id."""

    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    """Failed this time; tried again at their ``next_attempt_at``."""
    gave_up: list[int] = field(default_factory=list)
    """Failed for the last allowed time: left unsent with their ``last_error``."""
    dead_letters: int = 0
    """Every message given up so far (this pass and before)."""
    stopped: str | None = None
    """Why the pass ended before the queue was empty (server unreachable), if it did."""

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.retried) + len(self.gave_up)

    def as_text(self) -> str:
        text = (f"sent {len(self.sent)}, to retry {len(self.retried)}, "
                f"given up {len(self.gave_up)} (dead letters in the outbox: {self.dead_letters})")
        return f"{text}; stopped early: {self.stopped}" if self.stopped else text


class _ServerUnavailable(Exception):
    """Connecting, STARTTLS or login failed, or the server went away: every message would fail."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def due(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    """Unsent, not put off, not given up."""
    return and_(OutboxMessage.sent_at.is_(None),
                or_(OutboxMessage.next_attempt_at.is_(None),
                    OutboxMessage.next_attempt_at <= now),
                OutboxMessage.attempts < max_attempts)


def retry_delay(attempts: int) -> timedelta:
    """1 min after the first failure, then twice as long each time, at most 1 h."""
    return min(FIRST_DELAY * (1 << min(max(attempts - 1, 0), 16)), MAX_DELAY)


def message_id(row: OutboxMessage, settings: Settings) -> str:
    """The same for every sending of one outbox row, and distinct between rows."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<outbox.{row.id}.{int(row.created_at.timestamp())}@{domain}>"


def build_message(row: OutboxMessage, settings: Settings) -> EmailMessage:
    """A UTF-8 text message (quoted-printable, fine for any server), dated when it was queued."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = message_id(row, settings)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message.set_content(row.body_text, charset="utf-8", cte="quoted-printable")
    return message


class _Smtp:
    """One connection for a pass, opened on the first message, dropped after any error."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            try:
                self.connection = self._connect()
            except (smtplib.SMTPException, OSError) as error:
                raise _ServerUnavailable(error) from error
        try:
            self.connection.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            self.drop()
            raise _ServerUnavailable(error) from error
        except smtplib.SMTPException:
            self.drop()  # a refusal: the next message starts on a fresh connection
            raise
        except OSError as error:  # timeout, reset
            self.drop()
            raise _ServerUnavailable(error) from error

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if s.mail_security == "ssl":
            connection = smtplib.SMTP_SSL(s.mail_host, s.mail_port,
                                          timeout=s.mail_timeout_seconds, context=context)
        else:
            connection = smtplib.SMTP(s.mail_host, s.mail_port, timeout=s.mail_timeout_seconds)
        try:
            if s.mail_security == "starttls":
                connection.starttls(context=context)
            if s.mail_username:
                connection.login(s.mail_username, s.mail_password)
        except BaseException:
            connection.close()
            raise
        return connection

    def drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self.drop()


def deliver_pending(sessions: sessionmaker[Session], settings: Settings, now: datetime,
                    limit: int = 100, stop: Callable[[], bool] | None = None) -> DeliveryReport:
    """Send up to ``limit`` due messages, each in its own short transaction.

    ``stop`` is asked between two messages (a worker being asked to end finishes the current
    one, commits it, and returns).
    """
    report = DeliveryReport()
    smtp = _Smtp(settings) if settings.mail_backend == "smtp" else None
    try:
        while report.handled < limit and not (stop and stop()):
            with sessions.begin() as session:
                row = session.scalars(
                    select(OutboxMessage).where(due(now, settings.mail_max_attempts))
                    .order_by(OutboxMessage.id).limit(1)
                    .with_for_update(skip_locked=True)).first()
                if row is None:
                    break
                unavailable = _deliver_one(row, smtp, settings, now, report)
            if unavailable:
                report.stopped = unavailable
                break
    finally:
        if smtp is not None:
            smtp.close()
    with sessions() as session:
        report.dead_letters = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.attempts >= settings.mail_max_attempts)) or 0
    return report


def _deliver_one(row: OutboxMessage, smtp: _Smtp | None, settings: Settings, now: datetime,
                 report: DeliveryReport) -> str | None:
    """Send one locked row and record the outcome on it; the reason to stop the pass, if any."""
    row.attempts = (row.attempts or 0) + 1
    try:
        message = build_message(row, settings)
    except ValueError as error:  # a row written around enqueue(): never sendable
        _failed(row, f"invalid message: {error}", settings, now, report, final=True)
        return None
    if smtp is None:  # local: the mailbox page reads the outbox itself
        row.sent_at, row.next_attempt_at, row.last_error = now, None, None
        report.sent.append(row.id)
        return None
    try:
        smtp.send(message)
    except _ServerUnavailable as error:
        reason = describe(error.cause, settings)
        _failed(row, reason, settings, now, report)
        return reason
    except smtplib.SMTPException as error:
        _failed(row, describe(error, settings), settings, now, report)
        return None
    row.sent_at, row.next_attempt_at, row.last_error = now, None, None
    report.sent.append(row.id)
    log.info("mail sent: outbox %s (%s)", row.id, row.kind)
    return None


def _failed(row: OutboxMessage, reason: str, settings: Settings, now: datetime,
            report: DeliveryReport, final: bool = False) -> None:
    row.last_error = reason
    if final or row.attempts >= settings.mail_max_attempts:
        row.attempts = max(row.attempts, settings.mail_max_attempts)
        row.next_attempt_at = None
        report.gave_up.append(row.id)
        log.error("mail given up: outbox %s (%s) after %s attempts: %s", row.id, row.kind,
                  row.attempts, reason)
    else:
        row.next_attempt_at = now + retry_delay(row.attempts)
        report.retried.append(row.id)
        log.warning("mail not sent: outbox %s (%s), attempt %s, next at %s: %s", row.id,
                    row.kind, row.attempts, row.next_attempt_at.isoformat(), reason)


_SPACES = re.compile(r"\s+")


def describe(error: BaseException, settings: Settings) -> str:
    """A short, single-line reason, without the SMTP password (nor the server's answer to a
    failed login, which may echo what was sent)."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        text = f"{error.smtp_code} authentication refused"
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{code} {_decode(answer)}"
                         for code, answer in error.recipients.values())
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_decode(error.smtp_error)}"
    else:
        text = str(error) or "no detail"
    for secret in (settings.mail_password,):
        if secret:
            text = text.replace(secret, "***")
    text = _SPACES.sub(" ", f"{type(error).__name__}: {text}").strip()
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR - 1] + "…"


def _decode(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
