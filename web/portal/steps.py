"""Filling a procedure: one generic page per step, the review page, back, cancel, submit."""

from __future__ import annotations

from flask import abort
from werkzeug.wrappers import Response

from web.portal import bp
from web.portal.signin import member_required


@bp.post("/procedures/<workflow_id>/start")
@member_required
def start(workflow_id: str) -> Response:
    abort(404)
