"""Access control by default (SECURITY.md AC-02): every route declares its audience, a route
without one cannot start and, added later, answers 404; each audience is what the guards let
through. The walks go over ``app.url_map``: a new route is tested the day it is added.

Another member's ids (AC-01) are tested in test_portal_steps.py and test_api_*.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

import web.mail.mailbox
from tests.factories import employer, member, staff
from tests.integration.api_client import Api
from tests.integration.portal_client import Portal
from web import create_app
from web.api.common import authenticated, staff_only
from web.audience import AUDIENCES, audience, audiences_of, check_declared, declared
from web.portal.signin import account_required, employer_required, member_required
from web.settings import Settings

EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    # endpoint: (audience, audiences that share it by design)
    "static": ("public", ()),
    "api.auth.login": ("public", ()),
    "api.auth.logout": ("account", ()),
    "api.openapi.openapi": ("public", ()),
    "api.workflows.list_workflows": ("member", ()),
    "api.workflows.create": ("member", ()),
    "api.submissions.list_submissions": ("member", ()),
    # staff read, through the member API, the submitted cases their roles process (DESIGN.md)
    "api.submissions.get_submission": ("member", ("staff",)),
    "api.submissions.get_step": ("member", ("staff",)),
    "api.submissions.receipt_pdf": ("member", ("staff",)),
    "api.submissions.offered_document_pdf": ("member", ()),
    "api.submissions.answer_step": ("member", ()),
    "api.submissions.upload_step": ("member", ()),
    "api.submissions.act": ("member", ()),
    "api.submissions.open_document": ("member", ()),
    "api.staff.queue": ("staff", ()),
    "api.staff.transition": ("staff", ()),
    "portal.home": ("account", ()),
    "portal.login": ("public", ()),
    "portal.logout": ("account", ()),
    "portal.set_language": ("public", ()),
    "portal.profile": ("account", ()),
    "portal.password": ("account", ()),
    "portal.email": ("account", ()),
    "portal.security_question": ("account", ()),
    "portal.mail_options_page": ("account", ()),
    "portal.confirm_email_page": ("public", ()),
    "portal.confirm_email_action": ("public", ()),
    "portal.forgotten": ("public", ()),
    "portal.reset_page": ("public", ()),
    "portal.reset_action": ("public", ()),
    "portal.start": ("member", ()),
    "portal.public_start": ("public", ()),
    "portal.submission": ("public", ("member", "employer")),  # a visitor holding the key too
    "portal.step": ("public", ("member", "employer")),  # a visitor holding the key too
    "portal.answer": ("public", ("member", "employer")),  # a visitor holding the key too
    "portal.upload": ("public", ("member", "employer")),
    "portal.upload_model": ("public", ("member", "employer")),
    "portal.submit": ("public", ("member", "employer")),  # a visitor holding the key too
    "portal.confirm_cancel": ("public", ("member", "employer")),  # a visitor holding the key too
    "portal.cancel": ("public", ("member", "employer")),  # a visitor holding the key too
    "portal.amend": ("member", ()),
    "portal.receipt": ("public", ("member", "employer")),  # a visitor holding the key too
    "portal.offered_document": ("member", ()),
    "portal.document": ("public", ("member", "employer")),  # a visitor holding the key too
    "portal.personal_data": ("member", ()),
    "portal.personal_data_of": ("member", ()),
    "portal.personal_data_pdf": ("member", ()),
    "portal.personal_data_of_pdf": ("member", ()),
    "portal.employer_clients": ("employer", ()),
    "portal.employer_synthesis": ("employer", ()),
    "portal.employer_last_statement": ("employer", ()),
    "portal.employer_declarations": ("employer", ()),
    "portal.employer_declare": ("employer", ()),
    "portal.employer_declaration": ("employer", ()),
    "portal.employer_declaration_pdf": ("employer", ()),
    "portal.employer_select": ("employer", ()),
    "portal.employer_workforce": ("employer", ()),
    "portal.employer_statements": ("employer", ()),
    "portal.employer_statement_pdf": ("employer", ()),
    "portal.employer_sepa_mandate": ("employer", ()),
    "portal.employer_payslips": ("employer", ()),
    "portal.employer_payslip": ("employer", ()),
    "portal.employer_payslip_post": ("employer", ()),
    "portal.employer_payslip_pdf": ("employer", ()),
    "backoffice.login": ("public", ()),
    "backoffice.second_factor": ("staff", ()),
    "backoffice.enrolment_qr": ("staff", ()),
    "backoffice.logout": ("staff", ()),
    "backoffice.home": ("staff", ()),
    "backoffice.queues": ("staff", ()),
    "backoffice.queue": ("staff", ()),
    "backoffice.queue_csv": ("staff", ()),
    "backoffice.metrics": ("staff", ()),
    "backoffice.case": ("staff", ()),
    "backoffice.fire": ("staff", ()),
    "backoffice.transition_form": ("staff", ()),
    "backoffice.save_transition_form": ("staff", ()),
    "backoffice.receipt": ("staff", ()),
    "backoffice.verify_certificate": ("staff", ()),
    "analyst.check_page": ("staff", ()),
    "analyst.check_report_json": ("staff", ()),
    "analyst.workflow_page": ("staff", ()),
    "analyst.diff_page": ("staff", ()),
    "analyst.preview": ("staff", ()),
    "analyst.preview_post": ("staff", ()),
    "mailbox.index": ("developer", ()),
    "mailbox.message": ("developer", ()),
}
"""The inventory: a change of audience, or a new route, is a deliberate change of this table."""

SAMPLES: dict[str, Any] = {"workflow_id": "resource_declaration", "step": "terms",
                           "workflow": "resource_declaration",
                           "name": "cgu", "code": "fr", "action": "submit", "message_id": 1,
                           "token": "x" * 43, "filename": "app.css"}
"""Plausible values for URL variables; any other (an id) gets a random UUID."""

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def view_of(app: Flask, rule: Rule) -> Any:
    return app.view_functions[rule.endpoint]


def calls(app: Flask, wanted: set[str] | None = None,
          values: dict[str, Any] | None = None) -> Iterator[tuple[Rule, str, str]]:
    """Every (rule, method, path) whose audience is in ``wanted`` (all when None), URL
    variables filled from ``values``, then SAMPLES, else a random UUID."""
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if wanted is not None and declared(view_of(app, rule)) not in wanted:
            continue
        filled = {name: (values or {}).get(name, SAMPLES.get(name, str(uuid.uuid4())))
                  for name in rule.arguments}
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            path = adapter.build(rule.endpoint, filled, method=method)
            yield rule, method, path


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def is_back_office(path: str) -> bool:
    return path.startswith("/backoffice/")


def send(client: FlaskClient, method: str, path: str, *, csrf: str | None = None,
         token: str | None = None) -> TestResponse:
    """One request as its audience would send it: JSON (and a token, if any) to the API, a
    form with the session's CSRF token to the pages. Redirects are not followed."""
    if is_api(path):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"data": {}} if method in ("POST", "PUT", "PATCH") else None
        return client.open(path, method=method, json=body, headers=headers)
    data = {"csrf_token": csrf} if csrf and method != "GET" else None
    return client.open(path, method=method, data=data)


