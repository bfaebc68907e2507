"""The lines of a wage declaration (ref 004, "Déclarations de salaires").

The manual: "La déclaration est pré-remplie avec la liste des salariés de l'effectif connu.
Renseignez le montant total brut, le total des heures et éventuellement les événements survenus
dans la période", "Vous pouvez ajouter un salarié ... Saisissez alors son nom complet et sa date
de naissance", and for the events:

* "Pour un salarié embauché dans la période, choisissez « Début de contrat de travail » et
  renseignez la date de début." (``contract_start``: a start date, no end date)
* "Pour un salarié licencié dans la période, choisissez « Fin du contrat de travail » et
  renseignez la date de fin." (``contract_end``: an end date, no start date)
* "Les autres événements doivent être complétés par une date de début et une date de fin."
  (``sick_leave``, ``maternity``, ``unpaid_leave``, ``work_accident``...: both dates)
* "Vous pouvez indiquer plusieurs événements pour un salarié."

"Survenus dans la période": every event date lies inside the declared month. A contract can only
end for an employee of the known workforce (one added to the declaration has none to end).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from rules import RuleError, RuleInput, rule
from rules.periods import first_day, last_day, parse_period, period_label

__all__ = ["CONTRACT_END", "CONTRACT_START", "Totals", "parse_amount", "parse_hours", "totals"]

CONTRACT_START = "contract_start"
CONTRACT_END = "contract_end"
MAX_HOURS = Decimal(744)  # 31 days x 24 hours: more cannot be worked in a month

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AMOUNT = re.compile(r"\d{1,12}([.,]\d{1,2})?")
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_KIND_WORDS = {
    CONTRACT_START: ("début de contrat de travail", "contract start"),
    CONTRACT_END: ("fin du contrat de travail", "contract end"),
}


@dataclass(frozen=True)
class Totals:
    """What a declaration adds up to."""

    employees: int
    gross: Decimal  # euros, to the cent
    hours: Decimal


def parse_amount(value: Any) -> Decimal | None:
    """A gross amount: a text of digits with at most 2 decimals after a dot or a comma
    (``"1234.56"``, ``"1234,56"``), not negative; None otherwise. A JSON number is refused too
    (floats are not money)."""
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        return None
    return Decimal(value.replace(",", "."))


def parse_hours(value: Any) -> Decimal | None:
    """Hours: a number (int, float read through its text: 151.67 stays 151.67) or a decimal
    text, from 0 to 744; None otherwise."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float | str):
            hours = Decimal(str(value))
        elif isinstance(value, Decimal):
            hours = value
        else:
            return None
    except InvalidOperation:
        return None
    return hours if hours.is_finite() and 0 <= hours <= MAX_HOURS else None


