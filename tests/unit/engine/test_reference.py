"""engine.reference: docs/rules.md and docs/schemas/ are generated and up to date, and the published
schemas accept every shipped definition and refuse a wrong one, with a generic validator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

import rules
from engine.__main__ import main
from engine.errors import YamlError
from engine.metaschema import KINDS, meta_errors
from engine.reference import (
    COMMAND,
    _draft07,
    published_schema,
    rules_markdown,
    stale_files,
)
from engine.yamlio import load_yaml_file

ROOT = Path(__file__).resolve().parents[3]
FOLDERS = {"workflows": "workflow", "archive": "workflow", "forms": "form",
           "contexts": "context", "catalogues": "catalogue"}


def shipped(kind: str) -> list[Path]:
    folders = [f for f, k in FOLDERS.items() if k == kind and f != "archive"]
    found = [p for f in folders for p in sorted((ROOT / f).glob("*.yaml"))]
    if kind == "workflow":
        found += sorted((ROOT / "workflows" / "archive").glob("*.yaml"))
    if kind == "roles":
        found.append(ROOT / "roles.yaml")
    return found


def validators(kind: str) -> list[Any]:
    schema = json.loads((ROOT / "docs" / "schemas" / f"{kind}.schema.json").read_text("utf-8"))
    return [Draft7Validator(schema), Draft202012Validator(schema)]


def test_generated_files_are_up_to_date() -> None:
    stale = stale_files(ROOT)
    assert not stale, f"{', '.join(stale)} out of date: run {COMMAND}"


def test_rules_md_says_it_is_generated_and_lists_everything() -> None:
    text = (ROOT / "docs" / "rules.md").read_text("utf-8")
    assert text.splitlines()[0] == f"<!-- generated, do not edit: run {COMMAND} -->"
    for name in sorted(rules.rule_names() | rules.choice_list_names()):
        assert f"### `{name}`" in text
    for field in ("`campaign.year`", "`member.people[].role`", "`{receipt}`"):
        assert field in text


def test_every_rule_and_choice_list_has_a_docstring_and_lists_say_their_parameters() -> None:
    for name in rules.rule_names():
        assert (rules.get_rule(name).__doc__ or "").strip(), name
    for name in rules.choice_list_names():
        doc = rules.get_choice_list(name).__doc__ or ""
        assert "Parameter" in doc or "no parameter" in doc.lower(), (
            f"choice list {name}: its docstring must say which `with:` parameters it reads")


@pytest.mark.parametrize("kind", KINDS)
def test_published_schema_is_valid_in_both_drafts(kind: str) -> None:
    schema = published_schema(kind)
    Draft7Validator.check_schema(schema)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$id" not in schema and "$defs" not in json.dumps(schema)


@pytest.mark.parametrize("kind", KINDS)
def test_every_shipped_file_passes_its_published_schema(kind: str) -> None:
    files = shipped(kind)
    assert files
    for path in files:
        data = load_yaml_file(path).data
        for validator in validators(kind):
            errors = [e.message for e in validator.iter_errors(data)]
            assert not errors, f"{path.relative_to(ROOT)}: {errors}"


def test_the_published_schemas_agree_with_the_engine_on_the_test_definitions() -> None:
    checked = 0
    for path in sorted((ROOT / "tests" / "definitions").rglob("*.yaml")):
        kind = FOLDERS.get(path.parent.name)
        if kind is None:
            continue
        try:
            data = load_yaml_file(path).data
        except YamlError:
            continue
        engine_ok = not list(meta_errors(kind, data))
        for validator in validators(kind):
            assert validator.is_valid(data) == engine_ok, path.relative_to(ROOT)
        checked += 1
    assert checked > 20


@pytest.mark.parametrize(("kind", "file", "where"), [
    ("workflow", "workflows/resource_declaration.yaml", ()),
    ("workflow", "workflows/resource_declaration.yaml", ("steps", "observations")),
    ("form", "forms/observations.yaml", ("fields", "text")),
    ("context", "contexts/campaign.yaml", ()),
    ("catalogue", "catalogues/documents.yaml", ()),
])
def test_an_unknown_key_fails(kind: str, file: str, where: tuple[str, ...]) -> None:
    data = load_yaml_file(ROOT / file).data
    node = data
    for key in where:
        node = node[key]
    node["titel"] = {"fr": "x", "en": "x"}
    for validator in validators(kind):
        errors = list(validator.iter_errors(data))
        assert errors and "titel" in errors[0].message


def test_a_keyword_draft_07_reads_differently_is_refused() -> None:
    with pytest.raises(ValueError, match="prefixItems"):
        _draft07({"properties": {"a": {"prefixItems": [{"type": "string"}]}}}, "/x")
    wrapped = _draft07({"$ref": "#/$defs/text", "maxLength": 3, "description": "d"}, "/x")
    assert wrapped == {"allOf": [{"$ref": "#/definitions/text"}], "maxLength": 3,
                       "description": "d"}


def test_vscode_settings_map_every_kind_to_an_existing_schema() -> None:
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text("utf-8"))
    mapping = settings["yaml.schemas"]
    assert {Path(s).name for s in mapping} == {f"{k}.schema.json" for k in KINDS}
    for schema, globs in mapping.items():
        assert (ROOT / schema).is_file(), schema
        kind = Path(schema).name.split(".")[0]
        matched = {p for g in globs for p in ROOT.glob(g)}
        assert set(shipped(kind)) <= matched, schema


def test_cli_prints_rules_md(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reference", str(ROOT)]) == 0
    assert capsys.readouterr().out == rules_markdown(ROOT)


def test_cli_check_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "contexts", tmp_path / "contexts")
    assert main(["reference", str(tmp_path), "--check"]) == 1
    assert f"docs/rules.md is out of date: run {COMMAND}" in capsys.readouterr().err
    assert main(["reference", str(tmp_path), "--write"]) == 0
    assert "wrote docs/schemas/form.schema.json" in capsys.readouterr().out
    assert main(["reference", str(tmp_path), "--check"]) == 0
