"""Sessions and API tokens: random, stored only as a SHA-256 digest, revocable, expiring.

Two kinds share the table ``api_tokens``: ``api`` (a bearer token of the API) and ``page`` (a
portal session, named by the session cookie). Each is accepted only where it belongs. Both end
at ``expires_at`` (the absolute lifetime), at logout, and when the password changes
(:func:`revoke_all`); a page session also ends when left unused for ``idle_minutes``. Its
``last_seen_at`` is written at most once a minute (:func:`touch`), not on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from web.db.models import Account, AccountToken, ApiToken, Person
from web.security_log import security_event

Kind = Literal["api", "page", "staff"]
State = Literal["live", "unknown", "revoked", "expired", "idle"]
TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is rewritten only when older than this: no write per request."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Issued:
    token: str
    expires_at: datetime


def issue(session: Session, account: Account, now: datetime, ttl_hours: int,
          kind: Kind = "api") -> Issued:
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=ttl_hours)
    session.add(ApiToken(digest=digest(token), account_id=account.id, created_at=now,
                         expires_at=expires, kind=kind, last_seen_at=now))
    return Issued(token, expires)


@dataclass(frozen=True)
class Checked:
    """What a token is worth now: ``live`` (with its account), or why not."""

    state: State
    account: Account | None = None
    person: Person | None = None
    digest: str = ""
    needs_touch: bool = False
    """A live page session last seen over a minute ago: :func:`touch` it."""

    @property
    def live(self) -> bool:
        return self.state == "live"


def check(session: Session, token: str, now: datetime, *, kind: Kind,
          idle_minutes: int | None = None) -> Checked:
    """The token's state, and for a live one its account and person, in one query.

    A token of the other kind is ``unknown`` here: a page session is no bearer token and the
    reverse. ``idle_minutes`` ends a token unused that long (page sessions)."""
    hashed = digest(token)
    found = session.execute(
        select(ApiToken, Account, Person).join(Account, ApiToken.account_id == Account.id)
        .outerjoin(Person, Person.id == Account.person_id)
        .where(ApiToken.digest == hashed, ApiToken.kind == kind)).first()
    if found is None:
        return Checked("unknown", digest=hashed)
    row, account, person = found
    if row.revoked_at is not None:
        return Checked("revoked", account, digest=hashed)
    if row.expires_at <= now:
        return Checked("expired", account, digest=hashed)
    last_seen = row.last_seen_at or row.created_at
    if idle_minutes is not None and now - last_seen >= timedelta(minutes=idle_minutes):
        return Checked("idle", account, digest=hashed)
    return Checked("live", account, person, hashed,
                   needs_touch=idle_minutes is not None and now - last_seen >= TOUCH_EVERY)


def account_for(session: Session, token: str, now: datetime, kind: Kind = "api",
                idle_minutes: int | None = None) -> tuple[Account, Person | None] | None:
    """The account of a live token and its person, in one query."""
    found = check(session, token, now, kind=kind, idle_minutes=idle_minutes)
    return (found.account, found.person) if found.live and found.account else None


def touch(session: Session, token_digest: str, now: datetime) -> bool:
    """Note that the session was used now, unless that was noted less than a minute ago (the
    condition is in the UPDATE: two processes at once write once). The caller commits."""
    done = session.execute(
        update(ApiToken).where(ApiToken.digest == token_digest, ApiToken.revoked_at.is_(None),
                               or_(ApiToken.last_seen_at.is_(None),
                                   ApiToken.last_seen_at <= now - TOUCH_EVERY))
        .values(last_seen_at=now).execution_options(synchronize_session=False))
    return bool(getattr(done, "rowcount", 0))


def revoke(session: Session, token: str, now: datetime) -> None:
    """End one session or token (logout); the caller commits."""
    row = session.get(ApiToken, digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        security_event("logout", account_id=row.account_id, channel=row.kind)


def revoke_all(session: Session, account: Account, now: datetime,
               except_digest: str | None = None) -> int:
    """End every live session and API token of the account but the one named (the session
    changing the password keeps going); how many ended. The caller commits."""
    conditions = [ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None),
                  ApiToken.expires_at > now]
    if except_digest is not None:
        conditions.append(ApiToken.digest != except_digest)
    done = session.execute(update(ApiToken).where(*conditions).values(revoked_at=now)
                           .execution_options(synchronize_session="fetch"))
    count = int(getattr(done, "rowcount", 0) or 0)
    security_event("sessions_revoked", account_id=account.id, revoked=count,
                   kept_current=except_digest is not None)
    return count


@dataclass(frozen=True)
class Purged:
    tokens: int
    account_tokens: int


def purge(session: Session, now: datetime, keep_days: int) -> Purged:
    """Delete sessions and API tokens that expired or were revoked over ``keep_days`` ago, and
    e-mail links (account tokens) used or expired that long ago. The caller commits."""
    before = now - timedelta(days=keep_days)
    tokens = session.execute(delete(ApiToken).where(
        or_(ApiToken.expires_at < before, ApiToken.revoked_at < before))
        .execution_options(synchronize_session=False))
    links = session.execute(delete(AccountToken).where(
        or_(AccountToken.expires_at < before, AccountToken.used_at < before))
        .execution_options(synchronize_session=False))
    return Purged(int(getattr(tokens, "rowcount", 0) or 0),
                  int(getattr(links, "rowcount", 0) or 0))
