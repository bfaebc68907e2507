"""wage_lines and totals: the events of a wage declaration (ref 004, "Déclarations de salaires")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from rules import RuleInput, get_rule
from rules.wages import Totals, parse_amount, parse_hours, totals

TODAY = date(2026, 11, 23)
CLIENT = {"client": {"workforce_ids": ["E1", "E2", 3]}}


def employee(*events: dict[str, Any], employee_id: Any = "E1", **more: Any) -> dict[str, Any]:
    return {"employee_id": employee_id, "gross": "2500.00", "hours": 151.67,
            "events": list(events), **more}


def check(*employees: dict[str, Any], period: Any = "2026-11",
          context: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    data = {"period": period, "employees": list(employees)}
    errors = get_rule("wage_lines")(RuleInput(data, {}, CLIENT if context is None else context,
                                              TODAY))
    assert all(e.fr and e.en for e in errors)
    return [(e.path, e.code) for e in errors]


E = "/employees/0/events/0"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param({"kind": "contract_start", "start": "2026-11-03"}, [], id="hired"),
        pytest.param({"kind": "contract_end", "end": "2026-11-30"}, [], id="left"),
        pytest.param({"kind": "sick_leave", "start": "2026-11-02", "end": "2026-11-06"}, [],
                     id="sick leave"),
        pytest.param({"kind": "maternity", "start": "2026-11-01", "end": "2026-11-01"}, [],
                     id="one day: end = start"),
        pytest.param({"kind": "sick_leave", "start": "2026-11-06", "end": "2026-11-02"},
                     [(f"{E}/end", "event_end_before_start")], id="end before start"),
        pytest.param({"kind": "sick_leave", "start": "2026-10-30", "end": "2026-11-02"},
                     [(f"{E}/start", "event_outside_period")], id="starts before the period"),
        pytest.param({"kind": "unpaid_leave", "start": "2026-11-28", "end": "2026-12-01"},
                     [(f"{E}/end", "event_outside_period")], id="ends after the period"),
        pytest.param({"kind": "contract_start", "start": "2026-12-01"},
                     [(f"{E}/start", "event_outside_period")], id="hired next month"),
        pytest.param({"kind": "contract_end", "end": "2026-10-31"},
                     [(f"{E}/end", "event_outside_period")], id="left last month"),
        pytest.param({"kind": "contract_start"}, [(f"{E}/start", "event_date_required")],
                     id="hired without a date"),
        pytest.param({"kind": "contract_end", "end": ""}, [(f"{E}/end", "event_date_required")],
                     id="left without a date"),
        pytest.param({"kind": "contract_start", "start": "2026-11-03", "end": "2026-11-30"},
                     [(f"{E}/end", "event_date_not_expected")], id="hired with an end date"),
        pytest.param({"kind": "contract_end", "start": "2026-11-01", "end": "2026-11-30"},
                     [(f"{E}/start", "event_date_not_expected")], id="left with a start date"),
        pytest.param({"kind": "work_accident", "start": "2026-11-02"},
                     [(f"{E}/end", "event_date_required")], id="other event without end"),
        pytest.param({"kind": "work_accident", "end": "2026-11-02"},
                     [(f"{E}/start", "event_date_required")], id="other event without start"),
        pytest.param({"kind": "sick_leave", "start": "2026-11-31", "end": "02/11/2026"},
                     [(f"{E}/start", "event_date_invalid"), (f"{E}/end", "event_date_invalid")],
                     id="invalid dates"),
    ],
)
def test_events(event: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert check(employee(event)) == expected


@pytest.mark.parametrize(
    ("line", "context", "expected"),
    [
        pytest.param(employee({"kind": "contract_end", "end": "2026-11-15"}, employee_id="E9"),
                     CLIENT, [(f"{E}/kind", "contract_end_not_in_workforce")],
                     id="not in the workforce"),
        pytest.param(employee({"kind": "contract_end", "end": "2026-11-15"}, employee_id=3),
                     CLIENT, [], id="ids compared as texts"),
        pytest.param(employee({"kind": "contract_end", "end": "2026-11-15"}, employee_id=None,
                              last_name="Rossi", first_name="Anna", birth_date="1990-04-02"),
                     CLIENT, [(f"{E}/kind", "contract_end_not_in_workforce")],
                     id="an added employee has no contract to end"),
        pytest.param(employee({"kind": "contract_end", "end": "2026-11-15"}, employee_id="E9"),
                     {"client": {"workforce_ids": []}},
                     [(f"{E}/kind", "contract_end_not_in_workforce")], id="empty workforce"),
        pytest.param(employee({"kind": "contract_end", "end": "2026-11-15"}, employee_id="E9"),
                     {}, [], id="no workforce given: not checked"),
    ],
)
def test_contract_end_and_workforce(line: dict[str, Any], context: dict[str, Any],
                                    expected: list[tuple[str, str]]) -> None:
    assert check(line, context=context) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(employee(gross="-1.00"), [("/employees/0/gross", "wage_gross_invalid")],
                     id="negative gross"),
        pytest.param(employee(gross="12.345"), [("/employees/0/gross", "wage_gross_invalid")],
                     id="three decimals"),
        pytest.param(employee(gross=12.5), [("/employees/0/gross", "wage_gross_invalid")],
                     id="a float is not money"),
        pytest.param(employee(gross="0"), [], id="zero gross"),
        pytest.param(employee(hours=-1), [("/employees/0/hours", "wage_hours_invalid")],
                     id="negative hours"),
        pytest.param(employee(hours=745), [("/employees/0/hours", "wage_hours_invalid")],
                     id="more hours than a month has"),
        pytest.param(employee(hours=True), [("/employees/0/hours", "wage_hours_invalid")],
                     id="a boolean is not hours"),
        pytest.param(employee(employee_id=None),
                     [("/employees/0/last_name", "employee_name_required"),
                      ("/employees/0/first_name", "employee_name_required"),
                      ("/employees/0/birth_date", "employee_birth_invalid")],
                     id="added employee without name nor birth date"),
        pytest.param(employee(employee_id="", last_name="Rossi", first_name="Anna",
                              birth_date="1990-04-02"), [], id="added employee"),
    ],
)
def test_lines(line: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert check(line) == expected


def test_several_employees_and_events_are_located() -> None:
    found = check(
        employee(),
        employee({"kind": "sick_leave", "start": "2026-11-02", "end": "2026-11-03"},
                 {"kind": "sick_leave", "start": "2026-11-20", "end": "2026-11-19"},
                 employee_id="E2"),
        employee(employee_id="E1"),
    )
    assert found == [("/employees/1/events/1/end", "event_end_before_start"),
                     ("/employees/2/employee_id", "employee_duplicate")]


def test_invalid_period_skips_the_period_check_only() -> None:
    line = employee({"kind": "sick_leave", "start": "2030-01-05", "end": "2030-01-02"})
    assert check(line, period="junk") == [(f"{E}/end", "event_end_before_start")]


def test_empty_or_odd_data_is_accepted() -> None:
    rule = get_rule("wage_lines")
    assert rule(RuleInput({}, {}, {}, TODAY)) == []
    odd = rule(RuleInput({"employees": [None, {"events": [None]}]}, {}, {}, TODAY))
    assert {e.path for e in odd} == {"/employees/1/gross", "/employees/1/hours",
                                     "/employees/1/last_name", "/employees/1/first_name",
                                     "/employees/1/birth_date"}


def test_message_names_the_employee_and_the_period() -> None:
    line = employee({"kind": "sick_leave", "start": "2026-10-30", "end": "2026-11-02"},
                    first_name="Anna", last_name="Rossi")
    [error] = get_rule("wage_lines")(RuleInput({"period": "2026-11", "employees": [line]}, {},
                                               CLIENT, TODAY))
    assert error.fr == ("La date de début de l'événement, le 30/10/2026, doit être comprise dans "
                        "la période déclarée, du 01/11/2026 au 30/11/2026 "
                        "(salarié n° 1 (Anna Rossi)).")
    assert error.params["period"] == "2026-11"


def test_totals() -> None:
    lines = [{"gross": "2500.00", "hours": 151.67}, {"gross": "1234.56", "hours": "86.5"},
             {"gross": "0", "hours": 0}]
    # 2500.00 + 1234.56 + 0 = 3734.56; 151.67 + 86.5 + 0 = 238.17 (exact, no float drift)
    assert totals(lines) == Totals(3, Decimal("3734.56"), Decimal("238.17"))
    assert totals([]) == Totals(0, Decimal("0.00"), Decimal(0))
    with pytest.raises(ValueError, match="line 0"):
        totals([{"gross": "x", "hours": 1}])


def test_parsers() -> None:
    assert parse_amount("1234.5") == Decimal("1234.50")
    assert parse_amount("1,5") == Decimal("1.50")  # the decimal comma people type
    assert parse_amount("1,505") is None
    assert parse_amount("1.234,5") is None  # no thousands separator
    assert parse_hours(0.1) == Decimal("0.1")
    assert parse_hours("NaN") is None
    assert parse_hours(None) is None
