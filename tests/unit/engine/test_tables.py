"""A repeating group uploaded as a CSV file (engine/tables.py), on the real wage form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.definitions import Form, Text
from engine.errors import FieldError, Message
from engine.loading import load_definitions
from engine.tables import CellError, columns, locate, read_table, template
from engine.validation import build_validator

REPO = Path(__file__).resolve().parents[3]
HEAD = "last_name;first_name;gross;hours;birth_date;events.1.kind;events.2.start;events.2.kind"


def form_of(data: dict[str, Any]) -> Form:
    return Form(name=data["form"], title=Text(**data["title"]), help=None,
                schema=data["schema"], fields=data["fields"],
                validator=build_validator(data["schema"]))


@pytest.fixture(scope="module")
def wages() -> Form:
    return form_of(yaml.safe_load((REPO / "forms" / "wage_employees.yaml").read_text("utf-8")))


def where(errors: list[CellError]) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.code) for e in errors]


def test_columns_follow_the_items_with_numbered_event_groups(wages: Form) -> None:
    found = columns(wages, "employees")
    events = [f"events.{n}.{k}" for n in range(1, 6) for k in ("kind", "start", "end")]
    assert [c.header for c in found] == ["employee_id", "registration", "last_name",
                                         "first_name", "birth_date", "gross", "hours", *events]
    by = {c.header: c for c in found}
    assert [h for h, c in by.items() if c.required] == ["last_name", "first_name", "gross",
                                                        "hours"]
    assert by["employee_id"].widget == "hidden"
    assert by["events.2.start"].path == ("events", 1, "start")
    assert by["events.2.start"].label == Text("Événement n° 2 — Date de début",
                                              "Event no. 2 — Start date")
    assert template(wages, "employees") == ";".join(c.header for c in found) + "\n"


def test_columns_refuse_what_is_not_a_repeat_or_an_unbounded_inner_list(wages: Form) -> None:
    with pytest.raises(ValueError):
        columns(wages, "nothing")
    data = yaml.safe_load((REPO / "forms" / "wage_employees.yaml").read_text("utf-8"))
    del data["schema"]["properties"]["employees"]["items"]["properties"]["events"]["maxItems"]
    with pytest.raises(ValueError, match="maxItems"):
        columns(form_of(data), "employees")


def test_a_french_excel_file_is_read_into_the_expected_rows(wages: Form) -> None:
    content = (f"{HEAD}\n"
               "Dupont;Marie;2 345,50 €;151,67;01/02/1980;Arrêt maladie;;\n"
               "\n"
               "Martin ; Paul;1200;35;;;03/01/2026;unpaid_leave\n").encode()
    read = read_table(wages, "employees", content)
    assert read.errors == []
    assert read.rows == [
        {"last_name": "Dupont", "first_name": "Marie", "gross": "2345,50", "hours": 151.67,
         "birth_date": "1980-02-01", "events": [{"kind": "sick_leave"}]},
        {"last_name": "Martin", "first_name": "Paul", "gross": "1200", "hours": 35,
         "events": [{"start": "2026-01-03", "kind": "unpaid_leave"}]}]
    assert read.lines == [2, 4]
    assert read.groups == [{"events": [1]}, {"events": [2]}]


def test_bom_utf8_comma_separated_and_case_of_headers(wages: Form) -> None:
    content = "\ufeffLast_Name , First_name,gross,HOURS\nÉlodie,Zoé,10.5,7\n".encode()
    read = read_table(wages, "employees", content)
    assert (read.errors, read.rows) == ([], [{"last_name": "Élodie", "first_name": "Zoé",
                                              "gross": "10.5", "hours": 7}])


def test_a_cp1252_file_keeps_its_accents(wages: Form) -> None:
    content = "last_name\tfirst_name\tgross\thours\nLefèvre\tHélène\t0\t0\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    read = read_table(wages, "employees", content)
    assert read.errors == []
    assert read.rows[0]["last_name"] == "Lefèvre" and read.rows[0]["first_name"] == "Hélène"


def test_an_unknown_column_and_a_missing_required_one_are_on_line_1(wages: Form) -> None:
    read = read_table(wages, "employees", b"last_name;first_name;gross;salary\nA;B;1;2\n")
    assert where(read.errors) == [(1, "salary", "csv_unknown_column"),
                                  (1, "hours", "csv_missing_column")]
    assert read.rows == []
    assert read.errors[1].text("en").startswith("Line 1, column hours: The required column")


def test_a_repeated_column_is_refused(wages: Form) -> None:
    read = read_table(wages, "employees", b"last_name;first_name;gross;hours;Gross\nA;B;1;2;3\n")
    assert where(read.errors) == [(1, "Gross", "csv_duplicate_column")]


def test_a_bad_amount_is_at_its_line_and_column_with_the_form_message(wages: Form) -> None:
    content = f"{HEAD}\n\nA;B;12;1\n\n\nC;D;12,505;1\n".encode()
    read = read_table(wages, "employees", content)
    assert where(read.errors) == [(6, "gross", "pattern")]
    assert read.errors[0].text("fr") == ("Ligne 6, colonne gross : Le montant doit être un nombre"
                                         " en euros, avec au plus deux décimales (exemple :"
                                         " 2345,50).")
    assert read.errors[0].text("en").startswith("Line 6, column gross: The amount must")


def test_a_bad_date_in_the_second_event_names_its_column(wages: Form) -> None:
    content = f"{HEAD}\nA;B;1;1;;;31/02/2026;maternity\nC;D;1;1;;;;;\n".encode()
    read = read_table(wages, "employees", content)
    assert where(read.errors) == [(2, "events.2.start", "format")]


def test_a_second_event_without_kind_is_reported_at_its_own_group(wages: Form) -> None:
    content = f"{HEAD}\nA;B;1;1;;;02/02/2026;\n".encode()
    read = read_table(wages, "employees", content)
    assert where(read.errors) == [(2, "events.2.kind", "required")]


def test_too_many_cells_on_a_line(wages: Form) -> None:
    content = b"last_name;first_name;gross;hours\nA;B;1;1\nC;D;1;1;extra\n"
    read = read_table(wages, "employees", content)
    assert where(read.errors) == [(3, "", "csv_too_many_cells")]
    assert read.errors[0].text("fr").startswith("Ligne 3 : ")


def test_trailing_empty_separators_are_tolerated(wages: Form) -> None:
    read = read_table(wages, "employees", b"last_name;first_name;gross;hours;;\nA;B;1;1;;\n")
    assert read.errors == [] and len(read.rows) == 1


@pytest.mark.parametrize("content", [b"", b"\n\n", b"last_name;first_name;gross;hours\n\n;;;\n"])
def test_a_file_without_data_lines_is_empty(wages: Form, content: bytes) -> None:
    assert where(read_table(wages, "employees", content).errors) == [(0, "", "csv_empty")]


def test_a_file_too_large_is_refused_before_reading(wages: Form) -> None:
    read = read_table(wages, "employees", b"x" * 101, max_bytes=100)
    assert where(read.errors) == [(0, "", "csv_too_large")]


def test_more_lines_than_max_items_are_refused() -> None:
    small = form_of({
        "form": "small", "title": {"fr": "Petit", "en": "Small"},
        "schema": {"type": "object", "additionalProperties": False, "properties": {"people": {
            "type": "array", "maxItems": 3, "items": {
                "type": "object", "additionalProperties": False, "required": ["name"],
                "properties": {"name": {"type": "string", "maxLength": 10},
                               "adult": {"type": "boolean"}}}}}},
        "fields": {"people": {"label": {"fr": "Personnes", "en": "People"}, "widget": "repeat",
                              "upload": "csv", "items": {
                                  "name": {"label": {"fr": "Nom", "en": "Name"}},
                                  "adult": {"label": {"fr": "Majeur", "en": "Adult"},
                                            "widget": "yes_no"}}}}})
    ok = read_table(small, "people", b"name;adult\nA;oui\nB;No\n\nC;1\n")
    assert (ok.errors, ok.rows) == ([], [{"name": "A", "adult": True},
                                         {"name": "B", "adult": False},
                                         {"name": "C", "adult": True}])
    read = read_table(small, "people", b"name\nA\nB\n\nC\nD\nE\n")
    assert where(read.errors) == [(6, "", "csv_too_many_rows")]
    assert read.rows == []


def test_a_whole_list_error_is_at_line_0(wages: Form) -> None:
    data = yaml.safe_load((REPO / "forms" / "wage_employees.yaml").read_text("utf-8"))
    data["schema"]["properties"]["employees"]["minItems"] = 2
    read = read_table(form_of(data), "employees", b"last_name;first_name;gross;hours\nA;B;1;1\n")
    assert where(read.errors) == [(0, "", "min_items")]


def test_locate_maps_a_rule_error_back_to_its_line_and_column() -> None:
    message = Message("La fin précède le début.", "The end is before the start.")
    errors = [FieldError("/employees/1/events/0/end", "end_before_start", message),
              FieldError("/employees/0/gross", "too_high", message),
              FieldError("/employees", "total", message),
              FieldError("/period/month", "elsewhere", message)]
    found = locate(errors, "employees", [2, 5])
    assert where(found) == [(5, "events.1.end", "end_before_start"), (2, "gross", "too_high"),
                            (0, "", "total")]
    assert found[0].text("en") == "Line 5, column events.1.end: The end is before the start."
    with_groups = locate(errors[:1], "employees", [2, 5], [{}, {"events": [3]}])
    assert where(with_groups) == [(5, "events.3.end", "end_before_start")]


def test_upload_on_a_field_that_is_not_a_repeat_is_reported() -> None:
    case = REPO / "tests" / "definitions" / "invalid" / "upload_not_repeat"
    problems = load_definitions(case).report.problems
    assert [(p.file, p.code, p.line) for p in problems] == [
        ("forms/new_address.yaml", "upload_not_repeat", 15)]


def test_the_real_form_with_upload_on_its_repeat_has_no_problem(wages: Form) -> None:
    from engine.formchecks import check_form
    data = yaml.safe_load((REPO / "forms" / "wage_employees.yaml").read_text("utf-8"))
    assert [code for _, code, _ in check_form(data)] == []


def test_a_quoted_cell_over_two_lines_counts_both_lines(wages: Form) -> None:
    content = b'last_name;first_name;gross;hours\n"Du\npont";B;1;1\nC;D;1;1\n'
    read = read_table(wages, "employees", content)
    assert read.lines == [2, 4]
    assert where(read.errors) == [(2, "last_name", "control_character")]
