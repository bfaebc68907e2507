"""The employees of a wage declaration uploaded as a CSV file (engine/tables.py), on the step
page and through the API: nothing is saved unless the whole file is valid, for the form's schema
and for the step's rules (wage_lines); every problem at its line and column. Demo data, the
bakery declaring its own client EMP-0001 for November 2026 (today: 2026-11-23)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine import SubmissionState
from tests.integration.api_client import Api
from tests.integration.portal_client import Page, Portal
from tests.integration.test_wage_declaration_pages import BAKERY, demo, pick, signed_in, start
from web.db.models import Submission

__all__ = ["demo"]

HEADER = "employee_id;last_name;first_name;gross;hours;events.1.kind;events.1.start;events.1.end"
VALID = (HEADER + "\n"
         "SAL-0001;Martin;Paul;2 450,00;151,67;sick_leave;03/11/2026;07/11/2026\n"
         ";Nguyen;Lan;300;20;;;\n")
VALID_BIRTH = VALID.replace("employee_id;", "employee_id;birth_date;").replace(
    "SAL-0001;", "SAL-0001;;").replace(";Nguyen;Lan;300", ";12/04/1998;Nguyen;Lan;300")


def employees_page(portal: Portal) -> Page:
    page = start(portal)
    page = portal.submit(page, {"period": "2026-11"}, button="Continuer")
    assert page.path.endswith("/steps/employees"), page.errors()
    return page


def upload(portal: Portal, page: Page, content: str, field: str = "employees") -> Page:
    form = page.soup.select_one(f"form#upload-{field}-form")
    assert form is not None
    data: dict[str, Any] = {"csrf_token": page.csrf_token(),
                            "revision": str(form.select_one("input[name=revision]")["value"]),
                            "file": (io.BytesIO(content.encode("utf-8")), "salaries.csv")}
    response = portal.client.post(str(form["action"]), data=data, follow_redirects=True,
                                  content_type="multipart/form-data")
    portal.page = Page(response)
    return portal.page


def stored(app: Flask, submission_id: str) -> dict[str, Any]:
    with app.extensions["csm"].sessions() as s:
        row = s.scalars(select(Submission).where(Submission.id == submission_id)).one()
        return SubmissionState.from_json(row.state).data


def sid(page: Page) -> str:
    return page.path.split("/")[2]


EXPECTED_ROWS = [
    {"employee_id": "SAL-0001", "last_name": "Martin", "first_name": "Paul", "gross": "2450,00",
     "hours": 151.67, "events": [{"kind": "sick_leave", "start": "2026-11-03",
                                  "end": "2026-11-07"}]},
    {"last_name": "Nguyen", "first_name": "Lan", "birth_date": "1998-04-12", "gross": "300",
     "hours": 20},
]


@pytest.mark.usefixtures("demo")
def test_the_page_offers_the_upload_and_the_model_file(client):
    portal = signed_in(client, BAKERY)
    pick(portal, "EMP-0001")
    page = employees_page(portal)
    form = page.soup.select_one("form#upload-employees-form")
    assert form is not None and form.get("enctype") == "multipart/form-data"
    assert page.soup.select_one("label[for=upload-employees]") is not None
    assert "Importer le fichier" in form.get_text(" ")
    assert "events.1.start" in form.get_text(" ") and "Montant total brut" in form.get_text(" ")
    model = client.get(str(form.select_one("a[download]")["href"]))
    assert model.status_code == 200 and model.mimetype == "text/csv"
    assert "attachment" in model.headers["Content-Disposition"]
    assert model.get_data(as_text=True).startswith("employee_id;registration;last_name;")
    assert "events.5.end" in model.get_data(as_text=True)


@pytest.mark.usefixtures("demo")
def test_a_file_with_errors_is_refused_and_nothing_is_saved(app: Flask, client):
    portal = signed_in(client, BAKERY)
    pick(portal, "EMP-0001")
    page = employees_page(portal)
    # an unknown column: the header is refused before the lines are read
    bad = (HEADER + ";bogus\n"
           "SAL-0001;Martin;Paul;2450;151;;;;x\n"
           "SAL-0002;Durand;Marie;12,345;120;;;;y\n")
    refused = upload(portal, page, bad)
    assert refused.status == 422, refused
    assert any("Ligne 1, colonne bogus" in e for e in refused.errors()), refused.errors()
    assert "employees" not in stored(app, sid(page))
    # a bad amount on line 3
    bad = (HEADER + "\n"
           "SAL-0001;Martin;Paul;2450;151;;;\n"
           "SAL-0002;Durand;Marie;12,345;120;;;\n")
    refused = upload(portal, refused, bad)
    assert refused.status == 422
    assert any("Ligne 3, colonne gross" in e and "deux décimales" in e
               for e in refused.errors()), refused.errors()
    assert "employees" not in stored(app, sid(page))
    # no file
    data = {"csrf_token": refused.csrf_token(), "revision": "0"}
    none = portal.client.post(page.path + "/upload/employees", data=data,
                              content_type="multipart/form-data")
    assert none.status_code == 422
    # valid for the schema, but an event outside the period (the step's rule)
    outside = VALID_BIRTH.replace("03/11/2026", "28/10/2026")
    refused = upload(portal, refused, outside)
    assert refused.status == 422
    assert any("Ligne 2, colonne events.1.start" in e for e in refused.errors()), \
        refused.errors()
    assert "employees" not in stored(app, sid(page))
    assert refused.soup.select_one("form#step-form") is not None  # the page, redrawn


@pytest.mark.usefixtures("demo")
def test_a_valid_file_is_imported_and_leads_to_the_summary(app: Flask, client):
    portal = signed_in(client, BAKERY)
    pick(portal, "EMP-0001")
    page = employees_page(portal)
    done = upload(portal, page, VALID_BIRTH)
    assert done.status == 200 and done.path.endswith("/steps/summary"), done.errors()
    assert "2 lignes importées" in done.text
    assert stored(app, sid(page))["employees"] == {"employees": EXPECTED_ROWS}
    assert "Nguyen" in done.text


@pytest.mark.usefixtures("demo")
def test_the_api_takes_a_csv_body(app: Flask, client):
    portal = signed_in(client, BAKERY)
    pick(portal, "EMP-0001")
    page = employees_page(portal)
    api = Api(app.test_client()).login(*BAKERY)
    url = f"/api/v1/submissions/{sid(page)}/steps/employees/upload/employees"
    wrong = api.client.put(url, data=VALID_BIRTH, headers=api.headers(
        {"Content-Type": "application/json"}))
    assert wrong.status_code == 415
    csv_headers = api.headers({"Content-Type": "text/csv; charset=utf-8"})
    bad = api.client.put(url, data=HEADER + "\nSAL-0001;Martin;Paul;abc;1;;;\n",
                         headers=csv_headers)
    assert bad.status_code == 422 and bad.json["code"] == "invalid_csv"
    assert bad.json["errors"][0]["line"] == 2 and bad.json["errors"][0]["column"] == "gross"
    outside = api.client.put(url, data=VALID_BIRTH.replace("07/11/2026", "07/12/2026"),
                             headers=csv_headers)
    assert outside.status_code == 422 and outside.json["code"] == "invalid_csv"
    assert {(e["line"], e["column"]) for e in outside.json["errors"]} == {(2, "events.1.end")}
    assert "employees" not in stored(app, sid(page))
    ok = api.client.put(url, data=VALID_BIRTH, headers=csv_headers)
    assert ok.status_code == 200, ok.json
    assert ok.json["id"] == sid(page)
    assert stored(app, sid(page))["employees"] == {"employees": EXPECTED_ROWS}
    other = api.client.put(f"/api/v1/submissions/{sid(page)}/steps/employees/upload/nope",
                           data=VALID_BIRTH, headers=csv_headers)
    assert other.status_code == 404
