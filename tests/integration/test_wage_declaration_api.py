"""The wage declaration through the JSON API: the subject (the client) given at start, required,
and only one the account may act for; the employees step offers its pre-filled lines (``prefill``)
until answered; the answers are checked by the rules with the period chosen earlier; a second
declaration of the same period is refused. And an unknown prefill source stops the service at
start. Demo data, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.integration.api_client import Api
from tests.integration.test_employer_portal import BAKERY, FIRM, demo
from web.catalog import CatalogError

__all__ = ["demo"]  # the fixture, shared with the employer portal's tests
START = "/api/v1/workflows/wage_declaration/submissions"


@pytest.mark.usefixtures("demo")
def test_a_declaration_through_the_api_with_its_prefilled_lines(client):
    api = Api(client).login(*BAKERY)
    missing = api.post(START, {})
    assert missing.status_code == 422 and missing.json["code"] == "subject_required"
    assert api.post(START, {"subject": "EMP-0003"}).status_code == 404  # the firm's client
    started = api.post(START, {"subject": "EMP-0001"})
    assert started.status_code == 201, started.json
    sid = started.json["id"]
    assert api.answer(sid, "period", {"period": "2026-11"}).status_code == 200
    step = api.get(f"/api/v1/submissions/{sid}/steps/employees").json
    lines = step["prefill"]["employees"]
    assert [line["employee_id"] for line in lines] == ["SAL-0001", "SAL-0002", "SAL-0003"]
    assert "gross" not in lines[0]  # the amounts are the employer's to give
    filled = [{**line, "gross": "2000,00", "hours": 151.67} for line in lines]
    filled[0]["events"] = [{"kind": "sick_leave", "start": "2026-10-30", "end": "2026-11-02"}]
    refused = api.answer(sid, "employees", {"employees": filled})
    assert refused.status_code == 422
    assert [(e["path"], e["code"]) for e in refused.json["errors"]] == [
        ("/employees/0/events/0/start", "event_outside_period")]
    filled[0]["events"][0]["start"] = "2026-11-02"
    assert api.answer(sid, "employees", {"employees": filled}).status_code == 200
    answered = api.get(f"/api/v1/submissions/{sid}/steps/employees").json
    assert "prefill" not in answered  # answered: its own answers now
    sent = api.act(sid, "submit")
    assert sent.status_code == 200 and sent.json["status"] == "received", sent.json
    other = Api(client).login(*BAKERY).post(START, {"subject": "EMP-0001"}).json["id"]
    again = api.answer(other, "period", {"period": "2026-11"})
    assert again.status_code == 422
    assert again.json["errors"][0]["code"] == "period_already_declared"


@pytest.mark.usefixtures("demo")
def test_the_firm_declares_for_its_own_clients_only(client):
    api = Api(client).login(*FIRM)
    assert api.post(START, {"subject": "EMP-0001"}).status_code == 404  # the bakery's own
    assert api.post(START, {"subject": "EMP-0003"}).status_code == 201


def test_an_unknown_prefill_source_stops_the_service(app: Flask):
    catalog = app.extensions["csm"].catalog
    catalog.check_prefill_sources({"workforce"})  # the shipped one: fine
    with pytest.raises(CatalogError, match="unknown prefill source 'workforce'"):
        catalog.check_prefill_sources(set())
