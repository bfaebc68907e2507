"""Single-use links sent to a person: e-mail validation and password reset.

A link carries 256 random bits; only their SHA-256 is stored. It expires, and it is consumed by
one atomic ``UPDATE ... WHERE used_at IS NULL``: two clicks, or two processes, cannot both use
it. Issuing a new link for the same purpose retires the older ones.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from web.db.models import AccountToken
from web.tokens import digest

EMAIL_VALIDATION = "email_validation"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password


def issue_link(session: Session, account_id: str, purpose: str, now: datetime,
               ttl: timedelta, email: str | None = None) -> str:
    session.execute(update(AccountToken).where(
        AccountToken.account_id == account_id, AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None), AccountToken.expires_at > now)
        .values(expires_at=now).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    session.add(AccountToken(digest=digest(token), account_id=account_id, purpose=purpose,
                             email=email, created_at=now, expires_at=now + ttl))
    return token


def peek(session: Session, token: str, purpose: str, now: datetime) -> AccountToken | None:
    """The link if it can still be used (for the page that asks to confirm)."""
    if not token or len(token) > 100:
        return None
    return session.scalars(select(AccountToken).where(
        AccountToken.digest == digest(token), AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None), AccountToken.expires_at > now)).first()


def consume(session: Session, token: str, purpose: str,
            now: datetime) -> tuple[str, str | None] | None:
    """Use the link once: its (account id, e-mail), or None if unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    found = session.execute(update(AccountToken).where(
        AccountToken.digest == digest(token), AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None), AccountToken.expires_at > now)
        .values(used_at=now).returning(AccountToken.account_id, AccountToken.email)
        .execution_options(synchronize_session=False)).first()
    return None if found is None else (found[0], found[1])
