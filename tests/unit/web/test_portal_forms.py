"""The field-type registry and the forms built from definitions: reading, showing, lists, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import FieldList

from engine import FieldError, Message, Workflow
from engine.loading import load_definitions
from web.portal import fields as f
from web.portal.forms import (
    change_list,
    form_class,
    make_form,
    place_errors,
    read_answers,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def wf() -> Workflow:
    result = load_definitions(str(ROOT))
    assert result.report.problems == []
    return result.current()["resource_declaration"]


def test_every_widget_of_the_language_has_a_field_type():
    schema = json.loads((ROOT / "engine/schemas/form.schema.json").read_text())

    def widgets(node: Any) -> set[str]:
        found: set[str] = set()
        if isinstance(node, dict):
            if "widget" in node and isinstance(node["widget"], dict) and "enum" in node["widget"]:
                found |= set(node["widget"]["enum"])
            for value in node.values():
                found |= widgets(value)
        elif isinstance(node, list):
            for value in node:
                found |= widgets(value)
        return found

    declared = widgets(schema)
    assert declared, "the form meta-schema lists its widgets"
    assert declared - {"repeat"} == set(f.FIELD_TYPES)


@pytest.mark.parametrize(("reader", "raw", "schema", "expected"), [
    (f.read_money, "12 345,50 €", {}, "12345,50"),
    (f.read_money, "\u202f1\u00a0000 ", {}, "1000"),
    (f.read_money, "", {}, f.MISSING),
    (f.read_number, " 12 ", {"type": "integer"}, 12),
    (f.read_number, "douze", {"type": "integer"}, "douze"),  # the engine says what is wrong
    (f.read_number, "2,5", {"type": "integer"}, "2,5"),
    (f.read_number, "2,5", {"type": "number"}, 2.5),
    (f.read_number, "", {"type": "integer"}, f.MISSING),
    (f.read_date, "05/03/2010", {}, "2010-03-05"),
    (f.read_date, "2010-03-05", {}, "2010-03-05"),
    (f.read_date, "hier", {}, "hier"),
    (f.read_text, "  Léa  ", {}, "Léa"),
    (f.read_text, "   ", {}, f.MISSING),
    (f.read_multiline, "a\r\nb\r\n", {}, "a\nb"),
    (f.read_choice, "", {}, f.MISSING),
    (f.read_choice, "3", {"type": "integer"}, 3),
    (f.read_choice, "salary", {"type": "string"}, "salary"),
    (f.read_checkbox, None, {}, False),
    (f.read_checkbox, True, {}, True),
    (f.read_yes_no, "true", {}, True),
    (f.read_yes_no, "false", {}, False),
    (f.read_yes_no, "maybe", {}, f.MISSING),
])
def test_readers_turn_page_text_into_answers(reader, raw, schema, expected):
    assert reader(raw, schema) == expected or reader(raw, schema) is expected


def test_a_class_is_built_once_per_form_and_language(wf):
    form = wf.forms["household_income"]
    assert form_class(form, "fr") is form_class(form, "fr")
    assert form_class(form, "fr") is not form_class(form, "en")
    french, english = form_class(form, "fr")(), form_class(form, "en")()
    assert french["total_months"].label.text == "Nombre total de mois de revenus"
    assert english["total_months"].label.text == "Total number of months with income"
    assert isinstance(french["incomes"], FieldList)


SAMPLES = {
    "terms_of_use": {"accepted": True},
    "special_situation": {"code": "other_scheme"},
    "household_income": {"incomes": [
        {"category": "salary", "amount": "32000,50", "months": 12},
        {"category": "alimony", "amount": "1200", "months": 3}], "total_months": 12},
    "observations": {"text": "Première ligne\nSeconde ligne"},
    "dependent_children": {"count": 2, "children": [
        {"first_name": "Léa", "birth_date": "2012-04-30", "regime": "csm"},
        {"first_name": "Noé", "birth_date": "2015-01-02", "regime": "france"}]},
}


def _posted(form: Any) -> MultiDict[str, str]:
    """What a browser sends for a form drawn with these values."""
    posted: MultiDict[str, str] = MultiDict()

    def walk(bound: Any) -> None:
        for field in bound:
            if isinstance(field, FieldList):
                for entry in field.entries:
                    walk(entry.form)
            elif field.type == "BooleanField":
                if field.data:
                    posted.add(field.name, "y")
            elif field.data is not None:
                posted.add(field.name, str(field.data))
    walk(form)
    return posted


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_answers_drawn_in_a_page_and_posted_back_come_back_the_same(wf, name):
    form = wf.forms[name]
    drawn = make_form(form, "fr", answers=SAMPLES[name])
    posted = make_form(form, "fr", formdata=_posted(drawn))
    assert read_answers(posted, form.fields, form.schema) == SAMPLES[name]


def test_every_sample_is_valid_for_its_form(wf):
    from engine.validation import validate_step
    for name, answers in SAMPLES.items():
        form = wf.forms[name]
        assert validate_step(form.validator, form.fields, answers) == [], name


def test_adding_and_removing_list_elements_keeps_what_was_typed(wf):
    form = wf.forms["household_income"]
    bound = make_form(form, "fr", formdata=MultiDict([
        ("incomes-0-category", "salary"), ("incomes-0-amount", "12 000"),
        ("incomes-0-months", "douze"), ("total_months", "4")]))
    added = change_list(form, "fr", bound, "add:incomes")
    assert added is not None
    assert [e.form["amount"].data for e in added.form["incomes"].entries] == ["12 000", None]
    assert added.form["incomes"].entries[0].form["months"].data == "douze"  # kept as typed
    assert added.focus == "incomes-1-category"
    removed = change_list(form, "fr", added.form, "remove:incomes-0")
    assert removed is not None and removed.focus is None
    entries = removed.form["incomes"].entries
    assert len(entries) == 1 and entries[0].name == "incomes-0"
    assert entries[0].form["amount"].data is None
    assert removed.form["total_months"].data == "4"


def test_list_changes_out_of_bounds_or_unknown_do_nothing(wf):
    form = wf.forms["household_income"]
    full = make_form(form, "fr", answers={"incomes": [{}] * 12})
    assert change_list(form, "fr", full, "add:incomes") is None  # maxItems: 12
    bound = make_form(form, "fr", answers={"incomes": [{}]})
    for action in ("remove:incomes-5", "remove:incomes", "add:total_months", "add:nothing",
                   "remove:-1", "add:", "drop:incomes", "add:incomes-0-amount"):
        assert change_list(form, "fr", bound, action) is None, action


def test_errors_are_placed_at_their_field_and_linked_from_the_summary(wf):
    form = wf.forms["household_income"]
    bound = make_form(form, "fr", answers={"incomes": [{}, {}], "total_months": 3})
    message = Message("faux", "wrong")
    placed = place_errors(bound, [
        FieldError("/incomes/1/amount", "pattern", message),
        FieldError("/total_months", "range", message),
        FieldError("/incomes/7/amount", "pattern", message),  # no such element: the list
        FieldError("", "rule", message),  # the whole step
    ], "fr")
    assert [anchor for anchor, _ in placed.summary] == [
        "incomes-1-amount", "total_months", "incomes", "step-form"]
    assert set(placed.by_field) == {"incomes-1-amount", "total_months", "incomes", ""}


def test_radio_errors_link_to_the_first_button(wf):
    form = wf.forms["special_situation"]
    placed = place_errors(make_form(form, "en"), [
        FieldError("/code", "required", Message("a", "b"))], "en")
    assert placed.summary == [("code-0", "b")]
