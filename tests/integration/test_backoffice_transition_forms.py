"""A staff transition with a form (``form:`` in the lifecycle): the wage declaration's
``record_correction`` (role recouvrement, form ``wage_correction``), filled in on its back-office
page, drawn and read as the member's step pages are (errors next to their fields, elements added
without JavaScript), and through the staff API. Its answers are kept in the submission's
``records`` and shown on the case page. On the demo data, a declaration stored as the service
stores one (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine import SubmissionState
from tests.factories import staff
from tests.integration.api_client import Api
from tests.integration.test_back_office_decisions import token_for
from tests.integration.test_backoffice_pages import audit_count, signed_in
from tests.integration.test_employer_portal import demo  # noqa: F401 - the fixture
from web.db.models import Account, Submission

WAGES = "wage_declaration"
TITLE = "Enregistrer une déclaration rectificative ou complémentaire"
AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def received(app: Flask) -> str:
    """Fiduciaire Azur Conseil's November declaration for its client EMP-0002, received."""
    state = SubmissionState(workflow=WAGES, version=1, step=None, status="received",
                            submitted={"period": {"period": "2026-11"}})
    sid = str(uuid.uuid4())
    with app.extensions["csm"].sessions.begin() as s:
        owner = s.scalars(select(Account.id).where(Account.identifier == "300781")).one()
        s.add(Submission(id=sid, workflow=WAGES, version=1, owner_id=owner, status="received",
                         step=None, state=state.to_json(), scope="2026-11",
                         receipt_number=f"DS-{uuid.uuid4().hex[:10]}", created_at=AT,
                         updated_at=AT, submitted_at=AT, subject_id="EMP-0002"))
    return sid


def stored(app: Flask, sid: str) -> tuple[str, list[dict[str, Any]]]:
    with app.extensions["csm"].sessions() as s:
        row = s.get(Submission, sid)
        assert row is not None
        return row.status, [dict(r) for r in SubmissionState.from_json(row.state).records]


LINE = {"lines-0-last_name": "Martin", "lines-0-first_name": "Julie",
        "lines-0-gross": "2950,00", "lines-0-hours": "151.67"}


def test_recouvrement_records_a_correction_on_its_form_page(demo: Flask) -> None:  # noqa: F811
    sid = received(demo)
    portal = signed_in(demo, staff(demo, ("recouvrement",)), "fr")
    case = portal.get(f"/backoffice/submissions/{sid}")
    form_url = f"/backoffice/submissions/{sid}/transitions/record_correction"
    assert case.status == 200 and case.soup.select_one(f"a[href='{form_url}']") is not None
    page = portal.get(form_url)
    assert page.status == 200 and page.h1 == TITLE
    assert page.soup.select_one("input[name=csrf_token]") is not None
    assert page.attr("input[name=revision]", "value") == "1"
    cancel = page.soup.select_one(f".actions a.button[href='/backoffice/submissions/{sid}']")
    assert cancel is not None and cancel.get_text(strip=True) == "Annuler"
    assert [b.get_text(strip=True) for b in page.soup.select(".actions button")] == \
        ["Enregistrer"]
    before = audit_count(demo, sid)

    # no line: refused next to the field, nothing stored
    page = portal.submit(page, {"kind": "corrective", "reason": "Prime oubliée"},
                         button="Enregistrer")
    assert page.status == 422, page.text
    assert page.errors() and page.soup.select_one("#lines-error") is not None
    assert page.soup.select_one(".error-summary a[href='#lines']") is not None
    assert stored(demo, sid) == ("received", [])
    assert audit_count(demo, sid) == before

    # a line added without JavaScript: the page drawn again with the new element
    page = portal.submit(page, button="add:lines")
    assert page.status == 200 and not page.errors()
    assert page.soup.select_one("input[name=lines-0-last_name]") is not None
    assert page.attr("input[name=kind][value=corrective]", "checked") is not None
    assert stored(demo, sid) == ("received", [])

    page = portal.submit(page, LINE, button="Enregistrer")
    assert page.path == f"/backoffice/submissions/{sid}", page.text
    assert page.history[0][0] == 303
    assert "Action effectuée" in page.text
    status, records = stored(demo, sid)
    assert status == "corrected"
    assert len(records) == 1
    record = records[0]
    assert record["transition"] == "record_correction" and record["on"] == "2026-11-23"
    assert record["data"]["kind"] == "corrective"
    assert record["data"]["reason"] == "Prime oubliée"
    assert record["data"]["lines"] == [{"last_name": "Martin", "first_name": "Julie",
                                        "gross": "2950,00", "hours": 151.67}]
    assert audit_count(demo, sid) == before + 1

    # the case page shows it: a heading per record, a table of its answers
    shown = page.soup.select_one(".case-records")
    assert shown is not None
    text = " ".join(shown.get_text(" ").split())
    assert f"{TITLE}, le 23/11/2026" in text
    assert "Déclaration rectificative" in text and "Ligne n° 1 — Nom Martin" in text
    assert "Montant total brut (€) 2 950,00 €" in text and "Motif Prime oubliée" in text


