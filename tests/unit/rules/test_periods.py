"""Declaration periods (ref 004, "Déclarations de salaires"): the 20th, never declared."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rules import RuleInput, get_choice_list, get_rule
from rules.choices import ChoiceInput
from rules.periods import (
    ALREADY_DECLARED_FR,
    current_period,
    declarable_periods,
    first_day,
    last_day,
    parse_period,
    period_label,
    shift,
)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        pytest.param(date(2026, 11, 19), "2026-10", id="19 Nov: still October"),
        pytest.param(date(2026, 11, 20), "2026-11", id="opens on the 20th"),
        pytest.param(date(2026, 11, 30), "2026-11", id="end of the month"),
        pytest.param(date(2026, 12, 1), "2026-11", id="1 Dec: November until the 20th"),
        pytest.param(date(2026, 1, 5), "2025-12", id="January before the 20th: December"),
        pytest.param(date(2026, 1, 20), "2026-01", id="20 January"),
        pytest.param(date(2024, 2, 29), "2024-02", id="leap day"),
    ],
)
def test_current_period(today: date, expected: str) -> None:
    assert current_period(today) == expected


@pytest.mark.parametrize(
    ("today", "declared", "first", "back", "expected"),
    [
        pytest.param(date(2026, 11, 20), set(), None, 3, ["2026-11", "2026-10", "2026-09"],
                     id="current first, then earlier"),
        pytest.param(date(2026, 11, 19), set(), None, 3, ["2026-10", "2026-09", "2026-08"],
                     id="before the 20th: no November (future)"),
        pytest.param(date(2026, 11, 20), {"2026-10"}, None, 3, ["2026-11", "2026-09"],
                     id="a declared period is left out"),
        pytest.param(date(2026, 11, 20), {"2026-11"}, None, 3, ["2026-10", "2026-09"],
                     id="the current period declared"),
        pytest.param(date(2026, 11, 20), set(), "2026-10", 24, ["2026-11", "2026-10"],
                     id="none before the employer's first period"),
        pytest.param(date(2026, 11, 20), set(), "2026-12", 24, [],
                     id="first period not open yet"),
        pytest.param(date(2026, 2, 25), {"2026-01", "junk"}, None, 3,
                     ["2026-02", "2025-12"], id="across the year; junk ignored"),
        pytest.param(date(2026, 11, 20), {"2026-11", "2026-10", "2026-09"}, None, 3, [],
                     id="everything declared"),
        pytest.param(date(2026, 11, 20), set(), None, 0, [], id="back 0"),
    ],
)
def test_declarable_periods(today: date, declared: set[str], first: str | None, back: int,
                            expected: list[str]) -> None:
    assert declarable_periods(today, declared, first, back) == expected


def test_declarable_periods_default_is_24() -> None:
    found = declarable_periods(date(2026, 11, 20), set(), None)
    assert len(found) == 24
    assert (found[0], found[-1]) == ("2026-11", "2024-12")


def test_declarable_periods_malformed_first_is_an_error() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        declarable_periods(date(2026, 11, 20), set(), "2026-13")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-11", (2026, 11)), ("2026-13", None), ("2026-00", None), ("2026-1", None),
     ("0000-01", None), (202611, None), (None, None), ("2026-11-01", None)],
)
def test_parse_period(value: Any, expected: tuple[int, int] | None) -> None:
    assert parse_period(value) == expected


def test_period_helpers() -> None:
    assert shift("2026-01", -1) == "2025-12"
    assert shift("2025-12", 1) == "2026-01"
    assert shift("2026-11", -24) == "2024-11"
    assert first_day("2024-02") == date(2024, 2, 1)
    assert last_day("2024-02") == date(2024, 2, 29)
    assert last_day("2025-02") == date(2025, 2, 28)
    assert last_day("9999-12") == date(9999, 12, 31)
    assert period_label("2026-11") == ("novembre 2026", "November 2026")
    assert period_label("2026-02") == ("février 2026", "February 2026")


def choices(params: dict[str, Any], today: date) -> list[tuple[str, str, str]]:
    found = get_choice_list("declarable_periods")(ChoiceInput(params, {}, {}, today))
    return [(c.value, c.fr, c.en) for c in found]


def test_choice_list() -> None:
    found = choices({"declared": ["2026-10"], "first": "2026-08"}, date(2026, 11, 23))
    assert found == [("2026-11", "novembre 2026", "November 2026"),
                     ("2026-09", "septembre 2026", "September 2026"),
                     ("2026-08", "août 2026", "August 2026")]


@pytest.mark.parametrize(
    "params",
    [{}, {"declared": None, "first": None}, {"declared": "2026-11", "first": "junk"},
     {"declared": [1, None, "2026-11"], "first": ""}],
    ids=["none", "nulls", "wrong types", "junk items"],
)
def test_choice_list_is_tolerant(params: dict[str, Any]) -> None:
    found = choices(params, date(2026, 11, 23))
    assert 23 <= len(found) <= 24
    assert found[0][0] in ("2026-11", "2026-10")


TODAY = date(2026, 11, 23)


def check(period: Any, client: Any = None, today: date = TODAY) -> list[tuple[str, str]]:
    context = {} if client is None else {"client": client}
    errors = get_rule("period_declarable")(RuleInput({"period": period}, {}, context, today))
    assert all(e.fr and e.en for e in errors)
    return [(e.path, e.code) for e in errors]


@pytest.mark.parametrize(
    ("period", "client", "today", "expected"),
    [
        pytest.param("2026-11", None, TODAY, [], id="current, no context"),
        pytest.param("2026-10", {"declared_periods": ["2026-09"]}, TODAY, [],
                     id="earlier, never declared"),
        pytest.param("2026-10", {"declared_periods": ["2026-10"]}, TODAY,
                     [("/period", "period_already_declared")], id="already declared"),
        pytest.param("2026-11", {"declared_periods": ["2026-11"]}, TODAY,
                     [("/period", "period_already_declared")], id="current already declared"),
        pytest.param("2026-12", None, TODAY, [("/period", "period_in_future")],
                     id="next month"),
        pytest.param("2026-11", None, date(2026, 11, 19), [("/period", "period_in_future")],
                     id="this month before the 20th"),
        pytest.param("2026-11", None, date(2026, 11, 20), [], id="this month on the 20th"),
        pytest.param("2026-05", {"first_period": "2026-06"}, TODAY,
                     [("/period", "period_before_first")], id="before the first period"),
        pytest.param("2026-13", None, TODAY, [("/period", "period_invalid")], id="month 13"),
        pytest.param(None, None, TODAY, [("/period", "period_invalid")], id="missing"),
        pytest.param("2026-10", "not a mapping", TODAY, [], id="odd client context"),
        pytest.param("2026-10", {"declared_periods": "2026-10"}, TODAY, [],
                     id="declared not a list: ignored"),
    ],
)
def test_period_declarable(period: Any, client: Any, today: date,
                           expected: list[tuple[str, str]]) -> None:
    assert check(period, client, today) == expected


def test_messages_follow_the_manual() -> None:
    rule = get_rule("period_declarable")
    [declared] = rule(RuleInput({"period": "2026-10"}, {},
                                {"client": {"declared_periods": ["2026-10"]}}, TODAY))
    assert declared.fr == ALREADY_DECLARED_FR == (
        "Une déclaration a déjà été effectuée pour cette période. "
        "Pour la modifier, contactez le Service Recouvrement.")
    [future] = rule(RuleInput({"period": "2026-12"}, {}, {}, TODAY))
    assert future.fr == ("La déclaration de décembre 2026 ne sera possible qu'à partir du "
                         "20/12/2026.")
    assert future.en == "The declaration for December 2026 opens only on 20 December 2026."
