"""The analyst tools of the back office (issue 8): the check report and its JSON, every workflow
version drawn with the live drafts at each step, and the preview as a member would see it,
nothing stored. English pages unless said otherwise."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.factories import member, staff
from tests.integration.api_client import Api
from tests.integration.portal_client import Page, Portal
from tests.integration.test_backoffice_pages import signed_in
from tests.integration.test_draft_migrations import CASE, WF
from tests.integration.test_draft_migrations import _app as migration_app
from tests.integration.test_draft_migrations import _drafts as drafts
from tests.integration.test_draft_migrations import _publish_version_2 as publish_version_2
from tests.integration.test_draft_migrations import _rows as rows
from web.db.models import Account, Submission
from web.settings import ROOT, Settings
from web.tokens import issue

PAGES = ["/backoffice/analyst/", "/backoffice/analyst/check.json",
         "/backoffice/analyst/workflows/resource_declaration",
         "/backoffice/analyst/workflows/certificate_request?version=1",
         "/backoffice/analyst/preview/resource_declaration",
         "/backoffice/analyst/preview/certificate_request?persona=dupont_family"]


def submissions_count(app: Flask) -> int:
    with app.extensions["csm"].sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Submission)) or 0)


def api_of(app: Flask) -> Api:
    who = member(app)
    svc = app.extensions["csm"]
    with svc.sessions.begin() as s:
        token = issue(s, s.get(Account, who.account_id), svc.clock.now(), 8, kind="api").token
    return Api(app.test_client(), token)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_administrators_open_every_page(app: Flask, role: str) -> None:
    portal = signed_in(app, staff(app, roles=(role,)))
    home = portal.get("/backoffice/")
    assert home.soup.select_one("a[href='/backoffice/analyst/']") is not None
    for path in PAGES:
        page = portal.get(path)
        assert page.status == 200, (path, page.text)


def test_other_staff_get_403_and_see_no_link(app: Flask) -> None:
    portal = signed_in(app, staff(app, roles=("prestations",)))
    assert portal.get("/backoffice/").soup.select_one("a[href='/backoffice/analyst/']") is None
    for path in PAGES:
        assert portal.get(path).status == 403, path
    page = portal.get("/backoffice/")
    r = portal.client.post("/backoffice/analyst/preview/resource_declaration",
                           data={"csrf_token": page.csrf_token()})
    assert r.status_code == 403


def test_a_member_gets_404_and_a_visitor_is_sent_to_log_in(app: Flask) -> None:
    who = member(app)
    portal = Portal(app.test_client())
    portal.login(who.identifier, who.password)
    for path in PAGES:
        assert portal.get(path).status == 404, path
    visitor = app.test_client()
    r = visitor.get("/backoffice/analyst/")
    assert r.status_code == 303 and "/backoffice/login" in r.headers["Location"]


def test_the_check_report_says_no_problem_and_runs_the_scenarios(app: Flask) -> None:
    page = signed_in(app, staff(app, roles=("analyst",))).get("/backoffice/analyst/")
    assert page.h1 == "Analyst tools"
    assert page.soup.select_one(".check-ok").get_text(strip=True) == "No problem found."
    files = [th.get_text(strip=True) for th in page.soup.select(".scenario-table tbody th")]
    assert "workflows/tests/resource_declaration/spouse_and_children.yaml" in files
    assert "of" in page.soup.select_one(".scenarios-summary").get_text()
    assert page.soup.select_one(".coverage-ok") is not None \
        or page.soup.select(".uncovered-list li")
    links = {a["href"] for a in page.soup.select(".workflow-table a")}
    assert any(link.startswith("/backoffice/analyst/workflows/resource_declaration?version=")
               for link in links)


def test_the_json_check_has_the_structure_of_the_command_line(app: Flask) -> None:
    portal = signed_in(app, staff(app, roles=("analyst",)))
    r = portal.client.get("/backoffice/analyst/check.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    cli = subprocess.run([sys.executable, "-m", "engine", "check", str(ROOT), "--format", "json",
                          "--lang", "en"], capture_output=True, text=True, cwd=ROOT)
    assert r.json == json.loads(cli.stdout) == {"ok": True, "problems": []}


def test_the_check_report_lists_every_problem(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "broken.yaml").write_text("workflow: broken\nversion: x\n")
    monkeypatch.setattr("web.analyst.routes.definitions_root", lambda: tmp_path)
    portal = signed_in(app, staff(app, roles=("analyst",)))
    page = portal.get("/backoffice/analyst/")
    rows = page.soup.select(".check-table tbody tr")
    assert rows and "workflows/broken.yaml" in rows[0].get_text(" ")
    assert page.soup.select_one(".check-ok") is None
    assert "The scenarios run once the definitions have no problem." in page.text
    body = portal.client.get("/backoffice/analyst/check.json").json
    assert body["ok"] is False and body["problems"][0]["file"] == "workflows/broken.yaml"
    assert set(body["problems"][0]) == {"file", "line", "column", "pointer", "code",
                                          "severity", "message"}


def test_warnings_are_listed_apart_and_do_not_stop_the_scenarios(
        app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for folder in ("workflows", "forms", "contexts", "catalogues"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "forms" / "never_used.yaml").write_text(
        (ROOT / "forms" / "observations.yaml").read_text(encoding="utf-8")
        .replace("form: observations", "form: never_used"), encoding="utf-8")
    monkeypatch.setattr("web.analyst.routes.definitions_root", lambda: tmp_path)
    page = signed_in(app, staff(app, roles=("analyst",))).get("/backoffice/analyst/")
    assert page.soup.select_one(".check-ok") is not None  # no error
    warnings = page.soup.select("table[aria-labelledby=warnings-title] tbody tr")
    assert len(warnings) == 1 and "unused_form" in warnings[0].get_text(" ")
    assert "forms/never_used.yaml" in warnings[0].get_text(" ")
    assert page.soup.select_one(".scenarios-summary") is not None


def test_the_workflow_page_draws_both_diagrams_with_the_live_drafts(app: Flask) -> None:
    api = api_of(app)
    first = api.start()["id"]
    api.post(f"/api/v1/submissions/{first}/documents/cgu")
    api.answer(first, "terms", {"accepted": True})  # now at "situation"
    api_of(app).start()  # another draft, at "terms"
    page = signed_in(app, staff(app, roles=("analyst",))).get(
        "/backoffice/analyst/workflows/resource_declaration")
    assert page.status == 200
    svg = page.soup.select_one("#filling-figure svg[role=img]")
    assert svg is not None and svg["aria-labelledby"] == "filling-title filling-desc"
    assert svg.select_one("title#filling-title") and svg.select_one("desc#filling-desc")
    boxes = {g["data-step"]: g["data-drafts"] for g in svg.select("g[data-step]")}
    assert boxes["terms"] == "1" and boxes["situation"] == "1" and boxes["summary"] == "0"
    assert "skippable" in " ".join(
        svg.select_one("g[data-step=income_spouse]")["class"])
    labels = " ".join(t.get_text() for t in svg.select("g.analyst-edge title"))
    assert "household.has_spouse" in labels or "answers." in labels
    assert page.soup.select_one("#lifecycle-figure svg g[data-state]") is not None
    counts = {tr["data-step"]: tr.select("td")[-1].get_text() for tr in
              page.soup.select(".drafts-table tbody tr")}
    assert counts["terms"] == "1" and counts["situation"] == "1"
    assert page.soup.select_one("#filling-text").get_text().startswith("flowchart TD")
    assert page.soup.select_one("#lifecycle-text").get_text().startswith("stateDiagram-v2")
    assert page.soup.find(attrs={"style": True}) is None and page.soup.find("style") is None
    assert page.soup.find("script") is None


def test_unknown_workflows_and_versions_are_404(app: Flask) -> None:
    portal = signed_in(app, staff(app, roles=("analyst",)))
    assert portal.get("/backoffice/analyst/workflows/no_such_thing").status == 404
    assert portal.get("/backoffice/analyst/workflows/resource_declaration?version=99").status \
        == 404
    assert portal.get("/backoffice/analyst/preview/resource_declaration?version=x").status == 404


# -- the preview ---------------------------------------------------------------------------------

def preview(app: Flask, workflow: str, persona: str = "dupont_family") -> tuple[Portal, Page]:
    portal = signed_in(app, staff(app, roles=("analyst",)))
    chooser = portal.get(f"/backoffice/analyst/preview/{workflow}")
    assert chooser.status == 200 and "Preview — nothing is stored." in chooser.text
    page = portal.submit(chooser, {"persona": persona}, form="#persona-form")
    assert page.status == 200, page.text
    return portal, page


def test_the_preview_walks_the_resource_declaration_and_stores_nothing(app: Flask) -> None:
    before = submissions_count(app)
    portal, page = preview(app, "resource_declaration")
    assert page.h1 == "Terms of use" or page.soup.select_one("input[name=step]")["value"] \
        == "terms"
    assert "Preview — nothing is stored." in page.text
    page = portal.submit(page, {}, button="continue", form="#step-form")
    assert page.status == 422 and page.errors(), page.text
    assert page.soup.select(".field-error")
    page = portal.submit(page, {}, button="open:cgu", form="#step-form")
    assert page.status == 200 and page.soup.select_one(".preview-notice") is not None
    page = portal.submit(page, {"accepted": "y"}, button="continue", form="#step-form")
    assert page.status == 200, page.text
    assert page.soup.select_one("input[name=step]")["value"] == "situation"
    page = portal.submit(page, {"code": "none"}, button="continue", form="#step-form")
    assert page.soup.select_one("input[name=step]")["value"] == "income_declarant"
    page = portal.submit(page, {}, button="back", form="#step-form")
    assert page.soup.select_one("input[name=step]")["value"] == "situation"
    assert submissions_count(app) == before


def test_the_preview_of_a_certificate_request_and_its_summary(app: Flask) -> None:
    before = submissions_count(app)
    portal, page = preview(app, "certificate_request")
    assert page.soup.select_one("input[name=step]")["value"] == "address"
    assert "12 boulevard des Moulins" in page.text
    page = portal.submit(page, {}, button="continue", form="#step-form")
    assert page.status == 422 and page.errors()
    page = portal.submit(page, {"status": "correct"}, button="continue", form="#step-form")
    assert page.soup.select_one("input[name=step]")["value"] == "search"
    page = portal.submit(page, {"domain": "medical"}, button="continue", form="#step-form")
    assert page.soup.select_one("input[name=step]")["value"] == "document"
    page = portal.submit(page, {"document": "medical_rights"}, button="continue",
                         form="#step-form")
    assert page.soup.select_one("input[name=step]")["value"] == "details"
    options = [o.get_text(strip=True) for o in page.soup.select("#beneficiary option")] + \
        [lab.get_text(strip=True) for lab in page.soup.select("label[for^=beneficiary]")]
    assert any("Emma Dupont" in o for o in options), options
    page = portal.submit(page, {"beneficiary": "P-0004", "comment": "Pour la crèche."},
                         button="continue", form="#step-form")
    assert page.soup.select_one("input[name=step]")["value"] == "summary"
    assert page.soup.select(".review__section")
    done = portal.submit(page, {}, button="submit", form="#step-form")
    assert done.status == 200 and done.soup.select_one(".preview-done") is not None
    assert submissions_count(app) == before


def test_a_person_the_procedure_is_closed_to_is_told_why(app: Flask) -> None:
    portal = signed_in(app, staff(app, roles=("analyst",)))
    page = portal.get("/backoffice/analyst/preview/resource_declaration"
                      "?persona=martin_not_recipient")
    assert page.status == 200 and page.soup.select_one(".preview-closed") is not None
    assert portal.get("/backoffice/analyst/preview/resource_declaration?persona=nobody").status \
        == 400


def test_a_tampered_or_foreign_state_is_refused(app: Flask) -> None:
    portal, page = preview(app, "resource_declaration")
    token = page.soup.select_one("input[name=preview_state]")["value"]
    csrf = page.csrf_token()
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for value in (tampered, "", "not-a-token"):
        r = portal.client.post("/backoffice/analyst/preview/resource_declaration",
                               data={"csrf_token": csrf, "preview_state": value,
                                     "action": "continue"})
        assert r.status_code == 400, value
    r = portal.client.post("/backoffice/analyst/preview/certificate_request",
                           data={"csrf_token": csrf, "preview_state": token})
    assert r.status_code == 400


# -- what changes between two versions -----------------------------------------------------------

DIFF = "/backoffice/analyst/workflows/savings_declaration/diff"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The service's definitions plus version 1 of the test workflow of
    tests/integration/test_draft_migrations.py."""
    root = tmp_path / "defs"
    for folder in ("workflows", "forms", "contexts", "catalogues"):
        shutil.copytree(ROOT / folder, root / folder)
    for form in ("savings_v1", "savings_v2", "remarks"):
        shutil.copy(CASE / "forms" / f"{form}.yaml", root / "forms")
    shutil.copy(CASE / "workflows" / "archive" / f"{WF}.yaml", root / "workflows")
    return root


