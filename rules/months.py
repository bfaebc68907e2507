"""Months covered by income (ref 002, déclaration de ressources: nombre de mois).

The manual (ref 002, "Les revenus du foyer"):

* "Tout mois commencé doit être déclaré comme mois complet, ainsi pour une période
  d'activité de 1 mois et 10 jours, il convient de sélectionner le nombre 2."
* "le nombre total de mois ne peut être supérieur à 12, il faut en effet considérer que
  les périodes donnant lieu à rémunération peuvent se chevaucher" (basic and
  complementary pension all year: 12, not 24).
* Someone who retired during the year, with two successive kinds of income, adds the
  months of the two periods (5 + 7 = 12).
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from datetime import date
from typing import Any

from rules import RuleError, RuleInput, rule

MAX_MONTHS = 12


def _anniversary(start: date, months: int) -> tuple[int, int, int]:
    """(year, month, day) on which the `months`-th month after `start` begins.

    Where that day does not exist (31 January + 1 month), the month begins on the 1st of
    the next one: a month started on 31 January runs to the end of February. A tuple
    rather than a date so that it never overflows `date.max`.
    """
    carry, index = divmod(start.month - 1 + months, 12)
    year, month = start.year + carry, index + 1
    if start.day <= monthrange(year, month)[1]:
        return (year, month, start.day)
    carry, index = divmod(month, 12)
    return (year + carry, index + 1, 1)


def months_in_period(start: date, end: date) -> int:
    """Number of months the period from `start` to `end` (both included) covers.

    A month runs from a day to the day before the same day of the next month (1 Jan to
    31 Jan, 15 Jan to 14 Feb); where that day does not exist, to the end of the shorter
    month (31 Jan to 28 Feb). Any started month counts as a whole one (ref 002). So:

    * 1 Jan - 31 Jan = 1; 1 Jan - 1 Jan = 1 (a single day starts a month);
    * 1 Jan - 10 Feb = 2 (1 month and 10 days);
    * 15 Jan - 14 Feb = 1 (exactly one month); 15 Jan - 15 Feb = 2 (1 month and 1 day);
    * 1 Jan - 31 Dec = 12.

    Raises ValueError when `end` is before `start`.
    """
    if end < start:
        raise ValueError(f"period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    # The answer is `whole` or `whole + 1`: the anniversary `whole` months on is in
    # end's month (or the 1st of the next one), the one before is always <= end.
    whole = (end.year - start.year) * 12 + end.month - start.month
    if _anniversary(start, whole) <= (end.year, end.month, end.day):
        return whole + 1
    return whole


def _as_int(value: Any) -> int | None:
    # bool is an int subclass, but True months is an input error, not 1.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _line_errors(lines: list[Any]) -> tuple[list[RuleError], list[int]]:
    """Errors on each line's months, and the months of the valid lines."""
    errors: list[RuleError] = []
    valid: list[int] = []
    for index, line in enumerate(lines):
        months = _as_int(line.get("months")) if isinstance(line, Mapping) else None
        if months is not None and 1 <= months <= MAX_MONTHS:
            valid.append(months)
            continue
        given_fr = f" (vous avez indiqué {months})" if months is not None else ""
        given_en = f" (you entered {months})" if months is not None else ""
        errors.append(
            RuleError(
                path=f"/incomes/{index}/months",
                code="months_line_range",
                fr=f"Le nombre de mois doit être compris entre 1 et 12{given_fr}.",
                en=f"The number of months must be between 1 and 12{given_en}.",
                params={"line": index + 1, "months": months, "min": 1, "max": MAX_MONTHS},
            )
        )
    return errors, valid


def _total_errors(total: int, valid: list[int]) -> list[RuleError]:
    """Checks of the total against 12 and against the lines (periods may overlap)."""
    errors: list[RuleError] = []
    path = "/total_months"
    if total > MAX_MONTHS:
        errors.append(
            RuleError(
                path,
                "months_total_max",
                f"Le nombre total de mois ({total}) ne peut pas dépasser 12 : "
                "les périodes qui se chevauchent ne comptent qu'une fois.",
                f"The total number of months ({total}) cannot exceed 12: "
                "overlapping periods count only once.",
                {"total": total, "max": MAX_MONTHS},
            )
        )
    if not valid:
        return errors
    longest, added = max(valid), sum(valid)
    if total < longest:
        errors.append(
            RuleError(
                path,
                "months_total_below_longest",
                f"Le nombre total de mois ({total}) ne peut pas être inférieur à celui "
                f"de votre revenu le plus long ({longest} mois).",
                f"The total number of months ({total}) cannot be less than that of "
                f"your longest income ({longest} months).",
                {"total": total, "longest": longest},
            )
        )
    if total > added:
        errors.append(
            RuleError(
                path,
                "months_total_above_sum",
                f"Le nombre total de mois ({total}) ne peut pas dépasser la somme des mois "
                f"de vos revenus ({added}).",
                f"The total number of months ({total}) cannot exceed the sum of the months "
                f"of your incomes ({added}).",
                {"total": total, "sum": added},
            )
        )
    return errors


@rule("income_months")
def income_months(given: RuleInput) -> list[RuleError]:
    """Months of each income line and their total (ref 002, déclaration de ressources:
    nombre de mois).

    Step data: {"incomes": [{"category", "amount", "months"}, ...], "total_months"}.
    Each line covers 1 to 12 months. With lines, the total is required and lies between
    the longest line and min(12, sum of the lines): periods can overlap (pensions all
    year = 12, not 24) or follow each other (retired mid-year: 5 + 7 = 12). Without
    lines, the total is absent or 0. Amounts are not examined here.
    """
    lines = given.data.get("incomes") or []
    total = _as_int(given.data.get("total_months"))
    if not lines:
        if total in (None, 0):
            return []
        return [
            RuleError(
                "/total_months",
                "months_total_without_income",
                f"Vous n'avez déclaré aucun revenu : le nombre total de mois doit être 0 "
                f"(vous avez indiqué {total}).",
                f"You have declared no income: the total number of months must be 0 "
                f"(you entered {total}).",
                {"total": total},
            )
        ]
    errors, valid = _line_errors(list(lines))
    if total is None:
        errors.append(
            RuleError(
                "/total_months",
                "months_total_required",
                "Indiquez le nombre total de mois couverts par vos revenus "
                "(de 1 à 12 ; les périodes qui se chevauchent ne comptent qu'une fois).",
                "Enter the total number of months covered by your incomes "
                "(1 to 12; overlapping periods count only once).",
            )
        )
        return errors
    return errors + _total_errors(total, valid)
