"""engine.validation on the real forms: one row per error code, the sentence a member reads in
French and English (the form's own message where it has one), each error once, sorted by path.
SECURITY VAL-01: formats checked, NaN and infinities refused, sizes bounded, unknown keys refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from referencing.exceptions import Unresolvable

from engine.definitions import Workflow
from engine.errors import FieldError
from engine.loading import load_definitions
from engine.validation import build_validator, document_order, field_at, validate_step

MONTHS_RANGE_FR = "Le nombre de mois doit être compris entre 1 et 12"
MONTHS_RANGE_EN = "The number of months must be between 1 and 12"
AMOUNT_FR = ("Le montant doit être un nombre en euros, avec au plus deux décimales "
             "(exemple : 12345,50).")
AMOUNT_EN = "The amount must be a number of euros with at most two decimals (for example 12345.50)."
TERMS_FR = "Vous devez accepter les conditions générales d'utilisation pour continuer."
TERMS_EN = "You must accept the terms of use to continue."
NAN_FR, NAN_EN = "Cette valeur n'est pas un nombre valide.", "This value is not a valid number."


@pytest.fixture(scope="module")
def wf() -> Workflow:
    result = load_definitions(str(Path(__file__).resolve().parents[3]))
    assert result.report.problems == []
    return result.current()["resource_declaration"]


def check(wf: Workflow, form: str, data: Any) -> list[FieldError]:
    found = wf.forms[form]
    return validate_step(found.validator, found.fields, data)


def income(*lines: dict[str, Any], total: Any = 12, **extra: Any) -> dict[str, Any]:
    return {"incomes": list(lines), "total_months": total, **extra}


def line(category: Any = "salary", amount: Any = "1000", months: Any = 12,
         **extra: Any) -> dict[str, Any]:
    return {"category": category, "amount": amount, "months": months, **extra}


def child(first_name: Any = "Léa", birth_date: Any = "2012-03-01", regime: Any = "csm",
          **extra: Any) -> dict[str, Any]:
    return {"first_name": first_name, "birth_date": birth_date, "regime": regime, **extra}


VALID = [
    pytest.param("terms_of_use", {"accepted": True}, id="terms"),
    pytest.param("special_situation", {"code": "none"}, id="situation"),
    pytest.param("household_income", income(line(), line("basic_pension", "0,5", 1)),
                 id="income"),
    pytest.param("household_income", income(total=0), id="no income"),
    pytest.param("household_income", income(line(amount="999999999.99"), total=1), id="largest"),
    pytest.param("observations", {}, id="no remark"),
    pytest.param("observations", {"text": "x" * 2000}, id="longest remark"),
    pytest.param("dependent_children", {"count": 1, "children": [child()]}, id="one child"),
    pytest.param("dependent_children", {"count": 0, "children": []}, id="no child"),
]


@pytest.mark.parametrize(("form", "data"), VALID)
def test_valid_answers_have_no_error(wf: Workflow, form: str, data: Any) -> None:
    assert check(wf, form, data) == []


ROWS = [
    # required: the library's message replaced by the field's label, or the form's own message
    pytest.param("household_income", {"total_months": 0}, "/incomes", "required",
                 "Ce champ est obligatoire : « Revenus perçus ».",
                 "This field is required: “Income received”.", id="required"),
    pytest.param("household_income", income({"category": "salary", "months": 1}, total=1),
                 "/incomes/0/amount", "required",
                 "Ce champ est obligatoire : « Montant annuel (€) ».",
                 "This field is required: “Yearly amount (€)”.", id="required in an item"),
    pytest.param("terms_of_use", {}, "/accepted", "required", TERMS_FR, TERMS_EN,
                 id="required, the form's message"),
    pytest.param("dependent_children", {"count": 1, "children": [child(first_name="")]},
                 "/children/0/first_name", "required",
                 "Ce champ est obligatoire : « Prénom ».",
                 "This field is required: “First name”.", id="minLength 1 reads as required"),
    # type
    pytest.param("household_income", income(total="12"), "/total_months", "type",
                 "« Nombre total de mois de revenus » doit être un nombre entier.",
                 "“Total number of months with income” must be a whole number.", id="type integer"),
    pytest.param("household_income", income(line(amount=1000)), "/incomes/0/amount", "type",
                 "« Montant annuel (€) » doit être un texte.",
                 "“Yearly amount (€)” must be a text.", id="type string"),
    pytest.param("household_income", income(total=True), "/total_months", "type",
                 "« Nombre total de mois de revenus » doit être un nombre entier.",
                 "“Total number of months with income” must be a whole number.",
                 id="type: a boolean is not a number"),
    pytest.param("household_income", {"incomes": {}, "total_months": 0}, "/incomes", "type",
                 "« Revenus perçus » doit être une liste.", "“Income received” must be a list.",
                 id="type array"),
    pytest.param("dependent_children", {"count": 1, "children": ["Léa"]}, "/children/0", "type",
                 "« Vos enfants à charge » doit être un groupe de champs.",
                 "“Your dependent children” must be a group.", id="type object"),
    # range: both bounds in the schema; the form's own message where it has one
    pytest.param("household_income", income(line(months=13)), "/incomes/0/months", "range",
                 MONTHS_RANGE_FR, MONTHS_RANGE_EN, id="range above, the form's message"),
    pytest.param("household_income", income(line(months=0)), "/incomes/0/months", "range",
                 MONTHS_RANGE_FR, MONTHS_RANGE_EN, id="range below, the form's message"),
    pytest.param("household_income", income(total=-1), "/total_months", "range",
                 "Le nombre total de mois doit être compris entre 0 et 12",
                 "The total number of months must be between 0 and 12", id="range of the total"),
    pytest.param("dependent_children", {"count": 16, "children": []}, "/count", "range",
                 "« Nombre d'enfants à charge de moins de 21 ans » doit être compris entre 0 "
                 "et 15.", "“Number of dependent children under 21” must be between 0 and 15.",
                 id="range, default message"),
    # pattern
    pytest.param("household_income", income(line(amount="12.345")), "/incomes/0/amount",
                 "pattern", AMOUNT_FR, AMOUNT_EN, id="pattern: three decimals"),
    pytest.param("household_income", income(line(amount="-5")), "/incomes/0/amount", "pattern",
                 AMOUNT_FR, AMOUNT_EN, id="pattern: negative"),
    pytest.param("household_income", income(line(amount="1 000")), "/incomes/0/amount",
                 "pattern", AMOUNT_FR, AMOUNT_EN, id="pattern: a space"),
    pytest.param("household_income", income(line(amount="")), "/incomes/0/amount", "pattern",
                 AMOUNT_FR, AMOUNT_EN, id="pattern: empty"),
    # enum and const
    pytest.param("special_situation", {"code": "deceased"}, "/code", "enum",
                 "« Votre situation » : ce choix n'est pas possible.",
                 "“Your situation”: this choice is not possible.", id="enum"),
    pytest.param("household_income", income(line(category="lottery")), "/incomes/0/category",
                 "enum", "« Catégorie de revenus » : ce choix n'est pas possible.",
                 "“Kind of income”: this choice is not possible.", id="enum in an item"),
    pytest.param("terms_of_use", {"accepted": False}, "/accepted", "const", TERMS_FR, TERMS_EN,
                 id="const, the form's message"),
    # format
    pytest.param("dependent_children", {"count": 1, "children": [child(birth_date="2024-02-30")]},
                 "/children/0/birth_date", "format",
                 "« Date de naissance » doit être une date valide (AAAA-MM-JJ).",
                 "“Date of birth” must be a valid date (YYYY-MM-DD).", id="format: 30 February"),
    pytest.param("dependent_children", {"count": 1, "children": [child(birth_date="01/03/2012")]},
                 "/children/0/birth_date", "format",
                 "« Date de naissance » doit être une date valide (AAAA-MM-JJ).",
                 "“Date of birth” must be a valid date (YYYY-MM-DD).", id="format: French date"),
    pytest.param("dependent_children", {"count": 1, "children": [child(birth_date="20120301")]},
                 "/children/0/birth_date", "format",
                 "« Date de naissance » doit être une date valide (AAAA-MM-JJ).",
                 "“Date of birth” must be a valid date (YYYY-MM-DD).", id="format: basic ISO"),
    # sizes
    pytest.param("observations", {"text": "x" * 2001}, "/text", "max_length",
                 "« Vos observations » ne peut pas dépasser 2000 caractères.",
                 "“Your remarks” cannot be longer than 2000 characters.", id="max_length"),
    pytest.param("dependent_children", {"count": 1, "children": [child(first_name="L" * 61)]},
                 "/children/0/first_name", "max_length",
                 "« Prénom » ne peut pas dépasser 60 caractères.",
                 "“First name” cannot be longer than 60 characters.", id="max_length in an item"),
    pytest.param("household_income", income(*[line()] * 13), "/incomes", "max_items",
                 "« Revenus perçus » : au plus 12 élément(s).",
                 "“Income received”: at most 12 item(s).", id="max_items"),
    pytest.param("dependent_children", {"count": 15, "children": [child()] * 16}, "/children",
                 "max_items", "« Vos enfants à charge » : au plus 15 élément(s).",
                 "“Your dependent children”: at most 15 item(s).", id="max_items children"),
    # unknown keys
    pytest.param("special_situation", {"code": "none", "admin": True}, "/admin", "unknown_field",
                 "Cette donnée n'est pas attendue : « admin ».",
                 "This data is not expected: “admin”.", id="unknown_field"),
    pytest.param("household_income", income(line(note="x")), "/incomes/0/note", "unknown_field",
                 "Cette donnée n'est pas attendue : « note ».",
                 "This data is not expected: “note”.", id="unknown_field in an item"),
    pytest.param("observations", {"a/b~c": 1}, "/a~1b~0c", "unknown_field",
                 "Cette donnée n'est pas attendue : « a/b~c ».",
                 "This data is not expected: “a/b~c”.", id="unknown_field, pointer escaped"),
    # not a number
    pytest.param("household_income", income(line(months=float("nan"))), "/incomes/0/months",
                 "not_a_number", NAN_FR, NAN_EN, id="NaN"),
    pytest.param("household_income", income(total=float("inf")), "/total_months",
                 "not_a_number", NAN_FR, NAN_EN, id="infinity"),
    pytest.param("dependent_children", {"count": float("-inf"), "children": []}, "/count",
                 "not_a_number", NAN_FR, NAN_EN, id="minus infinity"),
    pytest.param("observations", {"junk": [{"deep": float("nan")}]}, "/junk/0/deep",
                 "not_a_number", NAN_FR, NAN_EN, id="NaN under an unknown key"),
]


@pytest.mark.parametrize(("form", "data", "path", "code", "fr", "en"), ROWS)
def test_each_error_code_reads_right(wf: Workflow, form: str, data: Any, path: str, code: str,
                                     fr: str, en: str) -> None:
    errors = check(wf, form, data)
    assert [(e.path, e.code) for e in errors] == [(path, code)]
    [error] = errors
    assert error.message.fr == fr
    assert error.message.en == en
    assert error.as_json("fr") == {"path": path, "code": code, "message": fr}
    assert error.as_json("en") == {"path": path, "code": code, "message": en}


def test_a_not_a_number_hides_the_other_errors_until_it_is_fixed(wf: Workflow) -> None:
    data = income(line(category="lottery", months=float("nan")), total=float("inf"), extra=1)
    assert [(e.path, e.code) for e in check(wf, "household_income", data)] == [
        ("/incomes/0/months", "not_a_number"), ("/total_months", "not_a_number")]


def test_every_problem_is_reported_at_once_sorted_by_path(wf: Workflow) -> None:
    data = {"incomes": [line("lottery", "1.234", 13, z=1)], "total_months": 13, "q": None}
    errors = check(wf, "household_income", data)
    assert [(e.path, e.code) for e in errors] == [
        ("/incomes/0/amount", "pattern"),
        ("/incomes/0/category", "enum"),
        ("/incomes/0/months", "range"),
        ("/incomes/0/z", "unknown_field"),
        ("/q", "unknown_field"),
        ("/total_months", "range"),
    ]
    assert [e.message.fr for e in errors] == [
        AMOUNT_FR,
        "« Catégorie de revenus » : ce choix n'est pas possible.",
        MONTHS_RANGE_FR,
        "Cette donnée n'est pas attendue : « z ».",
        "Cette donnée n'est pas attendue : « q ».",
        "Le nombre total de mois doit être compris entre 0 et 12",
    ]


@pytest.mark.parametrize(("form", "data"), [
    pytest.param("terms_of_use", {"accepted": "yes"}, id="type and const on one field"),
    pytest.param("household_income", {"incomes": [{}] * 3, "x": 1, "y": 2}, id="many required"),
    pytest.param("household_income", income(*[line("x", "y", 0, a=1)] * 13, total=99),
                 id="everything wrong"),
    pytest.param("dependent_children", {"count": "2", "children": [child("", "x", "y", z=1)] * 2},
                 id="children wrong"),
])
def test_each_error_is_reported_once_and_sorted(wf: Workflow, form: str, data: Any) -> None:
    errors = check(wf, form, data)
    keys = [(e.path, e.code) for e in errors]
    assert errors
    assert len(set(keys)) == len(keys)
    assert [e.path for e in errors] == sorted((e.path for e in errors), key=document_order)


def test_type_and_const_on_one_field_are_two_errors(wf: Workflow) -> None:
    errors = check(wf, "terms_of_use", {"accepted": "yes"})
    assert [(e.path, e.code, e.message.fr) for e in errors] == [
        ("/accepted", "type", "« J'ai lu et j'accepte les conditions générales d'utilisation » "
                              "doit être oui ou non."),
        ("/accepted", "const", TERMS_FR),
    ]


def test_the_same_error_found_twice_is_reported_once() -> None:
    schema = {"type": "object", "properties": {"n": {"allOf": [
        {"type": "integer", "maximum": 3}, {"type": "integer", "maximum": 5}]}}}
    fields = {"n": {"label": {"fr": "Nombre", "en": "Number"}}}
    errors = validate_step(build_validator(schema), fields, {"n": "x"})
    assert [(e.path, e.code, e.message.fr) for e in errors] == [
        ("/n", "type", "« Nombre » doit être un nombre entier.")]
    errors = validate_step(build_validator(schema), fields, {"n": 9})  # above both maximums
    assert [(e.path, e.code, e.message.en) for e in errors] == [
        ("/n", "maximum", "“Number” must be at most 3.")]


# The real forms have no minLength above 1 nor one-sided bounds: a small form shows those messages.
SMALL_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "code": {"type": "string", "minLength": 3},
    "low": {"type": "integer", "minimum": 1},
    "high": {"type": "integer", "maximum": 9},
    "tags": {"type": "array", "minItems": 2},
    "ok": {"const": True},
    "mail": {"type": "string", "format": "email"},
    "odd": {"type": "integer", "multipleOf": 2},
}}
SMALL_FIELDS = {name: {"label": {"fr": name.capitalize(), "en": name.upper()}}
                for name in SMALL_SCHEMA["properties"]}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("data", "code", "fr", "en"), [
    ({"code": "ab"}, "min_length", "« Code » doit compter au moins 3 caractères.",
     "“CODE” must have at least 3 characters."),
    ({"low": 0}, "minimum", "« Low » doit être supérieur ou égal à 1.",
     "“LOW” must be at least 1."),
    ({"high": 10}, "maximum", "« High » doit être inférieur ou égal à 9.",
     "“HIGH” must be at most 9."),
    ({"tags": ["a"]}, "min_items", "« Tags » : indiquez au moins 2 élément(s).",
     "“TAGS”: enter at least 2 item(s)."),
    ({"ok": False}, "const", "Vous devez cocher « Ok ».", "You must tick “OK”."),
    ({"mail": "x"}, "format", "« Mail » n'a pas un format valide.",
     "“MAIL” is not validly formatted."),
    ({"odd": 3}, "invalid", "« Odd » n'est pas valide.", "“ODD” is not valid."),
])
def test_default_messages_of_a_small_form(data: dict[str, Any], code: str, fr: str,
                                          en: str) -> None:
    errors = validate_step(build_validator(SMALL_SCHEMA), SMALL_FIELDS, data)
    [name] = data
    assert [(e.path, e.code, e.message.fr, e.message.en) for e in errors] == [
        (f"/{name}", code, fr, en)]


def test_field_at_skips_list_indexes(wf: Workflow) -> None:
    fields = wf.forms["household_income"].fields
    found = field_at(fields, ["incomes", 3, "months"])
    assert found is not None and found["label"]["fr"] == "Nombre de mois"
    assert field_at(fields, ["incomes", 0, "nope"]) is None
    assert field_at(fields, []) is None


def test_no_remote_schema_is_ever_fetched() -> None:
    validator = build_validator({"$ref": "https://example.invalid/schema.json"})
    with pytest.raises(Unresolvable, match="example.invalid"):
        list(validator.iter_errors({}))


# --- engine bugs found by these tests, fixed since: each test stays as a guard -----------------

def test_errors_come_in_document_order_past_the_tenth_item(wf: Workflow) -> None:
    errors = check(wf, "household_income", income(*[{}] * 12, total=0))
    items = [int(e.path.split("/")[2]) for e in errors if e.path.count("/") == 3]
    assert items == sorted(items)


# Python's re.search lets "$" match before a final newline: control characters are refused
# before the schema runs, in every one-line text.
@pytest.mark.parametrize("amount", ["100\n", "12345,50\n", "1\x00"])
def test_an_amount_with_a_trailing_newline_is_refused(wf: Workflow, amount: str) -> None:
    errors = check(wf, "household_income", income(line(amount=amount)))
    assert [(e.path, e.code) for e in errors] == [("/incomes/0/amount", "control_character")]
    assert errors[0].message.fr == ("« Montant annuel (€) » ne peut pas contenir de retour à la"
                                    " ligne ni de caractère de contrôle.")


def test_a_multi_line_text_may_hold_line_breaks(wf: Workflow) -> None:
    assert check(wf, "observations", {"text": "Ligne 1\nLigne 2"}) == []


@pytest.mark.parametrize("data", [None, [], "junk", 3])
def test_a_step_that_is_not_an_object_reads_right(wf: Workflow, data: Any) -> None:
    [error] = check(wf, "special_situation", data)
    assert (error.path, error.code) == ("", "type")
    assert "«  »" not in error.message.fr and "“”" not in error.message.en
