"""A submission's own page (confirmation, status, amend), its receipt, its documents."""

from __future__ import annotations

from datetime import datetime

from flask import abort
from flask_babel import format_datetime
from werkzeug.wrappers import Response

from web.portal import bp
from web.portal.signin import member_required


@bp.app_template_filter("datetime_local")
def datetime_local(value: datetime | str | None) -> str:
    """A moment in the fund's time zone, written the reader's way."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return str(format_datetime(value, "medium"))


@bp.get("/submissions/<submission_id>")
@member_required
def submission(submission_id: str) -> Response:
    abort(404)


@bp.get("/submissions/<submission_id>/receipt.pdf")
@member_required
def receipt(submission_id: str) -> Response:
    abort(404)
