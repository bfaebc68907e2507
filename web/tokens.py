"""API tokens: random, stored only as a SHA-256 digest, revocable, expiring."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.db.models import Account, ApiToken, Person


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Issued:
    token: str
    expires_at: datetime


def issue(session: Session, account: Account, now: datetime, ttl_hours: int) -> Issued:
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=ttl_hours)
    session.add(ApiToken(digest=digest(token), account_id=account.id, created_at=now,
                         expires_at=expires))
    return Issued(token, expires)


def account_for(session: Session, token: str,
                now: datetime) -> tuple[Account, Person | None] | None:
    """The account of a live token and its person, in one query."""
    found = session.execute(
        select(Account, Person).join(ApiToken, ApiToken.account_id == Account.id)
        .outerjoin(Person, Person.id == Account.person_id)
        .where(ApiToken.digest == digest(token), ApiToken.revoked_at.is_(None),
               ApiToken.expires_at > now)).first()
    return None if found is None else (found[0], found[1])


def revoke(session: Session, token: str, now: datetime) -> None:
    row = session.get(ApiToken, digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
