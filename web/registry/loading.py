"""Reading a registry file: YAML through :mod:`engine.yamlio` (256 KiB at most), or JSON (20 MiB
at most; NaN, Infinity, huge numbers and duplicate keys refused, as YAML refuses them).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from engine.errors import YamlError
from engine.yamlio import Loaded, load_yaml_file
from web.registry.problems import RegistryError, RegistryProblem, problem

JSON_MAX_BYTES = 20 * 1024 * 1024
YAML_SUFFIXES = frozenset({".yaml", ".yml"})


class RegistryDocument(Mapping[str, Any]):
    """Registry data read from a file: the data as a read-only mapping, plus where values sit."""

    def __init__(self, data: Mapping[str, Any], source: str, loaded: Loaded | None = None) -> None:
        self._data, self.source, self._loaded = data, source, loaded

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def position(self, pointer: str) -> tuple[int, int] | None:
        """1-based (line, column) of the value at ``pointer`` (or its nearest ancestor); ``None``
        for JSON files."""
        return None if self._loaded is None else self._loaded.position(pointer)


class _Refused(Exception):
    """A refusal while reading, turned into a :class:`RegistryProblem` by the caller."""

    def __init__(self, code: str, position: tuple[int, int] | None = None,
                 **fields: object) -> None:
        super().__init__(code)
        self.code, self.position, self.fields = code, position, fields


def load_registry_file(path: str | os.PathLike[str]) -> RegistryDocument:
    """Read the registry file at ``path`` as a :class:`RegistryDocument`.

    The type comes from the name (``.yaml``, ``.yml``, ``.json``); the top level must be a
    mapping. Anything unreadable raises :class:`RegistryError` with one located problem.
    """
    source = str(path)
    suffix = Path(path).suffix.lower()
    loaded: Loaded | None = None
    try:
        if suffix in YAML_SUFFIXES:
            loaded = load_yaml_file(path)
            data = loaded.data
        elif suffix == ".json":
            data = _load_json(path)
        else:
            raise _Refused("file_type", suffix=suffix or "—")
    except YamlError as exc:
        raise RegistryError([RegistryProblem(source, exc.code, exc.message, "", exc.line,
                                             exc.column)]) from None
    except _Refused as exc:
        raise RegistryError([problem(source, "", exc.code, exc.position, **exc.fields)]) from None
    except OSError as exc:
        raise RegistryError([problem(source, "", "file_unreadable",
                                     detail=exc.strerror or type(exc).__name__)]) from None
    document = RegistryDocument(data if isinstance(data, dict) else {}, source, loaded)
    if not isinstance(data, dict):
        raise RegistryError([problem(source, "", "not_a_mapping", document.position(""),
                                     found=type(data).__name__)])
    return document


def _load_json(path: str | os.PathLike[str]) -> Any:
    if os.stat(path).st_size > JSON_MAX_BYTES:
        raise _Refused("json_too_large", size=os.stat(path).st_size)
    with open(path, "rb") as stream:
        raw = stream.read(JSON_MAX_BYTES + 1)  # the file may have grown since stat
    if len(raw) > JSON_MAX_BYTES:
        raise _Refused("json_too_large", size=len(raw))
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark is what some editors add: harmless
    except UnicodeDecodeError:
        raise _Refused("json_encoding") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                          parse_int=_bounded_int, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise _Refused("json_syntax", (exc.lineno, exc.colno), detail=exc.msg) from None
    except RecursionError:
        raise _Refused("json_too_deep") from None


def _refuse_constant(name: str) -> Any:
    raise _Refused("json_number", number=name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as inf
        raise _Refused("json_number", number=text[:40])
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 18:  # fits in 64 bits; no registry number is longer
        raise _Refused("json_number", number=text[:40])
    return int(text)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused("json_duplicate_key", key=key[:80])
        result[key] = value
    return result


