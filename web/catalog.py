"""Which workflow definitions the service runs, by (workflow, version).

The current versions come from the YAML tree at start. Each version is recorded in the database
the first time it is seen (its bundle, frozen): a submission started on version 1 keeps running on
version 1 after the files move to version 2, even in another process. Changing a definition
without bumping its version is refused at start, since running submissions would silently change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Bundle, LoadResult, Workflow, compile_bundle, load_definitions
from rules import rule_names
from web.db.models import WorkflowVersion


class CatalogError(RuntimeError):
    """The definitions cannot be served as they are."""


class Catalog:
    def __init__(self, loaded: LoadResult) -> None:
        if not loaded.report.ok:
            raise CatalogError("workflow definitions have problems:\n" +
                               loaded.report.as_text("en"))
        self._compiled: dict[tuple[str, int], Workflow] = dict(loaded.workflows)
        self._bundles = dict(loaded.bundles)
        self._current = loaded.current()
        self._lock = threading.Lock()

    @classmethod
    def from_dir(cls, root: str) -> Catalog:
        return cls(load_definitions(root))

    def check_providers(self, providers: Iterable[str]) -> None:
        """Every context a workflow reads must have a provider in web/contexts.py."""
        known = set(providers)
        missing = sorted({(wf.id, name) for wf in self._current.values() for name in wf.context
                          if name not in known})
        if missing:
            raise CatalogError("no context provider for " + ", ".join(
                f"{name!r} (used by {wid})" for wid, name in missing))

    def check_producers(self, producers: Iterable[str]) -> None:
        """Every staff transition that ``produces`` something names a producer registered in
        :mod:`web.producers`, in every version on disk."""
        known = set(producers)
        unknown = sorted({(wf.id, version, t.name, t.produces)
                          for (_, version), wf in self._compiled.items()
                          for t in wf.lifecycle.transitions
                          if t.produces is not None and t.produces not in known})
        if unknown:
            raise CatalogError("unknown producer: " + "; ".join(
                f"{wid} version {version}, transition {name!r} produces {what!r}"
                for wid, version, name, what in unknown)
                + f" (known producers: {', '.join(sorted(known)) or 'none'})")

    def check_prefill_sources(self, sources: Iterable[str]) -> None:
        """Every step's ``prefill`` names a source registered in :mod:`web.prefill`, in every
        version on disk."""
        known = set(sources)
        unknown = sorted({f"{wf.id} version {version}, step {step.name!r}: unknown prefill"
                          f" source {source.name!r}"
                          for (_, version), wf in self._compiled.items()
                          for step in wf.steps.values() for source in step.prefill.values()
                          if source.name not in known})
        if unknown:
            raise CatalogError("; ".join(unknown)
                               + f" (known prefill sources: {', '.join(sorted(known))})")

    def check_host_checks(self, checks: Mapping[str, Iterable[str]]) -> None:
        """Every step's ``checks`` names a host check registered in :mod:`web.host_checks`
        (name → the codes it may answer), with a message for each of its codes, in every
        version on disk."""
        problems = sorted({f"{wf.id} version {version}, step {step.name!r}: " + (
            f"unknown host check {check.name!r}" if check.name not in checks else
            f"host check {check.name!r} has no message for "
            + ", ".join(sorted(set(checks[check.name]) - set(check.messages))))
            for (_, version), wf in self._compiled.items() for step in wf.steps.values()
            for check in step.checks
            if check.name not in checks or set(checks[check.name]) - set(check.messages)})
        if problems:
            raise CatalogError("host checks: " + "; ".join(problems)
                               + f" (known checks: {', '.join(sorted(checks)) or 'none'})")

    def current(self, workflow: str) -> Workflow | None:
        return self._current.get(workflow)

    def all_current(self) -> list[Workflow]:
        return sorted(self._current.values(), key=lambda w: w.id)

    def sync(self, session: Session, now: object) -> None:
        """Record every version found on disk; refuse one that changed under the same number."""
        for key, bundle in sorted(self._bundles.items()):
            stored = session.get(WorkflowVersion, key)
            if stored is None:
                session.add(WorkflowVersion(workflow=key[0], version=key[1], digest=bundle.digest,
                                            bundle=bundle.to_json(), created_at=now))
            elif stored.digest != bundle.digest:
                raise CatalogError(
                    f"{key[0]} version {key[1]} differs from the one already in use: bump"
                    f" `version` in workflows/{key[0]}.yaml (in-flight submissions keep the old"
                    " one).")

    def get(self, session: Session, workflow: str, version: int) -> Workflow:
        """The definition a submission runs on, compiled once per process."""
        key = (workflow, version)
        found = self._compiled.get(key)
        if found is not None:
            return found
        with self._lock:
            if key in self._compiled:
                return self._compiled[key]
            row = session.scalars(select(WorkflowVersion).where(
                WorkflowVersion.workflow == workflow, WorkflowVersion.version == version)).first()
            if row is None:
                raise CatalogError(f"no definition for {workflow} version {version}")
            compiled, issues = compile_bundle(Bundle.from_json(row.bundle), rule_names())
            if compiled is None:
                raise CatalogError(f"stored {workflow} version {version} no longer compiles: "
                                   + "; ".join(f"{i.code} {i.pointer}" for i in issues))
            self._compiled[key] = compiled
            return compiled