def test_the_case_pages_fire_button_leads_to_the_form_page(demo: Flask) -> None:  # noqa: F811
    sid = received(demo)
    portal = signed_in(demo, staff(demo, ("recouvrement",)), "fr")
    portal.get(f"/backoffice/submissions/{sid}")
    page = portal.post(f"/backoffice/submissions/{sid}/transitions",
                       {"transition": "record_correction", "revision": "1"}, follow=False)
    assert page.status == 303
    assert page.headers["Location"].endswith(
        f"/backoffice/submissions/{sid}/transitions/record_correction")
    assert stored(demo, sid) == ("received", [])


def test_a_stale_revision_keeps_the_answers_and_saves_nothing(demo: Flask) -> None:  # noqa: F811
    sid = received(demo)
    portal = signed_in(demo, staff(demo, ("recouvrement",)), "fr")
    page = portal.get(f"/backoffice/submissions/{sid}/transitions/record_correction")
    page = portal.submit(page, button="add:lines")
    page = portal.submit(page, {**LINE, "kind": "corrective", "reason": "Prime",
                                "revision": "0"}, button="Enregistrer")
    assert page.status == 409 and page.errors()
    assert page.attr("input[name=lines-0-last_name]", "value") == "Martin"
    assert stored(demo, sid) == ("received", [])


def test_a_prestations_agent_cannot_record_a_correction(demo: Flask) -> None:  # noqa: F811
    sid = received(demo)
    portal = signed_in(demo, staff(demo, ("prestations",)), "fr")
    page = portal.get(f"/backoffice/submissions/{sid}/transitions/record_correction")
    assert page.status in (403, 404)
    portal.get("/backoffice/")
    page = portal.post(f"/backoffice/submissions/{sid}/transitions/record_correction",
                       {**LINE, "kind": "corrective", "reason": "x", "revision": "1",
                        "action": "save"})
    assert page.status in (403, 404)
    assert stored(demo, sid) == ("received", [])


def test_a_staff_member_who_sees_the_file_without_the_role_is_refused(
        demo: Flask) -> None:  # noqa: F811
    sid = received(demo)
    portal = signed_in(demo, staff(demo, ("admin",)), "fr")
    page = portal.get(f"/backoffice/submissions/{sid}/transitions/record_correction")
    assert page.status == 403 and "recouvrement" in page.text
    page = portal.post(f"/backoffice/submissions/{sid}/transitions/record_correction",
                       {**LINE, "kind": "corrective", "reason": "x", "revision": "1",
                        "action": "save"})
    assert page.status == 403 and "recouvrement" in page.text
    assert stored(demo, sid) == ("received", [])


def test_a_transition_without_a_form_has_no_form_page(demo: Flask) -> None:  # noqa: F811
    sid = received(demo)
    portal = signed_in(demo, staff(demo, ("recouvrement",)), "fr")
    assert portal.get(f"/backoffice/submissions/{sid}/transitions/nothing").status == 404


def test_the_staff_api_takes_the_answers_as_data(demo: Flask) -> None:  # noqa: F811
    sid = received(demo)
    api = Api(demo.test_client(), token_for(demo, staff(demo, ("recouvrement",)).account_id))
    url = f"/api/v1/staff/submissions/{sid}/transitions"
    r = api.post(url, {"name": "record_correction", "revision": 1})
    assert r.status_code == 422, r.json
    assert r.json["code"] == "invalid_step_data"
    assert {"/kind", "/lines", "/reason"} <= {e["path"] for e in r.json["errors"]}
    r = api.post(url, {"name": "record_correction", "revision": 1,
                       "data": {"kind": "corrective", "reason": "x", "lines": [
                           {"last_name": "Martin", "first_name": "Julie", "gross": "abc",
                            "hours": 10}]}})
    assert r.status_code == 422 and [e["path"] for e in r.json["errors"]] == ["/lines/0/gross"]
    assert r.json["errors"][0]["path"] == "/lines/0/gross"
    assert stored(demo, sid) == ("received", [])
    r = api.post(url, {"name": "record_correction", "revision": 1, "data": "nope"})
    assert r.status_code == 400
    data = {"kind": "complementary", "reason": "Salarié omis.",
            "lines": [{"last_name": "Costa", "first_name": "Ana", "gross": "300", "hours": 20}]}
    r = api.post(url, {"name": "record_correction", "revision": 1, "data": data})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "corrected"
    assert r.json["records"] == [{"transition": "record_correction", "on": "2026-11-23",
                                  "data": data}]
    assert stored(demo, sid)[1][0]["data"] == data