def location(response: TestResponse) -> str:
    parts = urlsplit(response.headers.get("Location", ""))
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


def portal_csrf(portal: Portal) -> str:
    """The CSRF token of this browser's session, from the last page seen (else /login)."""
    page = portal.page if portal.page is not None else portal.get("/login")
    if page.soup.select_one("input[name=csrf_token]") is None:
        page = portal.get("/login")
    return page.csrf_token()


# -- (1) the inventory -------------------------------------------------------------------------


def test_every_rule_declares_a_known_audience(app: Flask) -> None:
    found = audiences_of(app)
    assert [endpoint for endpoint, name in found.items() if name is None] == []
    for rule in app.url_map.iter_rules():
        view = view_of(app, rule)
        assert view.audience in AUDIENCES, rule
        assert set(view.also) <= set(AUDIENCES) - {view.audience}, rule
    assert {e: (app.view_functions[e].audience, app.view_functions[e].also) for e in found} \
        == EXPECTED
    assert "employer" in AUDIENCES  # the employer portal (web/portal/employer.py)


def test_the_declaration_survives_the_guards_whatever_the_order() -> None:
    """functools.wraps copies ``__dict__``: declared under a guard, the guard still carries
    it; declared above, the function Flask registers carries it."""
    def view() -> str:
        return "ok"

    for guard in (member_required, account_required, employer_required, authenticated,
                  staff_only):
        assert guard(audience("member")(view)).audience == "member"  # type: ignore[attr-defined]
        assert audience("staff")(guard(view)).audience == "staff"  # type: ignore[attr-defined]
    assert staff_only(authenticated(audience("staff")(view))).audience == "staff"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown audience 'admin'"):
        audience("admin")
    with pytest.raises(ValueError, match="unknown audience"):
        audience("member", "everyone")


# -- (2) anonymous visitors ----------------------------------------------------------------------


