"""Staff decisions through the API: reasons, one audit entry per decision in a hash chain the
database will not let anyone rewrite, the member notified as the mail options say, and two staff
members deciding at once (SECURITY LOG-03, REL-04; issue 5)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.factories import member, staff
from tests.integration.api_client import Api
from tests.integration.portal_client import Portal
from web import audit
from web.accounts.mail_options import set_mail_channel
from web.db.models import (
    Account,
    Letter,
    Notification,
    OutboxMessage,
    Submission,
    SubmissionEvent,
)
from web.tokens import issue


def token_for(app: Any, account_id: str) -> str:
    svc = app.extensions["csm"]
    with svc.sessions.begin() as s:
        account = s.get(Account, account_id)
        return issue(s, account, svc.clock.now(), 8, kind="api").token


def submitted(app: Any, *, channel: str = "post") -> tuple[Api, str]:
    who = member(app)
    if channel == "email":
        svc = app.extensions["csm"]
        with svc.sessions.begin() as s:
            set_mail_channel(s, s.get(Account, who.account_id), "email", svc.clock.now())
    api = Api(app.test_client(), token_for(app, who.account_id))
    sid = api.start()["id"]
    api.post(f"/api/v1/submissions/{sid}/documents/cgu")
    api.answer(sid, "terms", {"accepted": True})
    api.answer(sid, "situation", {"code": "other_scheme"})
    assert api.act(sid, "submit").json["status"] == "submitted"
    return api, sid


def agent(app: Any, roles: tuple[str, ...] = ("immatriculation",)) -> Api:
    return Api(app.test_client(), token_for(app, staff(app, roles).account_id))


def fire(api: Api, sid: str, name: str, comment: str | None = None) -> Any:
    revision = api.get(f"/api/v1/submissions/{sid}").json["revision"]
    body: dict[str, Any] = {"name": name, "revision": revision}
    if comment is not None:
        body["comment"] = comment
    return api.post(f"/api/v1/staff/submissions/{sid}/transitions", body)


def events(app: Any, sid: str) -> list[SubmissionEvent]:
    with app.extensions["csm"].sessions() as s:
        return list(s.scalars(select(SubmissionEvent).where(
            SubmissionEvent.submission_id == sid).order_by(SubmissionEvent.seq)))


def count(app: Any, model: Any, **where: Any) -> int:
    with app.extensions["csm"].sessions() as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(s.scalar(query) or 0)


# --- reasons and the audit entry -------------------------------------------------------------

@pytest.mark.parametrize("comment", [None, "", "   "])
def test_asking_for_documents_needs_a_reason_and_changes_nothing_without_one(app, comment):
    _, sid = submitted(app)
    staff_api = agent(app)
    assert fire(staff_api, sid, "start_review").status_code == 200
    before = len(events(app, sid))
    r = fire(staff_api, sid, "request_documents", comment)
    assert r.status_code == 422 and r.json["code"] == "reason_required"
    assert "motif" in r.json["detail"]
    assert staff_api.get(f"/api/v1/submissions/{sid}").json["status"] == "in_review"
    assert len(events(app, sid)) == before
    assert count(app, Notification, submission_id=sid) == 0


def test_a_decision_is_one_audit_entry_saying_who_from_where_to_where_and_why(app):
    _, sid = submitted(app)
    staff_api = agent(app)
    fire(staff_api, sid, "start_review")
    r = fire(staff_api, sid, "reject", "Déclaration en double")
    assert r.status_code == 200 and r.json["status"] == "rejected"
    last = events(app, sid)[-1]
    assert last.event == "staff:reject" and last.actor_kind == "staff"
    assert last.detail == {"status": "rejected", "step": "summary", "from": "in_review",
                           "to": "rejected", "comment": "Déclaration en double"}
    assert [e.event for e in events(app, sid)][-2:] == ["staff:start_review", "staff:reject"]


def test_a_member_cannot_fire_a_staff_transition(app):
    api, sid = submitted(app)
    r = fire(api, sid, "start_review")
    assert r.status_code == 404
    assert api.get(f"/api/v1/submissions/{sid}").json["status"] == "submitted"


# --- the chain ---------------------------------------------------------------------------------

def test_the_chain_of_a_whole_life_verifies(app):
    api, sid = submitted(app)
    api.act(sid, "amend")
    api.act(sid, "submit")
    staff_api = agent(app)
    fire(staff_api, sid, "start_review")
    fire(staff_api, sid, "request_documents", "Avis d'imposition")
    fire(staff_api, sid, "accept")
    chain = events(app, sid)
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:], strict=False))
    with app.extensions["csm"].sessions() as s:
        assert list(audit.verify(s)) == []


@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
def test_the_database_refuses_to_rewrite_the_trail(app, verb):
    _, sid = submitted(app)
    statement = {"UPDATE": "UPDATE submission_events SET event = 'forged' WHERE submission_id = :s",
                 "DELETE": "DELETE FROM submission_events WHERE submission_id = :s"}[verb]
    svc = app.extensions["csm"]
    with pytest.raises(DBAPIError, match="append-only"), svc.sessions.begin() as s:
        s.execute(text(statement), {"s": sid})
    assert [e.event for e in events(app, sid)][-1] == "submitted"


def _without_guard(app: Any, statement: str, **params: Any) -> None:
    """What only the database's owner can do: lift the triggers, change a row, put them back."""
    svc = app.extensions["csm"]
    with svc.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE submission_events DISABLE TRIGGER USER"))
            conn.execute(text(statement), params)
            conn.execute(text("ALTER TABLE submission_events ENABLE TRIGGER USER"))
            return
        triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                                     " AND tbl_name = 'submission_events'")).all()
        for name, _ in triggers:
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        conn.execute(text(statement), params)
        for _, sql in triggers:
            conn.execute(text(sql))


