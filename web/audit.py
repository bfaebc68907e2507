"""The audit trail of submissions: append an entry to a submission's hash chain, verify chains.

Every event on a submission (the member's steps, submit, amend, cancel; staff transitions) is one
row of ``submission_events``. Each row carries ``seq`` (1, 2, 3... per submission), the previous
row's hash and its own: the SHA-256 of a canonical JSON of the row's fields and that previous
hash. Changing any field of any entry, removing one or inserting one breaks the chain from that
entry on, and :func:`verify` names the first broken link. The database refuses ``UPDATE`` and
``DELETE`` on the table (triggers of migration 0005), so the chain is the second line of defence:
it catches what someone with the database owner's rights did.

Appending reads the submission's last entry and inserts the next ``seq``; ``(submission_id,
seq)`` is unique, so when two transactions append to the same submission at once, one of them
fails on that constraint instead of forking the chain: :func:`append` turns that failure into the
``StaleDataError`` of a stale revision, which every caller already answers with "changed, reload".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from web.db.models import SubmissionEvent

GENESIS = "0" * 64
"""The "previous hash" of a submission's first entry."""


def entry_hash(prev_hash: str, submission_id: str, seq: int, at: datetime,
               actor_id: str | None, actor_kind: str, event: str, revision: int,
               detail: dict[str, Any]) -> str:
    """The hash of one entry: what it says, and the hash of the entry before it."""
    payload = {"prev": prev_hash, "submission": submission_id, "seq": seq,
               "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
               "actor": actor_id, "actor_kind": actor_kind, "event": event,
               "revision": revision, "detail": detail}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(session: Session, submission_id: str, at: datetime, actor_id: str | None,
           actor_kind: str, event: str, revision: int, detail: dict[str, Any]) -> int:
    """Add the next entry of this submission's chain (in the caller's transaction); its seq."""
    last = session.execute(
        select(SubmissionEvent.seq, SubmissionEvent.hash)
        .where(SubmissionEvent.submission_id == submission_id)
        .order_by(SubmissionEvent.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last is not None else (1, GENESIS)
    digest = entry_hash(prev, submission_id, seq, at, actor_id, actor_kind, event, revision,
                        detail)
    try:
        session.execute(insert(SubmissionEvent).values(
            submission_id=submission_id, seq=seq, at=at, actor_id=actor_id,
            actor_kind=actor_kind, event=event, revision=revision, detail=detail,
            prev_hash=prev, hash=digest))
    except IntegrityError as error:  # another transaction appended this link first
        raise StaleDataError(f"submission {submission_id} changed meanwhile") from error
    return seq


@dataclass(frozen=True)
class BrokenLink:
    """The first entry of a submission whose chain does not hold, and why."""

    submission_id: str
    seq: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        return (f"submission {self.submission_id}: entry {self.seq}"
                f" (id {self.entry_id}): {self.reason}")


def verify(session: Session, submission_id: str | None = None) -> Iterator[BrokenLink]:
    """Walk every chain (or one) in order; yield the first broken link of each broken chain."""
    query = select(SubmissionEvent).order_by(SubmissionEvent.submission_id,
                                             SubmissionEvent.seq)
    if submission_id is not None:
        query = query.where(SubmissionEvent.submission_id == submission_id)
    current: str | None = None
    prev, expected_seq, broken = GENESIS, 1, False
    for row in session.scalars(query.execution_options(yield_per=2000)):
        if row.submission_id != current:
            current, prev, expected_seq, broken = row.submission_id, GENESIS, 1, False
        if broken:
            continue
        problem = _problem(row, prev, expected_seq)
        if problem is not None:
            broken = True
            yield BrokenLink(row.submission_id, row.seq, row.id, problem)
            continue
        prev, expected_seq = row.hash, expected_seq + 1


def _problem(row: SubmissionEvent, prev: str, expected_seq: int) -> str | None:
    if row.seq != expected_seq:
        return f"entry {expected_seq} is missing (found {row.seq})"
    if row.prev_hash != prev:
        return "it does not follow the previous entry (previous hash differs)"
    digest = entry_hash(row.prev_hash, row.submission_id, row.seq, row.at, row.actor_id,
                        row.actor_kind, row.event, row.revision, row.detail)
    if digest != row.hash:
        return "its content was changed (hash differs)"
    return None
