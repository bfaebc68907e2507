"""Declaration periods of the wage declaration (ref 004, "Déclarations de salaires").

The manual: "A compter du 20 de chaque mois vous pouvez procéder à la saisie des éléments de
rémunération des salariés de vos clients pour le mois en question." and "Par défaut la période de
déclaration proposée est celle en cours. Vous pouvez choisir une période antérieure à condition de
ne pas avoir effectué de déclaration sur cette période. Si vous voulez modifier une déclaration
déjà effectuée, contactez le Service Recouvrement."

Our reading: a period is a calendar month, written ``YYYY-MM``. The declaration of a month opens
on its 20th and stays open afterwards. So the **current period** on a given day is that day's
month from the 20th on, and the previous month before the 20th (on 19 November 2026 it is
October 2026; on 20 November 2026, November 2026). A period is **in the future** while its
declaration has not opened yet (November 2026 before 20 November 2026). Earlier periods stay
declarable as long as none was declared for them.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from rules import RuleError, RuleInput, rule
from rules.choices import Choice, ChoiceInput, choice_list

__all__ = [
    "ALREADY_DECLARED_EN",
    "ALREADY_DECLARED_FR",
    "BACK",
    "OPENING_DAY",
    "current_period",
    "declarable_periods",
    "first_day",
    "last_day",
    "opening_date",
    "parse_period",
    "period_label",
    "shift",
]

OPENING_DAY = 20  # the declaration of a month opens on its 20th
BACK = 24  # how many periods the choice list offers (the current one included)
ALREADY_DECLARED_FR = ("Une déclaration a déjà été effectuée pour cette période. "
                       "Pour la modifier, contactez le Service Recouvrement.")
ALREADY_DECLARED_EN = ("A declaration has already been made for this period. "
                       "To change it, contact the Service Recouvrement.")

_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def parse_period(value: Any) -> tuple[int, int] | None:
    """``(year, month)`` of a ``YYYY-MM`` text (year 1-9999, month 01-12), else None."""
    if not isinstance(value, str) or not (found := _PERIOD.fullmatch(value)):
        return None
    year, month = int(found.group(1)), int(found.group(2))
    return (year, month) if year >= 1 and 1 <= month <= 12 else None


def _text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _strict(period: str) -> tuple[int, int]:
    parsed = parse_period(period)
    if parsed is None:
        raise ValueError(f"period {period!r} is not YYYY-MM")
    return parsed


def shift(period: str, months: int) -> str:
    """The period ``months`` months after ``period`` (before it when negative).

    ``shift("2026-01", -1) == "2025-12"``. ValueError on a malformed period or outside years
    1-9999.
    """
    year, month = _strict(period)
    carry, index = divmod(month - 1 + months, 12)
    if not 1 <= year + carry <= 9999:
        raise ValueError(f"{months} months from {period} is outside years 1-9999")
    return _text(year + carry, index + 1)


def first_day(period: str) -> date:
    """The first day of the period's month."""
    year, month = _strict(period)
    return date(year, month, 1)


def last_day(period: str) -> date:
    """The last day of the period's month."""
    year, month = _strict(period)
    return date(year, month, monthrange(year, month)[1])


def opening_date(period: str) -> date:
    """The day the declaration of ``period`` opens: the 20th of its month."""
    year, month = _strict(period)
    return date(year, month, OPENING_DAY)


def current_period(today: date) -> str:
    """The period declared by default on ``today``: today's month from the 20th on, else the
    previous month ("A compter du 20 de chaque mois ... pour le mois en question").

    19 November 2026 → ``2026-10``; 20 November 2026 → ``2026-11``; 5 January 2026 → ``2025-12``.
    """
    if today.day >= OPENING_DAY:
        return _text(today.year, today.month)
    if today.month == 1:
        return _text(today.year - 1, 12)
    return _text(today.year, today.month - 1)


