"""income_months and months_in_period: the manual's examples (ref 002, nombre de mois)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import RuleInput, get_rule, months_in_period
from rules.months import income_months

TODAY = date(2026, 1, 15)


def check(data: dict[str, Any]) -> list[tuple[str, str]]:
    errors = income_months(RuleInput(data=data, answers={}, context={}, today=TODAY))
    return [(e.path, e.code) for e in errors]


def fr_messages(data: dict[str, Any]) -> list[str]:
    return [e.fr for e in income_months(RuleInput(data, {}, {}, TODAY))]


def line(months: int, category: str = "salary", amount: str = "12345.50") -> dict[str, Any]:
    return {"category": category, "amount": amount, "months": months}


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2026, 1, 1), date(2026, 2, 10), 2, id="1 month 10 days = 2"),
        pytest.param(date(2026, 1, 1), date(2026, 1, 31), 1, id="whole January = 1"),
        pytest.param(date(2026, 1, 1), date(2026, 1, 1), 1, id="a single day starts a month"),
        pytest.param(date(2026, 1, 15), date(2026, 2, 14), 1, id="15 Jan - 14 Feb: exactly 1"),
        pytest.param(date(2026, 1, 15), date(2026, 2, 15), 2, id="1 month and 1 day = 2"),
        pytest.param(date(2026, 1, 1), date(2026, 12, 31), 12, id="whole year = 12"),
        pytest.param(date(2026, 1, 1), date(2026, 5, 31), 5, id="worked until retiring: 5"),
        pytest.param(date(2026, 6, 1), date(2026, 12, 31), 7, id="retired from June: 7"),
        pytest.param(date(2025, 11, 15), date(2026, 1, 14), 2, id="across the new year"),
        pytest.param(date(2025, 1, 31), date(2025, 2, 28), 1, id="31 Jan - end of Feb = 1"),
        pytest.param(date(2025, 1, 31), date(2025, 3, 1), 2, id="31 Jan - 1 Mar = 2"),
        pytest.param(date(2024, 1, 31), date(2024, 2, 29), 1, id="leap year: 31 Jan - 29 Feb"),
        pytest.param(date(2024, 1, 31), date(2024, 3, 1), 2, id="leap year: 31 Jan - 1 Mar"),
        pytest.param(date(2025, 12, 31), date(2026, 1, 30), 1, id="31 Dec - 30 Jan = 1"),
        pytest.param(date(9999, 12, 31), date(9999, 12, 31), 1, id="no overflow at date.max"),
    ],
)
def test_months_in_period(start: date, end: date, expected: int) -> None:
    assert months_in_period(start, end) == expected


def test_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        months_in_period(date(2026, 2, 1), date(2026, 1, 31))


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(start=days, length=st.integers(min_value=0, max_value=800))
def test_one_more_day_adds_at_most_one_month(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    before, after = months_in_period(start, end), months_in_period(start, end + timedelta(1))
    assert 1 <= before <= after <= before + 1


@given(first=days, count=st.integers(min_value=1, max_value=36))
def test_whole_calendar_months_count_once_each(first: date, count: int) -> None:
    start = first.replace(day=1)
    year, month = divmod(start.month - 1 + count, 12)
    end = date(start.year + year, month + 1, 1) - timedelta(days=1)
    assert months_in_period(start, end) == count


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            {
                "incomes": [line(12, "basic_pension"), line(12, "complementary_pension")],
                "total_months": 12,
            },
            [],
            id="basic + complementary pension all year = 12 not 24",
        ),
        pytest.param(
            {
                "incomes": [line(12, "basic_pension"), line(12, "complementary_pension")],
                "total_months": 24,
            },
            [("/total_months", "months_total_max")],
            id="pensions all year declared as 24 are refused",
        ),
        pytest.param(
            {"incomes": [line(5, "salary"), line(7, "pension")], "total_months": 12},
            [],
            id="retired mid-year adds the two periods",
        ),
        pytest.param(
            {"incomes": [line(5, "salary"), line(7, "pension")], "total_months": 5},
            [("/total_months", "months_total_below_longest")],
            id="retired mid-year: total below the longest period",
        ),
        pytest.param(
            {"incomes": [line(5, "salary"), line(4, "pension")], "total_months": 10},
            [("/total_months", "months_total_above_sum")],
            id="total above the sum of the periods",
        ),
        pytest.param(
            {"incomes": [line(2)], "total_months": 2},
            [],
            id="1 month 10 days declared as 2",
        ),
        pytest.param(
            {"incomes": [line(13)], "total_months": 12},
            [("/incomes/0/months", "months_line_range")],
            id="a line of 13 months",
        ),
        pytest.param(
            {"incomes": [line(6), line(0)], "total_months": 6},
            [("/incomes/1/months", "months_line_range")],
            id="a line of 0 months",
        ),
        pytest.param(
            {"incomes": [line(6)]},
            [("/total_months", "months_total_required")],
            id="total missing with incomes",
        ),
        pytest.param(
            {"incomes": [line(3)], "total_months": 0},
            [("/total_months", "months_total_below_longest")],
            id="total 0 with incomes",
        ),
        pytest.param(
            {"incomes": [line(7), line(7)], "total_months": 14},
            [("/total_months", "months_total_max")],
            id="7 + 7 = 14 is still above 12",
        ),
        pytest.param(
            {"incomes": [line(13), line(6)], "total_months": 14},
            [
                ("/incomes/0/months", "months_line_range"),
                ("/total_months", "months_total_max"),
                ("/total_months", "months_total_above_sum"),
            ],
            id="every error at once",
        ),
        pytest.param({"incomes": [], "total_months": 0}, [], id="no income, total 0"),
        pytest.param({"incomes": []}, [], id="no income, no total"),
        pytest.param({}, [], id="incomes absent"),
        pytest.param(
            {"incomes": [], "total_months": 3},
            [("/total_months", "months_total_without_income")],
            id="no income but 3 months",
        ),
    ],
)
def test_income_months(data: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert check(data) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            {"incomes": [line(12), line(12)], "total_months": 14},
            "Le nombre total de mois (14) ne peut pas dépasser 12 : "
            "les périodes qui se chevauchent ne comptent qu'une fois.",
            id="total above 12",
        ),
        pytest.param(
            {"incomes": [line(13)], "total_months": 12},
            "Le nombre de mois doit être compris entre 1 et 12 (vous avez indiqué 13).",
            id="line out of range",
        ),
        pytest.param(
            {"incomes": [line(5), line(7)], "total_months": 5},
            "Le nombre total de mois (5) ne peut pas être inférieur à celui "
            "de votre revenu le plus long (7 mois).",
            id="below the longest",
        ),
        pytest.param(
            {"incomes": [line(5), line(4)], "total_months": 10},
            "Le nombre total de mois (10) ne peut pas dépasser la somme des mois "
            "de vos revenus (9).",
            id="above the sum",
        ),
        pytest.param(
            {"incomes": [line(5)]},
            "Indiquez le nombre total de mois couverts par vos revenus "
            "(de 1 à 12 ; les périodes qui se chevauchent ne comptent qu'une fois).",
            id="total required",
        ),
        pytest.param(
            {"incomes": [], "total_months": 3},
            "Vous n'avez déclaré aucun revenu : le nombre total de mois doit être 0 "
            "(vous avez indiqué 3).",
            id="without income",
        ),
    ],
)
def test_message_a_member_reads(data: dict[str, Any], message: str) -> None:
    assert fr_messages(data) == [message]


def test_errors_carry_english_and_numbers() -> None:
    [error] = income_months(
        RuleInput({"incomes": [line(5), line(4)], "total_months": 10}, {}, {}, TODAY)
    )
    assert error.en == (
        "The total number of months (10) cannot exceed the sum of the months of your incomes (9)."
    )
    assert error.params == {"total": 10, "sum": 9}


def test_registered_under_its_name() -> None:
    assert get_rule("income_months") is income_months
