"""The back office's pages: queues, a file's page and its actions, CSV export, metrics (issue 5).

Driven through the real forms (CSRF on) by the test browser of portal_client.py, signed in with
password and authenticator code. English pages (``Accept-Language: en``) unless said otherwise.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from tests.factories import Staff, member, staff, totp_code
from tests.integration.api_client import Api
from tests.integration.portal_client import Page, Portal
from web.db.models import Account, Notification, Person, Submission, SubmissionEvent
from web.tokens import issue


def browser(app: Flask, lang: str = "en") -> Portal:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    return Portal(client)


def signed_in(app: Flask, who: Staff, lang: str = "en") -> Portal:
    portal = browser(app, lang)
    page = portal.submit(portal.get("/backoffice/login"),
                         {"identifier": who.identifier, "password": who.password})
    assert page.path == "/backoffice/second-factor", page.text
    page = portal.submit(page, {"code": totp_code(app, who)})
    assert page.status == 200 and page.path.startswith("/backoffice"), page.text
    return portal


def submitted(app: Flask, last_name: str | None = None,
              first_name: str | None = None) -> tuple[str, str, str]:
    """A member's submitted declaration: (submission id, receipt number, identifier)."""
    who = member(app)
    svc = app.extensions["csm"]
    with svc.sessions.begin() as s:
        account = s.get(Account, who.account_id)
        token = issue(s, account, svc.clock.now(), 8, kind="api").token
        names = {k: v for k, v in (("last_name", last_name), ("first_name", first_name)) if v}
        if names:
            s.execute(update(Person).where(Person.id == account.person_id).values(**names))
    api = Api(app.test_client(), token)
    sid = api.start()["id"]
    api.post(f"/api/v1/submissions/{sid}/documents/cgu")
    api.answer(sid, "terms", {"accepted": True})
    api.answer(sid, "situation", {"code": "other_scheme"})
    r = api.act(sid, "submit")
    return sid, r.json["receipt"]["number"], who.identifier


def draft(app: Flask) -> str:
    who = member(app)
    svc = app.extensions["csm"]
    with svc.sessions.begin() as s:
        token = issue(s, s.get(Account, who.account_id), svc.clock.now(), 8, kind="api").token
    return str(Api(app.test_client(), token).start()["id"])


def audit_count(app: Flask, sid: str) -> int:
    with app.extensions["csm"].sessions() as s:
        return int(s.scalar(select(func.count()).select_from(SubmissionEvent)
                            .where(SubmissionEvent.submission_id == sid)) or 0)


def press(portal: Portal, page: Page, button: str, comment: str | None = None) -> Page:
    data: dict[str, Any] = {} if comment is None else {"comment": comment}
    return portal.submit(page, data, button=button, follow=True)


@pytest.fixture
def agent(app: Flask) -> Staff:
    return staff(app)


# --- queues ---------------------------------------------------------------------------------------

def test_the_queues_page_lists_the_procedures_of_the_service_with_counts(app, agent):
    submitted(app)
    submitted(app)
    draft(app)
    page = signed_in(app, agent).get("/backoffice/queues")
    assert page.status == 200 and page.h1 == "Queues"
    counts = [li.get_text(" ", strip=True) for li in page.soup.select(
        "section[aria-labelledby=queue-resource_declaration] .status-counts li")]
    assert counts[0] == "Submitted 2" and "Being processed 0" in counts


def test_another_service_sees_no_queue_and_is_refused_this_one(app):
    submitted(app)
    other = staff(app, roles=("retraites",))  # recouvrement handles the wage declarations
    portal = signed_in(app, other)
    assert "No procedure is handled by your service." in portal.get("/backoffice/queues").text
    assert portal.get("/backoffice/queues/resource_declaration").status == 403
    assert portal.get("/backoffice/queues/resource_declaration.csv").status == 403
    assert portal.get("/backoffice/queues/resource_declaration/metrics").status == 403
    assert portal.get("/backoffice/queues/no_such_procedure").status == 404


