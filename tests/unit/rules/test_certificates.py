"""entitlement_period: from the day of issue to the last day of the third month after."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.certificates import entitlement_period


@pytest.mark.parametrize(("issued", "last"), [
    (date(2026, 11, 23), date(2027, 2, 28)),   # over the year's end, to February
    (date(2027, 11, 23), date(2028, 2, 29)),   # a leap February
    (date(2026, 1, 31), date(2026, 4, 30)),    # a 31st, to a 30-day month
    (date(2026, 1, 1), date(2026, 4, 30)),     # the first of a month
    (date(2026, 9, 30), date(2026, 12, 31)),   # to December, same year
    (date(2026, 10, 1), date(2027, 1, 31)),    # to January, next year
    (date(2026, 12, 31), date(2027, 3, 31)),   # the last day of the year
    (date(2026, 5, 15), date(2026, 8, 31)),
])  # fmt: skip
def test_the_period_runs_from_the_issue_to_the_end_of_the_third_month_after(issued, last):
    assert entitlement_period(issued) == (issued, last)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9990, 12, 31)))
def test_the_period_always_ends_on_a_month_end_three_months_on(issued):
    start, end = entitlement_period(issued)
    assert start == issued
    assert (end + timedelta(days=1)).day == 1  # the last day of its month
    assert (end.year - issued.year) * 12 + end.month - issued.month == 3
