"""Business rules: pure functions that YAML workflows reference by name.

This package imports only the standard library and does no I/O (no files, network,
clock or environment): a rule receives everything it needs in a `RuleInput` and returns
the errors a member must correct. The engine decides what to do with them.

A rule is registered under a stable snake_case name with the `rule` decorator; the
workflow loader resolves names through `get_rule`, and the definition checker lists
what exists with `rule_names`. Importing `rules` registers every rule module.

Choice lists (`rules.choices`: `choice_list`, `get_choice_list`, `choice_list_names`) work the
same way for the fields whose choices are computed when the member fills in a step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = [
    "Choice",
    "ChoiceInput",
    "ChoiceList",
    "Rule",
    "RuleError",
    "RuleInput",
    "RuleRegistry",
    "age_on",
    "choice_list",
    "choice_list_names",
    "get_choice_list",
    "get_rule",
    "months_in_period",
    "registry",
    "rule",
    "rule_names",
]


@dataclass(frozen=True)
class RuleError:
    """One thing the member must correct, located in the step's data."""

    path: str  # JSON Pointer into the step's data, e.g. "/incomes/1/months" ("" = whole step)
    code: str  # stable, snake_case: tests, translations and analysts rely on it
    fr: str  # message for a member, in French
    en: str  # same in English
    # hash=False so that errors stay hashable (usable in sets) despite the mapping.
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class RuleInput:
    """Everything a rule may look at; a rule reads nothing else."""

    data: Mapping[str, Any]  # this step's data (already valid against its JSON Schema)
    answers: Mapping[str, Mapping[str, Any]]  # every answered step, by step name
    context: Mapping[str, Any]  # host data: {"campaign": {...}, "household": {...}}
    today: date
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """The step's ``with:`` values for this rule (``rules: [{name, with}]``), evaluated on the
    answers and contexts; empty when the step names the rule alone."""


Rule = Callable[[RuleInput], list[RuleError]]

_NAME = re.compile(r"[a-z][a-z0-9_]*")


class RuleRegistry:
    """Named rules. Refuses duplicates so that a name always means one function."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def register(self, name: str) -> Callable[[Rule], Rule]:
        """Decorator registering a rule under `name` (snake_case, unique)."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"rule name {name!r} is not snake_case ([a-z][a-z0-9_]*)")

        def decorate(func: Rule) -> Rule:
            if name in self._rules:
                other = self._rules[name]
                raise ValueError(
                    f"rule {name!r} is already registered "
                    f"(by {other.__module__}.{other.__qualname__})"
                )
            self._rules[name] = func
            return func

        return decorate

    def get(self, name: str) -> Rule:
        try:
            return self._rules[name]
        except KeyError:
            known = ", ".join(sorted(self._rules)) or "none"
            raise KeyError(f"unknown rule {name!r}; known rules: {known}") from None

    def names(self) -> frozenset[str]:
        return frozenset(self._rules)


registry = RuleRegistry()


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register the decorated function in the package registry under `name`."""
    return registry.register(name)


def get_rule(name: str) -> Rule:
    """The rule registered under `name`; KeyError naming the known rules otherwise."""
    return registry.get(name)


def rule_names() -> frozenset[str]:
    return registry.names()


# Imported last: the rule modules use the decorator defined above.
from rules import certificates, children, months, payslip, periods, wages  # noqa: E402, F401
from rules.children import age_on  # noqa: E402
from rules.choices import (  # noqa: E402
    Choice,
    ChoiceInput,
    ChoiceList,
    choice_list,
    choice_list_names,
    get_choice_list,
)
from rules.months import months_in_period  # noqa: E402