def test_an_administrator_sees_every_queue_but_decides_nothing_without_the_role(app):
    sid, _, _ = submitted(app)
    admin = signed_in(app, staff(app, roles=("admin",)))
    assert admin.get("/backoffice/queues/resource_declaration").status == 200
    page = admin.get(f"/backoffice/submissions/{sid}")
    assert page.status == 200 and page.soup.select("button[name=transition]") == []
    assert "No action is possible for you" in page.text


def test_the_queue_lists_submitted_files_never_drafts_and_finds_them(app, agent):
    first, first_receipt, first_id = submitted(app, last_name="Rossi")
    second, second_receipt, _ = submitted(app, last_name="Bianchi")
    draft(app)
    portal = signed_in(app, agent)
    page = portal.get("/backoffice/queues/resource_declaration")
    links = [a.get_text(strip=True) for a in page.soup.select(".queue-table td:first-child a")]
    assert links == [first_receipt, second_receipt]  # oldest first, no draft
    found = portal.submit(page, {"q": "bianchi"}, form="form.queue-filters")
    assert [a.get_text(strip=True) for a in found.soup.select(".queue-table td:first-child a")] \
        == [second_receipt]
    assert found.soup.select_one("#q")["value"] == "bianchi"  # the filter stays shown
    by_identifier = portal.get(f"/backoffice/queues/resource_declaration?q={first_id}")
    assert first_receipt in by_identifier.text and second_receipt not in by_identifier.text
    by_receipt = portal.get(f"/backoffice/queues/resource_declaration?q={second_receipt}")
    assert second_receipt in by_receipt.text and first_receipt not in by_receipt.text
    in_review = portal.get("/backoffice/queues/resource_declaration?status=in_review")
    assert "No file matches." in in_review.text


def test_a_bad_filter_gets_a_clear_message_not_a_500(app, agent):
    portal = signed_in(app, agent)
    page = portal.get("/backoffice/queues/resource_declaration?submitted_from=31/12/2026")
    assert page.status == 400
    assert page.soup.select_one(".error-summary").get_text(" ", strip=True) != ""
    page = portal.get("/backoffice/queues/resource_declaration?cursor=not-a-cursor")
    assert page.status == 400 and "cursor" in page.text.lower()


def test_pages_follow_one_another_without_losing_a_file(app, agent, monkeypatch):
    monkeypatch.setattr("web.backoffice.queue.PAGE_SIZE", 2)
    receipts = [submitted(app)[1] for _ in range(5)]
    portal = signed_in(app, agent)
    page = portal.get("/backoffice/queues/resource_declaration")
    seen: list[str] = []
    while True:
        seen += [a.get_text(strip=True) for a in page.soup.select(".queue-table td:first-child a")]
        following = page.soup.select_one("a[rel=next]")
        if following is None:
            break
        page = portal.get(str(following["href"]))
    assert seen == receipts


def test_the_csv_export_has_the_filtered_list_and_no_formula(app, agent):
    submitted(app, first_name="=HYPERLINK(\"http://evil\")", last_name="@SUM(A1)")
    _, receipt, _ = submitted(app, last_name="Grimaldi")
    portal = signed_in(app, agent)
    with portal.client.get("/backoffice/queues/resource_declaration.csv") as response:
        # streamed: closing the response ends its database session
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        body = response.get_data(as_text=True)
    assert app.extensions["csm"].engine.pool.checkedout() == 0  # the stream's session closed
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 3
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    with portal.client.get(f"/backoffice/queues/resource_declaration.csv?q={receipt}") as only:
        assert len(only.get_data(as_text=True).strip().splitlines()) == 2


# --- a file's page and its actions ----------------------------------------------------------------

