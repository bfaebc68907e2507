"""Subjects: what a submission is about when its workflow says ``subject:``.

``subject: client`` (the wage declaration): an employer account declares for one of the
employers it may act for (its "clients", ref 004), chosen on the clients list or the synthesis
before starting. The submission keeps it (``Submission.subject_id``), the contexts read it
(the ``client`` context) and so do the prefill sources. An account may only start or see a
submission about a subject it may act for: :func:`may_act_for`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from web import employers

Check = Callable[[Session, str, str], bool]
"""(session, account id, subject id) -> the account may act for the subject."""

SUBJECTS: dict[str, Check] = {
    "client": lambda session, account_id, subject_id:
        employers.client(session, account_id, subject_id) is not None,
}


def may_act_for(session: Session, kind: str, account_id: str, subject_id: str) -> bool:
    check = SUBJECTS.get(kind)
    return check is not None and check(session, account_id, subject_id)
