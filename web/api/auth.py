"""``/api/v1/auth/token``: log in with identifier and password, log out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from engine import Message
from web.api.common import authenticated, bearer_token, db, json_body, services
from web.audience import audience
from web.errors import ApiProblem
from web.login import LoginRefused, authenticate
from web.tokens import issue, revoke

bp = Blueprint("auth", __name__)


@bp.post("/auth/token")
@audience("public")
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
    try:
        done = authenticate(session, svc, identifier, password)
    except LoginRefused as refused:  # one answer for every refusal (locked included)
        raise ApiProblem(401, refused.code, refused.message) from None
    account, previous = done.account, done.previous_login
    now = svc.clock.now()
    issued = issue(session, account, now, svc.settings.token_ttl_hours)
    session.commit()
    return {"token": issued.token, "expires_at": issued.expires_at.isoformat(),
            "must_change_password": account.must_change_password,
            "email_validated": account.email_validated,
            "last_login_at": previous.isoformat() if previous else None}, 200


@bp.delete("/auth/token")
@audience("account")
@authenticated
def logout() -> tuple[str, int]:
    token = bearer_token()
    assert token is not None
    revoke(db(), token, services().clock.now())
    db().commit()
    return "", 204