def test_the_file_page_shows_answers_history_and_the_actions_of_the_role(app, agent):
    sid, receipt, identifier = submitted(app)
    page = signed_in(app, agent).get(f"/backoffice/submissions/{sid}")
    assert page.status == 200 and receipt in page.h1
    assert identifier in page.text
    assert [b.get_text(strip=True) for b in page.soup.select("button[name=transition]")] == [
        "Start processing"]
    history = [tr.select("td")[2].get_text(strip=True)
               for tr in page.soup.select("#history-title ~ table tbody tr")]
    assert history[0] == "Procedure started" and history[-1] == "Procedure submitted"
    assert "Situation" in page.text or "situation" in page.text.lower()


def test_processing_a_file_from_its_page(app, agent):
    sid, _, _ = submitted(app)
    portal = signed_in(app, agent)
    page = portal.get(f"/backoffice/submissions/{sid}")
    page = press(portal, page, "Start processing")
    assert page.status == 200 and "Done: Start processing" in page.text
    assert page.soup.select_one(".case-summary .status-tag").get_text(strip=True) == \
        "Being processed"
    before = audit_count(app, sid)
    refused = press(portal, page, "Request documents", comment="  ")
    assert refused.status == 422
    assert "Give the reason for the action" in refused.soup.select_one(".error-summary").text
    assert refused.soup.select_one("#comment")["aria-invalid"] == "true"
    assert audit_count(app, sid) == before
    done = press(portal, refused, "Request documents", comment="Tax notice 2025, please.")
    assert done.status == 200 and "Awaiting documents" in done.text
    last = done.soup.select("#history-title ~ table tbody tr")[-1]
    assert [td.get_text(strip=True) for td in last.select("td")][2:] == [
        "Request documents", "Being processed → Awaiting documents", "Tax notice 2025, please."]
    with app.extensions["csm"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(Notification)
                        .where(Notification.submission_id == sid)) == 1


def test_two_staff_members_on_one_file_the_second_is_told_to_reload(app, agent):
    sid, _, _ = submitted(app)
    one, two = signed_in(app, agent), signed_in(app, staff(app))
    page_one = one.get(f"/backoffice/submissions/{sid}")
    page_two = two.get(f"/backoffice/submissions/{sid}")
    assert press(one, page_one, "Start processing").status == 200
    before = audit_count(app, sid)
    late = press(two, page_two, "Start processing")
    assert late.status == 409
    assert "changed in the meantime" in late.soup.select_one(".error-summary").text
    assert audit_count(app, sid) == before


def test_a_file_of_another_service_or_a_draft_is_not_found(app, agent):
    sid, _, _ = submitted(app)
    other = signed_in(app, staff(app, roles=("prestations",)))
    assert other.get(f"/backoffice/submissions/{sid}").status == 404
    mine = signed_in(app, agent)
    assert mine.get(f"/backoffice/submissions/{draft(app)}").status == 404
    assert mine.get("/backoffice/submissions/not-an-id").status == 404


def test_a_forged_action_is_refused_with_a_message(app, agent):
    sid, _, _ = submitted(app)
    portal = signed_in(app, agent)
    page = portal.get(f"/backoffice/submissions/{sid}")
    revision = page.soup.select_one("input[name=revision]")["value"]
    answer = portal.post(f"/backoffice/submissions/{sid}/transitions",
                         {"transition": "accept", "revision": revision})
    assert answer.status == 422 and "not possible in this state" in answer.text
    answer = portal.post(f"/backoffice/submissions/{sid}/transitions",
                         {"transition": "start_review", "revision": "x"})
    assert answer.status == 400
    answer = portal.post(f"/backoffice/submissions/{sid}/transitions",
                         {"transition": "start_review", "revision": revision,
                          "comment": "x" * 2001})
    assert answer.status == 422 and "2000" in answer.text


