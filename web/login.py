"""Checking an identifier and password, for the API and the pages alike.

Every refusal costs one password hash, whether the account exists or not, so timing tells
nothing; too many failures lock the account for a while.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Message
from web.db.models import Account, LoginThrottle
from web.services import Services

BAD_CREDENTIALS = Message("Identifiant ou mot de passe incorrect.",
                          "Incorrect identifier or password.")
LOCKED = Message("Trop de tentatives infructueuses : réessayez plus tard ou utilisez « Mot de"
                 " passe oublié ».", "Too many failed attempts: try again later or use “Forgot"
                 " password”.")
MAX_IDENTIFIER, MAX_PASSWORD = 80, 128


class LoginRefused(Exception):
    def __init__(self, code: str, message: Message, retry_after: int | None = None) -> None:
        super().__init__(code)
        self.code, self.message, self.retry_after = code, message, retry_after


@dataclass(frozen=True)
class LoggedIn:
    account: Account
    previous_login: datetime | None


def throttle_key(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().lower().encode("utf-8")).hexdigest()


def authenticate(session: Session, svc: Services, identifier: str,
                 password: str) -> LoggedIn:
    """The account these credentials open, its previous login recorded; the caller commits.

    Failures are counted per identifier typed, known or not, in the database (so every app
    process shares them); past ``login_max_failures`` the identifier is locked for a while.
    """
    now = svc.clock.now()
    if len(identifier) > MAX_IDENTIFIER or len(password) > MAX_PASSWORD:
        svc.passwords.verify(None, password[:MAX_PASSWORD])
        raise LoginRefused("invalid_credentials", BAD_CREDENTIALS)
    key = throttle_key(identifier)
    throttle = session.get(LoginThrottle, key)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        svc.passwords.verify(None, password)  # same cost as any other answer
        raise LoginRefused("locked", LOCKED,
                           int((throttle.locked_until - now).total_seconds()) + 1)
    account = session.scalars(select(Account).where(
        Account.identifier == identifier.strip())).first()
    if not svc.passwords.verify(account.password_hash if account else None, password) \
            or account is None:
        if throttle is None:
            throttle = LoginThrottle(key=key, failures=0)
            session.add(throttle)
        throttle.failures += 1
        throttle.last_failure_at = now
        if throttle.failures >= svc.settings.login_max_failures:
            throttle.locked_until = now + timedelta(minutes=svc.settings.login_lock_minutes)
            throttle.failures = 0
        session.commit()
        raise LoginRefused("invalid_credentials", BAD_CREDENTIALS)
    if throttle is not None:
        session.delete(throttle)
    previous = account.last_login_at
    account.last_login_at = now
    if svc.passwords.needs_rehash(account.password_hash):
        account.password_hash = svc.passwords.hash(password)
    return LoggedIn(account, previous)