def _two_versions(settings: Settings, tree: Path, remarks_form: str | None = None) -> Flask:
    """Three drafts of version 1 of the test workflow, then version 2 published over it (version
    1 lives on in the database only); the service on version 2."""
    first = migration_app(settings, tree)
    drafts(first)
    first.extensions["csm"].engine.dispose()
    publish_version_2(tree, remarks_form)
    return migration_app(settings, tree)


def test_the_diff_page_lists_the_changes_and_the_drafts_that_would_move(settings: Settings,
                                                                         tree: Path) -> None:
    app = _two_versions(settings, tree)
    try:
        before = {(row.id, row.version, row.revision) for row in rows(app).values()}
        portal = signed_in(app, staff(app, roles=("analyst",)))
        workflow = portal.get("/backoffice/analyst/workflows/savings_declaration")
        form = workflow.soup.select_one("form#diff-form")
        assert form is not None and form["method"] == "get"
        assert form["action"] == DIFF
        assert form.select_one("#diff-from option[selected]")["value"] == "1"
        assert form.select_one("#diff-to option[selected]")["value"] == "2"
        page = portal.get(DIFF)  # by default: the previous version to the current one
        assert page.status == 200, page.text
        assert page.soup.select_one(".diff-none") is None
        codes = {li["data-code"]: li.get_text() for li in page.soup.select(".diff-list li")}
        assert "field “Amount” (amount) becomes “Total amount” (total)" \
            in codes["field_renamed"]
        assert "currency" in codes["field_added"] and "required" in codes["field_added"]
        assert '"EUR"' in codes["field_added"]
        groups = [s["data-group"] for s in page.soup.select(".diff-group")]
        assert groups == ["steps", "fields"] and "step_form_changed" in codes
        operations = [li.get_text() for li in page.soup.select(".migration-operations li")]
        assert len(operations) == 2 and "amount" in operations[0] and "total" in operations[0]
        counts = page.soup.select_one(".migration-drafts")
        assert (counts["data-total"], counts["data-move"], counts["data-broken"]) == \
            ("3", "3", "0")
        assert portal.get(f"{DIFF}?from=1&to=2").soup.select_one(".migration-drafts") \
            ["data-total"] == "3"
        french = portal.get(f"{DIFF}?lang=fr")
        assert "Champs" in french.text and "brouillons" in french.text
        assert {(row.id, row.version, row.revision) for row in rows(app).values()} == before
    finally:
        app.extensions["csm"].engine.dispose()