def test_the_staff_receipt_download(app, agent):
    sid, _, _ = submitted(app)
    response = signed_in(app, agent).client.get(f"/backoffice/submissions/{sid}/receipt.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


# --- metrics --------------------------------------------------------------------------------------

def test_the_metrics_page_shows_statuses_days_and_the_funnel(app, agent):
    submitted(app)
    draft(app)
    page = signed_in(app, agent).get("/backoffice/queues/resource_declaration/metrics")
    assert page.status == 200 and page.h1 == "Metrics"
    summary = {dt.get_text(strip=True): dd.get_text(strip=True) for dt, dd in zip(
        page.soup.select(".metrics-summary dt"), page.soup.select(".metrics-summary dd"),
        strict=True)}
    assert summary["Started"] == "2" and summary["Submitted"].startswith("1 (50")
    rows = {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
            for tr in page.soup.select("table.metrics-table tbody tr")}
    assert rows["Submitted"][0] == "1" and rows["Draft"][0] == "1"
    assert page.soup.select_one(".bar--100") is not None


# --- every back-office route, with each role -----------------------------------------------------

ROLES = ["immatriculation", "recouvrement", "prestations", "admin"]
WORKS_ON_DECLARATIONS = {"immatriculation", "admin"}


@pytest.mark.parametrize("role", ROLES)
def test_every_back_office_route_with_each_role(app, role):
    """Staff of the service that processes resource declarations (and administrators) open its
    queue, files and metrics; the other services get 403 on the queue and 404 on a file; only
    the role named by a transition may fire it (an administrator may look, not decide)."""
    sid, _, _ = submitted(app)
    portal = signed_in(app, staff(app, roles=(role,)))
    sees = role in WORKS_ON_DECLARATIONS
    expected_get = {
        "/backoffice/": 200,
        "/backoffice/queues": 200,
        "/backoffice/queues/resource_declaration": 200 if sees else 403,
        "/backoffice/queues/resource_declaration.csv": 200 if sees else 403,
        "/backoffice/queues/resource_declaration/metrics": 200 if sees else 403,
        f"/backoffice/submissions/{sid}": 200 if sees else 404,
        f"/backoffice/submissions/{sid}/receipt.pdf": 200 if sees else 404,
        # a transition's form page: none of this procedure's transitions has a form
        f"/backoffice/submissions/{sid}/transitions/<name>": 404,
        "/backoffice/certificates/verify": 200,  # any staff role
        "/backoffice/second-factor": 303,  # signed in already: on to the back office
        "/backoffice/second-factor/qr.svg": 404,  # enrolled: no key to show
        "/backoffice/login": 303,
        # the analyst tools (web/analyst): the roles analyst and admin only
        "/backoffice/analyst/": 200 if role == "admin" else 403,
        "/backoffice/analyst/check.json": 200 if role == "admin" else 403,
        "/backoffice/analyst/workflows/resource_declaration": 200 if role == "admin" else 403,
        "/backoffice/analyst/workflows/resource_declaration/diff":
            200 if role == "admin" else 403,
        "/backoffice/analyst/preview/resource_declaration": 200 if role == "admin" else 403,
    }
    walked = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/backoffice") or "GET" not in (rule.methods or ()):
            continue
        path = rule.rule.replace("<submission_id>", sid).replace("<workflow>",
                                                                   "resource_declaration")
        with portal.client.get(path) as r:
            assert r.status_code == expected_get[path], f"{role}: GET {path}"
        walked.add(path)
    assert walked == set(expected_get)
    page = portal.get("/backoffice/queues")  # a page with a CSRF token
    with app.extensions["csm"].sessions() as s:
        revision = str(s.get(Submission, sid).revision)
    answer = portal.post(f"/backoffice/submissions/{sid}/transitions",
                         {"transition": "start_review", "revision": revision}, follow=False)
    fired = {"immatriculation": 303, "admin": 403}.get(role, 404)
    assert answer.status == fired, f"{role}: POST transitions"
    assert page.status == 200
    portal.get("/backoffice/queues")
    answer = portal.post("/backoffice/logout", follow=False)
    assert answer.status == 303
