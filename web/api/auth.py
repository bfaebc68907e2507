"""``/api/v1/auth/token``: log in with identifier and password, log out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint
from sqlalchemy import select

from engine import Message
from web.api.common import authenticated, bearer_token, db, json_body, services
from web.db.models import Account
from web.errors import ApiProblem
from web.tokens import issue, revoke

bp = Blueprint("auth", __name__)

BAD_CREDENTIALS = Message("Identifiant ou mot de passe incorrect.",
                          "Incorrect identifier or password.")
LOCKED = Message("Trop de tentatives infructueuses : réessayez plus tard ou utilisez « Mot de"
                 " passe oublié ».", "Too many failed attempts: try again later or use “Forgot"
                 " password”.")


@bp.post("/auth/token")
def login() -> tuple[dict[str, Any], int]:
    body = json_body()
    identifier = body.get("identifier") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(identifier, str) or not isinstance(password, str) \
            or len(identifier) > 80 or len(password) > 128:
        raise ApiProblem(400, "invalid_credentials_body", Message(
            "Indiquez votre identifiant et votre mot de passe.",
            "Give your identifier and password."))
    svc, session = services(), db()
    now = svc.clock.now()
    account = session.scalars(select(Account).where(
        Account.identifier == identifier.strip())).first()
    if account is not None and account.locked_until is not None and account.locked_until > now:
        svc.passwords.verify(None, password)  # same cost as any other answer
        raise ApiProblem(429, "locked", LOCKED, headers={"Retry-After": str(
            int((account.locked_until - now).total_seconds()) + 1)})
    if not svc.passwords.verify(account.password_hash if account else None, password) \
            or account is None:
        if account is not None:
            account.failed_logins += 1
            if account.failed_logins >= svc.settings.login_max_failures:
                account.locked_until = now + timedelta(minutes=svc.settings.login_lock_minutes)
                account.failed_logins = 0
            session.commit()
        raise ApiProblem(401, "invalid_credentials", BAD_CREDENTIALS)
    previous = account.last_login_at
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    if svc.passwords.needs_rehash(account.password_hash):
        account.password_hash = svc.passwords.hash(password)
    issued = issue(session, account, now, svc.settings.token_ttl_hours)
    session.commit()
    return {"token": issued.token, "expires_at": issued.expires_at.isoformat(),
            "must_change_password": account.must_change_password,
            "email_validated": account.email_validated,
            "last_login_at": previous.isoformat() if previous else None}, 200


@bp.delete("/auth/token")
@authenticated
def logout() -> tuple[str, int]:
    token = bearer_token()
    assert token is not None
    revoke(db(), token, services().clock.now())
    db().commit()
    return "", 204
