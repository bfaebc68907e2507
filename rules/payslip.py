"""Payslip calculation from gross amounts (ref 004, "Bulletins de salaire").

The manual: "Attention vous devez renseigner le montant horaire brut et le nombre d'heures
effectuées dans la période, y compris congés payés et préavis. Remplissez éventuellement les
autres éléments de rémunération en cliquant sur Afficher plus d'éléments."

The rates and ceilings are data: the entries of ``catalogues/contribution_rates.yaml`` (see
docs/payslip.md), passed in by the caller. A payslip applies the entries in force on the first
day of its period.

Arithmetic is Decimal throughout, never float. Rounding (documented in docs/payslip.md):

* the basic pay, hourly rate × hours, is rounded to the cent, half up (ROUND_HALF_UP);
* each other element of pay is an amount in cents (more decimals are refused);
* gross = basic pay + the other elements (a sum of cents: exact);
* each line's base is the part of the gross between its floor and its ceiling: no rounding
  (it is already in cents, and bases are never rounded before being multiplied);
* each employee and employer amount, base × rate / 100, is rounded to the cent, half up, line
  by line; the totals add the rounded amounts;
* net = gross − total employee contributions (so net + employee contributions = gross exactly).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from rules.periods import first_day, last_day, parse_period

__all__ = [
    "CENT",
    "ContributionLine",
    "Extra",
    "Payslip",
    "check_rates",
    "compute_payslip",
    "line_base",
    "rates_in_force",
    "round_cents",
]

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round_cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to the cent, half up: 0.005 → 0.01, 0.0049 → 0.00, −0.005 → −0.01."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Extra:
    """Another element of pay (bonus, overtime, benefit in kind...); negative for a deduction
    from gross pay (an unpaid absence)."""

    label: str
    amount: Decimal  # euros, in cents


@dataclass(frozen=True)
class ContributionLine:
    """One contribution line of a payslip."""

    line: str  # the catalogue's ``line`` (car, ccss...)
    code: str  # the catalogue entry applied (car_2026)
    fr: str  # the entry's title
    en: str
    base: Decimal  # the part of gross pay the rates apply to
    floor: Decimal  # 0 when the entry has none
    ceiling: Decimal | None
    employee_rate: Decimal  # percent
    employer_rate: Decimal  # percent
    employee: Decimal  # base × employee_rate / 100, rounded to the cent
    employer: Decimal


@dataclass(frozen=True)
class Payslip:
    """A computed payslip: every amount in euros, to the cent."""

    period: str  # YYYY-MM
    hourly_rate: Decimal
    hours: Decimal
    basic: Decimal  # hourly_rate × hours, rounded
    extras: tuple[Extra, ...]
    gross: Decimal  # basic + extras
    lines: tuple[ContributionLine, ...]
    employee_total: Decimal  # the sum of the lines' employee amounts
    employer_total: Decimal
    net: Decimal  # gross − employee_total
    employer_cost: Decimal  # gross + employer_total


def _decimal(value: Any, what: str) -> Decimal:
    """A Decimal from a Decimal, an int or a decimal text; floats are refused (not money)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, an int or a text, not {value!r}")
    try:
        found = value if isinstance(value, Decimal) else Decimal(str(value)) \
            if isinstance(value, int | str) else None
    except InvalidOperation:
        found = None
    if found is None or not found.is_finite():
        raise ValueError(f"{what} {value!r} is not a decimal number")
    return found


