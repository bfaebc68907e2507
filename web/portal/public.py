"""Public procedures: filled in by a visitor who has no account (``audience: public``, e.g. the
subscription request), started from the login page's link and listed nowhere else.

The visitor's browser holds a random key (256 bits) per submission in its session cookie
(signed by Flask); the server stores only the key's SHA-256 (``submissions.draft_key_digest``)
and finds the submission by its id **and** that digest, never by its id alone: another browser
gets 404. The generic step pages serve the visitor through :func:`member_or_visitor`
(web/portal/steps.py, pages.py). Drafts left unsubmitted are deleted after
:data:`web.drafts.KEEP_DAYS` days (``flask --app web submissions purge-anonymous``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from web.audience import audience
from web.current import db, services, submissions
from web.errors import NOT_FOUND, ApiProblem
from web.host_checks import client_ip
from web.i18n import current_language
from web.ip_counter import count_in_window
from web.portal import bp
from web.portal.signin import current_actor, filler_required
from web.security_log import security_event

F = TypeVar("F", bound=Callable[..., Any])

DRAFTS = "drafts"
"""The session entry: submission id → the visitor's key."""
STARTS_PER_HOUR = 20
"""How many public procedures one address may start in an hour (each start is a row)."""
MAX_DRAFTS = 5
"""How many of a visitor's submissions their browser remembers (the latest)."""


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def held_digest(submission_id: str) -> str | None:
    """The digest of the key this browser holds for the submission, if it holds one."""
    drafts = session.get(DRAFTS)
    key = drafts.get(submission_id) if isinstance(drafts, dict) else None
    return key_digest(key) if isinstance(key, str) else None


def _remember(submission_id: str, key: str) -> None:
    drafts = session.get(DRAFTS)
    kept = dict(drafts) if isinstance(drafts, dict) else {}
    kept[submission_id] = key
    session[DRAFTS] = dict(list(kept.items())[-MAX_DRAFTS:])


def member_or_visitor(view: F) -> F:
    """A member or an employer account (as :func:`filler_required`), or a visitor whose
    browser holds keys of submissions (the view's ``owned`` then finds the submission in the
    URL by its key: another one is 404); anyone else goes to the login page."""
    member_view = filler_required(view)

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None and session.get(DRAFTS):
            return view(*args, **kwargs)
        return member_view(*args, **kwargs)

    return cast(F, wrapper)


def public_procedures() -> list[dict[str, str]]:
    """The procedures a visitor may start (the login page links them)."""
    lang = current_language()
    return [{"id": wf.id, "text": wf.messages["invitation"].text(lang)
             if "invitation" in wf.messages else wf.title.text(lang)}
            for wf in submissions().catalog.all_current() if wf.audience == "public"]


@bp.route("/public/<workflow_id>", methods=["GET", "POST"])
@audience("public")
def public_start(workflow_id: str) -> Response | str | tuple[str, int]:
    """A public procedure's first page: what it is, and a button that starts it (a signed-in
    account goes home: it has its access already)."""
    if current_actor() is not None:
        return redirect(url_for("portal.home"))
    service, lang = submissions(), current_language()
    wf = service.catalog.current(workflow_id)
    if wf is None or wf.audience != "public":
        raise ApiProblem(404, "not_found", NOT_FOUND)
    if request.method == "POST":  # CSRF checked by CSRFProtect
        now = services().clock.now()
        if count_in_window(db(), f"ip:public_start:{client_ip()}", now) > STARTS_PER_HOUR:
            security_event("public_starts_exceeded")
            return render_template("portal/public_start.html", wf_title=wf.title.text(lang),
                                   description=wf.description.text(lang) if wf.description
                                   else "", workflow_id=wf.id, too_many=True), 429
        key = secrets.token_urlsafe(32)
        row = service.create_public(wf.id, key_digest(key))
        db().commit()
        _remember(row.id, key)
        return redirect(url_for("portal.submission", submission_id=row.id))
    return render_template("portal/public_start.html", wf_title=wf.title.text(lang),
                           description=wf.description.text(lang) if wf.description else "",
                           workflow_id=wf.id)
