"""The staff back office: queues, a submission's page, decisions, metrics (see web/README.md).

Only staff accounts reach it, with a password and a second factor (TOTP); a member's session is
not a staff session, so a member gets 404 here, as if the back office did not exist. Like the
portal, nothing here names a workflow: queues, states, transitions and their roles come from each
workflow's ``lifecycle``.
"""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice")

# the routes, one module each (imported for their side effect of registering on ``bp``)
from web.backoffice import routes  # noqa: E402,F401

__all__ = ["bp"]