def test_the_verifier_names_the_first_edited_entry(app):
    api, sid = submitted(app)
    _, other = submitted(app)
    target = events(app, sid)[2]
    _without_guard(app, "UPDATE submission_events SET actor_kind = 'staff' WHERE id = :i",
                   i=target.id)
    with app.extensions["csm"].sessions() as s:
        broken = list(audit.verify(s))
    assert [(b.submission_id, b.seq) for b in broken] == [(sid, target.seq)]
    assert "changed" in broken[0].reason
    with app.extensions["csm"].sessions() as s:
        assert list(audit.verify(s, other)) == []


def test_the_verifier_notices_a_removed_entry(app):
    _, sid = submitted(app)
    chain = events(app, sid)
    _without_guard(app, "DELETE FROM submission_events WHERE id = :i", i=chain[1].id)
    with app.extensions["csm"].sessions() as s:
        [broken] = audit.verify(s)
    assert (broken.seq, broken.reason) == (3, "entry 2 is missing (found 3)")


# --- notifications -----------------------------------------------------------------------------

def test_a_member_who_chose_email_gets_an_email_and_an_entry(app):
    api, sid = submitted(app, channel="email")
    staff_api = agent(app)
    fire(staff_api, sid, "start_review")  # not announced: no notify on in_review
    assert count(app, Notification, submission_id=sid) == 0
    fire(staff_api, sid, "request_documents", "Merci de joindre l'avis d'imposition 2025.")
    receipt = api.get(f"/api/v1/submissions/{sid}").json["receipt"]["number"]
    with app.extensions["csm"].sessions() as s:
        [note] = s.scalars(select(Notification).where(Notification.submission_id == sid))
        [mail] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notification"))
        letters = s.scalar(select(func.count()).select_from(Letter).where(
            Letter.kind == "notification"))
    assert (note.state, note.channel, letters) == ("awaiting_documents", "email", 0)
    assert note.content["fr"]["subject"] == (
        f"Déclaration de ressources {receipt} : pièces complémentaires attendues")
    assert "Merci de joindre l'avis d'imposition 2025." in note.content["en"]["body"]
    assert mail.subject == note.content["fr"]["subject"]
    assert "Nous demeurons dans l'attente de pièces complémentaires" in mail.body_text
    assert "We are still waiting for additional documents" in mail.body_text


def test_a_member_who_receives_post_gets_a_letter_queued(app):
    _, sid = submitted(app)
    staff_api = agent(app)
    fire(staff_api, sid, "start_review")
    fire(staff_api, sid, "accept")
    with app.extensions["csm"].sessions() as s:
        [note] = s.scalars(select(Notification).where(Notification.submission_id == sid))
        [letter] = s.scalars(select(Letter).where(Letter.kind == "notification"))
    assert (note.state, note.channel) == ("processed", "post")
    assert letter.content["submission_id"] == sid
    assert letter.content["fr"]["subject"].endswith(": déclaration traitée")
    assert count(app, OutboxMessage, kind="notification") == 0


# --- two staff members at once -------------------------------------------------------------------

