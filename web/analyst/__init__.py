"""The analyst tools of the back office (``/backoffice/analyst``): the definitions check and the
scenario run, every workflow version drawn (Mermaid text and a server-side SVG with the live
drafts at each step), and a preview of any version as a member would see it, nothing stored.

A blueprint of its own, behind the back office's staff session (password and authenticator
code, :mod:`web.backoffice.signin`), for staff holding the ``analyst`` or ``admin`` role; other
staff get 403 and a member's browser 404, as everywhere in the back office. Nothing here names a
workflow: pages are generic, like the portal's.
"""

from flask import Blueprint

bp = Blueprint("analyst", __name__, url_prefix="/backoffice/analyst")

# the routes (imported for their side effect of registering on ``bp``)
from web.analyst import access, routes  # noqa: E402,F401

__all__ = ["bp"]
