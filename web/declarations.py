"""Periodic declarations about a subject: what was declared, for which value, by whom.

A workflow with ``subject`` and ``unique_per`` (the wage declaration: ``subject: client``,
``unique_per: answers.period.period``) is a **periodic declaration**: at submission the service
stores ``unique_key = "<subject>|<value>"`` (:func:`unique_key`), unique per workflow in the
database, so a client declares a period once whoever declares it, even when two accounts race.
This module reads those keys back for the synthesis, the history, the reminders and the
``client`` context; nothing here names a workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Workflow
from web.catalog import Catalog
from web.db.models import Submission

SEPARATOR = "|"


def unique_key(holder: str, value: str) -> str:
    """The key stored at submission: who it is about (the subject, else the owner) and the
    value of ``unique_per`` (a period ``2026-11``)."""
    return f"{holder}{SEPARATOR}{value}"


def value_of(key: str | None) -> str | None:
    """The ``unique_per`` value a stored key holds (None for no key)."""
    if not key or SEPARATOR not in key:
        return None
    return key.split(SEPARATOR, 1)[1]


def periodic(catalog: Catalog, subject: str) -> list[Workflow]:
    """The current workflows whose submissions are about a ``subject`` (``client``) and are
    unique per value (``unique_per``): the declarations the employer portal follows."""
    return [wf for wf in catalog.all_current()
            if wf.subject == subject and wf.unique_per is not None]


def followed(catalog: Catalog, subject: str) -> Workflow | None:
    """The periodic declaration the employer portal follows for a ``subject`` (the first one;
    None when there is none yet)."""
    found = periodic(catalog, subject)
    return found[0] if found else None


def declared(session: Session, workflow: str, subject_ids: Iterable[str]) -> dict[str, set[str]]:
    """For each subject, the values already declared (submitted, not cancelled)."""
    ids = list(subject_ids)
    found: dict[str, set[str]] = {i: set() for i in ids}
    if not ids:
        return found
    rows = session.execute(select(Submission.subject_id, Submission.unique_key).where(
        Submission.workflow == workflow, Submission.subject_id.in_(ids),
        Submission.unique_key.is_not(None))).all()
    for subject_id, key in rows:
        value = value_of(key)
        if subject_id is not None and value is not None:
            found.setdefault(subject_id, set()).add(value)
    return found


def history(session: Session, workflow: str, subject_id: str,
            since: str | None = None) -> Sequence[Submission]:
    """The subject's submitted declarations of ``workflow`` (not drafts, not cancelled), the
    latest value first; only values ``>= since`` when given (``2024-12``: 24 months)."""
    rows = session.scalars(select(Submission).where(
        Submission.workflow == workflow, Submission.subject_id == subject_id,
        Submission.unique_key.is_not(None))).all()
    kept = [r for r in rows if since is None or (value_of(r.unique_key) or "") >= since]
    return sorted(kept, reverse=True,
                  key=lambda r: (value_of(r.unique_key) or "", r.submitted_at or r.created_at))
