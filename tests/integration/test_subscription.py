"""The subscription request (workflows/subscription.yaml, issue 4): a visitor without an account
asks for online access from the login page; the registry check refuses an unknown person (the
same answer for a wrong birth date) and someone who has an account already; a per-address
ceiling of look-ups; staff issue the initial password, which makes the account and its letter.
On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from pypdf import PdfReader
from sqlalchemy import func, select

from tests.factories import member, staff
from tests.integration.api_client import Api
from tests.integration.portal_client import Page, Portal
from web.accounts.letters import print_pending
from web.accounts.policy import policy
from web.db.models import Account, Household, Letter, LoginThrottle, Person, Submission
from web.drafts import purge_anonymous
from web.portal.public import STARTS_PER_HOUR
from web.subscriptions import LOOKUPS_PER_HOUR, lookup_key
from web.tokens import issue

ALREADY = "Vous êtes déjà abonné, si vous avez oublié votre mot de passe, utilisez le lien prévu"
NOT_ELIGIBLE = "Nous ne pouvons pas donner suite à votre demande en ligne"
TOO_MANY = "Trop de demandes ont été faites depuis votre connexion"
RECORDED = "Votre demande est enregistrée : vous recevrez dans quelques jours par courrier"
BIRTH = date(1971, 4, 9)


def a_person(app: Any, registration: str = "654321") -> str:
    """A person of the registry, with a postal address and no account."""
    with app.extensions["csm"].sessions.begin() as s:
        s.add(Household(id=f"H-{registration}", address={
            "lines": ["5 boulevard des Moulins"], "postcode": "98000", "city": "Monaco"}))
        s.add(Person(id=f"P-{registration}", registration=registration, birth_date=BIRTH,
                     first_name="Lucie", last_name="Abonnée", household_id=f"H-{registration}",
                     household_role="declarant"))
    return registration


def start(portal: Portal) -> Page:
    """From the login page's link to the first step."""
    login = portal.get("/login")
    link = login.soup.find("a", string="Vous souhaitez vous abonner ?")
    assert link is not None, login.text
    intro = portal.get(str(link["href"]))
    assert intro.h1 == "Demande d'abonnement aux services en ligne"
    page = portal.submit(intro)
    assert "/steps/identity" in page.url, page.url
    return page


def identity(portal: Portal, page: Page, registration: str, birth: date,
             population: str = "employee") -> Page:
    return portal.submit(page, {"registration": registration, "birth_date": birth.isoformat(),
                                "population": population})


def count(app: Any, model: Any, **where: Any) -> int:
    with app.extensions["csm"].sessions() as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(s.scalar(query) or 0)


def staff_api(app: Any) -> Api:
    agent = staff(app, ("immatriculation",))
    svc = app.extensions["csm"]
    with svc.sessions.begin() as s:
        token = issue(s, s.get(Account, agent.account_id), svc.clock.now(), 8, kind="api").token
    return Api(app.test_client(), token)


def fire(api: Api, sid: str, name: str, comment: str | None = None) -> Any:
    revision = api.get(f"/api/v1/submissions/{sid}").json["revision"]
    body: dict[str, Any] = {"name": name, "revision": revision}
    if comment is not None:
        body["comment"] = comment
    return api.post(f"/api/v1/staff/submissions/{sid}/transitions", body)


def submitted_request(app: Any, registration: str) -> tuple[Portal, str]:
    portal = Portal(app.test_client())
    page = identity(portal, start(portal), registration, BIRTH)
    assert "Récapitulatif" in page.text, page.text
    done = portal.submit(page, form="form[action$='/submit']")
    assert RECORDED in done.text, done.text
    sid = done.url.split("/submissions/")[1].split("#")[0].split("?")[0]
    return portal, sid


# --- the visitor's request ---------------------------------------------------------------------

