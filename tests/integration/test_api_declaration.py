"""The annual resource declaration through the JSON API: every branch, back, cancel, submit,
amend and the refusals (reference 002, "Option déclaration de ressources")."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest

from tests.factories import member, staff
from tests.integration.api_client import Api

INCOME = {"incomes": [{"category": "basic_pension", "amount": "18000", "months": 12},
                      {"category": "complementary_pension", "amount": "6250,50", "months": 12}],
          "total_months": 12}
NO_INCOME = {"incomes": [], "total_months": 0}
CHILDREN = {"count": 1, "children": [{"first_name": "Léa", "birth_date": "2012-03-01",
                                      "regime": "csm"}]}


def logged_in(client, **kwargs) -> Api:
    who = member(client.application, **kwargs)
    return Api(client).login(who.identifier, who.password)


def accept_terms(api: Api, sid: str) -> None:
    r = api.post(f"/api/v1/submissions/{sid}/documents/cgu")
    assert r.status_code == 200 and "Caisses Sociales" in r.json["body"]
    r = api.answer(sid, "terms", {"accepted": True})
    assert r.status_code == 200, r.json


def test_full_declaration_with_spouse_and_children(client):
    api = logged_in(client, spouse=True, children_section=True)
    sub = api.start()
    sid = sub["id"]
    current = client.application.extensions["csm"].catalog.current("resource_declaration")
    assert (sub["status"], sub["step"], sub["version"]) == ("draft", "terms", current.version)
    accept_terms(api, sid)
    assert api.answer(sid, "situation", {"code": "none"}).json["step"] == "income_declarant"
    assert api.answer(sid, "income_declarant", INCOME).json["step"] == "income_spouse"
    assert api.answer(sid, "income_spouse", NO_INCOME).json["step"] == "observations"
    assert api.answer(sid, "observations", {"text": "Retraité depuis 2019"}).json["step"] == \
        "children"
    r = api.answer(sid, "children", CHILDREN)
    assert r.json["step"] == "summary"
    assert "submit" in r.json["actions"]
    assert r.json["steps"] == ["terms", "situation", "income_declarant", "income_spouse",
                               "observations", "children", "summary"]
    r = api.act(sid, "submit")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "submitted"
    assert r.json["receipt"]["number"] == "RD-2026-000001"
    assert r.json["actions"] == ["amend"]
    pdf = api.get(r.json["receipt"]["url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    text = " ".join(text.split())
    assert "RD-2026-000001" in text and "Déclaration de ressources" in text
    assert "Retraite complémentaire" in text and "Léa" in text


def test_special_situation_goes_straight_to_summary(client):
    api = logged_in(client, spouse=True, children_section=True)
    sid = api.start()["id"]
    accept_terms(api, sid)
    r = api.answer(sid, "situation", {"code": "other_scheme"})
    assert r.json["step"] == "summary"
    assert r.json["steps"] == ["terms", "situation", "summary"]
    r = api.act(sid, "submit")
    assert r.status_code == 200 and r.json["status"] == "submitted"
    assert set(r.json["submitted"]) == {"terms", "situation"}


def test_single_member_without_children_section_skips_both(client):
    api = logged_in(client, spouse=False, children_section=False)
    sid = api.start()["id"]
    accept_terms(api, sid)
    api.answer(sid, "situation", {"code": "none"})
    assert api.answer(sid, "income_declarant", INCOME).json["step"] == "observations"
    assert api.answer(sid, "observations", {}).json["step"] == "summary"
    r = api.answer(sid, "income_spouse", NO_INCOME)
    assert r.status_code == 409 and r.json["code"] == "step_not_open"


def test_terms_must_be_opened_before_being_accepted(client):
    api = logged_in(client)
    sid = api.start()["id"]
    r = api.answer(sid, "terms", {"accepted": True})
    assert r.status_code == 422
    assert r.json["errors"] == [{"path": "/accepted", "code": "document_not_opened", "message":
                                 "Vous devez d'abord ouvrir et lire « Conditions générales"
                                 " d'utilisation »."}]
    api.post(f"/api/v1/submissions/{sid}/documents/cgu")
    r = api.answer(sid, "terms", {"accepted": False})
    assert r.status_code == 422 and r.json["errors"][0]["message"] == \
        "Vous devez accepter les conditions générales d'utilisation pour continuer."


def test_invalid_data_is_refused_in_french_and_english_and_never_stored(client):
    api = logged_in(client)
    sid = api.start()["id"]
    accept_terms(api, sid)
    api.answer(sid, "situation", {"code": "none"})
    bad = {"incomes": [{"category": "salary", "amount": "1000", "months": 13}],
           "total_months": 12}
    r = api.answer(sid, "income_declarant", bad)
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert {"path": "/incomes/0/months", "code": "range",
            "message": "Le nombre de mois doit être compris entre 1 et 12"} in r.json["errors"]
    english = Api(client, api.token, lang="en")
    r = english.answer(sid, "income_declarant", bad)
    assert {"path": "/incomes/0/months", "code": "range",
            "message": "The number of months must be between 1 and 12"} in r.json["errors"]
    overlap = {"incomes": [{"category": "salary", "amount": "1000", "months": 12},
                           {"category": "basic_pension", "amount": "900", "months": 12}],
               "total_months": 24}
    r = api.answer(sid, "income_declarant", overlap)
    assert r.status_code == 422 and r.json["errors"][0]["path"] == "/total_months"
    after = api.get(f"/api/v1/submissions/{sid}").json
    assert "income_declarant" not in after["data"] and after["step"] == "income_declarant"


def test_back_goes_to_the_previous_step_and_keeps_answers(client):
    api = logged_in(client)
    sid = api.start()["id"]
    r = api.act(sid, "back")
    assert r.status_code == 409 and r.json["code"] == "no_previous_step"
    accept_terms(api, sid)
    api.answer(sid, "situation", {"code": "none"})
    r = api.act(sid, "back")
    assert r.json["step"] == "situation" and r.json["data"]["situation"] == {"code": "none"}
    step = api.get(f"/api/v1/submissions/{sid}/steps/situation").json
    assert step["data"] == {"code": "none"} and step["schema"]["required"] == ["code"]
    assert api.answer(sid, "situation", {"code": "none"}).json["step"] == "income_declarant"


def test_change_from_summary_returns_to_summary_or_opens_skipped_steps(client):
    api = logged_in(client, spouse=True)
    sid = api.start()["id"]
    accept_terms(api, sid)
    assert api.answer(sid, "situation", {"code": "other_scheme"}).json["step"] == "summary"
    # removing the special situation opens the income steps: they come first
    r = api.answer(sid, "situation", {"code": "none"})
    assert r.json["step"] == "income_declarant"
    api.answer(sid, "income_declarant", INCOME)
    r = api.answer(sid, "income_spouse", NO_INCOME)
    assert r.json["step"] == "observations"
    assert api.answer(sid, "observations", {}).json["step"] == "summary"
    # a change to an answered step goes back to the summary
    assert api.answer(sid, "observations", {"text": "ok"}).json["step"] == "summary"
    # answers that no longer apply are not submitted
    api.answer(sid, "situation", {"code": "income_paid_by_fund"})
    r = api.act(sid, "submit")
    assert set(r.json["submitted"]) == {"terms", "situation"}


def test_cancel_means_not_taken_into_account(client):
    api = logged_in(client)
    sid = api.start()["id"]
    accept_terms(api, sid)
    r = api.act(sid, "cancel")
    assert r.status_code == 200 and r.json["status"] == "cancelled" and r.json["actions"] == []
    r = api.answer(sid, "situation", {"code": "none"})
    assert r.status_code == 409
    r = api.act(sid, "submit")
    assert r.status_code == 409 and r.json["code"] == "already_cancelled"
    # a cancelled declaration does not block a new one
    assert api.start()["id"] != sid


def _submitted(api: Api) -> str:
    sid = api.start()["id"]
    accept_terms(api, sid)
    api.answer(sid, "situation", {"code": "other_scheme"})
    assert api.act(sid, "submit").json["status"] == "submitted"
    return sid


def test_amend_until_staff_start_processing_then_manual_message(client):
    api = logged_in(client)
    sid = _submitted(api)
    r = api.act(sid, "amend")
    assert r.status_code == 200 and r.json["editing"] and r.json["step"] == "summary"
    api.answer(sid, "situation", {"code": "none"})
    api.answer(sid, "income_declarant", INCOME)
    api.answer(sid, "observations", {})
    r = api.act(sid, "submit")
    assert r.json["status"] == "submitted" and r.json["receipt"]["number"] == "RD-2026-000001"
    assert set(r.json["submitted"]) == {"terms", "situation", "income_declarant",
                                        "observations"}
    agent = staff(client.application)
    staff_api = Api(client).login(agent.identifier, agent.password)
    revision = staff_api.get(f"/api/v1/submissions/{sid}").json["revision"]
    r = staff_api.post(f"/api/v1/staff/submissions/{sid}/transitions",
                       {"name": "start_review", "revision": revision})
    assert r.status_code == 200 and r.json["status"] == "in_review"
    r = api.act(sid, "amend")
    assert r.status_code == 409 and r.json["code"] == "not_amendable"
    assert r.json["detail"].startswith("Votre déclaration a déjà été prise en compte par le"
                                       " Service Immatriculation")


def test_staff_edits_while_member_amends_keep_the_last_submitted_answers(client):
    api = logged_in(client)
    sid = _submitted(api)
    api.act(sid, "amend")
    api.answer(sid, "situation", {"code": "none"})
    agent = staff(client.application)
    staff_api = Api(client).login(agent.identifier, agent.password)
    revision = staff_api.get(f"/api/v1/submissions/{sid}").json["revision"]
    staff_api.post(f"/api/v1/staff/submissions/{sid}/transitions",
                   {"name": "start_review", "revision": revision})
    after = api.get(f"/api/v1/submissions/{sid}").json
    assert after["editing"] is False and after["data"]["situation"] == {"code": "other_scheme"}
    assert api.answer(sid, "income_declarant", INCOME).status_code == 409


def test_submit_twice_gives_one_receipt(client):
    api = logged_in(client)
    sid = _submitted(api)
    again = api.act(sid, "submit")
    assert again.status_code == 200 and again.json["receipt"]["number"] == "RD-2026-000001"


def test_submit_before_summary_is_refused(client):
    api = logged_in(client)
    sid = api.start()["id"]
    r = api.act(sid, "submit")
    assert r.status_code == 409 and r.json["code"] == "not_ready"


def test_not_recipient_gets_the_manual_message(client):
    api = logged_in(client, recipient=False)
    listing = api.get("/api/v1/workflows").json["workflows"]
    declaration = next(w for w in listing if w["id"] == "resource_declaration")
    assert declaration["available"] is False
    assert declaration["reason"]["message"] == ("Nous disposons de l'ensemble des informations"
                                                " nous permettant de déterminer votre couleur"
                                                " de carte.")
    r = api.post("/api/v1/workflows/resource_declaration/submissions")
    assert r.status_code == 403 and r.json["code"] == "not_recipient"


def test_closed_campaign_is_refused(client):
    api = logged_in(client, campaign_open=False)
    r = api.post("/api/v1/workflows/resource_declaration/submissions")
    assert r.status_code == 403 and r.json["code"] == "campaign_closed"
    assert "novembre à février" in r.json["detail"]


def test_one_declaration_per_campaign_and_idempotency_key(client):
    api = logged_in(client)
    key = {"Idempotency-Key": "k-123"}
    first = api.post("/api/v1/workflows/resource_declaration/submissions", headers=key)
    second = api.post("/api/v1/workflows/resource_declaration/submissions", headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    third = api.post("/api/v1/workflows/resource_declaration/submissions")
    assert third.status_code == 409 and third.json["code"] == "already_exists"
    assert third.json["submission_id"] == first.json["id"]
    assert len(api.get("/api/v1/submissions").json["submissions"]) == 1


def test_another_members_submission_looks_like_a_missing_one(client):
    owner = logged_in(client)
    sid = owner.start()["id"]
    other = logged_in(client)
    mine = other.get(f"/api/v1/submissions/{sid}")
    missing = other.get("/api/v1/submissions/00000000-0000-4000-8000-000000000000")
    assert mine.status_code == missing.status_code == 404
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(mine.json) == strip(missing.json)
    for url, verb in [(f"/api/v1/submissions/{sid}/steps/terms", "get"),
                      (f"/api/v1/submissions/{sid}/cancel", "post"),
                      (f"/api/v1/submissions/{sid}/receipt.pdf", "get")]:
        r = getattr(other, verb)(url)
        assert r.status_code == 404, url
    assert other.answer(sid, "terms", {"accepted": True}).status_code == 404
    assert owner.get(f"/api/v1/submissions/{sid}").json["status"] == "draft"


def test_staff_transitions_need_the_role_and_a_fresh_revision(client):
    api = logged_in(client)
    sid = _submitted(api)
    wrong = staff(client.application, roles=("recouvrement",))
    wrong_api = Api(client).login(wrong.identifier, wrong.password)
    assert wrong_api.get(f"/api/v1/submissions/{sid}").status_code == 404
    agent = staff(client.application)
    staff_api = Api(client).login(agent.identifier, agent.password)
    queue = staff_api.get("/api/v1/staff/submissions?workflow=resource_declaration").json
    assert [s["id"] for s in queue["submissions"]] == [sid]
    revision = queue["submissions"][0]["revision"]
    r = staff_api.post(f"/api/v1/staff/submissions/{sid}/transitions",
                       {"name": "accept", "revision": revision})
    assert r.status_code == 422 and r.json["code"] == "transition_not_allowed"
    r = staff_api.post(f"/api/v1/staff/submissions/{sid}/transitions",
                       {"name": "start_review", "revision": revision - 1})
    assert r.status_code == 409 and r.json["code"] == "stale_revision"
    r = staff_api.post(f"/api/v1/staff/submissions/{sid}/transitions",
                       {"name": "start_review", "revision": revision, "comment": "vu"})
    assert r.status_code == 200 and r.json["status"] == "in_review"
    assert api.get("/api/v1/staff/submissions").status_code == 404  # members never see it


def test_logout_ends_the_token(client):
    api = logged_in(client)
    assert api.get("/api/v1/submissions").status_code == 200
    assert client.delete("/api/v1/auth/token", headers=api.headers()).status_code == 204
    assert api.get("/api/v1/submissions").status_code == 401


def test_wrong_password_is_generic_then_locked(client):
    who = member(client.application)
    svc = client.application.extensions["csm"]
    svc.clock.freeze()
    answers = []
    for _ in range(10):
        r = client.post("/api/v1/auth/token", json={"identifier": who.identifier,
                                                     "password": "Wrong123"})
        answers.append(r.status_code)
        svc.clock.advance(timedelta(seconds=svc.settings.login_delay_max_seconds))
    unknown = client.post("/api/v1/auth/token", json={"identifier": "999999-01011990",
                                                       "password": "Wrong123"})
    assert answers == [401] * 10
    assert unknown.json["detail"] == "Identifiant ou mot de passe incorrect."
    r = client.post("/api/v1/auth/token", json={"identifier": who.identifier,
                                                 "password": who.password})
    # locked, yet answered as a wrong password: nothing tells a lock from a bad guess
    assert r.status_code == 401 and "Retry-After" not in r.headers
    assert {k: v for k, v in r.json.items() if k != "request_id"} == \
        {k: v for k, v in unknown.json.items() if k != "request_id"}


@pytest.mark.parametrize("body,content_type,status,code", [
    ("{", "application/json", 400, "invalid_json"),
    ('{"data": NaN}', "application/json", 400, "invalid_json"),
    ("[" * 50000 + "]" * 50000, "application/json", 400, "invalid_json"),
    ('{"data": {}}', "text/plain", 415, "unsupported_media_type"),
    ('{"nodata": 1}', "application/json", 400, "missing_data"),
    ('{"data": {"accepted": true, "extra": 1}}', "application/json", 422, "invalid_step_data"),
    ('{"data": "x"}', "application/json", 422, "invalid_step_data"),
])
def test_bad_input_gets_a_clear_error_never_a_500(client, body, content_type, status, code):
    api = logged_in(client)
    sid = api.start()["id"]
    api.post(f"/api/v1/submissions/{sid}/documents/cgu")
    r = client.put(f"/api/v1/submissions/{sid}/steps/terms", data=body,
                   content_type=content_type, headers=api.headers())
    assert (r.status_code, r.json["code"]) == (status, code)
    assert api.get(f"/api/v1/submissions/{sid}").json["data"] == {}


def test_openapi_lists_every_step_schema(client):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    version = client.application.extensions["csm"].catalog.current("resource_declaration").version
    for step in ("terms", "situation", "income_declarant", "income_spouse", "observations",
                 "children"):
        assert f"resource_declaration.v{version}.{step}" in schemas
    assert schemas[f"resource_declaration.v{version}.income_declarant"]["properties"]["incomes"]
    assert "/api/v1/submissions/{submission_id}/steps/{step}" in doc["paths"]
