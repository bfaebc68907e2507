"""Checking an identifier and password, for the API and the pages alike.

Failures are counted per identifier typed (known or not) in the database table
``login_throttles``, so every app process and host shares them:

* after ``login_delay_after`` failures, an attempt sooner than
  ``min(2^(failures - login_delay_after), login_delay_max_seconds)`` seconds after the last
  failure is refused without looking at the password (outcome ``throttled``, not counted);
* the ``login_max_failures``-th failure locks the identifier for ``login_lock_minutes``: even the
  right password is refused until then (outcome ``locked``);
* a failure is forgotten after ``login_lock_minutes`` without another one; a success clears all.

Every refusal (unknown identifier, wrong password, throttled, locked) is the same
``LoginRefused("invalid_credentials", BAD_CREDENTIALS)`` and costs one password hash, so neither
the answer nor its timing tells whether an identifier exists or is locked. Every attempt leaves a
connection record (``login_records``) and a security event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NoReturn

from flask import has_request_context, request
from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import Message
from web.db.models import Account, LoginRecord, LoginThrottle
from web.security_log import security_event
from web.services import Services
from web.settings import Settings

BAD_CREDENTIALS = Message("Identifiant ou mot de passe incorrect.",
                          "Incorrect identifier or password.")
MAX_IDENTIFIER, MAX_PASSWORD = 80, 128
Outcome = Literal["success", "refused", "locked", "throttled"]
Channel = Literal["page", "api"]


class LoginRefused(Exception):
    """Any refusal. ``code`` and ``message`` are the same whatever the reason (the caller shows
    them); ``reason`` (``refused``, ``throttled``, ``locked``) is for records and tests only."""

    def __init__(self, code: str, message: Message, retry_after: int | None = None,
                 reason: Outcome = "refused") -> None:
        super().__init__(code)
        self.code, self.message, self.retry_after = code, message, retry_after
        self.reason = reason


@dataclass(frozen=True)
class LoggedIn:
    account: Account
    previous_login: datetime | None


def throttle_key(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().lower().encode("utf-8")).hexdigest()


def wait_seconds(failures: int, settings: Settings) -> int:
    """How long after the last failure the next attempt must come: 0 below
    ``login_delay_after`` failures, then 1, 2, 4... seconds, at most ``login_delay_max_seconds``."""
    over = failures - settings.login_delay_after
    if over < 0:
        return 0
    return int(min(2 ** min(over, 30), settings.login_delay_max_seconds))


def authenticate(session: Session, svc: Services, identifier: str, password: str,
                 channel: Channel | None = None) -> LoggedIn:
    """The account these credentials open, its previous login recorded; the caller commits.

    A refusal is committed here (counter and connection record) before it is raised.
    ``channel`` defaults to ``api`` under ``/api/``, else ``page``."""
    settings = svc.settings
    channel = channel or _channel()
    too_long = len(identifier) > MAX_IDENTIFIER or len(password) > MAX_PASSWORD
    key = throttle_key(identifier)
    account = None if too_long else session.scalars(select(Account).where(
        Account.identifier == identifier.strip())).first()
    throttle = None if too_long else _throttle(session, key)
    now = svc.clock.now()  # read once the counter is ours: it may have waited for another
    if throttle is not None:
        _forget_old(throttle, now, settings)
    wait = wait_seconds(throttle.failures, settings) if throttle is not None else 0
    refusal: Outcome | None = None
    if too_long:
        refusal = "refused"
    elif throttle is not None and throttle.locked_until is not None \
            and throttle.locked_until > now:
        refusal = "locked"
    elif throttle is not None and throttle.last_failure_at is not None and wait > 0 \
            and now < throttle.last_failure_at + timedelta(seconds=wait):
        refusal = "throttled"
    if refusal is not None:  # the password is not looked at, the time spent is the same
        svc.passwords.verify(None, password[:MAX_PASSWORD])
        _refuse(session, now, key, account, channel, refusal)
    if not svc.passwords.verify(account.password_hash if account else None, password) \
            or account is None:
        if throttle is None:
            throttle = _throttle(session, key, create=True)
            assert throttle is not None
        throttle.failures += 1
        throttle.last_failure_at = max(now, throttle.last_failure_at or now)  # never backwards
        locked = throttle.failures >= settings.login_max_failures
        if locked:
            throttle.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
            throttle.failures = 0
        _refuse(session, now, key, account, channel, "refused",
                lock_minutes=settings.login_lock_minutes if locked else None)
    if throttle is not None:
        session.delete(throttle)
    _record(session, now, key, account, channel, "success")
    security_event("login_succeeded", account_id=account.id, channel=channel)
    previous = account.last_login_at
    account.last_login_at = now
    if svc.passwords.needs_rehash(account.password_hash):
        account.password_hash = svc.passwords.hash(password)
    return LoggedIn(account, previous)


def _channel() -> Channel:
    return "api" if has_request_context() and request.path.startswith("/api/") else "page"


def _throttle(session: Session, key: str, *, create: bool = False) -> LoginThrottle | None:
    """The identifier's counter, locked until the transaction ends so that two processes
    counting at once both count (PostgreSQL: SELECT ... FOR UPDATE; SQLite has one writer)."""
    if create:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(LoginThrottle).values(key=key, failures=0)
                        .on_conflict_do_nothing(index_elements=["key"]))
    query = select(LoginThrottle).where(LoginThrottle.key == key) \
        .execution_options(populate_existing=True)
    return session.scalars(query.with_for_update()).first()


def _forget_old(throttle: LoginThrottle, now: datetime, settings: Settings) -> None:
    """Failures long past no longer count; an ended lock is lifted."""
    if throttle.locked_until is not None and throttle.locked_until <= now:
        throttle.locked_until = None
    window = timedelta(minutes=settings.login_lock_minutes)
    if throttle.locked_until is None and throttle.last_failure_at is not None \
            and throttle.last_failure_at + window <= now:
        throttle.failures = 0


def _refuse(session: Session, now: datetime, key: str, account: Account | None,
            channel: Channel, outcome: Outcome,
            lock_minutes: int | None = None) -> NoReturn:
    """Record the refusal, commit it (counter included) and raise the one generic answer."""
    _record(session, now, key, account, channel, outcome)
    session.commit()
    who = {"account_id": account.id} if account else {"identifier_hash": key}
    if outcome == "refused":
        security_event("login_refused", channel=channel, **who)
        if lock_minutes is not None:
            security_event("account_locked", channel=channel, minutes=lock_minutes, **who)
    else:
        security_event(f"login_{outcome}", channel=channel, **who)
    raise LoginRefused("invalid_credentials", BAD_CREDENTIALS, reason=outcome)


def _record(session: Session, now: datetime, key: str, account: Account | None,
            channel: Channel, outcome: Outcome) -> None:
    """A connection record: the account's identifier when it exists; otherwise the hash of
    what was typed (a password typed in the wrong field is never stored in clear)."""
    session.add(LoginRecord(at=now, identifier=account.identifier if account else f"sha256:{key}",
                            account_id=account.id if account else None, outcome=outcome,
                            channel=channel))


@dataclass(frozen=True)
class PurgedRecords:
    records: int
    throttles: int


def purge_records(session: Session, now: datetime, settings: Settings) -> PurgedRecords:
    """Delete connection records older than ``login_records_keep_days``, and counters with
    nothing left to count (no lock running, last failure forgotten). The caller commits."""
    records = session.execute(delete(LoginRecord).where(
        LoginRecord.at < now - timedelta(days=settings.login_records_keep_days))
        .execution_options(synchronize_session=False))
    forgotten = now - timedelta(minutes=settings.login_lock_minutes)
    throttles = session.execute(delete(LoginThrottle).where(
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        or_(LoginThrottle.last_failure_at.is_(None),
            LoginThrottle.last_failure_at <= forgotten))
        .execution_options(synchronize_session=False))
    return PurgedRecords(int(getattr(records, "rowcount", 0) or 0),
                         int(getattr(throttles, "rowcount", 0) or 0))
