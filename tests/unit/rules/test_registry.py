"""The rule registry, the public API and the standard-library-only contract."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import rules
from rules import RuleError, RuleInput, RuleRegistry, get_rule, rule, rule_names


def nothing(given: RuleInput) -> list[RuleError]:
    return []


def test_import_registers_every_rule() -> None:
    assert {"income_months", "children_under_21"} <= rule_names()


def test_unknown_rule_is_a_key_error_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown rule 'no_such_rule'; known rules: .*income_months"):
        get_rule("no_such_rule")


def test_duplicate_name_is_refused_and_the_first_rule_kept() -> None:
    first = get_rule("income_months")
    with pytest.raises(
        ValueError,
        match=r"'income_months' is already registered \(by rules\.months\.income_months\)",
    ):
        rule("income_months")(nothing)
    assert get_rule("income_months") is first


def test_a_fresh_registry() -> None:
    registry = RuleRegistry()
    assert registry.register("nothing")(nothing) is nothing
    assert registry.get("nothing") is nothing
    assert registry.names() == frozenset({"nothing"})
    with pytest.raises(ValueError, match="already registered"):
        registry.register("nothing")(nothing)
    with pytest.raises(KeyError, match="known rules: nothing"):
        registry.get("other")


@pytest.mark.parametrize("name", ["", "Income", "income-months", "1st", "a b"])
def test_names_are_snake_case(name: str) -> None:
    with pytest.raises(ValueError, match="snake_case"):
        RuleRegistry().register(name)


def test_rule_errors_are_frozen_and_hashable() -> None:
    error = RuleError("/count", "children_count_mismatch", "fr", "en", {"count": 2})
    assert error in {error}
    with pytest.raises(AttributeError):
        error.code = "other"  # type: ignore[misc]


def test_public_names_exist() -> None:
    assert all(hasattr(rules, name) for name in rules.__all__)


def imported_top_modules(source: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # A relative import ("from . import x") stays inside rules.
            found.add(node.module.split(".")[0] if node.level == 0 and node.module else "rules")
    return found


def test_rules_import_only_the_standard_library() -> None:
    package = Path(rules.__file__).parent
    sources = sorted(package.rglob("*.py"))
    assert sources
    allowed = sys.stdlib_module_names | {"rules"}
    outside = {
        f"{source.relative_to(package)}: {module}"
        for source in sources
        for module in imported_top_modules(source)
        if module not in allowed
    }
    assert not outside