def declarable_periods(today: date, declared: Iterable[str], first: str | None = None,
                       back: int = BACK) -> list[str]:
    """The periods an employer may declare on ``today``, the current one first then earlier
    ones, most recent first.

    At most ``back`` periods are looked at: the current period and the ``back - 1`` before it
    (the manual keeps 24 months of history). A period is left out when it was declared (it is
    in ``declared``), or it is before ``first`` (the employer's first period, ``YYYY-MM``, when
    known). Periods in the future are never offered. Malformed texts in ``declared`` are
    ignored; a malformed ``first`` is a ValueError (the host's mistake).
    """
    done = {p for p in declared if parse_period(p) is not None}
    floor = _strict(first) if first is not None else (1, 1)
    found: list[str] = []
    period = current_period(today)
    for _ in range(max(back, 0)):
        if _strict(period) < floor:
            break
        if period not in done:
            found.append(period)
        if period == "0001-01":
            break
        period = shift(period, -1)
    return found


def period_label(period: str) -> tuple[str, str]:
    """``("novembre 2026", "November 2026")`` for ``2026-11``."""
    year, month = _strict(period)
    return f"{_MONTHS_FR[month - 1]} {year}", f"{_MONTHS_EN[month - 1]} {year}"


def _date_fr(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _date_en(day: date) -> str:
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _periods_param(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        return []
    return [p for p in value if isinstance(p, str)]


def _first_param(value: Any) -> str | None:
    return value if parse_period(value) is not None else None


@choice_list("declarable_periods")
def declarable_periods_choices(given: ChoiceInput) -> list[Choice]:
    """The periods an employer may declare (ref 004, "Déclarations de salaires"): the current
    period first (a month's declaration opens on its 20th: before the 20th the current period is
    the previous month), then, among the 23 months before it, those never declared; none before
    the employer's first period, none in the future.

    Parameters: ``declared`` (the periods already declared, a list of ``YYYY-MM``) and ``first``
    (optional: the employer's first period, ``YYYY-MM``; a missing or malformed one sets no
    limit). Value ``2026-11``, labels "novembre 2026" / "November 2026".
    """
    periods = declarable_periods(given.today, _periods_param(given.params.get("declared")),
                                 _first_param(given.params.get("first")))
    return [Choice(p, *period_label(p)) for p in periods]


def _client(given: RuleInput) -> Mapping[str, Any]:
    client = given.context.get("client")
    return client if isinstance(client, Mapping) else {}


@rule("period_declarable")
def period_declarable(given: RuleInput) -> list[RuleError]:
    """The chosen declaration period is open and was never declared (ref 004, "Déclarations de
    salaires": "Vous pouvez choisir une période antérieure à condition de ne pas avoir effectué
    de déclaration sur cette période").

    Step data: {"period": "YYYY-MM"}. Context (optional): ``client.declared_periods`` (list of
    ``YYYY-MM``) and ``client.first_period`` (``YYYY-MM``). Refused: a malformed period
    (``period_invalid``); a period whose declaration has not opened yet, before the 20th of its
    month (``period_in_future``); one before the employer's first period
    (``period_before_first``); one already declared (``period_already_declared``, with the
    manual's message: contact the Service Recouvrement). Without a ``client`` context nothing is
    known to be declared.
    """
    value = given.data.get("period")
    parsed = parse_period(value)
    if parsed is None:
        return [RuleError("/period", "period_invalid",
                          "Choisissez une période de déclaration (mois et année).",
                          "Choose a declaration period (month and year).",
                          {"period": value})]
    period = _text(*parsed)
    fr, en = period_label(period)
    client = _client(given)
    if _strict(period) > _strict(current_period(given.today)):
        opens = opening_date(period)
        return [RuleError("/period", "period_in_future",
                          f"La déclaration de {fr} ne sera possible qu'à partir du "
                          f"{_date_fr(opens)}.",
                          f"The declaration for {en} opens only on {_date_en(opens)}.",
                          {"period": period, "opens": opens.isoformat()})]
    first = _first_param(client.get("first_period"))
    if first is not None and period < first:
        first_fr, first_en = period_label(first)
        return [RuleError("/period", "period_before_first",
                          f"La première période à déclarer pour ce client est {first_fr} : "
                          f"{fr} ne peut pas être déclaré.",
                          f"The first period to declare for this client is {first_en}: "
                          f"{en} cannot be declared.",
                          {"period": period, "first": first})]
    if period in _periods_param(client.get("declared_periods")):
        return [RuleError("/period", "period_already_declared", ALREADY_DECLARED_FR,
                          ALREADY_DECLARED_EN, {"period": period})]
    return []
