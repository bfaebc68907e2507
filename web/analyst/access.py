"""Who may use the analyst tools: staff signed in on the back office holding ``analyst`` or
``admin``. The back office's own guards, applied to this blueprint too."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort

from web.analyst import bp
from web.backoffice.signin import current_staff, guard_staff_blueprint, staff, staff_required
from web.security_log import security_event

F = TypeVar("F", bound=Callable[..., Any])

ROLES = frozenset({"analyst", "admin"})
"""The roles that open the analyst tools."""


guard_staff_blueprint(bp)


@bp.app_context_processor
def _analyst_link() -> dict[str, Any]:
    """``analyst_tools()`` in every template: whether to show the link to these tools."""
    def allowed() -> bool:
        actor = current_staff()
        return actor is not None and bool(ROLES & set(actor.roles))
    return {"analyst_tools": allowed}


def analyst_required(view: F) -> F:
    """A staff session (see ``staff_required``), then one of :data:`ROLES`, else 403."""

    @staff_required
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = staff()
        if not ROLES & set(actor.roles):
            security_event("access_denied", account_id=actor.account.id, channel="backoffice",
                           reason="role", tool="analyst")
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapper)
