"""The JSON API, version 1 (see DESIGN.md "JSON API")."""

from flask import Blueprint

from web.api import auth, openapi, staff, submissions, workflows

bp = Blueprint("api", __name__, url_prefix="/api/v1")
for child in (auth.bp, workflows.bp, submissions.bp, staff.bp, openapi.bp):
    bp.register_blueprint(child)

__all__ = ["bp"]