def test_two_staff_members_deciding_at_once_one_wins(app):
    _, sid = submitted(app, channel="email")
    first, second = agent(app), agent(app)
    fire(first, sid, "start_review")
    revision = first.get(f"/api/v1/submissions/{sid}").json["revision"]
    before = len(events(app, sid))
    barrier = threading.Barrier(2)
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()

    def decide(api: Api, name: str, comment: str) -> None:
        client = Api(app.test_client(), api.token)
        barrier.wait()
        r = client.post(f"/api/v1/staff/submissions/{sid}/transitions",
                        {"name": name, "revision": revision, "comment": comment})
        with lock:
            answers.append((name, r.status_code))

    threads = [threading.Thread(target=decide, args=(first, "accept", "Complet")),
               threading.Thread(target=decide, args=(second, "reject", "Doublon"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(code for _, code in answers) == [200, 409], answers
    [winner] = [name for name, code in answers if code == 200]
    chain = events(app, sid)
    assert len(chain) == before + 1 and chain[-1].event == f"staff:{winner}"
    assert count(app, Notification, submission_id=sid) == 1
    assert count(app, OutboxMessage, kind="notification") == 1
    status = first.get(f"/api/v1/submissions/{sid}").json["status"]
    assert status == {"accept": "processed", "reject": "rejected"}[winner]


# --- what the member sees ------------------------------------------------------------------------

def test_the_member_page_says_documents_are_awaited_and_lists_the_message(app):
    who = member(app)
    api = Api(app.test_client(), token_for(app, who.account_id))
    sid = api.start()["id"]
    api.post(f"/api/v1/submissions/{sid}/documents/cgu")
    api.answer(sid, "terms", {"accepted": True})
    api.answer(sid, "situation", {"code": "other_scheme"})
    api.act(sid, "submit")
    staff_api = agent(app)
    fire(staff_api, sid, "start_review")
    fire(staff_api, sid, "request_documents", "Joindre l'avis d'imposition <b>2025</b>.")
    portal = Portal(app.test_client())
    portal.login(who.identifier, who.password)
    home = portal.get("/")
    assert "Latest messages" not in home.text  # French by default
    assert "Derniers messages" in home.text and "nouveau" in home.text
    page = portal.get(f"/submissions/{sid}")
    assert page.soup.select_one("#state-notice").get_text(strip=True) == (
        "Nous demeurons dans l'attente de pièces complémentaires."
        " Merci de bien vouloir nous contacter.")
    assert "Joindre l'avis d'imposition <b>2025</b>." in page.text  # shown as text, escaped
    assert page.soup.select_one(".message b") is None
    assert "ne peut plus être modifiée" in page.text  # amending closed, with the manual's words
    assert "nouveau" not in portal.get("/").text  # read once its page was opened


def test_the_audit_verify_command_reports_the_broken_link_and_fails(app):
    _, sid = submitted(app)
    runner = app.test_cli_runner()
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0 and "audit trail intact" in intact.output
    target = events(app, sid)[1]
    _without_guard(app, "UPDATE submission_events SET at = at WHERE id = :i", i=target.id)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # an identical rewrite
    _without_guard(app, "UPDATE submission_events SET revision = revision + 7 WHERE id = :i",
                   i=target.id)
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"submission {sid}: entry {target.seq} (id {target.id})" in broken.output
    assert "hash differs" in broken.output
    other = runner.invoke(args=["audit", "verify", "--submission", "someone-else"])
    assert other.exit_code == 0


# --- the staff API, with each role ---------------------------------------------------------------

@pytest.mark.parametrize(("roles", "queue", "listed", "fired"), [
    (("immatriculation",), 200, 1, 200),
    (("recouvrement",), 403, 0, 404),
    (("prestations",), 403, 0, 404),
    (("admin",), 200, 1, 403),  # sees every service, decides nothing without the role
])
def test_the_staff_api_with_each_role(app, roles, queue, listed, fired):
    _, sid = submitted(app)
    api = agent(app, roles)
    r = api.get("/api/v1/staff/submissions?workflow=resource_declaration")
    assert r.status_code == queue, r.json
    everything = api.get("/api/v1/staff/submissions").json["submissions"]
    assert len(everything) == listed
    with app.extensions["csm"].sessions() as s:
        revision = s.get(Submission, sid).revision
    r = api.post(f"/api/v1/staff/submissions/{sid}/transitions",
                 {"name": "start_review", "revision": revision})
    assert r.status_code == fired, r.json


def test_a_member_token_on_the_staff_api_gets_404(app):
    api, sid = submitted(app)
    assert api.get("/api/v1/staff/submissions").status_code == 404
    r = api.post(f"/api/v1/staff/submissions/{sid}/transitions",
                 {"name": "start_review", "revision": 1})
    assert r.status_code == 404
