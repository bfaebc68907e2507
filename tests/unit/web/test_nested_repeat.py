"""The wage declaration's employees (forms/wage_employees.yaml) in a step page: hidden values,
a repeating group inside a repeating group (each employee's events), and 5,000 lines posted at
once through the app's request limits."""

from __future__ import annotations

import io
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from flask import Flask, render_template_string, request
from werkzeug.datastructures import MultiDict

from engine import FieldError, Message
from engine.compiler import check_forms
from engine.definitions import Form, Text
from engine.validation import build_validator
from web import create_app
from web.portal.fields import FIELD_TYPES, html_params
from web.portal.forms import (
    PlacedErrors,
    change_list,
    make_form,
    place_errors,
    read_answers,
    shown_answers,
)
from web.portal.layout import present
from web.settings import ROOT, Settings

STEP = "/submissions/s1/steps/employees"
RAW = yaml.safe_load((ROOT / "forms/wage_employees.yaml").read_text(encoding="utf-8"))
ITEMS = RAW["fields"]["employees"]["items"]
PAGE = ('{% import "portal/fields.html" as ui with context %}'
        "{% for f in fields %}{{ ui.render(f) }}{% endfor %}")


@pytest.fixture(scope="module")
def wage() -> Form:
    assert list(check_forms({RAW["form"]: RAW})) == []
    return Form(name=RAW["form"], title=Text(RAW["title"]["fr"], RAW["title"]["en"]),
                help=None, schema=RAW["schema"], fields=RAW["fields"],
                validator=build_validator(RAW["schema"]))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app with the other definitions: the wage workflow is not needed to draw its form."""
    root = tmp_path_factory.mktemp("definitions")
    shutil.copy(ROOT / "roles.yaml", root / "roles.yaml")
    for folder in ("contexts", "catalogues", "forms", "workflows"):
        (root / folder).mkdir()
        for path in (ROOT / folder).glob("*.yaml"):
            if not path.name.startswith("wage_"):
                shutil.copy(path, root / folder / path.name)
    app = create_app(Settings(environment="test", secret_key="x" * 40, definitions_dir=root,
                              database_url=f"sqlite:///{root / 'test.sqlite3'}",
                              password_hash_profile="cheapest"))
    app.config["TESTING"] = True
    yield app
    app.extensions["csm"].engine.dispose()


def posted(lines: list[dict[str, Any]]) -> MultiDict[str, str]:
    """The fields a browser posts for these employees' lines."""
    fields: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        for name, value in line.items():
            if name == "events":
                for j, event in enumerate(value):
                    fields += [(f"employees-{i}-events-{j}-{k}", v) for k, v in event.items()]
            else:
                fields.append((f"employees-{i}-{name}", value))
    return MultiDict(fields)


TWO = [{"employee_id": "E-17", "registration": "004211", "last_name": "Rossi",
        "first_name": "Anna", "birth_date": "", "gross": "2 345,50 €", "hours": "151,67"},
       {"employee_id": "", "registration": "", "last_name": "Martin", "first_name": "Luc",
        "birth_date": "05/03/1990", "gross": "1800", "hours": "80",
        "events": [{"kind": "contract_start", "start": "2026-10-12", "end": ""},
                   {"kind": "sick_leave", "start": "20/10/2026", "end": "24/10/2026"}]}]


def draw(app: Flask, form: Any, wage: Form, errors: PlacedErrors | None = None,
         focus: str | None = None) -> str:
    with app.test_request_context("/"):
        views = present(form, wage.fields, wage.schema, "fr", errors or PlacedErrors(), focus)
        return render_template_string(PAGE, fields=views, documents={})


# -- hidden --------------------------------------------------------------------------------------

def test_a_hidden_value_is_kept_in_the_page_unlabelled_and_read_back(app, wage):
    bound = make_form(wage, "fr", answers={"employees": [
        {"employee_id": "E-17", "last_name": "Rossi", "first_name": "Anna"}]})
    html = draw(app, bound, wage)
    assert ('<input id="employees-0-employee_id" name="employees-0-employee_id" type="hidden"'
            ' value="E-17">') in html
    assert ITEMS["employee_id"]["label"]["fr"] not in html
    assert 'for="employees-0-employee_id"' not in html
    answers = read_answers(make_form(wage, "fr", formdata=posted(TWO)), wage.fields, wage.schema)
    assert answers["employees"][0]["employee_id"] == "E-17"
    assert "employee_id" not in answers["employees"][1]  # empty: left out