def test_a_visitor_requests_access_and_sees_the_status_with_the_receipt(app):
    registration = a_person(app)
    portal, sid = submitted_request(app, registration)
    with app.extensions["csm"].sessions() as s:
        row = s.get(Submission, sid)
        assert row.owner_id is None and row.status == "received"
        assert row.receipt_number.startswith("AB-") and len(row.draft_key_digest) == 64
    page = portal.get(f"/submissions/{sid}")
    assert row.receipt_number in page.text and "Reçue" in page.text
    # another browser (another cookie) never finds it, nor a member
    assert Portal(app.test_client()).get(f"/submissions/{sid}", follow=False).status in (302,)
    other = Portal(app.test_client())
    start(other)
    assert other.client.get(f"/submissions/{sid}").status_code == 404
    assert other.client.get(f"/submissions/{sid}/steps/identity").status_code == 404
    who = member(app)
    signed_in = Portal(app.test_client())
    signed_in.login(who.identifier, who.password)
    assert signed_in.client.get(f"/submissions/{sid}").status_code == 404


def test_an_unknown_person_and_a_wrong_birth_date_get_the_same_refusal(app):
    registration = a_person(app)
    portal = Portal(app.test_client())
    first = start(portal)
    unknown = identity(portal, first, "999999", BIRTH)
    assert unknown.status == 422 and NOT_ELIGIBLE in unknown.text
    wrong_date = identity(portal, first, registration, BIRTH + timedelta(days=1))
    assert wrong_date.status == 422
    assert wrong_date.errors() == unknown.errors() and unknown.errors()
    assert count(app, Submission, status="draft") == 1
    with app.extensions["csm"].sessions() as s:
        [row] = s.scalars(select(Submission)).all()
        assert row.state["data"] == {}  # nothing kept


def test_someone_who_has_an_account_is_told_to_use_the_forgotten_password_link(app):
    who = member(app, birth=BIRTH)
    registration = who.identifier.split("-")[0]
    portal = Portal(app.test_client())
    page = identity(portal, start(portal), registration, BIRTH)
    assert page.status == 422 and ALREADY in page.text


def test_one_address_may_look_up_the_registry_only_so_often(app):
    registration = a_person(app)
    portal = Portal(app.test_client())
    page = start(portal)
    for _ in range(LOOKUPS_PER_HOUR):
        assert NOT_ELIGIBLE in identity(portal, page, "999999", BIRTH).text
    over = identity(portal, page, registration, BIRTH)  # even the right one, from there
    assert over.status == 422 and TOO_MANY in over.text
    # another address is not held back
    other = Portal(app.test_client())
    other.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    fine = identity(other, start(other), registration, BIRTH)
    assert fine.status == 200 and "Récapitulatif" in fine.text
    with app.extensions["csm"].sessions() as s:
        assert s.get(LoginThrottle, lookup_key("127.0.0.1")).failures == LOOKUPS_PER_HOUR + 1
        assert s.get(LoginThrottle, lookup_key("192.0.2.7")).failures == 1
    # an hour later the first address may try again
    svc = app.extensions["csm"]
    with svc.sessions.begin() as s:
        s.get(LoginThrottle, lookup_key("127.0.0.1")).last_failure_at = \
            svc.clock.now() - timedelta(hours=1, seconds=1)
    again = identity(portal, page, registration, BIRTH)
    assert "Récapitulatif" in again.text