def test_anonymous_visitors_are_refused_on_every_non_public_route(app: Flask,
                                                                   client: FlaskClient) -> None:
    """API: 401. Pages: a redirect to the login page (or 404). Never 200, never 5xx. Page
    POSTs carry a valid CSRF token, so the refusal is about the audience. The developer tools
    are open to anyone where they exist, which is never production (see below)."""
    portal = Portal(client)
    walked = 0
    for rule, method, path in calls(app, set(AUDIENCES) - {"public", "developer"}):
        csrf = portal.get("/login").csrf_token()  # afresh: POST /logout clears the session
        r = send(client, method, path, csrf=csrf)
        where = f"{method} {path} ({view_of(app, rule).audience})"
        assert r.status_code < 500 and r.status_code != 200, where
        if is_api(path):
            assert r.status_code == 401, where
            assert r.json is not None and r.json["code"] == "unauthenticated", where
        elif r.status_code != 404:
            login = "/backoffice/login" if is_back_office(path) else "/login"
            assert r.status_code in (302, 303) and location(r) == login, \
                f"{where}: {r.status_code} {r.headers.get('Location')}"
        walked += 1
    assert walked > 20


def test_public_routes_answer_anonymous_visitors_without_error(app: Flask,
                                                               client: FlaskClient) -> None:
    portal = Portal(client)
    for _rule, method, path in calls(app, {"public"}):
        r = send(client, method, path, csrf=portal.get("/login").csrf_token())
        assert r.status_code < 500 and r.status_code != 401, f"{method} {path}"


# -- (3) members on staff routes -----------------------------------------------------------------


def test_a_member_gets_404_on_every_staff_route(app: Flask, client: FlaskClient) -> None:
    """Through an API token: 404, the very answer of a submission that does not exist. Through
    a portal session: the API does not take page sessions (401); a staff page would be 404."""
    who = member(app)
    api = Api(app.test_client()).login(who.identifier, who.password)
    missing = api.get(f"/api/v1/submissions/{uuid.uuid4()}")
    assert missing.status_code == 404
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    csrf = portal_csrf(portal)
    staff_routes = list(calls(app, {"staff"}))
    assert staff_routes
    for _rule, method, path in staff_routes:
        if is_api(path):
            r = send(api.client, method, path, token=api.token)
            assert (r.status_code, without_request_id(r.json)) == \
                (404, without_request_id(missing.json)), f"{method} {path}"
        r = send(client, method, path, csrf=csrf)
        expected = 401 if is_api(path) else 404
        assert r.status_code == expected, f"{method} {path} (portal session)"
        if is_api(path):
            assert b"submissions" not in r.data


# -- (4) staff and employers on member routes ----------------------------------------------------

OUTSIDERS = pytest.mark.parametrize("outsider", [staff, employer], ids=["staff", "employer"])
"""Signed-in accounts that are not members: staff, and employers (ref 004)."""


@OUTSIDERS
def test_staff_are_sent_away_from_member_pages(app: Flask, client: FlaskClient,
                                               outsider: Any) -> None:
    who = member(app)
    draft = Api(app.test_client()).login(who.identifier, who.password).start()
    agent = outsider(app)
    portal = Portal(client)
    assert portal.login(agent.identifier, agent.password).path == "/"
    csrf = portal_csrf(portal)
    walked = 0
    for rule, method, path in calls(app, {"member", "public"}, {"submission_id": draft["id"]}):
        view = view_of(app, rule)  # the member pages, also those a visitor shares (public.py)
        if is_api(path) or "member" not in (view.audience, *view.also):
            continue
        r = send(client, method, path, csrf=csrf)
        where = f"{method} {path} ({rule.endpoint}): {r.status_code} {r.headers.get('Location')}"
        if outsider is employer and "employer" in (view.audience, *view.also):  # theirs too:
            assert r.status_code == 404, where  # the member's draft is not theirs to find
        else:
            assert r.status_code in (302, 303) and location(r) == "/", where
        walked += 1
    assert walked >= 10


@pytest.mark.parametrize("outsider", [staff, member], ids=["staff", "member"])
def test_members_and_staff_are_sent_away_from_employer_pages(app: Flask, client: FlaskClient,
                                                             outsider: Any) -> None:
    who = outsider(app)
    portal = Portal(client)
    assert portal.login(who.identifier, who.password).path == "/"
    csrf = portal_csrf(portal)
    walked = 0
    for rule, method, path in calls(app, {"employer"}):
        r = send(client, method, path, csrf=csrf)
        assert r.status_code in (302, 303) and location(r) == "/", \
            f"{method} {path} ({rule.endpoint}): {r.status_code} {r.headers.get('Location')}"
        walked += 1
    assert walked >= 6