def test_an_added_element_focuses_its_first_visible_field_not_a_hidden_one(wage):
    bound = make_form(wage, "fr", formdata=posted(TWO))
    changed = change_list(wage, "fr", bound, "add:employees")
    assert changed is not None
    assert len(changed.form.employees.entries) == 3
    assert changed.focus == "employees-2-registration"


def test_an_error_on_a_hidden_value_is_shown_on_its_element(app, wage):
    bound = make_form(wage, "fr", formdata=posted(TWO))
    errors = [FieldError("/employees/1/employee_id", "unknown", Message("Salarié inconnu.",
                                                                       "Unknown employee."))]
    placed = place_errors(bound, errors, "fr")
    assert placed.summary == [("employees-1", "Salarié inconnu.")]
    html = draw(app, bound, wage, placed)
    assert re.search(r'<fieldset class="repeat__item" id="employees-1" aria-describedby='
                     r'"employees-1-error">\s*<legend[^>]*>Salarié n° 2</legend>\s*'
                     r'<p class="field-error" id="employees-1-error">', html)


def test_the_fast_attributes_are_those_of_wtforms():
    from markupsafe import Markup
    from wtforms.widgets.core import html_params as wtforms_params

    for attrs in ({"id": "a-0-b", "class_": "input", "aria_describedby": "x y", "value": 'a"<&>\'',
                   "autofocus": True, "readonly": False, "data_x_y": 3},
                  {"value": Markup('<b title="x">'), "for_": "z"}, {"value": None}):
        assert html_params(**attrs) == wtforms_params(**attrs)
    assert "hidden" in FIELD_TYPES


# -- a repeat inside a repeat --------------------------------------------------------------------

def test_posted_employees_and_their_events_are_read_as_answers(wage):
    answers = read_answers(make_form(wage, "fr", formdata=posted(TWO)), wage.fields, wage.schema)
    assert answers == {"employees": [
        {"employee_id": "E-17", "registration": "004211", "last_name": "Rossi",
         "first_name": "Anna", "gross": "2345,50", "hours": 151.67, "events": []},
        {"last_name": "Martin", "first_name": "Luc", "birth_date": "1990-03-05",
         "gross": "1800", "hours": 80, "events": [
             {"kind": "contract_start", "start": "2026-10-12"},
             {"kind": "sick_leave", "start": "2026-10-20", "end": "2026-10-24"}]}]}
    assert list(wage.validator.iter_errors(answers)) == []


def test_stored_answers_shown_and_posted_back_come_back_the_same(wage):
    stored = read_answers(make_form(wage, "fr", formdata=posted(TWO)), wage.fields, wage.schema)
    shown = make_form(wage, "fr", answers=stored)
    assert shown_answers(stored, wage.fields, wage.schema)["employees"][1]["events"][1] == \
        {"kind": "sick_leave", "start": "2026-10-20", "end": "2026-10-24"}
    assert read_answers(shown, wage.fields, wage.schema) == stored


def test_events_are_added_and_removed_inside_one_employee(wage):
    bound = make_form(wage, "fr", formdata=posted(TWO))
    added = change_list(wage, "fr", bound, "add:employees-1-events")
    assert added is not None and added.focus == "employees-1-events-2-kind"
    events = added.form.employees.entries[1].form.events.entries
    assert [e.form.kind.data for e in events] == ["contract_start", "sick_leave", None]
    assert added.form.employees.entries[0].form.events.entries == []

    removed = change_list(wage, "fr", bound, "remove:employees-1-events-0")
    assert removed is not None and removed.focus is None
    answers = read_answers(removed.form, wage.fields, wage.schema)
    assert answers["employees"][1]["events"] == [
        {"kind": "sick_leave", "start": "2026-10-20", "end": "2026-10-24"}]
    assert answers["employees"][0]["last_name"] == "Rossi"

    first = change_list(wage, "fr", bound, "add:employees-0-events")
    assert first is not None and first.focus == "employees-0-events-0-kind"


def test_no_sixth_event_and_no_change_out_of_bounds(wage):
    five = [dict(TWO[1], events=[{"kind": "other_absence"}] * 5)]
    bound = make_form(wage, "fr", formdata=posted(five))
    assert change_list(wage, "fr", bound, "add:employees-0-events") is None  # maxItems 5
    assert change_list(wage, "fr", bound, "remove:employees-0-events-5") is None
    assert change_list(wage, "fr", bound, "add:employees-3-events") is None


