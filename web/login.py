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

Staff accounts also give a code of their authenticator (TOTP, :mod:`web.accounts.totp`;
SECURITY.md AUTH-11), checked by :func:`verify_code`: in the same call for the API
(``second_factor="check"``), on a page of its own for the back office (``"later"``: the password
step records ``password_ok``, the code step ``success``). Wrong codes are counted like wrong
passwords, with the same delays and lock, under a key of their own per account
(:func:`code_throttle_key`) that a right password does not reset.
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
from web.accounts import totp
from web.db.models import Account, LoginRecord, LoginThrottle
from web.ip_counter import bump, count_now
from web.security_log import security_event
from web.services import Services
from web.settings import Settings

BAD_CREDENTIALS = Message("Identifiant ou mot de passe incorrect.",
                          "Incorrect identifier or password.")
BAD_CODE = Message("Code incorrect ou déjà utilisé : attendez le code suivant de votre"
                   " application d'authentification.",
                   "Incorrect or already used code: wait for the next code of your"
                   " authenticator app.")
MAX_IDENTIFIER, MAX_PASSWORD, MAX_CODE = 80, 128, 16
Outcome = Literal["success", "refused", "locked", "throttled"]
Channel = Literal["page", "api", "backoffice"]
SecondFactor = Literal["skip", "later", "check"]
SECOND_FACTOR_KINDS = frozenset({"staff"})
"""The account kinds that log in with a code as well as a password."""


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


def ip_key() -> str:
    """The counter of failed logins from the request's client address (AUTH-04's per-IP
    throttle, beside the per-identifier one)."""
    address = request.remote_addr if has_request_context() else None
    return f"ip:login:{address or '-'}"


def throttle_key(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().lower().encode("utf-8")).hexdigest()


def code_throttle_key(account: Account) -> str:
    """The counter of an account's wrong codes. Its ``totp:`` prefix keeps it apart from every
    identifier's key (64 hex digits): nothing typed as an identifier can reach it."""
    return "totp:" + hashlib.sha256(account.id.encode("utf-8")).hexdigest()[:59]


def wait_seconds(failures: int, settings: Settings) -> int:
    """How long after the last failure the next attempt must come: 0 below
    ``login_delay_after`` failures, then 1, 2, 4... seconds, at most ``login_delay_max_seconds``."""
    over = failures - settings.login_delay_after
    if over < 0:
        return 0
    return int(min(2 ** min(over, 30), settings.login_delay_max_seconds))


def authenticate(session: Session, svc: Services, identifier: str, password: str,
                 channel: Channel | None = None, *, kinds: frozenset[str] | None = None,
                 second_factor: SecondFactor = "skip", code: str = "") -> LoggedIn:
    """The account these credentials open, its previous login recorded; the caller commits.

    A refusal is committed here (counter and connection record) before it is raised.
    ``channel`` defaults to ``api`` under ``/api/``, ``backoffice`` under ``/backoffice/``,
    else ``page``. ``kinds``: an account of another kind is refused exactly as a wrong password
    (and counted). For staff accounts, ``second_factor`` says when their code is checked:
    ``check`` (``code`` now, any refusal the same generic one), ``later`` (the caller asks for
    it next: :func:`verify_code`), ``skip`` (never: the member portal's own pages)."""
    settings = svc.settings
    channel = channel or _channel()
    too_long = len(identifier) > MAX_IDENTIFIER or len(password) > MAX_PASSWORD
    key = throttle_key(identifier)
    account = None if too_long else session.scalars(select(Account).where(
        Account.identifier == identifier.strip())).first()
    throttle, now, refusal = (None, svc.clock.now(), "refused") if too_long else \
        _gate(session, svc, key)
    address_key = ip_key()
    window = timedelta(minutes=settings.login_lock_minutes)
    if refusal is None and count_now(session, address_key, now, window) \
            >= settings.login_ip_max_failures:
        refusal = "throttled"  # this address failed too often, whatever the identifiers
    if refusal is not None:  # the password is not looked at, the time spent is the same
        svc.passwords.verify(None, password[:MAX_PASSWORD])
        _refuse(session, now, key, account, channel, refusal)
    right = svc.passwords.verify(account.password_hash if account else None, password)
    if not right or account is None or (kinds is not None and account.kind not in kinds):
        locked = _count_failure(session, key, throttle, now, settings)
        bump(session, address_key, now, window)
        _refuse(session, now, key, account, channel, "refused",
                lock_minutes=settings.login_lock_minutes if locked else None)
    if throttle is not None:
        session.delete(throttle)
    if svc.passwords.needs_rehash(account.password_hash):
        account.password_hash = svc.passwords.hash(password)
    if account.kind in SECOND_FACTOR_KINDS and second_factor != "skip":
        if second_factor == "later":
            _record(session, now, key, account, channel, "password_ok")
            security_event("login_password_ok", account_id=account.id, channel=channel)
            return LoggedIn(account, account.last_login_at)
        try:
            return verify_code(session, svc, account, code, channel)
        except LoginRefused as refused:  # the API tells nothing more than for a wrong password
            raise LoginRefused("invalid_credentials", BAD_CREDENTIALS,
                               reason=refused.reason) from None
    return _succeed(session, now, key, account, channel)


