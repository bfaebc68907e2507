"""children_under_21 and age_on (ref 002, enfants à charge)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rules import RuleError, RuleInput, age_on, get_rule
from rules.children import children_under_21

TODAY = date(2026, 1, 15)
CAMPAIGN = {"campaign": {"year": 2026, "reference_date": "2026-01-01"}}


def run(data: dict[str, Any], context: dict[str, Any] | None = None) -> list[RuleError]:
    given = RuleInput(
        data=data, answers={}, context=CAMPAIGN if context is None else context, today=TODAY
    )
    return children_under_21(given)


def kids(*births: str, names: tuple[str, ...] = ("Marc", "Léa", "Hugo")) -> dict[str, Any]:
    children = [
        {"first_name": name, "birth_date": birth, "regime": "csm"}
        for name, birth in zip(names, births, strict=False)
    ]
    return {"count": len(children), "children": children}


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        pytest.param(date(2005, 1, 2), date(2026, 1, 1), 20, id="day before 21st birthday = 20"),
        pytest.param(date(2005, 1, 1), date(2026, 1, 1), 21, id="on the 21st birthday = 21"),
        pytest.param(date(2005, 12, 31), date(2026, 1, 1), 20, id="born 31 Dec, new year's day"),
        pytest.param(date(2004, 2, 29), date(2025, 2, 28), 20, id="born 29 Feb: 28 Feb is before"),
        pytest.param(date(2004, 2, 29), date(2025, 3, 1), 21, id="born 29 Feb: 1 Mar common year"),
        pytest.param(date(2004, 2, 29), date(2024, 2, 29), 20, id="born 29 Feb: 29 Feb leap year"),
        pytest.param(date(2004, 2, 29), date(2024, 2, 28), 19, id="born 29 Feb: eve, leap year"),
        pytest.param(date(2026, 1, 15), date(2026, 1, 15), 0, id="born today = 0"),
    ],
)
def test_age_on(birth: date, on: date, expected: int) -> None:
    assert age_on(birth, on) == expected


def test_age_before_birth_is_refused() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(date(2026, 1, 2), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("data", "context", "expected"),
    [
        pytest.param(kids("2010-05-04", "2015-09-30"), None, [], id="two children under 21"),
        pytest.param({"count": 0, "children": []}, None, [], id="no child"),
        pytest.param({"count": 0}, None, [], id="no child, list absent"),
        pytest.param(
            {"count": 2, **{"children": kids("2010-05-04")["children"]}},
            None,
            [("/count", "children_count_mismatch")],
            id="said 2, entered 1",
        ),
        pytest.param(
            kids("2010-05-04", "2005-01-01"),
            None,
            [("/children/1/birth_date", "children_too_old")],
            id="21 on the reference date is too old",
        ),
        pytest.param(
            kids("2005-01-02"), None, [], id="21 the day after the reference date is dependent"
        ),
        pytest.param(
            kids("2005-01-10"),
            {},
            [("/children/0/birth_date", "children_too_old")],
            id="no reference date: age on today",
        ),
        pytest.param(
            kids("2004-02-29"),
            {"campaign": {"reference_date": "2025-02-28"}},
            [],
            id="born 29 Feb 2004 is still 20 on 28 Feb 2025",
        ),
        pytest.param(
            kids("2004-02-29"),
            {"campaign": {"reference_date": "2025-03-01"}},
            [("/children/0/birth_date", "children_too_old")],
            id="born 29 Feb 2004 is 21 on 1 Mar 2025",
        ),
        pytest.param(
            kids("2026-02-01"),
            None,
            [("/children/0/birth_date", "children_birth_in_future")],
            id="born after today",
        ),
        pytest.param(kids("2026-01-15"), None, [], id="born today"),
        pytest.param(kids("2026-01-10"), None, [], id="born between the reference date and today"),
        pytest.param(
            kids("2020-02-30"),
            None,
            [("/children/0/birth_date", "children_birth_invalid")],
            id="30 February",
        ),
        pytest.param(
            kids("01/02/2020", "20200101", ""),
            None,
            [
                ("/children/0/birth_date", "children_birth_invalid"),
                ("/children/1/birth_date", "children_birth_invalid"),
                ("/children/2/birth_date", "children_birth_invalid"),
            ],
            id="not YYYY-MM-DD",
        ),
        pytest.param(
            {"count": 3, "children": kids("1990-01-01", "2030-01-01")["children"]},
            None,
            [
                ("/count", "children_count_mismatch"),
                ("/children/0/birth_date", "children_too_old"),
                ("/children/1/birth_date", "children_birth_in_future"),
            ],
            id="every error at once",
        ),
    ],
)
def test_children_under_21(
    data: dict[str, Any], context: dict[str, Any] | None, expected: list[tuple[str, str]]
) -> None:
    assert [(e.path, e.code) for e in run(data, context)] == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            {"count": 2, "children": kids("2010-05-04")["children"]},
            "Vous avez indiqué 2 enfants mais en avez saisi 1.",
            id="said 2, entered 1",
        ),
        pytest.param(
            {"count": 1, "children": []},
            "Vous avez indiqué 1 enfant mais n'en avez saisi aucun.",
            id="said 1, entered none",
        ),
        pytest.param(
            kids("2010-05-04", "2005-01-01"),
            "L'enfant n° 2 (Léa) a 21 ans ou plus au 01/01/2026 : "
            "il ne peut pas être déclaré à charge.",
            id="too old",
        ),
        pytest.param(
            kids("2005-01-01", names=("",)),
            "L'enfant n° 1 a 21 ans ou plus au 01/01/2026 : il ne peut pas être déclaré à charge.",
            id="too old, no first name",
        ),
        pytest.param(
            kids("2026-02-01"),
            "La date de naissance de l'enfant n° 1 (Marc), le 01/02/2026, "
            "ne peut pas être dans le futur.",
            id="born in the future",
        ),
        pytest.param(
            kids("2020-02-30"),
            "La date de naissance de l'enfant n° 1 (Marc) n'est pas une date valide.",
            id="invalid date",
        ),
    ],
)
def test_message_a_member_reads(data: dict[str, Any], message: str) -> None:
    assert [e.fr for e in run(data)] == [message]


def test_too_old_in_english_with_params() -> None:
    [error] = run(kids("2010-05-04", "2005-01-01"))
    assert error.en == (
        "Child no. 2 (Léa) is 21 or older on 1 January 2026: "
        "they cannot be declared as a dependant."
    )
    assert error.params == {
        "child": 2,
        "first_name": "Léa",
        "birth_date": "2005-01-01",
        "age": 21,
        "reference_date": "2026-01-01",
        "limit": 21,
    }


def test_malformed_reference_date_is_the_hosts_error() -> None:
    with pytest.raises(ValueError, match="reference_date"):
        run(kids("2010-05-04"), {"campaign": {"reference_date": "01/01/2026"}})


def test_reference_date_may_be_a_date() -> None:
    assert run(kids("2005-01-01"), {"campaign": {"reference_date": date(2025, 12, 31)}}) == []


def test_registered_under_its_name() -> None:
    assert get_rule("children_under_21") is children_under_21
