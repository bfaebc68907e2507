"""The API's manners: sizes, headers, languages, the event log (SECURITY VAL-02, CONF-01)."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import member
from tests.integration.api_client import Api
from web.db.models import SubmissionEvent


def test_a_body_over_the_limit_gets_413_not_500(client):
    r = client.post("/api/v1/auth/token", data="x" * (300 * 1024),
                    content_type="application/json")
    assert r.status_code == 413 and r.json["code"] == "http_413"


def test_unknown_routes_and_methods_are_problems(client):
    r = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and r.json["detail"] == "This resource does not exist."
    r = client.patch("/api/v1/auth/token")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]


def test_security_headers_and_no_store(client):
    r = client.get("/api/v1/openapi.json")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Frame-Options"] == "DENY"


def test_messages_follow_accept_language(client):
    who = member(client.application)
    api = Api(client, lang="en").login(who.identifier, who.password)
    sid = api.start()["id"]
    r = api.answer(sid, "terms", {"accepted": True})
    assert r.json["title"] == "Data to correct"
    assert r.json["errors"][0]["message"] == "You must first open and read “Terms of use”."
    assert r.headers["Content-Language"] == "en"
    french = Api(client, api.token, lang="fr-FR,fr;q=0.9")
    assert french.answer(sid, "terms", {"accepted": True}).json["title"] == "Données à corriger"


def test_every_change_is_logged_with_who_and_what_but_not_the_answers(client):
    who = member(client.application)
    api = Api(client).login(who.identifier, who.password)
    sid = api.start()["id"]
    api.post(f"/api/v1/submissions/{sid}/documents/cgu")
    api.answer(sid, "terms", {"accepted": True})
    api.act(sid, "back")
    with client.application.extensions["csm"].sessions() as s:
        events = s.scalars(select(SubmissionEvent).where(SubmissionEvent.submission_id == sid)
                           .order_by(SubmissionEvent.id)).all()
    assert [e.event for e in events] == ["started", "document_opened", "step_answered",
                                         "went_back"]
    assert {e.actor_id for e in events} == {who.account_id}
    assert all(e.at is not None and e.at.tzinfo is not None for e in events)
    answered = events[2]
    assert answered.detail == {"status": "draft", "step": "situation", "answered": "terms"}


def test_the_home_page_sends_a_visitor_to_the_login_page(client):
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
