"""The one module through which workflow and form YAML is read (STYLE habit 5, SECURITY VAL-03).

Contract of :func:`load_yaml` / :func:`load_yaml_file`:

* the result is plain data (``dict`` in document order, ``list``, ``str``, ``int``, ``float``,
  ``bool``, ``None``) plus the 1-based (line, column) where each value starts, by JSON Pointer;
* anything unsafe or ambiguous raises :class:`~engine.errors.YamlError` with a code from
  :data:`MESSAGES`, a line/column when the text has one, and a French/English message;
* plain scalars are resolved as in the YAML 1.2 core schema, not PyYAML's YAML 1.1: only
  ``true``/``True``/``TRUE`` and the ``false`` forms are booleans (``on``, ``yes``, ``n`` stay
  text); ``null``/``Null``/``NULL``/``~``/nothing is ``None``; ``012`` is the integer 12
  (decimal; octal is ``0o12``, hex ``0x1F``); integers must fit in 64 bits; dates stay text;
  quoted and block scalars are always text.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NoReturn, Protocol

import yaml

from engine.errors import Message, YamlError

MAX_BYTES = 256 * 1024
MAX_DEPTH = 40

# Every refusal, by code: (French, English), formatted with the fields given to _fail.
MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "yaml_too_large": (
        "Le fichier est trop gros ({size} octets) : la limite est de 262144 octets (256 Kio).",
        "The file is too large ({size} bytes): the limit is 262144 bytes (256 KiB)."),
    "yaml_encoding": (
        "Le fichier n'est pas enregistré en UTF-8 : enregistrez-le à nouveau en choisissant "
        "l'encodage « UTF-8 ».",
        "The file is not saved as UTF-8: save it again choosing the “UTF-8” encoding."),
    "yaml_character": (
        "Le texte contient un caractère interdit ({char}), souvent invisible : supprimez-le.",
        "The text contains a forbidden character ({char}), often invisible: delete it."),
    "yaml_syntax": (
        "Le texte YAML est mal écrit ici (détail technique : {detail}). Vérifiez "
        "l'indentation, les deux-points et les guillemets.",
        "The YAML text is badly written here (technical detail: {detail}). Check the "
        "indentation, the colons and the quotes."),
    "yaml_alias": (
        "Les renvois (« &nom » et « *nom ») ne sont pas acceptés : recopiez le contenu à "
        "chaque endroit où il doit figurer.",
        "References (“&name” and “*name”) are not accepted: copy the content to every place "
        "it belongs."),
    "yaml_merge": (
        "La clé « << » (fusion) n'est pas acceptée : écrivez toutes les clés en entier.",
        "The “<<” (merge) key is not accepted: write every key out in full."),
    "yaml_tag": (
        "L'étiquette « {tag} » n'est pas acceptée : retirez-la, les valeurs s'écrivent sans « ! ».",
        "The tag “{tag}” is not accepted: remove it, values are written without “!”."),
    "yaml_duplicate_key": (
        "La clé « {key} » apparaît deux fois (ligne {first} et ligne {second}) : chaque clé ne "
        "doit figurer qu'une fois.",
        "The key “{key}” appears twice (lines {first} and {second}): each key may appear only "
        "once."),
    "yaml_key_type": (
        "La clé « {key} » doit être un nom écrit en texte : les nombres, true/false, null et "
        "les listes ne peuvent pas servir de clé.",
        "The key “{key}” must be a name written as text: numbers, true/false, null and lists "
        "cannot be used as keys."),
    "yaml_too_deep": (
        "Le texte est imbriqué trop profondément (plus de 40 niveaux de listes ou de sections "
        "les unes dans les autres).",
        "The text is nested too deeply (more than 40 levels of lists or sections inside each "
        "other)."),
    "yaml_number": (
        "Le nombre « {number} » n'est pas accepté : écrivez un nombre fini et de taille "
        "raisonnable.",
        "The number “{number}” is not accepted: write a finite number of reasonable size."),
    "yaml_empty": (
        "Le document est vide : il ne contient rien, ou seulement des commentaires ou null.",
        "The document is empty: it holds nothing, or only comments or null."),
    "yaml_multiple_documents": (
        "Le texte contient plusieurs documents (séparés par « --- ») : un fichier ne doit en "
        "contenir qu'un.",
        "The text holds several documents (separated by “---”): a file must hold only one."),
})

# libyaml is much faster, and its events and nodes carry the same marks as pure Python's.
_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
# What YAML lets a file hold (spec 5.1), checked here to report a line and column.
_FORBIDDEN = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _Mark(Protocol):
    """What PyYAML's pure-Python and libyaml marks both offer (0-based)."""

    line: int
    column: int


@dataclass(frozen=True)
class Loaded:
    """A YAML document as plain data, with where each value starts in ``source``."""

    data: Any
    marks: Mapping[str, tuple[int, int]]
    source: str

    def position(self, pointer: str) -> tuple[int, int] | None:
        """Mark of the pointer, else of its nearest ancestor that has one (so an error about a
        missing key points at its parent); ``None`` only when not even the root is marked."""
        while True:
            mark = self.marks.get(pointer)
            if mark is not None or pointer == "":
                return mark
            pointer = pointer.rpartition("/")[0]


