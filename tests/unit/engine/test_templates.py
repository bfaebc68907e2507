"""Message templates: known placeholders filled, anything else left as written."""

from __future__ import annotations

from engine.templates import PLACEHOLDERS, fill, placeholders


def test_known_placeholders_are_filled() -> None:
    assert fill("{procedure} {receipt} : {status}", {
        "procedure": "Déclaration", "receipt": "DR-2026-000001", "status": "Traitée"}) == \
        "Déclaration DR-2026-000001 : Traitée"


def test_unknown_names_and_format_tricks_are_left_as_written() -> None:
    values = {"comment": "ok", "receipt": "R"}
    assert fill("{comment.__class__} {0} {receipt!r} {} {comment}", values) == \
        "{comment.__class__} {0} {receipt!r} {} ok"


def test_a_placeholder_value_is_not_filled_again() -> None:
    assert fill("{comment}", {"comment": "{receipt}", "receipt": "R"}) == "{receipt}"


def test_placeholders_are_listed_in_order() -> None:
    assert list(placeholders("{a} text {receipt}{}")) == ["a", "receipt", ""]
    assert set(PLACEHOLDERS) == {"procedure", "receipt", "status", "comment", "date"}
