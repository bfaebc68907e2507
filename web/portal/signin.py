"""Who is signed in on the pages: a server-side token named by the session cookie.

The cookie holds only a random token (its SHA-256 is stored, as for the API), so logging out
revokes it on the server: a copied cookie is worthless afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for

from web.current import db, services
from web.db.models import Account
from web.submissions import Actor
from web.tokens import account_for, issue, revoke

F = TypeVar("F", bound=Callable[..., Any])


def current_actor() -> Actor | None:
    if "portal_actor" not in g:
        token = session.get("token")
        found = account_for(db(), token, services().clock.now()) \
            if isinstance(token, str) else None
        g.portal_actor = None if found is None else Actor(*found)
    return cast(Actor | None, g.portal_actor)


def sign_in(account: Account) -> None:
    """A new session (never the one the visitor came with) holding a new token."""
    lang = session.get("lang")
    session.clear()
    svc = services()
    issued = issue(db(), account, svc.clock.now(), svc.settings.token_ttl_hours)
    session["token"] = issued.token
    if lang:
        session["lang"] = lang
    g.pop("portal_actor", None)


def sign_out() -> None:
    token = session.get("token")
    if isinstance(token, str):
        revoke(db(), token, services().clock.now())
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.pop("portal_actor", None)


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to: never another site, never a scheme-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def member_required(view: F) -> F:
    """The page needs a signed-in member: others go to the login page, then come back."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = current_actor()
        if actor is None:
            return redirect(url_for("portal.login", next=request.path))
        if actor.account.kind != "member":
            return redirect(url_for("portal.home"))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def actor() -> Actor:
    found = current_actor()
    assert found is not None, "member_required guards every caller"
    return found
