"""``/api/v1/auth/token``: log in with identifier and password, log out.

Staff accounts also give ``code``, the current code of their authenticator app (TOTP,
SECURITY.md AUTH-11; enrolled on the back office's pages first). A missing, wrong or replayed
code gets the very answer of a wrong password (401 ``invalid_credentials``): the answer never
says that the password was right, so the API cannot be used to test staff passwords without the
authenticator. Wrong codes are counted per account (``web.login.verify_code``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from engine import Message
from web.api.common import authenticated, bearer_token, db, json_body, services
from web.audience import audience
from web.errors import ApiProblem
from web.login import MAX_CODE, MAX_IDENTIFIER, MAX_PASSWORD, LoginRefused, authenticate
from web.tokens import issue, revoke

bp = Blueprint("auth", __name__)


@bp.post("/auth/token")
@audience("public")
def login() -> tuple[dict[str, Any], int]:
    body = json_body()
    identifier = body.get("identifier") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    code = body.get("code", "") if isinstance(body, dict) else None
    if not isinstance(identifier, str) or not isinstance(password, str) \
            or not isinstance(code, str) or len(identifier) > MAX_IDENTIFIER \
            or len(password) > MAX_PASSWORD or len(code) > MAX_CODE:
        raise ApiProblem(400, "invalid_credentials_body", Message(
            "Indiquez votre identifiant et votre mot de passe (et, pour le personnel, le code"
            " de votre application d'authentification).",
            "Give your identifier and password (and, for staff, the code of your"
            " authenticator app)."))
    svc, session = services(), db()
    try:
        done = authenticate(session, svc, identifier, password, second_factor="check",
                            code=code)
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