def test_an_error_deep_in_an_event_is_placed_at_its_field(app, wage):
    bound = make_form(wage, "fr", formdata=posted(TWO))
    errors = [FieldError("/employees/1/events/0/end", "required",
                         Message("Indiquez la date de fin.", "Enter the end date."))]
    placed = place_errors(bound, errors, "fr")
    assert placed.summary == [("employees-1-events-0-end", "Indiquez la date de fin.")]
    assert placed.by_field == {"employees-1-events-0-end": ["Indiquez la date de fin."]}
    html = draw(app, bound, wage, placed)
    assert '<p class="field-error" id="employees-1-events-0-end-error">' in html
    assert re.search(r'<input aria-describedby="employees-1-events-0-end-error" '
                     r'aria-invalid="true" class="input" id="employees-1-events-0-end"', html)


def test_nested_elements_have_unique_ids_and_legends_naming_their_employee(app, wage):
    bound = make_form(wage, "fr", formdata=posted(TWO))
    html = draw(app, bound, wage, focus="employees-1-events-1-kind")
    ids = Counter(re.findall(r'\bid="([^"]+)"', html))
    assert ids and [i for i, n in ids.items() if n > 1] == []
    within = '<span class="visually-hidden"> — Salarié n° 2</span>'
    assert f'<legend class="repeat__item-legend">Événement n° 2{within}</legend>' in html
    assert (f'<legend class="fieldset__legend">{ITEMS["events"]["label"]["fr"]}{within}'
            '</legend>') in html
    assert re.search(r'value="remove:employees-1-events-1"[^>]*>[^<]*<span class="visually-'
                     r'hidden"> — Événement n° 2 — Salarié n° 2</span>', html)
    assert re.search(r'value="add:employees-0-events"[^>]*>Ajouter un événement<span class='
                     r'"visually-hidden"> — Salarié n° 1</span>', html)
    assert re.search(r'<select[^>]*autofocus[^>]*id="employees-1-events-1-kind"', html)
    assert html.count("autofocus") == 1


# -- 5,000 lines ---------------------------------------------------------------------------------

def big_body(count: int) -> bytes:
    lines = [{"employee_id": f"E{i:06d}", "registration": f"{i:06d}", "last_name": f"NOM{i}",
              "first_name": f"Prénom {i}", "birth_date": "", "gross": "1 800,50", "hours": "151",
              **({"events": [{"kind": "sick_leave", "start": "2026-10-01", "end": ""}]}
                 if i % 10 == 0 else {})} for i in range(count)]
    return urlencode([("csrf_token", "x"), *posted(lines).items(multi=True)]).encode()


def test_five_thousand_posted_lines_pass_the_limits_and_are_read_in_full(app, wage):
    body = big_body(5000)
    assert len(body) > app.config["MAX_CONTENT_LENGTH"]  # the app-wide limit would refuse it
    with app.test_request_context(STEP, method="POST", data=body,
                                  content_type="application/x-www-form-urlencoded"):
        for hook in app.before_request_funcs[None]:
            if hook.__name__ == "_large_step_posts":
                hook()
        assert len(request.form) == 5000 * 7 + 500 * 3 + 1  # 7 fields a line, 3 an event
        answers = read_answers(make_form(wage, "fr", formdata=request.form), wage.fields,
                               wage.schema)
    assert len(answers["employees"]) == 5000
    assert answers["employees"][4999]["last_name"] == "NOM4999"
    assert answers["employees"][4990]["events"] == [{"kind": "sick_leave",
                                                     "start": "2026-10-01"}]
    # through the whole stack: the body is parsed (CSRF reads it), not refused as too large
    response = app.test_client().post(STEP, data=body,
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400, response.status_code  # the CSRF token, not the size


def test_a_multipart_step_post_may_hold_tens_of_thousands_of_fields(app):
    fields = [(f"employees-{i}-{name}", "x") for i in range(5000) for name in "abcdefgh"]
    data = MultiDict([*fields, ("file", (io.BytesIO(b"a;b\n"), "employees.csv"))])
    with app.test_request_context(STEP, method="POST", data=data):
        for hook in app.before_request_funcs[None]:
            if hook.__name__ == "_large_step_posts":
                hook()
        assert len(request.form) == 40000
        assert request.files["file"].filename == "employees.csv"


def test_a_step_post_above_the_limit_is_a_413_page(app):
    limit = app.extensions["csm"].settings.max_step_post_bytes
    body = b"employees-0-last_name=" + b"x" * (limit - 21)
    assert len(body) == limit + 1
    response = app.test_client().post(STEP, data=body,
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "La requête dépasse la taille permise." in response.get_data(as_text=True)


def test_other_pages_keep_the_small_limit(app):
    response = app.test_client().post("/login", data=big_body(5000),
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
