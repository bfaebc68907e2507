"""A bundle: everything one workflow version needs, as plain JSON data.

The workflow file plus the forms, host contexts and catalogues it uses (``catalogues`` appears in
the JSON only when the workflow declares some, so older bundles keep their digest). The database
keeps each bundle the first time a version is seen, so a submission keeps running on the
definition it started with even after the YAML files change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BUNDLE_FORMAT = 1


@dataclass(frozen=True)
class Bundle:
    workflow: Mapping[str, Any]
    forms: Mapping[str, Mapping[str, Any]]
    contexts: Mapping[str, Mapping[str, Any]]
    catalogues: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (str(self.workflow["workflow"]), int(self.workflow["version"]))

    def to_json(self) -> dict[str, Any]:
        found = {"format": BUNDLE_FORMAT, "workflow": self.workflow, "forms": self.forms,
                 "contexts": self.contexts}
        if self.catalogues:  # absent when empty: a bundle without catalogues keeps its digest
            found["catalogues"] = self.catalogues
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Bundle:
        if data.get("format") != BUNDLE_FORMAT:
            raise ValueError(f"unknown bundle format {data.get('format')!r}")
        return cls(workflow=data["workflow"], forms=data["forms"], contexts=data["contexts"],
                   catalogues=data.get("catalogues", {}))

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical JSON: two bundles with the same digest behave the same."""
        canonical = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
