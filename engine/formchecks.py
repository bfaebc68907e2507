"""Semantic checks of one step form, beyond what its meta-schema can say.

Each check yields ``(pointer, code, message)``; the loader turns them into located problems.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.errors import Message
from engine.metaschema import pointer_of

Issue = tuple[str, str, Message]

_CHOICE_WIDGETS = {"select", "radio"}


def check_form(data: Mapping[str, Any]) -> Iterator[Issue]:
    schema = data["schema"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        yield ("/schema" + pointer_of(error.absolute_path), "form_schema_invalid", Message(
            f"Le schéma JSON du formulaire n'est pas valide : {error.message}",
            f"The form's JSON Schema is not valid: {error.message}"))
        return
    yield from _check_object(schema, data.get("fields", {}), "/schema", "/fields", top=True)


def dynamic_fields(fields: Mapping[str, Any]) -> list[str]:
    """The fields of a form whose choices are computed at run time (``choices: dynamic``)."""
    return [name for name, field in fields.items() if field.get("choices") == "dynamic"]


def _check_object(schema: Mapping[str, Any], fields: Mapping[str, Any], spointer: str,
                  fpointer: str, top: bool = False) -> Iterator[Issue]:
    if schema.get("additionalProperties", True) is not False:
        yield (spointer, "open_object", Message(
            f"« {spointer} » doit indiquer « additionalProperties: false » : sinon n'importe quelle"
            " donnée supplémentaire serait acceptée.",
            f"“{spointer}” must say “additionalProperties: false”: otherwise any extra data would"
            " be accepted."))
    properties: Mapping[str, Any] = schema.get("properties", {})
    for name, sub in properties.items():
        here = f"{spointer}/properties/{name}"
        field = fields.get(name)
        if field is None:
            yield (here, "missing_field_text", Message(
                f"La donnée « {name} » n'a pas de libellé : ajoutez-la sous « fields » avec ses"
                " textes « fr » et « en ».",
                f"The data “{name}” has no label: add it under “fields” with its “fr” and “en”"
                " texts."))
            continue
        yield from _check_property(name, sub, field, here, f"{fpointer}/{name}")
        if field.get("choices") == "dynamic":
            yield from _check_dynamic(name, sub, field, f"{fpointer}/{name}", top)
    for name in fields:
        if name not in properties:
            yield (f"{fpointer}/{name}", "unknown_field", Message(
                f"« {name} » a un libellé mais n'existe pas dans le schéma du formulaire.",
                f"“{name}” has a label but does not exist in the form's schema."))


def _check_property(name: str, schema: Any, field: Mapping[str, Any], here: str,
                    fhere: str) -> Iterator[Issue]:
    if not isinstance(schema, Mapping):  # a boolean schema: accept anything or nothing
        yield (here, "vague_schema", Message(
            f"« {name} » doit décrire sa donnée (type, bornes) plutôt que « {schema} ».",
            f"“{name}” must describe its data (type, bounds) rather than “{schema}”."))
        return
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema and "format" not in schema \
            and "maxLength" not in schema:
        yield (here, "unbounded_size", Message(
            f"Le texte « {name} » doit avoir une longueur maximale (« maxLength »).",
            f"The text “{name}” needs a maximum length (“maxLength”)."))
    if kind == "array":
        if "maxItems" not in schema:
            yield (here, "unbounded_size", Message(
                f"La liste « {name} » doit avoir un nombre maximal d'éléments (« maxItems »).",
                f"The list “{name}” needs a maximum number of items (“maxItems”)."))
        items = schema.get("items", {})
        if not isinstance(items, Mapping):
            yield (f"{here}/items", "vague_schema", Message(
                f"Les éléments de « {name} » doivent être décrits (type, bornes).",
                f"The items of “{name}” must be described (type, bounds)."))
        elif items.get("type") == "object":
            yield from _check_object(items, field.get("items", {}), f"{here}/items",
                                     f"{fhere}/items")
    if kind == "object":
        yield from _check_object(schema, field.get("items", {}), here, f"{fhere}/items")
    if "upload" in field and field.get("widget", "repeat" if kind == "array" else None) \
            != "repeat":
        yield (f"{fhere}/upload", "upload_not_repeat", Message(
            f"« {name} » n'est pas une liste répétée (« widget: repeat ») : seule une liste peut"
            " être envoyée en fichier CSV (« upload: csv »).",
            f"“{name}” is not a repeating list (“widget: repeat”): only a list can be uploaded"
            " as a CSV file (“upload: csv”)."))
    if field.get("widget") in _CHOICE_WIDGETS:
        options = field.get("options", {})
        for value in schema.get("enum", []):
            if value not in options:
                yield (f"{fhere}/options", "missing_option_text", Message(
                    f"Le choix « {value} » de « {name} » n'a pas de libellé dans « options ».",
                    f"The choice “{value}” of “{name}” has no label in “options”."))
        for value in options:
            if value not in schema.get("enum", []):
                yield (f"{fhere}/options/{value}", "unknown_option", Message(
                    f"Le choix « {value} » n'existe pas dans la liste « enum » de « {name} ».",
                    f"The choice “{value}” is not in the “enum” list of “{name}”."))


def _check_dynamic(name: str, schema: Any, field: Mapping[str, Any], fhere: str,
                   top: bool) -> Iterator[Issue]:
    """``choices: dynamic``: a bounded text shown as ``select`` or ``radio``, whose values come
    from the workflow step (so neither ``enum`` nor ``options`` here), at the top level."""
    wrong: list[tuple[str, str]] = []
    if not top:
        wrong.append(("seuls les champs du premier niveau peuvent avoir des choix calculés",
                      "only top-level fields can have computed choices"))
    if not isinstance(schema, Mapping) or schema.get("type") != "string":
        wrong.append(("la donnée doit être un texte (« type: string »)",
                      "the data must be a text (“type: string”)"))
    elif "enum" in schema or "const" in schema:
        wrong.append(("retirez « enum » du schéma : les valeurs viennent de la liste de choix",
                      "remove “enum” from the schema: the values come from the choice list"))
    if field.get("widget") not in _CHOICE_WIDGETS:
        wrong.append(("« widget » doit être « select » ou « radio »",
                      "“widget” must be “select” or “radio”"))
    if "options" in field:
        wrong.append(("retirez « options » : les libellés viennent de la liste de choix",
                      "remove “options”: the labels come from the choice list"))
    for fr, en in wrong:
        yield (f"{fhere}/choices", "invalid_choices", Message(
            f"« {name} » a « choices: dynamic » : {fr}.",
            f"“{name}” says “choices: dynamic”: {en}."))
