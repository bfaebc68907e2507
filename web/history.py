"""A submission's history in words: its audit entries, as staff read them and as its member does.

Each entry of the audit trail (:mod:`web.audit`) becomes a line: when, who (the member, or the
staff member's name), what happened (the member's own actions in fixed words, staff actions by
the title of their transition in the submission's definition), from which state to which, and
the comment. The member's view (:func:`member_history`) starts at the submission and never names
a staff member. Nothing here names a workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Message, Workflow
from web.db.models import Account, SubmissionEvent
from web.labels import status_label

EVENTS = {
    "started": Message("Démarche commencée", "Procedure started"),
    "document_opened": Message("Document consulté", "Document opened"),
    "step_answered": Message("Étape remplie", "Step answered"),
    "went_back": Message("Retour à l'étape précédente", "Went back a step"),
    "submitted": Message("Démarche transmise", "Procedure submitted"),
    "amend_started": Message("Modification commencée", "Change started"),
    "amend_resumed": Message("Modification reprise", "Change resumed"),
    "amended": Message("Modification transmise", "Change submitted"),
    "amendment_cancelled": Message("Modification abandonnée", "Change abandoned"),
    "cancelled": Message("Démarche annulée", "Procedure cancelled"),
    "comment": Message("Commentaire", "Comment"),
    "migrated": Message("Passée à la nouvelle version de la démarche",
                        "Moved to the new version of the procedure"),
}


@dataclass(frozen=True)
class Line:
    seq: int
    at: datetime
    who: str
    what: str
    moved: str | None
    """``"In review → Rejected"`` for a change of state, else None."""
    comment: str | None
    staff: bool
    kind: str = ""
    """The audit entry's event name (``submitted``, ``staff:reject``...)."""


def history(session: Session, wf: Workflow, submission_id: str, lang: str) -> list[Line]:
    """Every entry of the submission's trail, oldest first."""
    rows = session.execute(
        select(SubmissionEvent, Account.kind, Account.display_name, Account.identifier)
        .outerjoin(Account, Account.id == SubmissionEvent.actor_id)
        .where(SubmissionEvent.submission_id == submission_id)
        .order_by(SubmissionEvent.seq)).all()
    lines = []
    for event, kind, name, identifier in rows:
        detail = event.detail or {}
        moved = None
        if "from" in detail and "to" in detail:
            moved = (f"{status_label(wf, detail['from'], lang)} → "
                     f"{status_label(wf, detail['to'], lang)}")
        lines.append(Line(seq=event.seq, at=event.at, who=_who(kind, name, identifier, lang),
                          what=_what(wf, event.event, lang), moved=moved,
                          comment=detail.get("comment"), staff=event.actor_kind == "staff",
                          kind=event.event))
    return lines


def _who(kind: str | None, name: str | None, identifier: str | None, lang: str) -> str:
    if kind == "staff":
        return name or identifier or "?"
    return ("The member" if lang == "en" else "Le membre") + (
        f" ({identifier})" if identifier else "")


def _what(wf: Workflow, event: str, lang: str) -> str:
    if event.startswith("staff:"):
        found = wf.lifecycle.transition(event.removeprefix("staff:"))
        return found.title.text(lang) if found else event
    known = EVENTS.get(event)
    return known.text(lang) if known else event


FUND = Message("Les Caisses Sociales de Monaco", "The Caisses Sociales de Monaco")
_MEMBER_EVENTS = frozenset({"submitted", "amended", "cancelled"})


def member_history(session: Session, wf: Workflow, submission_id: str, lang: str) -> list[Line]:
    """What the member may read of the trail: sending, changes sent, and each change of status
    (by "the fund", never by a staff member's name), with the reason staff gave."""
    lines = []
    for line in history(session, wf, submission_id, lang):
        if line.staff:
            lines.append(Line(seq=line.seq, at=line.at, who=FUND.text(lang), what=line.what,
                              moved=line.moved, comment=line.comment, staff=True))
        elif line.kind in _MEMBER_EVENTS:
            lines.append(line)
    return lines
