"""A repeating group uploaded as a CSV file (``upload: csv`` on a ``repeat`` field).

One CSV line per element of the list, one column per field of an element, named by the field
(``gross``); a list inside an element (``events``, with its ``maxItems``) gives numbered columns
``events.1.kind``, ``events.1.start``, ... :func:`read_table` turns the file into the list the
form expects, then checks it with the form's own schema and messages (:func:`validate_step`), and
reports every problem at its file line and column (:class:`CellError`). Nothing is kept unless the
whole file is valid: that is the caller's rule, the read rows are only returned.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.definitions import Form, Text
from engine.errors import FieldError, Message
from engine.validation import validate_step


@dataclass(frozen=True)
class Column:
    """One CSV column: its header, the data path in an element (``("events", 0, "kind")``: list
    indexes 0-based), the label people read, whether it must be given, and the widget."""

    header: str
    path: tuple[str | int, ...]
    label: Text
    required: bool
    widget: str
    schema: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    options: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CellError:
    """A problem in the file: ``line`` is 1-based (the header is line 1; 0: the whole file),
    ``column`` a header (``""``: the whole line or file)."""

    line: int
    column: str
    code: str
    message: Message

    def text(self, lang: str = "fr") -> str:
        """``Ligne 5, colonne gross : <message>`` (``Line 5, column gross: ...`` in English)."""
        if self.line == 0:
            return self.message.text(lang)
        if lang == "en":
            where = f"Line {self.line}" + (f", column {self.column}" if self.column else "")
            return f"{where}: {self.message.en}"
        where = f"Ligne {self.line}" + (f", colonne {self.column}" if self.column else "")
        return f"{where} : {self.message.fr}"


@dataclass
class TableRead:
    """The elements read (``rows``), the file line of each (``lines``), for each element the
    group number in the file of each element of its inner lists (``groups``: ``{"events": [1,
    3]}`` when ``events.2.*`` was empty), and the problems. Keep the rows only if no errors."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    groups: list[dict[str, list[int]]] = field(default_factory=list)


