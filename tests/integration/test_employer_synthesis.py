"""The synthesis of an employer account's clients (ref 004, "SYNTHÈSE DES CLIENTS"), its home
page: each client's declaration of the current period (to make / made on ...), the filters
(active with a declaration to make, the default; active; inactive), the last contribution
statement of the direct debit clients as PDF, another account's clients never shown. On the
demo data, with declarations stored as the service stores them; on SQLite and on PostgreSQL
when TEST_DATABASE_URL is set. The functions take the declaration's workflow id, so they are
tested without it; the page's declaration state needs the wage declaration in the catalog."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from flask import Flask

from engine import SubmissionState
from tests.integration.test_employer_portal import (
    BAKERY,
    FIRM,
    client_names,
    demo,  # noqa: F401 - the fixture
    pdf_text,
    signed_in,
)
from web.db.models import Submission
from web.declarations import periodic, unique_key
from web.portal.synthesis import last_statements, synthesis

WAGES = "wage_declaration"
FIRM_ID = "300781"
DECLARED_AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def firm_account(app: Flask) -> str:
    from sqlalchemy import select

    from web.db.models import Account

    with app.extensions["csm"].sessions() as s:
        return s.scalars(select(Account.id).where(Account.identifier == FIRM_ID)).one()


def declare(app: Flask, owner_id: str, employer_id: str, period: str,
            at: datetime = DECLARED_AT) -> None:
    """A wage declaration of ``period`` for the client, stored as the service stores one."""
    state = SubmissionState(workflow=WAGES, version=1, step=None, status="received")
    with app.extensions["csm"].sessions.begin() as s:
        s.add(Submission(id=str(uuid.uuid4()), workflow=WAGES, version=1, owner_id=owner_id,
                         status="received", step=None, state=state.to_json(), scope="",
                         receipt_number=f"DS-{uuid.uuid4().hex[:10]}", created_at=at,
                         updated_at=at, submitted_at=at, subject_id=employer_id,
                         unique_key=unique_key(employer_id, period)))


def names(lines) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.client.name for line in lines]


# -- the functions, whatever the catalog holds -------------------------------------------------


def test_a_declared_client_leaves_the_list_to_declare_and_shows_when(demo):  # noqa: F811
    account = firm_account(demo)
    declare(demo, account, "EMP-0002", "2026-11")
    declare(demo, account, "EMP-0003", "2026-10")  # the previous period: not this one
    with demo.extensions["csm"].sessions() as s:
        todo = synthesis(s, account, WAGES, "2026-11")
        assert names(todo) == ["Garage des Moneghetti", "Librairie de la Condamine",
                               "Pharmacie du Jardin Exotique"]
        assert all(line.declared_at is None for line in todo)
        active = {line.client.id: line for line in synthesis(s, account, WAGES, "2026-11",
                                                              "active")}
        assert set(active) == {"EMP-0002", "EMP-0003", "EMP-0004", "EMP-0007"}
        assert active["EMP-0002"].declared_at == DECLARED_AT
        assert active["EMP-0003"].declared_at is None
        # October: the garage declared it, the hotel did not
        assert "Garage des Moneghetti" not in names(synthesis(s, account, WAGES, "2026-10"))
        assert names(synthesis(s, account, WAGES, "2026-11", "inactive")) == [
            "Atelier Couture Fontvieille", "Restaurant du Port Hercule"]
        # no declaration followed: nothing to declare, the active and inactive lists remain
        assert synthesis(s, account, None, "2026-11") == []
        assert len(synthesis(s, account, None, "2026-11", "active")) == 4
        with pytest.raises(ValueError):
            synthesis(s, account, WAGES, "2026-11", "everything")


def test_the_last_statement_is_the_latest_period_and_only_for_direct_debit(demo):  # noqa: F811
    account = firm_account(demo)
    with demo.extensions["csm"].sessions() as s:
        assert last_statements(s, ["EMP-0001", "EMP-0002", "EMP-0003"]) == {
            "EMP-0001": "RC-EMP-0001-2026-10", "EMP-0002": "RC-EMP-0002-2026-10"}
        lines = {line.client.id: line for line in synthesis(s, account, WAGES, "2026-11",
                                                             "active")}
        assert lines["EMP-0002"].statement_id == "RC-EMP-0002-2026-10"
        assert lines["EMP-0003"].statement_id is None  # pays otherwise: by post
        inactive = {line.client.id: line for line in synthesis(s, account, WAGES, "2026-11",
                                                               "inactive")}
        assert inactive["EMP-0006"].statement_id == "RC-EMP-0006-2024-05"


# -- the page ----------------------------------------------------------------------------------


def test_the_home_is_the_synthesis_with_its_filters(demo, client):  # noqa: F811
    portal = signed_in(client, FIRM)
    home = portal.get("/")
    assert home.h1 == "Synthèse de mes clients"
    assert home.attr(".employer-tabs a[aria-current=page]", "href") == "/synthesis"
    assert portal.get("/synthesis").h1 == "Synthèse de mes clients"
    active = portal.get("/synthesis?filter=active")
    assert client_names(active) == ["Garage des Moneghetti", "Hôtel Bellevue Larvotto",
                                    "Librairie de la Condamine", "Pharmacie du Jardin Exotique"]
    assert active.attr(".client-filters a[aria-current=page]", "href") == (
        "/synthesis?filter=active")
    inactive = portal.get("/synthesis?filter=inactive")
    assert client_names(inactive) == ["Atelier Couture Fontvieille", "Restaurant du Port Hercule"]
    assert inactive.soup.select_one("table.synthesis caption").get_text(strip=True) == "Inactifs"
    assert [th.get("scope") for th in active.soup.select("table.synthesis thead th")] == [
        "col"] * len(active.soup.select("table.synthesis thead th"))
    assert all(td.get("data-label") for td in active.soup.select("table.synthesis td"))
    assert not home.soup.select("script, [style]")
    # the clients list stays, as the Clients tab, without the old paper notice
    clients = portal.get("/clients")
    assert clients.attr(".employer-tabs a[aria-current=page]", "href") == "/clients"
    assert "papier" not in clients.text


def test_the_direct_debit_clients_download_their_last_statement(demo, client):  # noqa: F811
    portal = signed_in(client, FIRM)
    page = portal.get("/synthesis?filter=active")
    links = [a["href"] for a in page.soup.select("table.synthesis a.last-statement")]
    assert links == ["/synthesis/EMP-0002/last-statement.pdf",
                     "/synthesis/EMP-0004/last-statement.pdf"]
    pdf = client.get(links[0])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Hôtel Bellevue Larvotto" in pdf_text(pdf.data)
    assert client.get("/synthesis/EMP-0003/last-statement.pdf").status_code == 404  # by post
    assert client.get("/synthesis/EMP-0001/last-statement.pdf").status_code == 404  # not its


def test_another_accounts_clients_never_appear(demo, client):  # noqa: F811
    portal = signed_in(client, BAKERY)
    for kind in ("active", "inactive", "to_declare", "nonsense"):
        page = portal.get(f"/synthesis?filter={kind}")
        assert "Hôtel Bellevue Larvotto" not in page.text
        assert "Atelier Couture Fontvieille" not in page.text
    assert client_names(portal.get("/synthesis?filter=active")) == ["Boulangerie du Rocher"]
    assert client.get("/synthesis/EMP-0002/last-statement.pdf").status_code == 404
    assert client.get("/synthesis/EMP-0001/last-statement.pdf").mimetype == "application/pdf"


def test_the_page_shows_each_clients_declaration_of_the_current_period(demo, client):  # noqa: F811
    if not any(wf.id == WAGES for wf in periodic(demo.extensions["csm"].catalog, "client")):
        pytest.skip("the wage declaration is not in the catalog")
    declare(demo, firm_account(demo), "EMP-0002", "2026-11")
    portal = signed_in(client, FIRM)
    home = portal.get("/")  # the default filter: active with a declaration to make
    assert home.attr(".client-filters a[aria-current=page]", "href") == (
        "/synthesis?filter=to_declare")
    assert client_names(home) == ["Garage des Moneghetti", "Librairie de la Condamine",
                                  "Pharmacie du Jardin Exotique"]
    assert "Déclaration de novembre 2026" in home.text and "à effectuer" in home.text
    active = portal.get("/synthesis?filter=active")
    assert "Hôtel Bellevue Larvotto" in client_names(active)
    assert "effectuée le 21/11/2026" in active.text
    declare(demo, firm_account(demo), "EMP-0003", "2026-11")
    declare(demo, firm_account(demo), "EMP-0004", "2026-11")
    declare(demo, firm_account(demo), "EMP-0007", "2026-11")
    done = portal.get("/")
    assert client_names(done) == []
    assert "Aucun client actif n'a de déclaration à effectuer" in done.text
    english = portal.get("/synthesis?filter=active&lang=en")
    assert "Declaration for November 2026" in english.text and "made on" in english.text
