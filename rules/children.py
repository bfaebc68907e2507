"""Dependent children (ref 002, déclaration de ressources: enfants à charge).

The manual asks for "le nombre d'enfants à votre charge âgés de moins de 21 ans", then,
for each child, a birth date and a social-security regime; "en cas d'erreur de saisie
ou d'information incohérente un message d'anomalie détaillé est affiché".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from rules import RuleError, RuleInput, rule

AGE_LIMIT = 21
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def age_on(birth: date, on: date) -> int:
    """Age in whole years on `on` of someone born on `birth`.

    The age goes up on the birthday itself. Someone born on 29 February has their
    birthday on 1 March in common years (28 February is still the day before it).
    Raises ValueError when `on` is before `birth`.
    """
    if on < birth:
        raise ValueError(f"{on.isoformat()} is before the birth date {birth.isoformat()}")
    before_birthday = (on.month, on.day) < (birth.month, birth.day)
    return on.year - birth.year - before_birthday


def _parse_date(value: Any) -> date | None:
    # fromisoformat alone would also accept "20200101" or "2020-W01-1".
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def reference_date(given: RuleInput) -> date:
    """The campaign's reference date when the host gives one, else today.

    A malformed reference date is the host's mistake, not the member's: ValueError.
    """
    campaign = given.context.get("campaign")
    value = campaign.get("reference_date") if isinstance(campaign, Mapping) else None
    if value is None:
        return given.today
    if isinstance(value, date):
        return value
    parsed = _parse_date(value)
    if parsed is None:
        raise ValueError(f"context campaign.reference_date {value!r} is not YYYY-MM-DD")
    return parsed


def _fr(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _en(day: date) -> str:
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _children_fr(count: int) -> str:
    return f"{count} enfant{'s' if count > 1 else ''}"


def _count_error(count: int, entered: int) -> RuleError:
    saisis_fr = f"en avez saisi {entered}" if entered else "n'en avez saisi aucun"
    return RuleError(
        "/count",
        "children_count_mismatch",
        f"Vous avez indiqué {_children_fr(count)} mais {saisis_fr}.",
        f"You said you have {count} child{'ren' if count != 1 else ''} but entered {entered}.",
        {"count": count, "entered": entered},
    )


def _child_errors(index: int, child: Mapping[str, Any], ref: date, today: date) -> list[RuleError]:
    number = index + 1
    name = child.get("first_name")
    named = f" ({name})" if isinstance(name, str) and name.strip() else ""
    who_fr, who_en = f"l'enfant n° {number}{named}", f"child no. {number}{named}"
    path = f"/children/{index}/birth_date"
    params: dict[str, Any] = {"child": number, "first_name": name or ""}
    birth = _parse_date(child.get("birth_date"))
    if birth is None:
        return [
            RuleError(
                path,
                "children_birth_invalid",
                f"La date de naissance de {who_fr} n'est pas une date valide.",
                f"The birth date of {who_en} is not a valid date.",
                params | {"birth_date": child.get("birth_date")},
            )
        ]
    params["birth_date"] = birth.isoformat()
    if birth > today:
        return [
            RuleError(
                path,
                "children_birth_in_future",
                f"La date de naissance de {who_fr}, le {_fr(birth)}, "
                "ne peut pas être dans le futur.",
                f"The birth date of {who_en}, {_en(birth)}, cannot be in the future.",
                params,
            )
        ]
    # A child born after the reference date is not too old; whether it counts is not
    # this rule's business.
    if birth <= ref and (age := age_on(birth, ref)) >= AGE_LIMIT:
        return [
            RuleError(
                path,
                "children_too_old",
                f"L{who_fr[1:]} a {AGE_LIMIT} ans ou plus au {_fr(ref)} : "
                "il ne peut pas être déclaré à charge.",
                f"C{who_en[1:]} is {AGE_LIMIT} or older on {_en(ref)}: "
                "they cannot be declared as a dependant.",
                params | {"age": age, "reference_date": ref.isoformat(), "limit": AGE_LIMIT},
            )
        ]
    return []


@rule("children_under_21")
def children_under_21(given: RuleInput) -> list[RuleError]:
    """Dependent children under 21 (ref 002, déclaration de ressources: enfants à charge).

    Step data: {"count": int, "children": [{"first_name", "birth_date", "regime"}, ...]}.
    The count equals the number of children entered; each birth date is a valid
    YYYY-MM-DD date, not after today; each child is under 21 on the reference date
    (context["campaign"]["reference_date"], else today).
    """
    children = list(given.data.get("children") or [])
    ref = reference_date(given)
    errors: list[RuleError] = []
    count = given.data.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count != len(children):
        errors.append(_count_error(count, len(children)))
    for index, child in enumerate(children):
        if isinstance(child, Mapping):
            errors.extend(_child_errors(index, child, ref, given.today))
    return errors
