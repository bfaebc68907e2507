"""Publishing a new workflow version: compare versions, migrate the drafts (docs/publishing.md).

The commands ``flask --app web workflows diff | dump-drafts | migrate`` use it. Versions come from
the database (every version the service ever ran, ``workflow_versions``), so an older version
need not be on disk. A migration (``migrate:`` in the current version, ``engine.migrations``) is
checked against the version it migrates from, then tried on every stored draft of that version (or
on a dump of them); the drafts that migrate cleanly move to the new version in one transaction,
each with a ``migrated`` entry in its audit trail, and the others stay where they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Bundle, Message, SubmissionState, Workflow
from engine.migrations import Migration, MigrationProblem, check_against_old, migrate_state
from web import audit
from web.catalog import Catalog, CatalogError
from web.db.models import Submission, WorkflowVersion


class PublishingError(RuntimeError):
    """A version is unknown, or the migration itself is wrong: nothing was tried."""


def stored_bundle(session: Session, workflow: str, version: int) -> Bundle:
    row = session.get(WorkflowVersion, (workflow, version))
    if row is None:
        known = ", ".join(str(v) for v in session.scalars(
            select(WorkflowVersion.version).where(WorkflowVersion.workflow == workflow)
            .order_by(WorkflowVersion.version))) or "none"
        raise PublishingError(f"no stored version {version} of {workflow} (stored: {known})")
    return Bundle.from_json(row.bundle)


def version(session: Session, catalog: Catalog, workflow: str, number: int) -> Workflow:
    try:
        return catalog.get(session, workflow, number)
    except CatalogError as error:
        raise PublishingError(str(error)) from error


@dataclass(frozen=True)
class DraftReport:
    submission_id: str
    problems: tuple[MigrationProblem, ...]
    moved: bool = False


@dataclass
class MigrationRun:
    workflow: str
    from_version: int
    to_version: int
    drafts: list[DraftReport] = field(default_factory=list)

    @property
    def broken(self) -> list[DraftReport]:
        return [d for d in self.drafts if d.problems]

    def as_text(self, lang: str = "en", dry_run: bool = False) -> str:
        verb = ("would move" if dry_run else "moved") if lang == "en" else \
            ("passerait" if dry_run else "passé")
        lines = []
        for draft in self.drafts:
            if not draft.problems:
                lines.append(f"draft {draft.submission_id}: {verb} to version {self.to_version}"
                             if lang == "en" else
                             f"brouillon {draft.submission_id} : {verb} en version"
                             f" {self.to_version}")
                continue
            lines.append(f"draft {draft.submission_id}: would break, stays on version"
                         f" {self.from_version}" if lang == "en" else
                         f"brouillon {draft.submission_id} : serait cassé, reste en version"
                         f" {self.from_version}")
            lines.extend(f"  {p.as_text(lang)}" for p in draft.problems)
        ok = len(self.drafts) - len(self.broken)
        done = "would migrate" if dry_run else "migrated"
        lines.append(f"{self.workflow} {self.from_version} → {self.to_version}:"
                     f" {len(self.drafts)} draft(s), {ok} {done},"
                     f" {len(self.broken)} would break" if lang == "en" else
                     f"{self.workflow} {self.from_version} → {self.to_version} :"
                     f" {len(self.drafts)} brouillon(s), {ok}"
                     f" {'migreraient' if dry_run else 'migrés'}, {len(self.broken)} cassés")
        return "\n".join(lines)


def current_migration(session: Session, catalog: Catalog, workflow: str) -> \
        tuple[Workflow, Workflow, Migration]:
    """The current version of ``workflow``, the version its ``migrate`` starts from, and the
    migration, checked against that older version."""
    new = catalog.current(workflow)
    if new is None:
        raise PublishingError(f"unknown workflow {workflow!r}")
    migration = Migration.of(stored_bundle(session, workflow, new.version).workflow)
    if migration is None:
        raise PublishingError(f"{workflow} version {new.version} declares no `migrate`")
    old = version(session, catalog, workflow, migration.from_version)
    issues = check_against_old(migration, old)
    if issues:
        raise PublishingError("the migration does not fit version "
                              f"{migration.from_version}:\n" + "\n".join(
                                  f"  migrate {p}: {c}: {m.en}" for p, c, m in issues))
    return old, new, migration


def drafts_of(session: Session, workflow: str, number: int,
              for_update: bool = False) -> list[Submission]:
    query = select(Submission).where(Submission.workflow == workflow,
                                     Submission.version == number,
                                     Submission.status == "draft").order_by(Submission.created_at,
                                                                            Submission.id)
    if for_update:
        query = query.with_for_update()
    return [row for row in session.scalars(query) if not row.state.get("editing")]


def dump_drafts(session: Session, workflow: str, number: int) -> list[dict[str, Any]]:
    """Every draft of a version, as ``[{id, state}]`` (what ``--dump`` reads back)."""
    return [{"id": row.id, "state": row.state} for row in drafts_of(session, workflow, number)]


def read_dump(text: str) -> list[tuple[str, Mapping[str, Any]]]:
    """A dump: a list of ``{id, state}`` or of bare states (numbered from 1)."""
    raw = json.loads(text)
    if not isinstance(raw, list):
        raise PublishingError("a dump is a JSON list of {id, state}")
    found = []
    for i, entry in enumerate(raw, start=1):
        if isinstance(entry, Mapping) and "state" in entry:
            found.append((str(entry.get("id", i)), entry["state"]))
        elif isinstance(entry, Mapping):
            found.append((str(i), entry))
        else:
            raise PublishingError(f"dump entry {i} is not an object")
    return found


def _try(old: Workflow, new: Workflow, migration: Migration,
         raw: Mapping[str, Any]) -> tuple[SubmissionState | None, tuple[MigrationProblem, ...]]:
    try:
        state = SubmissionState.from_json(raw)
    except (KeyError, ValueError, TypeError) as error:
        return None, (MigrationProblem("unreadable_state", None, "", Message(
            f"État illisible : {error!r}", f"Unreadable state: {error!r}")),)
    result = migrate_state(old, new, migration, state)
    return result.state, result.problems


def check_dump(old: Workflow, new: Workflow, migration: Migration,
               entries: Iterable[tuple[str, Mapping[str, Any]]]) -> MigrationRun:
    run = MigrationRun(new.id, migration.from_version, new.version)
    for sid, raw in entries:
        run.drafts.append(DraftReport(sid, _try(old, new, migration, raw)[1]))
    return run


def migrate_drafts(session: Session, old: Workflow, new: Workflow, migration: Migration,
                   now: datetime, dry_run: bool) -> MigrationRun:
    """Try every stored draft of the older version; unless ``dry_run``, move those that migrate
    cleanly (state, version, step; the revision goes up) with a ``migrated`` audit entry, in the
    caller's transaction. The drafts are locked while this runs, so a member's answer in the
    meantime waits (PostgreSQL) or is refused as stale."""
    run = MigrationRun(new.id, migration.from_version, new.version)
    for row in drafts_of(session, new.id, migration.from_version, for_update=not dry_run):
        state, problems = _try(old, new, migration, row.state)
        if state is None or problems or dry_run:
            run.drafts.append(DraftReport(row.id, problems))
            continue
        row.version, row.state, row.step = new.version, state.to_json(), state.step
        row.status, row.updated_at = state.status, now
        session.flush()  # revision + 1 (version_id_col), or stale if a member just answered
        audit.append(session, row.id, now, None, "system", "migrated", row.revision,
                     {"from": migration.from_version, "to": new.version, "step": state.step})
        run.drafts.append(DraftReport(row.id, (), moved=True))
    return run
