"""compute_payslip: worked examples computed by hand, the rates in force, properties."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from rules.payslip import (
    Extra,
    check_rates,
    compute_payslip,
    line_base,
    rates_in_force,
    round_cents,
)

D = Decimal
ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = yaml.safe_load((ROOT / "catalogues" / "contribution_rates.yaml").read_text("utf-8"))
RATES: list[dict[str, Any]] = CATALOGUE["entries"]


def amounts(slip: Any) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    return {line.code: (line.base, line.employee, line.employer) for line in slip.lines}


def test_check_rates_accepts_the_catalogue() -> None:
    assert check_rates(RATES) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.005", "0.01"), ("0.0049", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01"),
     ("1136.525", "1136.53"), ("319.444225", "319.44"), ("10", "10.00")],
)
def test_round_cents_is_half_up(value: str, expected: str) -> None:
    # 2.675 as a float is 2.67499999...: Decimal keeps it exact and rounds up.
    assert round_cents(D(value)) == D(expected)


@pytest.mark.parametrize(
    ("gross", "floor", "ceiling", "expected"),
    [("3000.00", "0", "6200.00", "3000.00"), ("7000.00", "0", "6200.00", "6200.00"),
     ("5000.00", "4005.00", "32040.00", "995.00"), ("3000.00", "4005.00", "32040.00", "0.00"),
     ("40000.00", "4005.00", "32040.00", "28035.00"), ("1234.56", "0", None, "1234.56")],
)
def test_line_base(gross: str, floor: str, ceiling: str | None, expected: str) -> None:
    assert line_base(D(gross), D(floor), None if ceiling is None else D(ceiling)) == D(expected)


def test_january_2026_worked_example() -> None:
    # 15.00 x 151.67 h = 2275.05; + bonus 100.00 = gross 2375.05 (under every ceiling).
    slip = compute_payslip(RATES, "2026-01", D("15.00"), D("151.67"),
                           [{"label": "Prime", "amount": "100.00"}])
    assert (slip.basic, slip.gross) == (D("2275.05"), D("2375.05"))
    assert amounts(slip) == {
        # CCSS 0 % / 13.45 %: 2375.05 x 0.1345 = 319.444225 -> 319.44
        "ccss_2025": (D("2375.05"), D("0.00"), D("319.44")),
        # CAR 2026, 6.85 % / 8.55 %: 162.690925 -> 162.69; 203.066775 -> 203.07
        "car_2026": (D("2375.05"), D("162.69"), D("203.07")),
        # unemployment 2.40 % / 4.05 %: 57.0012 -> 57.00; 96.189525 -> 96.19
        "unemployment_2026": (D("2375.05"), D("57.00"), D("96.19")),
        # tranche 1 up to 4005.00, 4.01 % / 6.01 %: 95.239505 -> 95.24; 142.740505 -> 142.74
        "complementary_t1_2026": (D("2375.05"), D("95.24"), D("142.74")),
        # tranche 2 starts at 4005.00: nothing
        "complementary_t2_2026": (D("0.00"), D("0.00"), D("0.00")),
    }
    # 162.69 + 57.00 + 95.24 = 314.93; net 2375.05 - 314.93 = 2060.12
    assert (slip.employee_total, slip.net) == (D("314.93"), D("2060.12"))
    # 319.44 + 203.07 + 96.19 + 142.74 = 761.44; cost 2375.05 + 761.44 = 3136.49
    assert (slip.employer_total, slip.employer_cost) == (D("761.44"), D("3136.49"))
    assert slip.extras == (Extra("Prime", D("100.00")),)


def test_december_2025_uses_the_older_rates() -> None:
    # Same pay, one month earlier: CAR 2025 is 6.55 % / 8.35 %.
    slip = compute_payslip(RATES, "2025-12", D("15.00"), D("151.67"),
                           [{"label": "Prime", "amount": "100.00"}])
    assert [line.code for line in slip.lines] == [
        "ccss_2025", "car_2025", "unemployment_2025", "complementary_t1_2025",
        "complementary_t2_2025"]
    # 2375.05 x 0.0655 = 155.565775 -> 155.57; x 0.0835 = 198.316675 -> 198.32
    assert amounts(slip)["car_2025"] == (D("2375.05"), D("155.57"), D("198.32"))
    # 155.57 + 57.00 + 95.24 = 307.81; net 2375.05 - 307.81 = 2067.24
    assert (slip.employee_total, slip.net) == (D("307.81"), D("2067.24"))
    january = compute_payslip(RATES, "2026-01", D("15.00"), D("151.67"),
                              [{"label": "Prime", "amount": "100.00"}])
    assert january.net != slip.net


def test_ceilings_worked_example() -> None:
    # 50.00 x 169 h = gross 8450.00: above the CAR ceiling and tranche 1.
    slip = compute_payslip(RATES, "2026-03", D("50.00"), D("169"))
    assert amounts(slip) == {
        # 8450.00 x 0.1345 = 1136.525 -> 1136.53 (half up)
        "ccss_2025": (D("8450.00"), D("0.00"), D("1136.53")),
        # capped at 6200.00: 424.70 and 530.10
        "car_2026": (D("6200.00"), D("424.70"), D("530.10")),
        # 202.80 and 8450.00 x 0.0405 = 342.225 -> 342.23
        "unemployment_2026": (D("8450.00"), D("202.80"), D("342.23")),
        # capped at 4005.00: 160.6005 -> 160.60; 240.7005 -> 240.70
        "complementary_t1_2026": (D("4005.00"), D("160.60"), D("240.70")),
        # 8450.00 - 4005.00 = 4445.00: 432.054 -> 432.05; 647.6365 -> 647.64
        "complementary_t2_2026": (D("4445.00"), D("432.05"), D("647.64")),
    }
    # 424.70 + 202.80 + 160.60 + 432.05 = 1220.15; net 8450.00 - 1220.15 = 7229.85
    assert (slip.employee_total, slip.net) == (D("1220.15"), D("7229.85"))
    # 1136.53 + 530.10 + 342.23 + 240.70 + 647.64 = 2897.20
    assert slip.employer_total == D("2897.20")


def test_basic_pay_is_rounded_half_up_once() -> None:
    # 12.3456 x 151.67 = 1872.457152 -> 1872.46; an unpaid absence of -72.46 -> gross 1800.00
    slip = compute_payslip(RATES, "2026-01", D("12.3456"), D("151.67"),
                           [Extra("Absence non rémunérée", D("-72.46"))])
    assert (slip.basic, slip.gross) == (D("1872.46"), D("1800.00"))
    # 11.655 x 1 = 11.655 -> 11.66
    assert compute_payslip(RATES, "2026-01", D("11.655"), D(1)).basic == D("11.66")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param(("2026-13", D(10), D(1), []), ValueError, id="bad period"),
        pytest.param(("2026-01", 10.5, D(1), []), TypeError, id="float rate"),
        pytest.param(("2026-01", D(10), 1.5, []), TypeError, id="float hours"),
        pytest.param(("2026-01", D(-1), D(1), []), ValueError, id="negative rate"),
        pytest.param(("2026-01", D(10), D("NaN"), []), ValueError, id="NaN hours"),
        pytest.param(("2026-01", D(10), D(1), [{"label": "x", "amount": "1.005"}]), ValueError,
                     id="extra with three decimals"),
        pytest.param(("2026-01", D(10), D(1), [{"label": " ", "amount": "1"}]), ValueError,
                     id="extra without a label"),
        pytest.param(("2026-01", D(10), D(1), [{"label": "x", "amount": "-11"}]), ValueError,
                     id="negative gross"),
        pytest.param(("2024-12", D(10), D(1), []), ValueError, id="no rate in force"),
    ],
)
def test_refused(args: tuple[Any, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        compute_payslip(RATES, *args)


def entry(code: str, line: str, valid_from: str, valid_to: str | None = None,
          **more: str) -> dict[str, Any]:
    found = {"code": code, "title": {"fr": code, "en": code}, "line": line, "base": "gross",
             "employee_rate": "1", "employer_rate": "2", "valid_from": valid_from, **more}
    if valid_to is not None:
        found["valid_to"] = valid_to
    return found


def test_check_rates_finds_overlaps_and_bad_dates() -> None:
    rates = [entry("a_1", "a", "2025-01-01", "2025-12-31"),
             entry("a_2", "a", "2025-06-01"),
             entry("b_1", "b", "2025-03-01", "2025-02-28"),
             entry("c_1", "c", "2025-01-01", "2025-06-15"),
             entry("d_1", "d", "2025-01-01", floor="100.00", ceiling="50.00", base="tranche")]
    assert check_rates(rates) == [
        "entry b_1: valid_to 2025-02-28 is before valid_from 2025-03-01",
        "entry c_1: valid_to 2025-06-15 is not the last day of a month",
        "entry d_1: its floor is not below its ceiling",
        "line a: entries a_1 and a_2 are both in force on 2025-06-01",
    ]
    with pytest.raises(ValueError, match="both in force"):
        rates_in_force(rates, "2025-07")
    assert [e["code"] for e in rates_in_force(rates, "2026-01")] == ["a_2", "d_1"]


periods = st.sampled_from([f"{y}-{m:02d}" for y in (2025, 2026, 2027) for m in range(1, 13)])
money = st.decimals(min_value=0, max_value=300, places=4)
hours = st.decimals(min_value=0, max_value=400, places=2)
extras = st.lists(st.builds(Extra, st.just("Prime"),
                            st.decimals(min_value=0, max_value=20000, places=2)), max_size=3)


@given(periods, money, hours, extras)
def test_properties(period: str, rate: Decimal, worked: Decimal, more: list[Extra]) -> None:
    slip = compute_payslip(RATES, period, rate, worked, more)
    assert slip.net + slip.employee_total == slip.gross
    assert slip.gross == slip.basic + sum((e.amount for e in more), D(0))
    assert abs(slip.basic - rate * worked) <= D("0.005")
    assert slip.employee_total == sum(line.employee for line in slip.lines)
    for line in slip.lines:
        assert D(0) <= line.base <= slip.gross
        if line.ceiling is not None:
            assert line.base <= line.ceiling - line.floor
        for amount, percent in ((line.employee, line.employee_rate),
                                (line.employer, line.employer_rate)):
            assert amount == amount.quantize(D("0.01"))
            assert abs(amount - line.base * percent / 100) <= D("0.005")
    assert len({line.line for line in slip.lines}) == len(slip.lines) == 5