def totals(lines: Iterable[Mapping[str, Any]]) -> Totals:
    """Number of employees, total gross and total hours of a declaration's lines.

    Sums are exact (Decimal). Raises ValueError on a line whose gross or hours
    :func:`wage_lines` would refuse: run the rule first.
    """
    count, gross, hours = 0, Decimal("0.00"), Decimal(0)
    for index, line in enumerate(lines):
        amount, worked = parse_amount(line.get("gross")), parse_hours(line.get("hours"))
        if amount is None or worked is None:
            raise ValueError(f"line {index}: gross {line.get('gross')!r} or hours "
                             f"{line.get('hours')!r} is not valid")
        count, gross, hours = count + 1, gross + amount, hours + worked
    return Totals(count, gross, hours)


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _fr(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _en(day: date) -> str:
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _who(index: int, employee: Mapping[str, Any]) -> tuple[str, str]:
    names = [employee.get(k) for k in ("first_name", "last_name")]
    shown = " ".join(n.strip() for n in names if isinstance(n, str) and n.strip())
    named = f" ({shown})" if shown else ""
    return f"salarié n° {index + 1}{named}", f"employee no. {index + 1}{named}"


@dataclass(frozen=True)
class _Where:
    """One event being checked: its place, its employee, the period."""

    path: str  # /employees/i/events/j
    who: tuple[str, str]
    params: Mapping[str, Any]
    start: date | None  # the period's first and last days (None: the period is not valid)
    end: date | None


def _date_errors(where: _Where, event: Mapping[str, Any], name: str,
                 wanted: bool) -> tuple[list[RuleError], date | None]:
    """The event's date ``name`` (start or end): present when ``wanted``, else absent; valid;
    inside the period."""
    value = event.get(name)
    path = f"{where.path}/{name}"
    word_fr, word_en = ("de début", "start") if name == "start" else ("de fin", "end")
    who_fr, who_en = where.who
    params = {**where.params, "field": name, "value": value}
    if not wanted:
        if value in (None, ""):
            return [], None
        kind = str(event.get("kind"))
        kind_fr, kind_en = _KIND_WORDS.get(kind, (kind, kind))
        return [RuleError(path, "event_date_not_expected",
                          f"Un événement « {kind_fr} » n'a pas de date {word_fr} ({who_fr}).",
                          f"A “{kind_en}” event has no {word_en} date ({who_en}).", params)], None
    if value in (None, ""):
        return [RuleError(path, "event_date_required",
                          f"Indiquez la date {word_fr} de l'événement ({who_fr}).",
                          f"Enter the {word_en} date of the event ({who_en}).", params)], None
    day = _parse_date(value)
    if day is None:
        return [RuleError(path, "event_date_invalid",
                          f"La date {word_fr} de l'événement n'est pas une date valide "
                          f"({who_fr}).",
                          f"The {word_en} date of the event is not a valid date ({who_en}).",
                          params)], None
    if where.start is not None and where.end is not None \
            and not where.start <= day <= where.end:
        return [RuleError(path, "event_outside_period",
                          f"La date {word_fr} de l'événement, le {_fr(day)}, doit être comprise "
                          f"dans la période déclarée, du {_fr(where.start)} au "
                          f"{_fr(where.end)} ({who_fr}).",
                          f"The {word_en} date of the event, {_en(day)}, must lie within the "
                          f"declared period, {_en(where.start)} to {_en(where.end)} "
                          f"({who_en}).",
                          {**params, "from": where.start.isoformat(),
                           "to": where.end.isoformat()})], day
    return [], day


def _event_errors(where: _Where, event: Mapping[str, Any], known: bool | None) -> list[RuleError]:
    kind = event.get("kind")
    errors: list[RuleError] = []
    start_errors, start = _date_errors(where, event, "start", kind != CONTRACT_END)
    end_errors, end = _date_errors(where, event, "end", kind != CONTRACT_START)
    errors += start_errors + end_errors
    if start is not None and end is not None and end < start:
        errors.append(RuleError(
            f"{where.path}/end", "event_end_before_start",
            f"La date de fin de l'événement, le {_fr(end)}, ne peut pas précéder sa date de "
            f"début, le {_fr(start)} ({where.who[0]}).",
            f"The end date of the event, {_en(end)}, cannot be before its start date, "
            f"{_en(start)} ({where.who[1]}).",
            {**where.params, "start": start.isoformat(), "end": end.isoformat()}))
    if kind == CONTRACT_END and known is False:
        errors.append(RuleError(
            f"{where.path}/kind", "contract_end_not_in_workforce",
            f"Le contrat de travail ne peut prendre fin que pour un salarié de l'effectif connu "
            f"({where.who[0]}).",
            f"A contract can only end for an employee of the known workforce ({where.who[1]}).",
            dict(where.params)))
    return errors


def _employee_errors(index: int, employee: Mapping[str, Any]) -> list[RuleError]:
    path = f"/employees/{index}"
    who_fr, who_en = _who(index, employee)
    params = {"employee": index + 1}
    errors: list[RuleError] = []
    if parse_amount(employee.get("gross")) is None:
        errors.append(RuleError(
            f"{path}/gross", "wage_gross_invalid",
            f"Le montant total brut doit être un montant positif ou nul, en euros avec au plus "
            f"deux décimales ({who_fr}).",
            f"The total gross amount must be zero or more, in euros with at most two decimals "
            f"({who_en}).", {**params, "gross": employee.get("gross")}))
    if parse_hours(employee.get("hours")) is None:
        errors.append(RuleError(
            f"{path}/hours", "wage_hours_invalid",
            f"Le total des heures doit être compris entre 0 et {MAX_HOURS} ({who_fr}).",
            f"The total hours must be between 0 and {MAX_HOURS} ({who_en}).",
            {**params, "hours": employee.get("hours"), "max": int(MAX_HOURS)}))
    if employee.get("employee_id") in (None, ""):
        errors.extend(_added_employee_errors(path, employee, who_fr, who_en, params))
    return errors


def _added_employee_errors(path: str, employee: Mapping[str, Any], who_fr: str, who_en: str,
                           params: Mapping[str, Any]) -> list[RuleError]:
    """An employee added to the declaration: "son nom complet et sa date de naissance"."""
    errors: list[RuleError] = []
    for name, fr, en in (("last_name", "le nom", "the last name"),
                         ("first_name", "le prénom", "the first name")):
        value = employee.get(name)
        if not isinstance(value, str) or not value.strip():
            errors.append(RuleError(f"{path}/{name}", "employee_name_required",
                                    f"Indiquez {fr} du salarié ajouté ({who_fr}).",
                                    f"Enter {en} of the added employee ({who_en}).",
                                    {**params, "field": name}))
    if _parse_date(employee.get("birth_date")) is None:
        errors.append(RuleError(f"{path}/birth_date", "employee_birth_invalid",
                                f"Indiquez la date de naissance du salarié ajouté ({who_fr}).",
                                f"Enter the birth date of the added employee ({who_en}).",
                                {**params, "birth_date": employee.get("birth_date")}))
    return errors


def _workforce(given: RuleInput) -> set[str] | None:
    """The ids of the known workforce, as texts; None when the host does not give it."""
    client = given.context.get("client")
    ids = client.get("workforce_ids") if isinstance(client, Mapping) else None
    if ids is None or isinstance(ids, str) or not isinstance(ids, Iterable):
        return None
    return {str(i) for i in ids}


def _duplicate_error(index: int, first: int, employee_id: str) -> RuleError:
    return RuleError(f"/employees/{index}/employee_id", "employee_duplicate",
                     f"Le salarié n° {index + 1} est déjà déclaré sur la ligne n° {first + 1}.",
                     f"Employee no. {index + 1} is already declared on line no. {first + 1}.",
                     {"employee": index + 1, "first": first + 1, "employee_id": employee_id})


@rule("wage_lines")
def wage_lines(given: RuleInput) -> list[RuleError]:
    """The employees' lines of a wage declaration (ref 004, "Déclarations de salaires").

    Parameter ``period`` (``YYYY-MM``: ``rules: [{name: wage_lines, with: {period:
    answers.period.period}}]``; else the step data's own ``period``). Step data:
    {"employees": [{"employee_id", "last_name", "first_name",
    "birth_date", "gross": "1234.56", "hours", "events": [{"kind", "start", "end"}]}]}. Each
    line: gross a text with at most two decimals, 0 or more (``wage_gross_invalid``); hours from
    0 to 744 (``wage_hours_invalid``); an employee added to the declaration (no
    ``employee_id``) has a last name, a first name and a birth date; an employee appears once
    (``employee_duplicate``). Each event: ``contract_start`` has exactly a start date,
    ``contract_end`` exactly an end date, any other kind both (``event_date_required``,
    ``event_date_not_expected``, ``event_date_invalid``); every date lies inside the declared
    month (``event_outside_period``); an end is not before the start
    (``event_end_before_start``); a contract ends only for an employee of the known workforce,
    context ``client.workforce_ids`` (``contract_end_not_in_workforce``; not checked when the
    host gives no workforce). Errors are located at ``/employees/{i}/events/{j}/{field}``.
    """
    parsed = parse_period(given.params.get("period", given.data.get("period")))
    start = end = None
    params_period: dict[str, Any] = {}
    if parsed is not None:
        period = f"{parsed[0]:04d}-{parsed[1]:02d}"
        start, end = first_day(period), last_day(period)
        params_period = {"period": period, "period_fr": period_label(period)[0],
                         "period_en": period_label(period)[1]}
    workforce = _workforce(given)
    errors: list[RuleError] = []
    seen: dict[str, int] = {}
    for index, employee in enumerate(given.data.get("employees") or []):
        if not isinstance(employee, Mapping):
            continue
        errors.extend(_employee_errors(index, employee))
        employee_id = employee.get("employee_id")
        key = None if employee_id in (None, "") else str(employee_id)
        if key is not None and key in seen:
            errors.append(_duplicate_error(index, seen[key], key))
        elif key is not None:
            seen[key] = index
        known = None if workforce is None else key is not None and key in workforce
        for number, event in enumerate(employee.get("events") or []):
            if isinstance(event, Mapping):
                where = _Where(f"/employees/{index}/events/{number}", _who(index, employee),
                               {**params_period, "employee": index + 1, "event": number + 1},
                               start, end)
                errors.extend(_event_errors(where, event, known))
    return errors
