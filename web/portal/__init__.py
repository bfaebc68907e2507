"""The member portal: HTML pages rendered from the workflow definitions (see web/README.md).

Every procedure is shown by the same views and templates: a new workflow YAML needs no new page.
"""

from flask import Blueprint

bp = Blueprint("portal", __name__)

from web.portal import (  # noqa: E402,F401 - the routes
    account,
    auth,
    declarations,
    employer,
    home,
    pages,
    payslips,
    personal_data,
    public,
    steps,
    synthesis,
    uploads,
)

__all__ = ["bp"]
