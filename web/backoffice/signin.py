"""Who is signed in on the back office: a staff session, separate from the member portal's.

Signing in takes two steps (SECURITY.md AUTH-11). After the password, the session holds only a
marker, "password ok, code pending" (``staff_pending``: the account id and the time), valid
:data:`PENDING_MINUTES`; nothing but the code page opens with it. After the code, the session
cookie names a server-side token of kind ``staff`` in ``api_tokens`` (``staff_token``; only its
SHA-256 is stored): logging out revokes it, so a copied cookie is worthless afterwards (SESS-01).
The staff session ends after ``staff_session_idle_minutes`` without a request and at the latest
``token_ttl_hours`` after the code (SESS-04). It is not the portal's session (``token``, kind
``page``): neither opens the other's pages.

A browser holding a live session of a member (or an employer) and no staff session gets 404 on
every back-office page, as if the back office did not exist (:func:`refuse_members`).

Roles: a staff account holds roles such as ``immatriculation``, ``recouvrement``, ``prestations``;
the ``admin`` role sees every procedure (:func:`web.submissions.staff_sees`) but takes an action
only with the role the action's transition names (the engine checks it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from web.current import db, services
from web.db.models import Account
from web.portal.signin import safe_next
from web.security_log import security_event
from web.submissions import Actor
from web.tokens import Kind, check, issue, revoke, touch

F = TypeVar("F", bound=Callable[..., Any])

STAFF_KIND: Kind = "staff"
"""The ``api_tokens`` kind of a back-office session (web.tokens names ``api`` and ``page``)."""
TOKEN_KEY, PENDING_KEY = "staff_token", "staff_pending"
"""The session keys: the staff token; the marker "password ok, code pending"."""
PENDING_MINUTES = 5
"""How long after the password the code may come."""


def current_staff() -> Actor | None:
    """The staff member signed in on the back office (password and code), or None."""
    if "staff_actor" not in g:
        g.staff_actor = _session_staff()
    return cast(Actor | None, g.staff_actor)


def _session_staff() -> Actor | None:
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str):
        return None
    svc = services()
    now = svc.clock.now()
    found = check(db(), token, now, kind=STAFF_KIND,
                  idle_minutes=svc.settings.staff_session_idle_minutes)
    if found.live and found.account is not None and found.account.kind == "staff":
        if found.needs_touch:  # its own short transaction: the request's stays the view's
            with svc.sessions.begin() as own:
                touch(own, found.digest, now)
        return Actor(found.account, found.person)
    session.pop(TOKEN_KEY, None)  # a dead session is forgotten: asked once, told once
    if found.state in ("idle", "expired"):
        security_event("session_expired", account_id=found.account.id if found.account else None,
                       channel="backoffice", reason=found.state)
        flash(_("Your back office session expired: please log in again."), "info")
    return None


def member_here() -> Account | None:
    """The account of this browser's live portal session when it is not staff (a member or an
    employer): such a browser is not shown the back office (AUTH-11). The portal's session is
    only looked at here, never changed."""
    token = session.get("token")
    if not isinstance(token, str):
        return None
    svc = services()
    found = check(db(), token, svc.clock.now(), kind="page",
                  idle_minutes=svc.settings.session_idle_minutes)
    if found.live and found.account is not None and found.account.kind != "staff":
        return found.account
    return None


def pending_account() -> Account | None:
    """The staff account whose password was given less than :data:`PENDING_MINUTES` ago in
    this browser, its code still to come; None otherwise (the marker is then forgotten)."""
    marker = session.get(PENDING_KEY)
    if not isinstance(marker, dict):
        return None
    account_id, at = marker.get("account"), marker.get("at")
    try:
        started = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        started = None
    now = services().clock.now()
    if not isinstance(account_id, str) or started is None or started.tzinfo is None \
            or not now - timedelta(minutes=PENDING_MINUTES) <= started <= now:
        session.pop(PENDING_KEY, None)
        return None
    account = db().get(Account, account_id)
    if account is None or account.kind != "staff":
        session.pop(PENDING_KEY, None)
        return None
    return account


def password_accepted(account: Account) -> None:
    """After the password: a new session holding only the "code pending" marker (and the
    language). A staff session this browser held is ended first."""
    _revoke_current()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[PENDING_KEY] = {"account": account.id, "at": services().clock.now().isoformat(),
                            "nonce": secrets.token_hex(16)}
    g.pop("staff_actor", None)


def enrolment_secret() -> str:
    """The authenticator secret offered to the pending account while it has none: derived from
    the pending marker and the app's secret key, so the same page shows the same secret until
    the code confirms it, and the cookie never carries it. A new login offers a new one."""
    marker = session.get(PENDING_KEY)
    assert isinstance(marker, dict), "pending_account() guards every caller"
    message = "\x00".join(["csm-totp-enrolment", str(marker.get("account")),
                           str(marker.get("at")), str(marker.get("nonce"))])
    mac = hmac.new(str(current_app.secret_key).encode("utf-8"), message.encode("utf-8"),
                   hashlib.sha256).digest()
    return base64.b32encode(mac[:20]).decode("ascii")  # 160 bits, 32 characters


def sign_in(account: Account) -> None:
    """After the code: the marker gives way to a new staff session (a new token)."""
    svc = services()
    session.pop(PENDING_KEY, None)
    issued = issue(db(), account, svc.clock.now(), svc.settings.token_ttl_hours, kind=STAFF_KIND)
    session[TOKEN_KEY] = issued.token
    g.pop("staff_actor", None)


def sign_out() -> None:
    """End the staff session (revoked on the server) and any pending login; the portal's
    session, if any, is left alone."""
    _revoke_current()
    session.pop(TOKEN_KEY, None)
    session.pop(PENDING_KEY, None)
    g.pop("staff_actor", None)


def _revoke_current() -> None:
    token = session.get(TOKEN_KEY)
    if isinstance(token, str):
        revoke(db(), token, services().clock.now())  # logs ``logout`` (channel ``staff``)


def back_office_next(target: str | None) -> str:
    """Where to go after signing in: a back-office path (local, see ``safe_next``), else home."""
    home = url_for("backoffice.home")
    found = safe_next(target, home)
    return found if found == "/backoffice" or found.startswith("/backoffice/") else home


def guard_staff_blueprint(bp: Blueprint) -> None:
    """What every back-office blueprint does before its views: refuse a member's browser
    (:func:`refuse_members`), and give its templates ``staff_signed_in`` (the header's name)."""
    bp.before_request(refuse_members)

    @bp.context_processor
    def _back_office_context() -> dict[str, Any]:
        actor = current_staff()
        if actor is None:
            return {"staff_signed_in": None}
        account = actor.account
        return {"staff_signed_in": {"name": account.display_name or account.identifier}}


def refuse_members() -> None:
    """Before every back-office request: a browser with a member's session and no staff
    session gets 404 (AUTH-11)."""
    if current_staff() is not None:
        return
    member = member_here()
    if member is not None:
        security_event("access_denied", account_id=member.id, channel="backoffice",
                       reason="not_staff", path=request.path)
        abort(404)


def staff_required(view: F) -> F:
    """The page needs a staff member signed in with password and code. A member's browser gets
    404; a browser whose password was given gets 303 to the code page; others 303 to the
    login page (then come back)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_staff() is not None:
            return view(*args, **kwargs)
        refuse_members()
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        if pending_account() is not None:
            return redirect(url_for("backoffice.second_factor", next=target), 303)
        return redirect(url_for("backoffice.login", next=target), 303)

    return cast(F, wrapper)


def staff() -> Actor:
    found = current_staff()
    assert found is not None, "staff_required guards every caller"
    return found