def test_the_diff_page_counts_the_drafts_a_migration_would_break(settings: Settings,
                                                                  tree: Path) -> None:
    app = _two_versions(settings, tree, remarks_form="remarks_v2")
    try:
        page = signed_in(app, staff(app, roles=("analyst",))).get(DIFF)
        assert page.status == 200, page.text
        counts = page.soup.select_one(".migration-drafts")
        assert (counts["data-total"], counts["data-move"], counts["data-broken"]) == \
            ("3", "2", "1")
        assert {row.version for row in rows(app).values()} == {1}
    finally:
        app.extensions["csm"].engine.dispose()


def test_the_same_version_twice_unknown_versions_and_other_staff(settings: Settings,
                                                                  tree: Path) -> None:
    app = _two_versions(settings, tree)
    try:
        portal = signed_in(app, staff(app, roles=("analyst",)))
        same = portal.get(f"{DIFF}?from=2&to=2")
        assert same.status == 200
        assert same.soup.select_one(".diff-none").get_text(strip=True) == "No difference."
        assert same.soup.select_one(".diff-migration") is None
        for query in ("?from=3", "?to=9", "?from=x&to=2", "?from=1&to=-1"):
            assert portal.get(DIFF + query).status == 404, query
        assert portal.get("/backoffice/analyst/workflows/no_such_thing/diff").status == 404
        other = signed_in(app, staff(app, roles=("prestations",)))
        assert other.get(DIFF).status == 403
        assert other.get(f"{DIFF}?from=1&to=2").status == 403
    finally:
        app.extensions["csm"].engine.dispose()