@OUTSIDERS
def test_staff_get_no_member_data_from_the_member_api(app: Flask, client: FlaskClient,
                                                      outsider: Any) -> None:
    """A member's draft, through every member API route with a staff (or employer) token: 404,
    or an empty list. (Staff read the *submitted* cases their roles process: routes declared
    ``member`` + ``staff``; a draft stays the member's.)"""
    who = member(app)
    draft = Api(app.test_client()).login(who.identifier, who.password).start()
    agent = outsider(app)
    api = Api(client).login(agent.identifier, agent.password)
    walked = 0
    for rule, method, path in calls(app, {"member"}, {"submission_id": draft["id"]}):
        if not is_api(path):
            continue
        r = send(client, method, path, token=api.token)
        where = f"{method} {path} ({rule.endpoint}): {r.status_code}"
        if r.status_code == 200 and rule.endpoint == "api.workflows.list_workflows":
            # an employer's own procedures (the wage declaration), never a member's
            assert r.json is not None and not {w["id"] for w in r.json["workflows"]} & {
                "resource_declaration", "certificate_request"}, where
        elif r.status_code == 200:
            assert r.json is not None and all(v == [] for v in r.json.values()), where
        else:
            assert r.status_code == 404, where
        assert draft["id"].encode() not in r.data and who.identifier.encode() not in r.data
        walked += 1
    assert walked >= 9


# -- (5) default deny --------------------------------------------------------------------------


def test_an_app_with_an_undeclared_route_does_not_start(settings: Settings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Flask] = []
    extra = Blueprint("forgotten", __name__)

    @extra.get("/forgotten")
    def forgotten() -> str:
        return "open to all"

    original = web.mail.mailbox.register_mailbox

    def register_with_a_forgotten_route(app: Flask, given: Settings) -> None:
        made.append(app)
        original(app, given)
        app.register_blueprint(extra)

    monkeypatch.setattr(web.mail.mailbox, "register_mailbox", register_with_a_forgotten_route)
    try:
        with pytest.raises(RuntimeError, match="without a declared audience.*forgotten.forgotten"):
            create_app(settings)
    finally:
        for app in made:
            app.extensions["csm"].engine.dispose()
    assert made, "create_app registered the mailbox through the patched function"


def test_a_route_added_after_start_up_without_a_declaration_answers_404(
        app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/late", "late", lambda: "open to all")
    app.add_url_rule("/late-public", "late_public", audience("public")(lambda: "public"))

    def wrong() -> str:
        return "open to all"

    wrong.audience = "everyone"  # type: ignore[attr-defined]
    app.add_url_rule("/late-wrong", "late_wrong", wrong)
    unknown = client.get("/no-such-page")
    for path in ("/late", "/late-wrong"):
        r = client.get(path)  # the very page of a URL that does not exist
        assert r.status_code == 404, path
        assert r.data.replace(path.encode(), b"/no-such-page") == unknown.data, path
    assert client.post("/late").status_code == 405  # no route: its own answer
    assert client.get("/late-public").data == b"public"
    with pytest.raises(RuntimeError, match="late, late_wrong"):
        check_declared(app, production=False)


def test_development_tools_are_refused_in_production(app: Flask) -> None:
    check_declared(app, production=False)
    assert [e for e, name in audiences_of(app).items() if name == "developer"] == [
        "mailbox.index", "mailbox.message"]
    with pytest.raises(RuntimeError, match="development tools registered in production"):
        check_declared(app, production=True)


# -- (6) no developer route in production --------------------------------------------------------


def test_a_production_app_has_no_developer_route(app: Flask, settings: Settings) -> None:
    """Production refuses SQLite, so this runs on PostgreSQL (the ``app`` fixture migrated it)."""
    if settings.database_url.startswith("sqlite"):
        pytest.skip("production needs PostgreSQL: set TEST_DATABASE_URL")
    production = replace(settings, environment="production", frozen_today=None,
                         password_hash_profile="default", secret_key="p" * 40,
                         mail_backend="smtp", mail_host="127.0.0.1")
    prod_app = create_app(production)
    try:
        found = audiences_of(prod_app)
        assert None not in found.values()
        assert "developer" not in found.values()
        assert not any(r.rule.startswith("/dev/") for r in prod_app.url_map.iter_rules())
        assert found == {e: a for e, (a, _also) in EXPECTED.items() if a != "developer"}
        r = prod_app.test_client().get("/dev/mailbox/", base_url="https://localhost")
        assert r.status_code == 404
    finally:
        prod_app.extensions["csm"].engine.dispose()
