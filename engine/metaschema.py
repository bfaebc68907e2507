"""The languages' own JSON Schemas (meta-schemas) and their errors, reworded for analysts."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.errors import Message

KINDS = ("workflow", "form", "context", "catalogue", "roles")


@cache
def meta_validator(kind: str) -> Draft202012Validator:
    """The validator for one kind of definition file, built once per process."""
    folder = resources.files("engine").joinpath("schemas")
    text = folder.joinpath(f"{kind}.schema.json").read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def meta_schema(kind: str) -> dict[str, Any]:
    return dict(meta_validator(kind).schema)


def pointer_of(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def meta_errors(kind: str, data: Any) -> Iterator[tuple[str, str, Message]]:
    """Yield (pointer, code, message) for each way ``data`` breaks the language's schema."""
    seen: set[tuple[str, str, str]] = set()
    for error in meta_validator(kind).iter_errors(data):
        for pointer, code, message in explain(error):
            if (pointer, code, message.en) not in seen:  # "required" repeats per missing key
                seen.add((pointer, code, message.en))
                yield pointer, code, message


def explain(error: ValidationError) -> Iterator[tuple[str, str, Message]]:
    pointer = pointer_of(error.absolute_path)
    where = pointer or "/"
    v = error.validator
    if v == "required":
        missing = [n for n in error.validator_value if n not in error.instance]
        for name in missing:
            if name in ("fr", "en"):
                lang_fr = "français" if name == "fr" else "anglais"
                lang_en = "French" if name == "fr" else "English"
                yield pointer, "missing_text", Message(
                    f"Il manque le texte en {lang_fr} (« {name} ») à « {where} ».",
                    f"The {lang_en} text (“{name}”) is missing at “{where}”.")
            else:
                yield pointer, "missing_key", Message(
                    f"Il manque « {name} » à « {where} ».", f"“{name}” is missing at “{where}”.")
    elif v in ("additionalProperties", "unevaluatedProperties"):
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        for name in extra:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint_fr = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
            hint_en = f" Did you mean “{close[0]}”?" if close else ""
            yield f"{pointer}/{name}", "unknown_key", Message(
                f"« {name} » n'est pas un mot connu à cet endroit.{hint_fr}"
                f" Mots possibles : {', '.join(allowed)}.",
                f"“{name}” is not a known word here.{hint_en} Known words: {', '.join(allowed)}.")
    elif v == "pattern" and isinstance(error.instance, str):
        if "propertyNames" in error.schema_path:  # the bad text is a key: point at it
            pointer = pointer_of([*error.absolute_path, error.instance])
        yield pointer, "invalid_name", Message(
            f"« {error.instance} » n'est pas un nom valide : utilisez des lettres minuscules sans"
            " accent, des chiffres et « _ », en commençant par une lettre.",
            f"“{error.instance}” is not a valid name: use lowercase letters without accents,"
            " digits and “_”, starting with a letter.")
    elif v in ("enum", "const"):
        allowed = error.validator_value if v == "enum" else [error.validator_value]
        shown = ", ".join(json.dumps(a, ensure_ascii=False) for a in allowed)
        yield pointer, "invalid_value", Message(
            f"La valeur {json.dumps(error.instance, ensure_ascii=False)} n'est pas permise à"
            f" « {where} ». Valeurs possibles : {shown}.",
            f"The value {json.dumps(error.instance, ensure_ascii=False)} is not allowed at"
            f" “{where}”. Allowed values: {shown}.")
    elif v == "type":
        expected = error.validator_value
        names_fr = {"string": "un texte", "integer": "un nombre entier",
                    "object": "une liste de clés", "array": "une liste",
                    "boolean": "true ou false", "number": "un nombre"}
        fr = names_fr.get(str(expected), str(expected))
        yield pointer, "wrong_type", Message(
            f"« {where} » doit être {fr}.", f"“{where}” must be of type {expected}.")
    elif v == "oneOf":
        yield pointer, "wrong_shape", Message(
            f"« {where} » n'a pas une forme permise (par exemple « next » : un nom d'étape, ou une"
            " liste de cibles « to » / « when »).",
            f"“{where}” does not have an allowed shape (for example “next”: a step name, or a"
            " list of “to” / “when” targets).")
    else:
        yield pointer, f"schema_{v}", Message(
            f"« {where} » n'est pas valide : {error.message}",
            f"“{where}” is not valid: {error.message}")
