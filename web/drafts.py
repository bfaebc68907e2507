"""Visitors' drafts left behind: a ``public`` procedure's submission that a visitor started and
never submitted is emptied after :data:`KEEP_DAYS` days without a change
(``flask --app web submissions purge-anonymous``).

Its audit trail is append-only (a submission's events cannot be deleted), so the row stays, as
an empty shell: cancelled, its answers and labels removed, its key's digest forgotten (no
browser can open it again), and one ``purged`` event appended. The audit trail never held the
answers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import SubmissionState
from web import audit
from web.db.models import Submission

__all__ = ["KEEP_DAYS", "purge_anonymous"]

KEEP_DAYS = 30


def purge_anonymous(session: Session, now: datetime, keep_days: int = KEEP_DAYS) -> int:
    """Empty every visitor's draft (or cancelled draft) unchanged for ``keep_days`` days; how
    many. The caller commits."""
    old = session.scalars(select(Submission).where(
        Submission.owner_id.is_(None), Submission.draft_key_digest.is_not(None),
        Submission.status.in_(("draft", "cancelled")),
        Submission.updated_at < now - timedelta(days=keep_days))
        .order_by(Submission.id).with_for_update()).all()
    for row in old:
        state = SubmissionState.from_json(row.state)
        emptied = state.evolve(status="cancelled", step=None, data={}, labels={}, opened=(),
                               reached_review=False, submitted=None)
        row.state, row.status, row.step = emptied.to_json(), "cancelled", None
        row.draft_key_digest, row.updated_at = None, now
        session.flush()
        audit.append(session, row.id, now, None, "system", "purged", row.revision,
                     {"status": "cancelled"})
    return len(old)