def _date(value: Any, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{what} {value!r} is not YYYY-MM-DD") from None


def _validity(entry: Mapping[str, Any]) -> tuple[date, date]:
    code = entry.get("code")
    start = _date(entry.get("valid_from"), f"entry {code}: valid_from")
    end = entry.get("valid_to")
    return start, (date.max if end is None else _date(end, f"entry {code}: valid_to"))


def check_rates(rates: Iterable[Mapping[str, Any]]) -> list[str]:
    """What is wrong with a table of rates beyond its catalogue schema, in English (the
    analysts' checker has already said the rest): an entry that starts after its end, a
    ``valid_to`` that is not the last day of a month, a floor not below the ceiling, entries of
    one line in force at the same time."""
    problems: list[str] = []
    spans: dict[str, list[tuple[date, date, str]]] = {}
    for entry in rates:
        code = str(entry.get("code"))
        try:
            start, end = _validity(entry)
            floor = _decimal(entry.get("floor", 0), f"entry {code}: floor")
            ceiling = entry.get("ceiling")
            if ceiling is not None and _decimal(ceiling, f"entry {code}: ceiling") <= floor:
                problems.append(f"entry {code}: its floor is not below its ceiling")
            for name in ("employee_rate", "employer_rate"):
                _decimal(entry.get(name), f"entry {code}: {name}")
        except (TypeError, ValueError) as error:
            problems.append(str(error))
            continue
        if end < start:
            problems.append(f"entry {code}: valid_to {end} is before valid_from {start}")
        if end != date.max and end != last_day(f"{end.year:04d}-{end.month:02d}"):
            problems.append(f"entry {code}: valid_to {end} is not the last day of a month")
        spans.setdefault(str(entry.get("line")), []).append((start, end, code))
    for line, found in spans.items():
        found.sort()
        for (_, end, before), (start, _, after) in zip(found, found[1:], strict=False):
            if start <= end:
                problems.append(f"line {line}: entries {before} and {after} are both in force "
                                f"on {start}")
    return problems


def rates_in_force(rates: Iterable[Mapping[str, Any]], period: str) -> list[Mapping[str, Any]]:
    """The entries in force on the first day of ``period``, in the table's order.

    ValueError when two entries of one line are (the table overlaps: :func:`check_rates`).
    """
    day = first_day(period)
    found: dict[str, Mapping[str, Any]] = {}
    for entry in rates:
        start, end = _validity(entry)
        if start <= day <= end:
            line = str(entry.get("line"))
            if line in found:
                raise ValueError(f"line {line}: entries {found[line].get('code')} and "
                                 f"{entry.get('code')} are both in force in {period}")
            found[line] = entry
    return list(found.values())


def line_base(gross: Decimal, floor: Decimal, ceiling: Decimal | None) -> Decimal:
    """The part of ``gross`` between ``floor`` and ``ceiling`` (no ceiling: all above the floor).

    3 000 with floor 0 and ceiling 6 200 → 3 000; 7 000 → 6 200; tranche 2 (4 005 to 32 040) of
    5 000 → 995; of 3 000 → 0.
    """
    top = gross if ceiling is None else min(gross, ceiling)
    return max(top - floor, Decimal("0.00"))


def _line(entry: Mapping[str, Any], gross: Decimal) -> ContributionLine:
    code = str(entry.get("code"))
    floor = _decimal(entry.get("floor", "0.00"), f"entry {code}: floor")
    raw_ceiling = entry.get("ceiling")
    ceiling = None if raw_ceiling is None else _decimal(raw_ceiling, f"entry {code}: ceiling")
    employee_rate = _decimal(entry.get("employee_rate"), f"entry {code}: employee_rate")
    employer_rate = _decimal(entry.get("employer_rate"), f"entry {code}: employer_rate")
    base = line_base(gross, floor, ceiling)
    title = entry.get("title") or {}
    return ContributionLine(
        line=str(entry.get("line")), code=code, fr=str(title.get("fr", code)),
        en=str(title.get("en", code)), base=base, floor=floor, ceiling=ceiling,
        employee_rate=employee_rate, employer_rate=employer_rate,
        employee=round_cents(base * employee_rate / HUNDRED),
        employer=round_cents(base * employer_rate / HUNDRED))


def _extra(item: Mapping[str, Any] | Extra, index: int) -> Extra:
    label: Any = item.label if isinstance(item, Extra) else item.get("label")
    value: Any = item.amount if isinstance(item, Extra) else item.get("amount")
    amount = _decimal(value, f"extra {index}: amount")
    if amount != amount.quantize(CENT):
        raise ValueError(f"extra {index}: amount {value!r} has more than two decimals")
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"extra {index}: a label is required")
    return Extra(label.strip(), amount.quantize(CENT))


def compute_payslip(rates: Iterable[Mapping[str, Any]], period: str, hourly_rate: Decimal,
                    hours: Decimal,
                    extras: Sequence[Mapping[str, Any] | Extra] = ()) -> Payslip:
    """The payslip of one employee for ``period`` (``YYYY-MM``).

    ``rates``: the entries of the contribution-rates catalogue (those in force on the period's
    first day apply). ``hourly_rate`` and ``hours`` (paid leave and notice included) are not
    negative; ``extras`` are ``{label, amount}`` (amount in cents, may be negative, a Decimal or
    a text). Gross pay may not be negative. Rounding: see the module's docstring. Raises
    ValueError (TypeError for a float) on bad input, or when no rate is in force.
    """
    if parse_period(period) is None:
        raise ValueError(f"period {period!r} is not YYYY-MM")
    rate, worked = _decimal(hourly_rate, "hourly_rate"), _decimal(hours, "hours")
    if rate < 0 or worked < 0:
        raise ValueError("the hourly rate and the hours cannot be negative")
    items = tuple(_extra(item, i) for i, item in enumerate(extras))
    basic = round_cents(rate * worked)
    gross = basic + sum((e.amount for e in items), Decimal("0.00"))
    if gross < 0:
        raise ValueError(f"gross pay {gross} is negative")
    entries = rates_in_force(rates, period)
    if not entries:
        raise ValueError(f"no contribution rate is in force in {period}")
    lines = tuple(_line(entry, gross) for entry in entries)
    employee = sum((line.employee for line in lines), Decimal("0.00"))
    employer = sum((line.employer for line in lines), Decimal("0.00"))
    return Payslip(period=period, hourly_rate=rate, hours=worked, basic=basic, extras=items,
                   gross=gross, lines=lines, employee_total=employee, employer_total=employer,
                   net=gross - employee, employer_cost=gross + employer)
