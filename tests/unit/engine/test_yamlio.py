"""engine.yamlio: the one safe door for YAML (SECURITY VAL-03). Each refusal row names its code
and the line a person is sent to; every row runs with libyaml and with the pure-Python parser."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import engine.yamlio as yamlio
from engine.errors import YamlError
from engine.yamlio import MAX_BYTES, MAX_DEPTH, Loaded, load_yaml, load_yaml_file

LOADERS = [
    pytest.param(getattr(yaml, "CSafeLoader", None), id="libyaml",
                 marks=pytest.mark.skipif(not yaml.__with_libyaml__, reason="no libyaml")),
    pytest.param(yaml.SafeLoader, id="pure-python"),
]


@pytest.fixture(params=LOADERS)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(yamlio, "_LOADER", request.param)
    return request.param


def refused(text: str | bytes) -> YamlError:
    with pytest.raises(YamlError) as caught:
        load_yaml(text)
    return caught.value


def nested_mappings(levels: int) -> str:
    return "".join("  " * i + "a:\n" for i in range(levels - 1)) + "  " * (levels - 1) + "a: 1\n"


# A 236-byte billion-laughs: 9**7 (4.8 million) "x" once expanded.
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdef", "bcdefg", strict=True))

REFUSALS = [
    # (text, code, line, column)
    ("a: 1\nb: 2\na: 3\n", "yaml_duplicate_key", 3, 1),
    ("steps:\n  terms:\n    form: a\n  terms:\n    form: b\n", "yaml_duplicate_key", 4, 3),
    ("{a: 1, a: 2}", "yaml_duplicate_key", 1, 8),
    ("a: 1\n'a': 2\n", "yaml_duplicate_key", 2, 1),
    ("1: x", "yaml_key_type", 1, 1),
    ("a: 1\ntrue: x", "yaml_key_type", 2, 1),
    ("null: x", "yaml_key_type", 1, 1),
    ("~: x", "yaml_key_type", 1, 1),
    ("1.5: x", "yaml_key_type", 1, 1),
    ("[a]: x", "yaml_key_type", 1, 1),
    ("? {a: 1}\n: x", "yaml_key_type", 1, 3),
    ("a: &x 1\nb: *x\n", "yaml_alias", 1, 4),
    ("a: 1\nb: *undefined\n", "yaml_alias", 2, 4),
    ("a: &lonely 1\n", "yaml_alias", 1, 4),
    ("base: &b {a: 1}\nx:\n  <<: *b\n", "yaml_alias", 1, 7),
    (ALIAS_BOMB, "yaml_alias", 1, 4),
    ("<<: {a: 1}\nb: 2\n", "yaml_merge", 1, 1),
    ("a:\n  '<<': {b: 1}\n", "yaml_merge", 2, 3),
    ("!!python/object/apply:os.system ['echo pwned']", "yaml_tag", 1, 1),
    ("a: !!python/name:os.system\n", "yaml_tag", 1, 4),
    ("a: 1\nb: !foo x\n", "yaml_tag", 2, 4),
    ("a: !!binary aGk=\n", "yaml_tag", 1, 4),
    ("a: !!str 1\n", "yaml_tag", 1, 4),
    ("a: ! x\n", "yaml_tag", 1, 4),
    ("a: !!map {b: 1}\n", "yaml_tag", 1, 4),
    ("- !!set {x}\n", "yaml_tag", 1, 3),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "yaml_too_deep", 1, MAX_DEPTH + 1),
    (nested_mappings(MAX_DEPTH + 1), "yaml_too_deep", MAX_DEPTH + 1, 2 * MAX_DEPTH + 1),
    ("a: .nan", "yaml_number", 1, 4),
    ("a: .NaN", "yaml_number", 1, 4),
    ("a: .inf", "yaml_number", 1, 4),
    ("a: -.inf", "yaml_number", 1, 4),
    ("a: +.INF", "yaml_number", 1, 4),
    ("- 1\n- 1e400\n", "yaml_number", 2, 3),
    ("a: 9223372036854775808", "yaml_number", 1, 4),
    ("a: -9223372036854775809", "yaml_number", 1, 4),
    ("a: 0x" + "f" * 17, "yaml_number", 1, 4),
    ("a: " + "9" * 5000, "yaml_number", 1, 4),
    ("", "yaml_empty", None, None),
    ("# only\n# comments\n", "yaml_empty", None, None),
    ("---\n", "yaml_empty", 2, 1),
    ("null\n", "yaml_empty", 1, 1),
    ("~\n", "yaml_empty", 1, 1),
    ("a: 1\n---\nb: 2\n", "yaml_multiple_documents", 2, 1),
    ("---\na: 1\n...\n---\nb: 2\n", "yaml_multiple_documents", 4, 1),
    ("a: b: c\n", "yaml_syntax", 1, 5),
    ("a:\n  - x\n y: 2\n", "yaml_syntax", 3, 2),
    ("a: 1\n b: 2\n", "yaml_syntax", 2, 3),
    ("key: value\n- item\n", "yaml_syntax", 2, 1),
    ('a: "unterminated', "yaml_syntax", 1, 17),
    ("\tb: 1\n", "yaml_syntax", 1, 1),
    ("a: @x\n", "yaml_syntax", 1, 4),
    ("a: 1\nb: x\x07y\n", "yaml_character", 2, 5),
    ("é: ü\nbé: \x00\n", "yaml_character", 2, 5),
    ("a: \ud800\n", "yaml_character", 1, 4),
    (b"a: 1\nnom: caf\xe9\n", "yaml_encoding", 2, 9),
    (b"\xff\xfea\x00:\x00", "yaml_encoding", 1, 1),
    ("a: " + "x" * MAX_BYTES, "yaml_too_large", None, None),
    ("a: " + "é" * (MAX_BYTES // 2), "yaml_too_large", None, None),
    (b"a: " + b"x" * MAX_BYTES, "yaml_too_large", None, None),
]


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize(("text", "code", "line", "column"), REFUSALS,
                         ids=[f"{row[1]}-{i}" for i, row in enumerate(REFUSALS)])
def test_refusal_has_its_code_line_and_a_message_for_people(
        text: str | bytes, code: str, line: int | None, column: int | None) -> None:
    error = refused(text)
    assert (error.code, error.line, error.column) == (code, line, column)
    assert error.fields == {"line": line, "column": column}
    for sentence in (error.message.fr, error.message.en):
        assert sentence.endswith(".") and "{" not in sentence and "Traceback" not in sentence


def test_duplicate_key_message_names_the_key_and_both_lines() -> None:
    error = refused("steps:\n  terms: {}\n  review: {}\n  terms: {}\n")
    assert error.message.fr == ("La clé « terms » apparaît deux fois (ligne 2 et ligne 4) : "
                                "chaque clé ne doit figurer qu'une fois.")
    assert error.message.en == ("The key “terms” appears twice (lines 2 and 4): each key may "
                                "appear only once.")


@pytest.mark.parametrize(("text", "shown"), [
    ("a: !!python/object/apply:os.system [id]", "!!python/object/apply:os.system"),
    ("a: !foo x", "!foo"),
])
def test_tag_message_shows_the_tag_as_written(text: str, shown: str) -> None:
    assert f"« {shown} »" in refused(text).message.fr


def test_a_syntax_error_at_the_end_of_the_text_is_still_a_yaml_syntax_error(loader: Any) -> None:
    # libyaml and the pure-Python parser place an unclosed bracket differently.
    assert refused("a: [1,").code == "yaml_syntax"


def test_the_238_byte_alias_bomb_is_refused_at_once(loader: Any) -> None:
    assert len(ALIAS_BOMB.encode()) <= 238
    started = time.perf_counter()
    assert refused(ALIAS_BOMB).code == "yaml_alias"
    assert time.perf_counter() - started < 1.0  # VAL-03 asks < 100 ms; this leaves CI slack


def test_fifty_thousand_brackets_give_a_clean_error_not_a_recursion_error(loader: Any) -> None:
    assert refused("[" * 50_000).code in {"yaml_too_deep", "yaml_syntax"}
    assert refused("[" * 50_000 + "]" * 50_000).code == "yaml_too_deep"


def test_a_recursion_error_is_turned_into_yaml_too_deep(monkeypatch: pytest.MonkeyPatch) -> None:
    def overflow(*_: object, **__: object) -> None:
        raise RecursionError

    monkeypatch.setattr(yaml, "compose", overflow)
    assert refused("a: 1").code == "yaml_too_deep"


def test_nesting_up_to_the_limit_is_accepted(loader: Any) -> None:
    brackets = load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH).data
    for _ in range(MAX_DEPTH - 1):
        brackets = brackets[0]
    assert brackets == []
    deep = load_yaml(nested_mappings(MAX_DEPTH)).data
    for _ in range(MAX_DEPTH - 1):
        deep = deep["a"]
    assert deep == {"a": 1}


SCALARS = [
    # YAML 1.2 core, not PyYAML's 1.1: the Norway problem and friends stay text.
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("FALSE", False),
    ("tRuE", "tRuE"),
    ("null", None), ("Null", None), ("NULL", None), ("~", None), ("", None), ("nULL", "nULL"),
    # Dates stay text: the JSON Schema checks their format later.
    ("2024-01-01", "2024-01-01"), ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"),
    # 012 is decimal 12 (YAML 1.2), so `code: 012` fails a string schema downstream.
    ("012", 12), ("0", 0), ("-0", 0), ("+12", 12), ("-7", -7), ("0o17", 15), ("0x1F", 31),
    ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -(2**63)),
    ("1.5", 1.5), ("1.", 1.0), (".5", 0.5), ("-2.5e3", -2500.0), ("1e3", 1000.0),
    # YAML 1.1 and Python spellings that the core schema leaves as text.
    ("1_000", "1_000"), ("0b101", "0b101"), ("0o8", "0o8"), ("1:30", "1:30"), ("٣", "٣"),
    ("nan", "nan"), ("inf", "inf"), (".nan1", ".nan1"), ("<<", "<<"), ("=", "="),
    ("'012'", "012"), ('"true"', "true"), ("'null'", "null"), ("''", ""),
    ("|\n  two\n  lines", "two\nlines\n"), (">-\n  folded\n  text", "folded text"),
]


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize(("written", "value"), SCALARS)
def test_scalars_are_resolved_the_yaml_1_2_core_way(written: str, value: object) -> None:
    data = load_yaml(f"v: {written}\n").data
    assert data == {"v": value}
    assert type(data["v"]) is type(value)


def test_on_yes_stays_text_and_code_012_is_the_integer_12() -> None:
    assert load_yaml("on: yes\ncode: 012\n").data == {"on": "yes", "code": 12}


GOOD = """\
# Reimbursement of medical expenses
workflow: refund
version: 2
title: "Remboursement"
steps:
  terms:
    form: terms
    next: [upload, review]
  upload: {form: upload, optional: true}
  "a/b~c": ~
