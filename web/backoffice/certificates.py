"""Checking a certificate's verification code: someone holding a certificate (a doctor, a
pharmacist, an insurer) calls the fund, staff type the code printed on it and read what the fund
issued. Any staff role may check; the request's file is linked only for staff who may see it.

Capitals, spaces and dashes do not matter. An unknown code (or one that cannot be a code) gets
one sentence and costs the same single query: the page gives no other hint. Each check is a
security event; the log keeps a short digest of the code typed, never the code.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import format_date

from web.audience import audience
from web.backoffice import bp
from web.backoffice.signin import staff, staff_required
from web.certificates import code_digest, find, local_day
from web.current import db, services, submissions
from web.db.models import Certificate, Submission
from web.i18n import current_language
from web.security_log import security_event

MAX_TYPED = 40
"""Longer input is cut: a code is 14 characters with its dashes."""


@bp.get("/certificates/verify")
@audience("staff")
@staff_required
def verify_certificate() -> str:
    me = staff()
    typed = (request.args.get("code") or "").strip()[:MAX_TYPED]
    result = None
    if typed:
        found = find(db(), typed)
        security_event("certificate_verified", account_id=me.account.id, found=found is not None,
                       code_digest=code_digest(typed),
                       certificate_id=found.id if found is not None else None)
        result = {"found": False} if found is None else _shown(found)
    return render_template("backoffice/certificate_verify.html", typed=typed, result=result)


def _shown(certificate: Certificate) -> dict[str, Any]:
    lang = current_language()
    content = certificate.content or {}
    who = content.get("beneficiary") or {}
    today = local_day(services().clock.now())
    row = db().get(Submission, certificate.submission_id)
    service = submissions()
    visible = row is not None and service.staff_may_see(staff(), row)
    valid = (certificate.valid_from is not None and certificate.valid_to is not None
             and certificate.valid_from <= today <= certificate.valid_to)
    return {
        "found": True, "code": certificate.verification_code,
        "title": (content.get("title") or {}).get(lang) or certificate.document,
        "name": who.get("name", ""), "registration": who.get("registration", ""),
        "valid_from": _day(certificate.valid_from), "valid_to": _day(certificate.valid_to),
        "issued_on": format_date(local_day(certificate.issued_at), "long"),
        "receipt": row.receipt_number if row is not None else None,
        "submission_id": row.id if visible and row is not None else None,
        "valid": valid,
    }


def _day(day: Any) -> str:
    return format_date(day, "long") if day is not None else "—"
