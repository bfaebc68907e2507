"""Choice lists: the choices of a form field computed when the member fills in the step.

A form field that says ``choices: dynamic`` gets its possible values from a choice list named by
the workflow step (``choices: {field: {from: name, with: {...}}}``). A choice list is a pure
function, registered under a stable snake_case name with :func:`choice_list`, like a rule: it
receives a :class:`ChoiceInput` (the step's parameters, the host data, the workflow's
catalogues and today's date) and returns the :class:`Choice` items, in the order to show them.
It does no I/O and reads nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "Choice",
    "ChoiceInput",
    "ChoiceList",
    "ChoiceListRegistry",
    "choice_list",
    "choice_list_names",
    "choice_registry",
    "get_choice_list",
]


@dataclass(frozen=True)
class Choice:
    """One possible value of a field, with what people read."""

    value: str  # what is stored and compared
    fr: str  # the label, in French
    en: str  # the same in English
    hint_fr: str = ""  # an optional explanation shown with the choice
    hint_en: str = ""


@dataclass(frozen=True)
class ChoiceInput:
    """Everything a choice list may look at; it reads nothing else."""

    params: Mapping[str, Any]  # the step's ``with:`` values, evaluated on the current answers
    context: Mapping[str, Any]  # host data: {"member": {...}, ...}
    catalogues: Mapping[str, tuple[Mapping[str, Any], ...]]  # the workflow's, entries by name
    today: date


ChoiceList = Callable[[ChoiceInput], list[Choice]]

_NAME = re.compile(r"[a-z][a-z0-9_]*")


class ChoiceListRegistry:
    """Named choice lists. Refuses duplicates so that a name always means one function."""

    def __init__(self) -> None:
        self._lists: dict[str, ChoiceList] = {}

    def register(self, name: str) -> Callable[[ChoiceList], ChoiceList]:
        """Decorator registering a choice list under `name` (snake_case, unique)."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"choice list name {name!r} is not snake_case ([a-z][a-z0-9_]*)")

        def decorate(func: ChoiceList) -> ChoiceList:
            if name in self._lists:
                other = self._lists[name]
                raise ValueError(
                    f"choice list {name!r} is already registered "
                    f"(by {other.__module__}.{other.__qualname__})"
                )
            self._lists[name] = func
            return func

        return decorate

    def unregister(self, name: str) -> None:
        """Forget `name` (tests registering their own lists clean up with it)."""
        self._lists.pop(name, None)

    def get(self, name: str) -> ChoiceList:
        try:
            return self._lists[name]
        except KeyError:
            known = ", ".join(sorted(self._lists)) or "none"
            raise KeyError(f"unknown choice list {name!r}; known choice lists: {known}") from None

    def names(self) -> frozenset[str]:
        return frozenset(self._lists)


choice_registry = ChoiceListRegistry()


def choice_list(name: str) -> Callable[[ChoiceList], ChoiceList]:
    """Register the decorated function in the package registry under `name`."""
    return choice_registry.register(name)


def get_choice_list(name: str) -> ChoiceList:
    """The choice list registered under `name`; KeyError naming the known ones otherwise."""
    return choice_registry.get(name)


def choice_list_names() -> frozenset[str]:
    return choice_registry.names()
