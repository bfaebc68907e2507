"""Step data checked against its form: JSON Schema first, then messages a member can read.

Validators are built once per form when definitions load (:func:`build_validator`); each request
only runs :func:`validate_step`. Library messages ("13 is greater than the maximum of 12") never
reach a member: every error becomes a :class:`FieldError` with a stable code and a French and
English sentence naming the field by its label, or the form's own message for that field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource

from engine.errors import FieldError, Message
from engine.metaschema import pointer_of


def _no_remote(uri: str) -> Any:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


CLOSED_REGISTRY: Registry[Any] = Registry(retrieve=_no_remote)  # type: ignore[call-arg]


def build_validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """One validator per form, formats checked, no reference ever fetched from outside."""
    return Draft202012Validator(schema, registry=CLOSED_REGISTRY,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_step(validator: Draft202012Validator, fields: Mapping[str, Any],
                  data: Any) -> list[FieldError]:
    """Every problem with ``data``, in document order, each once."""
    errors = list(_unsafe_values(data, "", fields))
    if errors:
        return errors
    seen: set[tuple[str, str]] = set()
    for error in validator.iter_errors(data):
        for found in _explain(error, fields):
            if (found.path, found.code) not in seen:
                seen.add((found.path, found.code))
                errors.append(found)
    return sorted(errors, key=lambda e: document_order(e.path))


def document_order(pointer: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of a JSON Pointer: ``/incomes/2`` before ``/incomes/10``."""
    return tuple((0, int(p)) if _is_index(p) else (1, p) for p in pointer.split("/")[1:])


def _is_index(part: str) -> bool:
    return part.isascii() and part.isdigit()


def normalise(value: Any) -> Any:
    """Whole numbers written ``2.0`` become ``2``: JSON Schema calls them integers, and rules
    and storage then see one kind of integer."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() \
            and abs(value) < 2**53:
        return int(value)
    if isinstance(value, Mapping):
        return {key: normalise(sub) for key, sub in value.items()}
    if isinstance(value, list):
        return [normalise(sub) for sub in value]
    return value


_CONTROL = {chr(c) for c in range(32)} - {"\t"} | {"\x7f"}


def _unsafe_values(value: Any, path: str, fields: Mapping[str, Any]) -> Iterator[FieldError]:
    """NaN and infinities; control characters (a line break only in multi-line texts)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield FieldError(path, "not_a_number", Message(
            "Cette valeur n'est pas un nombre valide.", "This value is not a valid number."))
    elif isinstance(value, str):
        parts = [p for p in path.split("/")[1:] if not _is_index(p)]
        field = field_at(fields, parts) or {}
        allowed = {"\n", "\r"} if field.get("widget") == "textarea" else set()
        if any(ch in _CONTROL and ch not in allowed for ch in value):
            label = _label(field or None, parts[-1] if parts else "")
            yield FieldError(path, "control_character", Message(
                f"« {label.fr} » ne peut pas contenir de retour à la ligne ni de caractère de"
                " contrôle.", f"“{label.en}” cannot contain a line break or a control"
                " character."))
    elif isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _unsafe_values(sub, f"{path}/{key}", fields)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _unsafe_values(sub, f"{path}/{i}", fields)


def field_at(fields: Mapping[str, Any], path: Sequence[Any]) -> Mapping[str, Any] | None:
    """The UI entry of the field at a data path (list indexes skipped)."""
    current: Mapping[str, Any] | None = None
    level: Mapping[str, Any] = fields
    for part in path:
        if isinstance(part, int):
            continue
        current = level.get(str(part))
        if current is None:
            return None
        level = current.get("items", {})
    return current


def _label(field: Mapping[str, Any] | None, name: str) -> Message:
    if field is None and not name:
        return Message("Les réponses de cette étape", "This step's answers")
    if field is None:
        return Message(name, name)
    return Message(field["label"]["fr"], field["label"]["en"])


def _own(field: Mapping[str, Any] | None, *keys: str) -> Message | None:
    custom = (field or {}).get("errors", {})
    for key in keys:
        if key in custom:
            return Message(custom[key]["fr"], custom[key]["en"])
    return None


_TYPE_NAMES = {"string": ("un texte", "a text"), "integer": ("un nombre entier", "a whole number"),
               "number": ("un nombre", "a number"), "boolean": ("oui ou non", "yes or no"),
               "array": ("une liste", "a list"), "object": ("un groupe de champs", "a group")}