def load_yaml(text: str | bytes, source: str = "<string>") -> Loaded:
    """Read one YAML document safely; raise :class:`YamlError` (see the module docstring)."""
    if isinstance(text, bytes):
        raw = text
        _check_size(len(raw))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            _fail("yaml_encoding", _end_of(raw[:exc.start].decode("utf-8")))
    else:
        # A character is at least one byte, so the cheap test first; "surrogatepass" lets a lone
        # surrogate be counted here and refused as a forbidden character below.
        _check_size(len(text))
        _check_size(len(text.encode("utf-8", "surrogatepass")))
    found = _FORBIDDEN.search(text)
    if found is not None:
        _fail("yaml_character", _end_of(text[:found.start()]), char=f"U+{ord(found[0]):04X}")
    try:
        _check_events(text)  # refuses aliases, tags and deep nesting before any node is built
        root = yaml.compose(text, Loader=_LOADER)
        marks: dict[str, tuple[int, int]] = {}
        data = None if root is None else _build(root, "", marks)
    except yaml.MarkedYAMLError as exc:
        detail = exc.problem or exc.context or "?"
        _fail("yaml_syntax", exc.problem_mark or exc.context_mark, detail=detail)
    except yaml.YAMLError as exc:
        _fail("yaml_syntax", detail=str(exc))
    except RecursionError:
        # Never a 500: the event check stops deep nesting first, this is only the backstop.
        _fail("yaml_too_deep")
    if data is None:
        _fail("yaml_empty", marks.get(""))
    return Loaded(data, MappingProxyType(marks), source)


def load_yaml_file(path: str | os.PathLike[str]) -> Loaded:
    """Read the file at ``path`` with :func:`load_yaml`; its size is checked before reading.

    ``source`` is ``str(path)``; an unreadable file raises ``OSError`` as usual.
    """
    _check_size(os.stat(path).st_size)
    with open(path, "rb") as stream:
        data = stream.read(MAX_BYTES + 1)  # the file may have grown since stat
    return load_yaml(data, str(path))


def _fail(code: str, mark: _Mark | tuple[int, int] | None = None, **fields: object) -> NoReturn:
    """Raise the refusal ``code``; a tuple mark is already 1-based, a YAML mark is 0-based."""
    fr, en = MESSAGES[code]
    message = Message(fr.format(**fields), en.format(**fields))
    if mark is None:
        raise YamlError(code, message)
    if isinstance(mark, tuple):
        raise YamlError(code, message, *mark)
    raise YamlError(code, message, mark.line + 1, mark.column + 1)


def _check_size(size: int) -> None:
    if size > MAX_BYTES:
        _fail("yaml_too_large", size=size)


def _end_of(prefix: str) -> tuple[int, int]:
    """1-based position of the character right after ``prefix`` (libyaml gives byte offsets)."""
    return prefix.count("\n") + 1, len(prefix) - prefix.rfind("\n")


def _check_events(text: str) -> None:
    """Refuse, from the event stream alone, what must never reach the composer."""
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=_LOADER):
        # Anchors are refused too: an alias bomb is built from them, and nothing needs them.
        if isinstance(event, yaml.AliasEvent) or (
                isinstance(event, yaml.NodeEvent) and event.anchor is not None):
            _fail("yaml_alias", event.start_mark)
        # Every tag written in the text is refused, even "!!str": tags are how YAML runs code.
        if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent) and event.tag:
            _fail("yaml_tag", event.start_mark,
                  tag=event.tag.replace("tag:yaml.org,2002:", "!!"))  # as it was written
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                _fail("yaml_too_deep", event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                _fail("yaml_multiple_documents", event.start_mark)
    if documents == 0:
        _fail("yaml_empty")


def _build(node: yaml.Node, pointer: str, marks: dict[str, tuple[int, int]]) -> Any:
    marks[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, f"{pointer}/{i}", marks) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            line = key_node.start_mark.line + 1
            if key in lines:
                _fail("yaml_duplicate_key", key_node.start_mark, key=key, first=lines[key],
                      second=line)
            lines[key] = line
            escaped = key.replace("~", "~0").replace("/", "~1")  # RFC 6901
            child = f"{pointer}/{escaped}"
            result[key] = _build(value_node, child, marks)
            if isinstance(value_node, yaml.CollectionNode) and value_node.flow_style is False:
                # a block under its key: the key's line is where a person looks for it
                marks[child] = (line, key_node.start_mark.column + 1)
        return result
    raise TypeError(f"unexpected YAML node {node!r}")  # the composer makes only these three


def _key(node: yaml.Node) -> str:
    """A mapping key must be text: YAML would otherwise let ``1`` and ``"1"`` be two keys."""
    if not isinstance(node, yaml.ScalarNode):
        _fail("yaml_key_type", node.start_mark, key="[…]")
    if node.value == "<<":
        _fail("yaml_merge", node.start_mark)
    key = _scalar(node)
    if not isinstance(key, str):
        _fail("yaml_key_type", node.start_mark, key=node.value)
    return key


def _scalar(node: yaml.ScalarNode) -> Any:
    """Resolve a scalar by the YAML 1.2 core schema; only plain (unquoted) scalars are typed."""
    value: str = node.value
    if node.style not in (None, ""):  # plain is None in pure Python, "" in libyaml
        return value
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    number = _number(value)
    if number is None:
        return value
    # Bounded integers keep str()/json.dumps() working downstream (they refuse >4300 digits).
    if math.isfinite(number) if isinstance(number, float) else _INT_MIN <= number <= _INT_MAX:
        return number
    _fail("yaml_number", node.start_mark, number=value[:40])


def _number(value: str) -> int | float | None:
    """The number a plain scalar spells in the core schema, or ``None`` when it is text."""
    try:
        if _DECIMAL.fullmatch(value):
            return int(value, 10)
    except ValueError:  # Python refuses to convert more than 4300 digits: too big anyway
        return math.inf
    if _OCTAL.fullmatch(value):
        return int(value[2:], 8)
    if _HEX.fullmatch(value):
        return int(value[2:], 16)
    if _NOT_FINITE.fullmatch(value):
        return math.nan
    return float(value) if _FLOAT.fullmatch(value) else None
