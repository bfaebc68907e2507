"""The preview of a workflow version as a member would fill it, with a fictional person, nothing
stored.

The person (a *persona*, ``personas.yaml``) supplies the host contexts the workflow declares. The
draft's state never reaches the database: it travels in a hidden form field, signed with the
app's secret key (itsdangerous, a salt of its own) and checked when posted back, so a page can
neither forge nor alter it (400). Each post runs the engine's ``answer`` / ``back`` /
``open_document`` / ``submit`` on the state in memory, exactly as a real draft would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from engine import Context, SubmissionState, Text, Workflow
from engine.yamlio import load_yaml_file

PERSONAS_FILE = Path(__file__).with_name("personas.yaml")
SALT = "csm-analyst-preview"
MAX_AGE_SECONDS = 8 * 3600
"""A preview page older than a working day is refused (as a tampered one)."""


@dataclass(frozen=True)
class Persona:
    name: str
    label: Text
    context: Mapping[str, Any]

    def lacks(self, wf: Workflow) -> list[str]:
        """The contexts ``wf`` declares that this person does not supply."""
        return [name for name in wf.context if name not in self.context]

    def context_for(self, wf: Workflow, today: Any) -> Context:
        return Context({name: self.context[name] for name in wf.context}, today)


@cache
def personas() -> dict[str, Persona]:
    data = load_yaml_file(PERSONAS_FILE).data
    return {item["name"]: Persona(item["name"], Text(item["label"]["fr"], item["label"]["en"]),
                                  item["context"])
            for item in data["personas"]}


class Tampered(Exception):
    """A preview state that was not signed by this app, or is too old."""


@dataclass(frozen=True)
class Preview:
    workflow: str
    version: int
    persona: str
    state: SubmissionState


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt=SALT)


def seal(preview: Preview) -> str:
    return str(_serializer().dumps({"workflow": preview.workflow, "version": preview.version,
                                    "persona": preview.persona,
                                    "state": preview.state.to_json()}))


def unseal(token: str) -> Preview:
    try:
        raw = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
        state = SubmissionState.from_json(raw["state"])
        found = Preview(str(raw["workflow"]), int(raw["version"]), str(raw["persona"]), state)
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise Tampered(str(error)) from None
    if (state.workflow, state.version) != (found.workflow, found.version):
        raise Tampered("state of another workflow")
    return found