"""


@pytest.mark.usefixtures("loader")
def test_a_good_document_round_trips_with_marks_in_order() -> None:
    loaded = load_yaml(GOOD, source="workflows/refund.yaml")
    assert loaded.source == "workflows/refund.yaml"
    assert loaded.data == {
        "workflow": "refund", "version": 2, "title": "Remboursement",
        "steps": {"terms": {"form": "terms", "next": ["upload", "review"]},
                  "upload": {"form": "upload", "optional": True}, "a/b~c": None}}
    assert list(loaded.data) == ["workflow", "version", "title", "steps"]
    assert list(loaded.data["steps"]) == ["terms", "upload", "a/b~c"]
    assert dict(loaded.marks) == {
        "": (2, 1), "/workflow": (2, 11), "/version": (3, 10), "/title": (4, 8),
        "/steps": (5, 1), "/steps/terms": (6, 3), "/steps/terms/form": (7, 11),
        "/steps/terms/next": (8, 11), "/steps/terms/next/0": (8, 12),
        "/steps/terms/next/1": (8, 20), "/steps/upload": (9, 11),
        "/steps/upload/form": (9, 18), "/steps/upload/optional": (9, 36),
        "/steps/a~1b~0c": (10, 12)}


def test_key_order_is_the_order_written() -> None:
    assert list(load_yaml("zeta: 1\nalpha: 2\nmid: 3\n").data) == ["zeta", "alpha", "mid"]


@pytest.mark.parametrize(("pointer", "position"), [
    ("/steps/terms/form", (7, 11)),  # marked itself
    ("/steps/terms/missing", (6, 3)),  # a missing key points at its parent's key
    ("/steps/nowhere/deeper/still", (5, 1)),
    ("/absent", (2, 1)),
    ("", (2, 1)),
    ("not-a-pointer", (2, 1)),
])
def test_position_falls_back_to_the_nearest_marked_ancestor(
        pointer: str, position: tuple[int, int]) -> None:
    assert load_yaml(GOOD).position(pointer) == position


def test_position_is_none_when_nothing_is_marked() -> None:
    assert Loaded(data={}, marks={}, source="x").position("/a/b") is None


def test_loaded_cannot_be_changed() -> None:
    loaded = load_yaml("a: 1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.data = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        loaded.marks["/a"] = (9, 9)  # type: ignore[index]


def test_bytes_are_read_as_utf8_and_a_leading_bom_is_allowed() -> None:
    assert load_yaml("nom: café\n".encode()).data == {"nom": "café"}
    assert load_yaml(b"\xef\xbb\xbfa: 1\n").data == {"a": 1}


def test_exactly_max_bytes_is_accepted() -> None:
    text = "a: " + "x" * (MAX_BYTES - 3)
    assert len(text.encode()) == MAX_BYTES
    assert len(load_yaml(text).data["a"]) == MAX_BYTES - 3


def test_load_yaml_file_reads_the_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "refund.yaml"
    path.write_text(GOOD, encoding="utf-8")
    loaded = load_yaml_file(path)
    assert loaded.source == str(path)
    assert loaded.marks["/steps/terms"] == (6, 3)  # a block is marked at its key
    assert load_yaml_file(str(path)).data == loaded.data


def test_load_yaml_file_refuses_a_big_file_without_opening_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * MAX_BYTES)

    def no_open(*_: object, **__: object) -> None:
        raise AssertionError("the size must be checked before the file is read")

    monkeypatch.setattr(yamlio, "open", no_open, raising=False)
    with pytest.raises(YamlError) as caught:
        load_yaml_file(path)
    assert caught.value.code == "yaml_too_large"
    assert str(MAX_BYTES + 3) in caught.value.message.fr


def test_load_yaml_file_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("nom: café\n".encode("latin-1"))
    with pytest.raises(YamlError) as caught:
        load_yaml_file(path)
    assert (caught.value.code, caught.value.line) == ("yaml_encoding", 1)