def _widget(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    named = spec.get("widget")
    if isinstance(named, str):
        return named
    kind = schema.get("type")
    return {"array": "repeat", "boolean": "checkbox", "integer": "number",
            "number": "number"}.get(str(kind), "select" if "enum" in schema else
                                    "date" if schema.get("format") == "date" else "text")


def _label(spec: Mapping[str, Any]) -> Text:
    return Text(spec["label"]["fr"], spec["label"]["en"])


def _items(form_fields: Mapping[str, Any], schema: Mapping[str, Any], name: str,
           ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The UI entry and the schema of a repeat's element; ValueError if it is not one."""
    spec = form_fields.get(name)
    if spec is None or _widget(spec, schema) != "repeat" or not isinstance(
            schema.get("items"), Mapping) or schema["items"].get("type") != "object":
        raise ValueError(f"{name!r} is not a repeat of groups")
    return spec, schema["items"]


def columns(form: Form, field: str) -> list[Column]:
    """The CSV columns of the repeat ``field``, in definition order (hidden fields included);
    ValueError for a list inside an element without ``maxItems``, or nested deeper."""
    spec, item = _items(form.fields, form.schema["properties"].get(field, {}), field)
    required = set(item.get("required", []))
    found: list[Column] = []
    for name, sub in spec.get("items", {}).items():
        schema = item["properties"][name]
        widget = _widget(sub, schema)
        if widget == "info":
            continue
        if widget != "repeat":
            if schema.get("type") in ("array", "object"):
                raise ValueError(f"{field}.{name}: only lists of groups can be columns")
            found.append(Column(name, (name,), _label(sub), name in required, widget, schema,
                                sub.get("options", {})))
            continue
        inner_spec, inner = _items(spec["items"], schema, name)
        if "maxItems" not in schema:
            raise ValueError(f"{field}.{name}: a list in a CSV needs maxItems")
        each = inner_spec.get("item_label", inner_spec["label"])
        for n in range(1, schema["maxItems"] + 1):
            for key, leaf in inner_spec.get("items", {}).items():
                leaf_schema = inner["properties"][key]
                if leaf_schema.get("type") in ("array", "object"):
                    raise ValueError(f"{field}.{name}.{key}: nested too deep for a CSV")
                label = Text(*(f"{each[lang].replace('{n}', str(n))} — {leaf['label'][lang]}"
                               for lang in ("fr", "en")))
                found.append(Column(f"{name}.{n}.{key}", (name, n - 1, key), label, False,
                                    _widget(leaf, leaf_schema), leaf_schema,
                                    leaf.get("options", {})))
    return found


def template(form: Form, field: str) -> str:
    """The header line of a model file to download (``;``-separated, as French Excel writes)."""
    return ";".join(c.header for c in columns(form, field)) + "\n"


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_FRENCH_DATE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")
_BOOLEANS = {"oui": True, "yes": True, "true": True, "1": True, "vrai": True,
             "non": False, "no": False, "false": False, "0": False, "faux": False}


def convert(column: Column, text: str) -> Any:
    """A cell's value for the form; the text itself when it cannot be read (the schema then
    reports it with the form's message)."""
    kind = column.schema.get("type")
    if column.widget in ("number", "month_count") or kind in ("integer", "number"):
        bare = _SPACES.sub("", text)
        if re.fullmatch(r"-?[0-9]{1,15}", bare):
            return int(bare)
        if kind == "number" and re.fullmatch(r"-?[0-9]{1,15}[.,][0-9]{1,6}", bare):
            return float(bare.replace(",", "."))
    elif column.widget == "money":
        return _SPACES.sub("", text).removesuffix("€").removeprefix("€")
    elif column.widget == "date" or column.schema.get("format") == "date":
        found = _FRENCH_DATE.fullmatch(text)
        if found:
            day, month, year = found.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    elif column.widget in ("select", "radio"):
        if text in column.schema.get("enum", ()):
            return text
        for code, label in column.options.items():
            if text.casefold() in (label["fr"].casefold(), label["en"].casefold()):
                return code
    elif column.widget in ("checkbox", "yes_no") or kind == "boolean":
        return _BOOLEANS.get(text.casefold(), text)
    return text


def _error(line: int, column: str, code: str, fr: str, en: str) -> CellError:
    return CellError(line, column, code, Message(fr, en))


def _decode(content: bytes) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _separator(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(";\t,", key=first.count)  # on a tie, the first: ``;``


def _records(text: str) -> list[tuple[int, list[str]]]:
    """``(first file line, trimmed cells)`` of each non-empty record (csv.Error propagates)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text))
    found, line = [], 1
    for record in reader:
        cells = [cell.strip() for cell in record]
        if any(cells):
            found.append((line, cells))
        line = reader.line_num + 1
    return found


def read_table(form: Form, field: str, content: bytes, max_bytes: int = 5_000_000) -> TableRead:
    """The elements of the repeat ``field`` read from a CSV file, checked against the form.

    Errors about the whole file (too large, unreadable, no data, ``minItems``...) are at line 0
    with column ``""``; header problems at the header's line (1)."""
    table = columns(form, field)
    out = TableRead()
    if len(content) > max_bytes:
        size = f"{max_bytes / 1_000_000:g}"
        out.errors.append(_error(0, "", "csv_too_large", f"Le fichier dépasse {size} Mo.",
                                 f"The file is larger than {size} MB."))
        return out
    text = _decode(content)
    try:
        records = _records(text) if text is not None else None
    except csv.Error:
        records = None
    if records is None:
        out.errors.append(_error(0, "", "csv_unreadable",
                                 "Le fichier n'est pas un fichier CSV lisible : enregistrez-le au"
                                 " format « CSV UTF-8 » ou « CSV (séparateur : point-virgule) ».",
                                 "The file is not a readable CSV file: save it as “CSV UTF-8” or"
                                 " “CSV (semicolon-separated)”."))
        return out
    if len(records) < 2:
        out.errors.append(_error(0, "", "csv_empty", "Le fichier ne contient aucune ligne de"
                                 " données sous la ligne des noms de colonnes.", "The file has no"
                                 " data line under the line of column names."))
        return out
    (head_line, names), data = records[0], records[1:]
    while names and not names[-1]:  # Excel pads with separators
        names.pop()
    by_header = {c.header: c for c in table}
    used: list[Column | None] = []
    for name in names:
        column = by_header.get(name.lower())
        if column is None:
            out.errors.append(_error(head_line, name, "csv_unknown_column",
                                     f"La colonne « {name} » n'est pas attendue.",
                                     f"The column “{name}” is not expected."))
        elif column in used:
            out.errors.append(_error(head_line, name, "csv_duplicate_column",
                                     f"La colonne « {name} » apparaît deux fois.",
                                     f"The column “{name}” appears twice."))
        used.append(column)
    for column in table:
        if column.required and column not in used:
            out.errors.append(_error(
                head_line, column.header, "csv_missing_column",
                f"La colonne obligatoire « {column.header} » ({column.label.fr}) est absente.",
                f"The required column “{column.header}” ({column.label.en}) is missing."))
    limit = form.schema["properties"][field].get("maxItems")
    if limit is not None and len(data) > limit:
        out.errors.append(_error(data[limit][0], "", "csv_too_many_rows",
                                 f"Le fichier contient {len(data)} lignes de données : au plus"
                                 f" {limit}.", f"The file has {len(data)} data lines: at most"
                                 f" {limit}."))
    if out.errors:
        return out
    for line, cells in data:
        if any(cells[len(used):]):
            out.errors.append(_error(
                line, "", "csv_too_many_cells",
                f"Cette ligne a plus de valeurs que de colonnes ({len(used)}).",
                f"This line has more values than columns ({len(used)})."))
            continue
        row, nested = _row(zip(used, cells, strict=False))
        out.rows.append(row)
        out.lines.append(line)
        out.groups.append(nested)
    if not out.errors:
        found = validate_step(form.validator, form.fields, {field: out.rows})
        out.errors = locate(found, field, out.lines, out.groups)
    return out


def _row(cells: Any) -> tuple[dict[str, Any], dict[str, list[int]]]:
    row: dict[str, Any] = {}
    groups: dict[str, dict[int, dict[str, Any]]] = {}
    for column, cell in cells:
        if column is None or not cell:
            continue
        if len(column.path) == 1:
            row[column.header] = convert(column, cell)
        else:
            name, index, key = column.path
            groups.setdefault(name, {}).setdefault(index, {})[key] = convert(column, cell)
    numbers: dict[str, list[int]] = {}
    for name, found in groups.items():
        row[name] = [found[i] for i in sorted(found)]
        numbers[name] = [i + 1 for i in sorted(found)]
    return row, numbers


def locate(errors: Sequence[FieldError], field: str, lines: Sequence[int],
           groups: Sequence[Mapping[str, Sequence[int]]] | None = None) -> list[CellError]:
    """The errors about the repeat ``field`` at their file line and column (others are left out).

    ``/employees/3/gross`` is at ``lines[3]``, column ``gross``; ``/employees/3/events/0/end`` at
    column ``events.1.end`` (or the group number ``groups[3]["events"][0]`` when given, as
    :class:`TableRead` keeps it); an error about the whole list (``/employees``) at line 0, column
    ``""``; about a whole inner group, column ``events.1``."""
    found: list[CellError] = []
    for error in errors:
        parts = error.path.split("/")[1:]
        if not parts or parts[0] != field:
            continue
        if len(parts) == 1 or not parts[1].isdigit():
            found.append(CellError(0, "", error.code, error.message))
            continue
        i = int(parts[1])
        line = lines[i] if i < len(lines) else 0
        rest = parts[2:]
        column = rest[0] if rest else ""
        if len(rest) >= 2 and rest[1].isdigit():
            j = int(rest[1])
            known = groups[i].get(rest[0], ()) if groups and i < len(groups) else ()
            column = f"{rest[0]}.{known[j] if j < len(known) else j + 1}"
            column += f".{rest[2]}" if len(rest) >= 3 else ""
        found.append(CellError(line, column, error.code, error.message))
    return found