def test_one_address_may_start_only_so_many_public_procedures(app):
    portal = Portal(app.test_client())
    for _ in range(STARTS_PER_HOUR):
        start(portal)
    intro = portal.get("/public/subscription")
    over = portal.submit(intro)
    assert over.status == 429 and "Trop de demandes" in over.text
    with app.extensions["csm"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == STARTS_PER_HOUR
    # another address is not held back
    other = Portal(app.test_client())
    other.client.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert "/steps/identity" in start(other).url


def test_a_member_session_still_starts_member_procedures(app):
    who = member(app)
    portal = Portal(app.test_client())
    home = portal.login(who.identifier, who.password)
    assert "Demande d'abonnement" not in home.text  # listed nowhere but the login page
    assert portal.get("/public/subscription", follow=False).status == 302


# --- staff issue the password ------------------------------------------------------------------

def test_staff_issue_the_password_the_account_and_letter_are_made(app):
    registration = a_person(app)
    portal, sid = submitted_request(app, registration)
    api = staff_api(app)
    assert fire(api, sid, "issue_password").status_code == 200
    svc = app.extensions["csm"]
    identifier = f"{registration}-{BIRTH:%d%m%Y}"
    with svc.sessions.begin() as s:
        account = s.scalars(select(Account).where(Account.identifier == identifier)).one()
        assert account.must_change_password and account.email is None
        assert s.get(Submission, sid).owner_id == account.id
        assert count(app, Letter, account_id=account.id, kind="initial_password") == 1
        run = print_pending(s, svc.passwords, policy(svc.settings.password_policy), svc.clock.now())
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(run.pdf)).pages)
    assert identifier in text
    page = portal.get(f"/submissions/{sid}")
    assert "Mot de passe envoyé par courrier" in page.text
    # the producer refuses a second account for the same person
    _second_portal, second = submitted_request_after_account(app, registration, sid)
    assert second is None


def submitted_request_after_account(app: Any, registration: str, first: str) -> tuple[Any, Any]:
    """Once the account exists, the registry check refuses a new request, and staff cannot
    make a second account from an older request either."""
    portal = Portal(app.test_client())
    page = identity(portal, start(portal), registration, BIRTH)
    assert ALREADY in page.text
    return portal, None


def test_the_producer_refuses_when_an_account_appeared_meanwhile(app):
    registration = a_person(app)
    _portal, sid = submitted_request(app, registration)
    _other, sid2 = submitted_request(app, registration)  # two requests before any decision
    api = staff_api(app)
    assert fire(api, sid, "issue_password").status_code == 200
    refused = fire(api, sid2, "issue_password")
    assert refused.status_code == 409, refused.json
    assert count(app, Account, person_id=f"P-{registration}") == 1
    with app.extensions["csm"].sessions() as s:
        assert s.get(Submission, sid2).status == "received"
    assert fire(api, sid2, "refuse", "Déjà abonné").status_code == 200


# --- drafts left behind ------------------------------------------------------------------------

def test_old_visitor_drafts_are_purged(app, runner=None):
    registration = a_person(app)
    portal = Portal(app.test_client())
    start(portal)
    _done, kept = submitted_request(app, registration)
    svc = app.extensions["csm"]
    with svc.sessions.begin() as s:
        [draft] = s.scalars(select(Submission).where(Submission.status == "draft")).all()
        draft_id = draft.id
        assert purge_anonymous(s, svc.clock.now()) == 0
    later = svc.clock.now() + timedelta(days=31)
    with svc.sessions.begin() as s:
        assert purge_anonymous(s, later) == 1
    with svc.sessions() as s:
        emptied = s.get(Submission, draft_id)
        assert emptied.status == "cancelled" and emptied.draft_key_digest is None
        assert emptied.state["data"] == {}
        assert s.get(Submission, kept).status == "received"  # submitted: kept
    assert portal.client.get(f"/submissions/{draft_id}").status_code in (302, 404)
    result = app.test_cli_runner().invoke(args=["submissions", "purge-anonymous"])
    assert result.exit_code == 0 and "0 visitor drafts" in result.output


# --- the start-up check ------------------------------------------------------------------------

def test_the_app_refuses_an_unknown_check_or_a_code_without_message(app):
    import pytest

    from web.catalog import CatalogError
    from web.host_checks import registered

    catalog = app.extensions["csm"].catalog
    known = {name: check.codes for name, check in registered().items()}
    catalog.check_host_checks(known)  # as shipped: fine
    with pytest.raises(CatalogError, match="unknown host check 'registry_identity'"):
        catalog.check_host_checks({})
    with pytest.raises(CatalogError, match="has no message for gone_fishing"):
        catalog.check_host_checks({"registry_identity": {*known["registry_identity"],
                                                         "gone_fishing"}})
