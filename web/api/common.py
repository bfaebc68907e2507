"""What every API view needs: the parsed JSON body, the caller, the services."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from engine import Message
from web.current import db, services, submissions
from web.db.models import SUBSCRIBER_KINDS
from web.errors import NOT_FOUND, ApiProblem
from web.submissions import Actor
from web.tokens import account_for

F = TypeVar("F", bound=Callable[..., Any])


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_body(required: bool = True) -> Any:
    """The request's JSON: 415 unless declared as JSON, 400 when malformed or too deep."""
    raw = request.get_data(cache=True)
    if not raw and not required:
        return {}
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiProblem(415, "unsupported_media_type", Message(
            "Le corps de la requête doit être du JSON (Content-Type: application/json).",
            "The request body must be JSON (Content-Type: application/json)."))
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError) as error:
        raise ApiProblem(400, "invalid_json", Message(
            "Le corps de la requête n'est pas un JSON valide.",
            "The request body is not valid JSON.")) from error


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


UNAUTHENTICATED = Message("Connectez-vous pour accéder à ce service.",
                          "Log in to use this service.")


ACCOUNT_NOT_READY = Message(
    "Votre compte n'est pas encore prêt : sur le site, choisissez votre mot de passe et confirmez"
    " votre adresse électronique ; vos services s'ouvriront ensuite.",
    "Your account is not ready yet: on the website, choose your password and confirm your"
    " e-mail address; your services will then open.")


def authenticated(view: F) -> F:
    """The caller's account from its bearer token, as ``g.actor``; 401 otherwise (unknown,
    expired or revoked token, or a page session's token: only API tokens open the API)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = bearer_token()
        found = account_for(db(), token, services().clock.now(), kind="api") if token else None
        if found is None:
            raise ApiProblem(401, "unauthenticated", UNAUTHENTICATED,
                             headers={"WWW-Authenticate": 'Bearer realm="csm"'})
        g.actor = Actor(*found)  # holds the person: later lookups find it in the session
        account = found[0]
        if account.kind in SUBSCRIBER_KINDS and request.endpoint != "api.auth.logout" and \
                (account.must_change_password or not account.email_validated):
            raise ApiProblem(403, "account_not_ready", ACCOUNT_NOT_READY)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def actor() -> Actor:
    return cast(Actor, g.actor)


def staff_only(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not actor().is_staff:
            raise ApiProblem(404, "not_found", NOT_FOUND)
        return view(*args, **kwargs)

    return cast(F, wrapper)

__all__ = ["actor", "authenticated", "bearer_token", "db", "json_body", "services", "staff_only",
           "submissions"]
