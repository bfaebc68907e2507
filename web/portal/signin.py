"""Who is signed in on the pages: a server-side session named by the session cookie.

The cookie holds only a random token (its SHA-256 is stored in ``api_tokens`` with kind
``page``), so logging out revokes it on the server: a copied cookie is worthless afterwards. The
session ends after ``session_idle_minutes`` without a request and at the latest
``token_ttl_hours`` after login; the member then lands on the login page, told why.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import flash, g, redirect, request, session, url_for

from engine import Message
from web.current import db, services
from web.db.models import Account
from web.i18n import current_language
from web.security_log import security_event
from web.submissions import Actor
from web.tokens import check, digest, issue, revoke, touch

F = TypeVar("F", bound=Callable[..., Any])

SESSION_EXPIRED = Message("Votre session a expiré : reconnectez-vous.",
                          "Your session expired: please log in again.")


def current_actor() -> Actor | None:
    if "portal_actor" not in g:
        g.portal_actor = _session_actor()
    return cast(Actor | None, g.portal_actor)


def _session_actor() -> Actor | None:
    token = session.get("token")
    if not isinstance(token, str):
        return None
    svc = services()
    now = svc.clock.now()
    found = check(db(), token, now, kind="page",
                  idle_minutes=svc.settings.session_idle_minutes)
    if found.live and found.account is not None:
        if found.needs_touch:  # its own short transaction: the request's stays the view's
            with svc.sessions.begin() as own:
                touch(own, found.digest, now)
        return Actor(found.account, found.person)
    session.pop("token", None)  # a dead session is forgotten: asked once, told once
    if found.state in ("idle", "expired"):
        security_event("session_expired", account_id=found.account.id if found.account else None,
                       channel="page", reason=found.state)
        flash(SESSION_EXPIRED.text(current_language()), "info")
    return None


def current_digest() -> str | None:
    """The digest of this browser's session (to keep it in :func:`web.tokens.revoke_all`)."""
    token = session.get("token")
    return digest(token) if isinstance(token, str) else None


def sign_in(account: Account) -> None:
    """A new session (never the one the visitor came with) holding a new token."""
    lang, previous = session.get("lang"), session.get("previous_login")
    session.clear()
    svc = services()
    issued = issue(db(), account, svc.clock.now(), svc.settings.token_ttl_hours, kind="page")
    session["token"] = issued.token
    if lang:
        session["lang"] = lang
    if previous:  # a new session for the same person (password change); a login sets its own
        session["previous_login"] = previous
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


NOT_READY_ENDPOINTS = frozenset({"portal.password", "portal.logout", "portal.set_language",
                                 "portal.confirm_email_page", "portal.confirm_email_action",
                                 "static"})
"""What a person who must first choose a password may still open."""


def password_first() -> Any:
    """Before any portal page: a password sent by post must be replaced first."""
    actor = current_actor() if request.endpoint not in NOT_READY_ENDPOINTS else None
    if actor is not None and actor.account.must_change_password:
        return redirect(url_for("portal.password"))
    return None


def member_required(view: F) -> F:
    """The page needs a signed-in member whose e-mail address is confirmed: visitors go to the
    login page (then come back), the others to the home page, which says what is missing."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = current_actor()
        if actor is None:
            return redirect(url_for("portal.login", next=request.path))
        if actor.account.kind != "member" or not actor.account.email_validated:
            return redirect(url_for("portal.home"))  # which says why
        return view(*args, **kwargs)

    return cast(F, wrapper)


def filler_required(view: F) -> F:
    """The page of a procedure being filled in or sent: a signed-in member or employer account
    (each sees only its own submissions: the view's ``owned`` answers 404 for another's) whose
    e-mail address is confirmed; visitors go to the login page, staff to the home page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = current_actor()
        if actor is None:
            return redirect(url_for("portal.login", next=request.path))
        if actor.account.kind not in ("member", "employer") or \
                not actor.account.email_validated:
            return redirect(url_for("portal.home"))  # which says why
        return view(*args, **kwargs)

    return cast(F, wrapper)


def employer_required(view: F) -> F:
    """The page needs a signed-in employer account (an employer or an accounting firm, ref 004)
    whose e-mail address is confirmed: visitors go to the login page (then come back), members
    and staff to the home page, as on the members' pages."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = current_actor()
        if actor is None:
            return redirect(url_for("portal.login", next=request.path))
        if actor.account.kind != "employer" or not actor.account.email_validated:
            return redirect(url_for("portal.home"))  # which says why
        return view(*args, **kwargs)

    return cast(F, wrapper)


def account_required(view: F) -> F:
    """The page needs a signed-in account, member or staff (its own settings: password,
    e-mail): others go to the login page, then come back."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            return redirect(url_for("portal.login", next=request.path))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def actor() -> Actor:
    found = current_actor()
    assert found is not None, "member_required or account_required guards every caller"
    return found
