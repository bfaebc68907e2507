"""Who each route is for: every view declares its audience, and what is not declared is closed.

A view says who it serves with :func:`audience`, put just under its ``@bp.get``/``@bp.route``
line (so the function Flask registers carries the declaration) and above its guard::

    @bp.get("/submissions/<submission_id>")
    @audience("member")
    @member_required
    def submission(submission_id: str) -> ...:

The declaration is an inventory, not the guard itself: ``member_required``,
``account_required``, ``authenticated`` and ``staff_only`` still check each request, and the
tests of ``tests/integration/test_route_audiences.py`` check that each declared audience is
what the guards let through. What this module adds is the default: :func:`check_declared`
refuses to start an application with a route that declares nothing (or an unknown audience),
and :func:`refuse_undeclared`, run before every request, answers 404 for a view without a
declaration (one added after start-up), so a forgotten declaration closes a route, never opens
it (SECURITY.md AC-02).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request

F = TypeVar("F", bound=Callable[..., Any])

AUDIENCES = ("public", "member", "employer", "staff", "account", "developer")
"""The audiences a route may declare:

* ``public``: anyone, signed in or not (log in, forgotten password, links sent by e-mail, the
  language switch, the OpenAPI description, static files);
* ``member``: a signed-in member, through a portal session (pages) or an API token (API); the
  data is the member's own (AC-01: another member's ids answer 404);
* ``employer``: a signed-in employer account (an employer or an accounting firm, ref 004):
  the employer portal's pages (``employer_required``); its clients only (another's: 404);
* ``staff``: staff accounts only; a member gets 404, as if the route did not exist;
* ``account``: any signed-in account whatever its kind: its own password and e-mail pages, the
  home page, logging out;
* ``developer``: development-only tools such as the local mailbox (``/dev/...``), never
  registered in production (:func:`check_declared` refuses them there).
"""

ATTRIBUTE = "audience"
ALSO = "also"


def audience(name: str, *also: str) -> Callable[[F], F]:
    """Declare who the view is for; ``also`` names another audience that shares the route by
    design (e.g. staff read, through the member API, the submissions they process). An unknown
    name fails at import."""
    for given in (name, *also):
        if given not in AUDIENCES:
            raise ValueError(f"unknown audience {given!r}: one of {', '.join(AUDIENCES)}")

    def declare(view: F) -> F:
        setattr(view, ATTRIBUTE, name)
        setattr(view, ALSO, tuple(also))
        return view

    return declare


def declared(view: Callable[..., Any] | None) -> str | None:
    """The view's audience, or None when it declares none (or an unknown one)."""
    found = getattr(view, ATTRIBUTE, None)
    return found if isinstance(found, str) and found in AUDIENCES else None


def audiences_of(app: Flask) -> dict[str, str | None]:
    """Every endpoint of the application with its declared audience (None: undeclared)."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} | set(app.view_functions)
    return {endpoint: declared(app.view_functions.get(endpoint)) for endpoint in
            sorted(endpoints)}


def declare_builtin(app: Flask, endpoint: str, name: str) -> None:
    """Declare a view Flask adds itself (``static``); wrapped when it takes no attribute."""
    view = app.view_functions[endpoint]
    try:
        audience(name)(view)
    except AttributeError:  # a bound method: declare a thin wrapper instead
        def wrapper(**kwargs: Any) -> Any:
            return view(**kwargs)

        app.view_functions[endpoint] = audience(name)(wrapper)


def check_declared(app: Flask, production: bool) -> None:
    """At start-up: every route declares a known audience, and production has no developer
    tool. Raises RuntimeError naming the culprits."""
    found = audiences_of(app)
    missing = [endpoint for endpoint, name in found.items() if name is None]
    if missing:
        raise RuntimeError("routes without a declared audience (web/audience.py): "
                           + ", ".join(missing))
    tools = [endpoint for endpoint, name in found.items() if name == "developer"]
    if production and tools:
        raise RuntimeError("development tools registered in production: " + ", ".join(tools))


def refuse_undeclared() -> None:
    """Before every request: a view without a declared audience answers 404 (default deny).
    Requests that matched no route go on to their own 404 or 405."""
    endpoint = request.endpoint
    if endpoint is None:
        return
    if declared(current_app.view_functions.get(endpoint)) is None:
        abort(404)