def verify_code(session: Session, svc: Services, account: Account, code: str,
                channel: Channel | None = None, enrol_secret: str | None = None) -> LoggedIn:
    """The login of a staff account whose password was right, completed with the code of its
    authenticator; the caller commits. ``enrol_secret``: an account with no secret yet adopts
    this one if ``code`` matches it (enrolment). A refusal (wrong or replayed code, throttled,
    locked) is committed and raised as ``LoginRefused("invalid_code", BAD_CODE)``.

    The account row is locked until the transaction ends, so that two requests carrying the
    same code cannot both be accepted (PostgreSQL: SELECT ... FOR UPDATE)."""
    settings = svc.settings
    channel = channel or _channel()
    key = code_throttle_key(account)
    throttle, now, refusal = _gate(session, svc, key)
    if refusal is not None:
        _refuse(session, now, key, account, channel, refusal, factor="code")
    locked_row = session.scalars(select(Account).where(Account.id == account.id)
                                 .with_for_update().execution_options(populate_existing=True))
    account = locked_row.one()
    enrolling = account.totp_secret is None and enrol_secret is not None
    verdict, step = totp.check(enrol_secret if enrolling else account.totp_secret,
                               None if enrolling else account.totp_last_step,
                               code[:MAX_CODE], now)
    if verdict != "accepted":
        locked = _count_failure(session, key, throttle, now, settings)
        _refuse(session, now, key, account, channel, "refused", factor="code", verdict=verdict,
                lock_minutes=settings.login_lock_minutes if locked else None)
    if enrolling:
        account.totp_secret = enrol_secret
        security_event("second_factor_enrolled", account_id=account.id, channel=channel)
    account.totp_last_step = step
    if throttle is not None:
        session.delete(throttle)
    return _succeed(session, now, key, account, channel)


def _succeed(session: Session, now: datetime, key: str, account: Account,
             channel: Channel) -> LoggedIn:
    _record(session, now, key, account, channel, "success")
    security_event("login_succeeded", account_id=account.id, channel=channel)
    previous = account.last_login_at
    account.last_login_at = now
    return LoggedIn(account, previous)


def _channel() -> Channel:
    if not has_request_context():
        return "page"
    if request.path.startswith("/api/"):
        return "api"
    return "backoffice" if request.path.startswith("/backoffice/") else "page"


def _gate(session: Session, svc: Services,
          key: str) -> tuple[LoginThrottle | None, datetime, Outcome | None]:
    """The key's counter (locked), the time, and why an attempt is refused without looking
    at it (``locked``, ``throttled``), if it is."""
    throttle = _throttle(session, key)
    now = svc.clock.now()  # read once the counter is ours: it may have waited for another
    if throttle is None:
        return None, now, None
    settings = svc.settings
    _forget_old(throttle, now, settings)
    wait = wait_seconds(throttle.failures, settings)
    if throttle.locked_until is not None and throttle.locked_until > now:
        return throttle, now, "locked"
    if throttle.last_failure_at is not None and wait > 0 \
            and now < throttle.last_failure_at + timedelta(seconds=wait):
        return throttle, now, "throttled"
    return throttle, now, None


def _count_failure(session: Session, key: str, throttle: LoginThrottle | None, now: datetime,
                   settings: Settings) -> bool:
    """One more failure on the key's counter; whether it starts a lock."""
    if throttle is None:
        throttle = _throttle(session, key, create=True)
        assert throttle is not None
    throttle.failures += 1
    throttle.last_failure_at = max(now, throttle.last_failure_at or now)  # never backwards
    locked = throttle.failures >= settings.login_max_failures
    if locked:
        throttle.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
        throttle.failures = 0
    return locked


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
            channel: Channel, outcome: Outcome, lock_minutes: int | None = None,
            factor: Literal["password", "code"] = "password",
            verdict: totp.Verdict | None = None) -> NoReturn:
    """Record the refusal, commit it (counter included) and raise the one generic answer
    (for a code: the one answer of the code page)."""
    _record(session, now, key, account, channel,
            outcome if factor == "password" else f"code_{outcome}")
    session.commit()
    who = {"account_id": account.id} if account else {"identifier_hash": key}
    prefix = "login" if factor == "password" else "second_factor"
    if outcome == "refused":
        name = "second_factor_replayed" if verdict == "replayed" else f"{prefix}_refused"
        security_event(name, channel=channel, **who)
        if lock_minutes is not None:
            security_event("account_locked", channel=channel, minutes=lock_minutes,
                           factor=factor, **who)
    else:
        security_event(f"{prefix}_{outcome}", channel=channel, **who)
    if factor == "code":
        raise LoginRefused("invalid_code", BAD_CODE, reason=outcome)
    raise LoginRefused("invalid_credentials", BAD_CREDENTIALS, reason=outcome)


def _record(session: Session, now: datetime, key: str, account: Account | None,
            channel: Channel, outcome: str) -> None:
    """A connection record: the account's identifier when it exists; otherwise the hash of
    what was typed (a password typed in the wrong field is never stored in clear).
    ``outcome``: an :data:`Outcome`, ``password_ok`` (a staff password, the code to come) or
    ``code_`` and an :data:`Outcome` (the code step)."""
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
