"""Semantic checks of a catalogue (``catalogues/<name>.yaml``), beyond its meta-schema.

A catalogue is a list of entries that workflows declare and choice lists read: its ``schema`` must
be valid JSON Schema, each entry must follow it (with ``code`` and ``title`` added as required),
and no two entries share a ``code``. Each check yields ``(pointer, code, message)``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from engine.errors import Message
from engine.metaschema import explain, meta_schema, pointer_of

Issue = tuple[str, str, Message]


def entry_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The catalogue's ``schema`` with ``code`` (a name) and ``title`` (FR/EN) required."""
    defs = meta_schema("catalogue")["$defs"]
    found = copy.deepcopy(dict(schema))
    found["properties"] = {**found.get("properties", {}), "code": defs["name"],
                           "title": defs["text"]}
    found["required"] = ["code", "title",
                         *(n for n in found.get("required", []) if n not in ("code", "title"))]
    return found


def check_catalogue(data: Mapping[str, Any]) -> Iterator[Issue]:
    try:
        Draft202012Validator.check_schema(data["schema"])
    except SchemaError as error:
        yield ("/schema" + pointer_of(error.absolute_path), "catalogue_schema_invalid", Message(
            f"Le schéma JSON des entrées du catalogue n'est pas valide : {error.message}",
            f"The JSON Schema of the catalogue's entries is not valid: {error.message}"))
        return
    validator = Draft202012Validator(entry_schema(data["schema"]))
    seen: dict[str, int] = {}
    for i, entry in enumerate(data["entries"]):
        here = f"/entries/{i}"
        for wrong in sorted(validator.iter_errors(entry), key=lambda e: list(e.absolute_path)):
            for pointer, _code, message in _explained(wrong):
                yield (here + pointer, "catalogue_entry_invalid", Message(
                    f"Entrée « {entry.get('code', i)} » : {message.fr}",
                    f"Entry “{entry.get('code', i)}”: {message.en}"))
        code = entry.get("code")
        if isinstance(code, str):
            if code in seen:
                yield (f"{here}/code", "duplicate_entry", Message(
                    f"Le code « {code} » est déjà celui de l'entrée n° {seen[code] + 1}.",
                    f"Code “{code}” is already the code of entry no. {seen[code] + 1}."))
            else:
                seen[code] = i


def _explained(error: ValidationError) -> Iterator[tuple[str, str, Message]]:
    """The meta-schema's wording, except for a ``pattern`` outside ``code`` (not a name)."""
    if error.validator == "pattern" and list(error.absolute_path) != ["code"]:
        where = pointer_of(error.absolute_path)
        yield where, "pattern", Message(
            f"« {error.instance} » n'a pas la forme attendue à « {where} ».",
            f"“{error.instance}” does not have the expected shape at “{where}”.")
        return
    yield from explain(error)