def _explain(error: ValidationError, fields: Mapping[str, Any]) -> Iterator[FieldError]:
    path = list(error.absolute_path)
    v, value = str(error.validator), error.validator_value
    if v == "required":
        for name in [n for n in value if n not in error.instance]:
            field = field_at(fields, [*path, name])
            label = _label(field, name)
            yield FieldError(pointer_of([*path, name]), "required", _own(field, "required") or
                             Message(f"Ce champ est obligatoire : « {label.fr} ».",
                                     f"This field is required: “{label.en}”."))
        return
    if v == "additionalProperties":
        for name in [k for k in error.instance if k not in error.schema.get("properties", {})]:
            yield FieldError(pointer_of([*path, name]), "unknown_field", Message(
                f"Cette donnée n'est pas attendue : « {name} ».",
                f"This data is not expected: “{name}”."))
        return
    field = field_at(fields, path)
    label = _label(field, str(path[-1]) if path else "")
    yield FieldError(pointer_of(path), *_describe(v, value, error.schema, label, field))


def _describe(v: str, value: Any, schema: Mapping[str, Any], label: Message,
              field: Mapping[str, Any] | None) -> tuple[str, Message]:
    if v in ("minimum", "maximum") and "minimum" in schema and "maximum" in schema:
        low, high = schema["minimum"], schema["maximum"]
        return "range", _own(field, "range", v) or Message(
            f"« {label.fr} » doit être compris entre {low} et {high}.",
            f"“{label.en}” must be between {low} and {high}.")
    if v == "minimum":
        return "minimum", _own(field, "minimum", "range") or Message(
            f"« {label.fr} » doit être supérieur ou égal à {value}.",
            f"“{label.en}” must be at least {value}.")
    if v == "maximum":
        return "maximum", _own(field, "maximum", "range") or Message(
            f"« {label.fr} » doit être inférieur ou égal à {value}.",
            f"“{label.en}” must be at most {value}.")
    if v == "type":
        fr, en = _TYPE_NAMES.get(str(value), (str(value), str(value)))
        return "type", _own(field, "type") or Message(
            f"« {label.fr} » doit être {fr}.", f"“{label.en}” must be {en}.")
    if v == "minLength":
        if value == 1:
            return "required", _own(field, "required", "min_length") or Message(
                f"Ce champ est obligatoire : « {label.fr} ».",
                f"This field is required: “{label.en}”.")
        return "min_length", _own(field, "min_length") or Message(
            f"« {label.fr} » doit compter au moins {value} caractères.",
            f"“{label.en}” must have at least {value} characters.")
    if v == "maxLength":
        return "max_length", _own(field, "max_length") or Message(
            f"« {label.fr} » ne peut pas dépasser {value} caractères.",
            f"“{label.en}” cannot be longer than {value} characters.")
    if v == "pattern":
        return "pattern", _own(field, "pattern") or Message(
            f"« {label.fr} » n'a pas le format attendu.", f"“{label.en}” is not in the expected"
            " format.")
    if v == "format":
        if value == "date":
            return "format", _own(field, "format") or Message(
                f"« {label.fr} » doit être une date valide (AAAA-MM-JJ).",
                f"“{label.en}” must be a valid date (YYYY-MM-DD).")
        return "format", _own(field, "format") or Message(
            f"« {label.fr} » n'a pas un format valide.", f"“{label.en}” is not validly formatted.")
    if v == "enum":
        return "enum", _own(field, "enum") or Message(
            f"« {label.fr} » : ce choix n'est pas possible.",
            f"“{label.en}”: this choice is not possible.")
    if v == "const":
        return "const", _own(field, "const") or Message(
            f"Vous devez cocher « {label.fr} ».", f"You must tick “{label.en}”.")
    if v == "minItems":
        return "min_items", _own(field, "min_items") or Message(
            f"« {label.fr} » : indiquez au moins {value} élément(s).",
            f"“{label.en}”: enter at least {value} item(s).")
    if v == "maxItems":
        return "max_items", _own(field, "max_items") or Message(
            f"« {label.fr} » : au plus {value} élément(s).",
            f"“{label.en}”: at most {value} item(s).")
    return "invalid", Message(f"« {label.fr} » n'est pas valide.", f"“{label.en}” is not valid.")
