"""The employer portal (ref 004), around the wage declaration: an employer account's clients
(active / inactive, another firm's client 404), the client chosen for the session, its workforce
for a month derived from the employment spells (keyset pages of the 5,000 employees of the demo
hotel), its contribution statements (direct debit clients only) and the SEPA mandate, both as
PDF read back; members, staff and visitors refused. On the demo data (demo/registry.yaml,
demo/employers.yaml), on SQLite and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import io
import re
import time
from datetime import date
from pathlib import Path

import pypdf
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import member, staff
from tests.integration.portal_client import Page, Portal
from web.employers import CREDITOR_IDENTIFIER, creditor_identifier_is_valid, period_bounds
from web.registry import import_registry, load_registry_file
from web.registry.generate import workforce

ROOT = Path(__file__).resolve().parents[2]
FIRM = ("300781", "Bilan7rz")  # Fiduciaire Azur Conseil: EMP-0002 to EMP-0007
BAKERY = ("300125", "Fournil5")  # Boulangerie du Rocher: its own single client, EMP-0001
TODAY = date(2026, 11, 23)


@pytest.fixture
def demo(app: Flask) -> Flask:
    services = app.extensions["csm"]
    for name in ("registry.yaml", "employers.yaml"):
        with services.sessions.begin() as s:
            import_registry(s, load_registry_file(ROOT / "demo" / name), services.passwords)
    return app


def signed_in(client: FlaskClient, who: tuple[str, str]) -> Portal:
    portal = Portal(client)
    assert portal.login(*who).path == "/"
    return portal


def client_names(page: Page) -> list[str]:
    return [re.sub(r"\s+", " ", button.contents[0]).strip()
            for button in page.soup.select("table.clients button")]


def select(portal: Portal, employer_id: str) -> Page:
    page = portal.page if portal.page is not None and portal.page.path == "/" else portal.get("/")
    return portal.post("/clients/select", {"csrf_token": page.csrf_token(),
                                            "employer": employer_id})


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"[\s\u202f\u00a0]+", " ", text)


def registrations(page: Page) -> list[str]:
    return [row.select_one("td").get_text(strip=True)
            for row in page.soup.select("table.workforce tbody tr")]


# -- the clients list -------------------------------------------------------------------------


def test_a_firm_sees_its_active_clients_on_its_home_then_its_inactive_ones(demo, client):
    portal = signed_in(client, FIRM)
    home = portal.get("/clients")  # the home is the synthesis (test_employer_synthesis.py)
    assert home.h1 == "Mes clients"
    assert client_names(home) == ["Garage des Moneghetti", "Hôtel Bellevue Larvotto",
                                  "Librairie de la Condamine", "Pharmacie du Jardin Exotique"]
    assert home.attr(".client-filters a[aria-current=page]", "href") == "/clients?status=active"
    notice = home.soup.select_one(".notice--info").get_text(" ")
    assert "papier" not in notice  # the wage declaration is online now
    inactive = portal.get("/clients?status=inactive")
    assert client_names(inactive) == ["Atelier Couture Fontvieille", "Restaurant du Port Hercule"]
    assert "Boulangerie du Rocher" not in inactive.text
    assert client_names(portal.get("/clients?status=whatever")) == client_names(home)
    assert not home.soup.select("script, [style]")


def test_an_employer_declaring_for_itself_is_its_own_single_client(demo, client):
    portal = signed_in(client, BAKERY)
    assert client_names(portal.get("/?lang=en")) == ["Boulangerie du Rocher"]
    assert client_names(portal.get("/clients?status=inactive")) == []


def test_another_firms_client_is_404_and_nothing_is_selected(demo, client):
    portal = signed_in(client, BAKERY)
    assert select(portal, "EMP-0002").status == 404
    assert select(portal, "EMP-9999").status == 404
    page = portal.get("/client/workforce")  # nothing chosen: back to the list, told why
    assert page.path == "/clients" and "Sélectionnez d'abord un client" in page.text
    assert portal.get("/client/sepa-mandate.pdf").status == 404
    assert portal.get("/client/statements/RC-EMP-0002-2026-10.pdf").status == 404


# -- the workforce ----------------------------------------------------------------------------


def test_the_workforce_of_a_month_follows_the_employment_spells(demo, client):
    portal = signed_in(client, BAKERY)
    page = select(portal, "EMP-0001")
    assert page.path == "/client/workforce" and page.status == 200
    assert page.attr("#period option[selected]", "value") == "2026-11"  # the clock's month
    # started on 16 November: in; left on 30 September: out
    assert registrations(page) == ["120345", "098761", "134002"]
    assert "3 salariés" in page.text
    september = portal.get("/client/workforce?period=2026-09")
    assert sorted(registrations(september)) == ["098761", "120345", "140918"]
    assert registrations(portal.get("/client/workforce?period=2012-08")) == []
    for wrong in ("2026-13", "2027-01", "abc"):
        refused = portal.get(f"/client/workforce?period={wrong}")
        assert refused.status == 400 and refused.soup.select_one(".error-summary"), wrong
        assert refused.attr("#period option[selected]", "value") == "2026-11"


def test_the_5000_employees_come_in_keyset_pages_of_100(demo, client):
    services = demo.extensions["csm"]
    data = workforce("EMP-0002", 5000, TODAY)
    started = time.monotonic()
    with services.sessions.begin() as s:
        summary = import_registry(s, data, services.passwords)
    assert (summary.employees.created, summary.employments.created) == (5000, 5000)
    assert time.monotonic() - started < 30
    bounds = period_bounds("2026-11")
    assert bounds is not None
    expected = sorted(
        ((e["last_name"], e["first_name"], e["id"]), e["registration"])
        for e, spell in zip(data["employees"], data["employments"], strict=True)
        if date.fromisoformat(spell["start"]) <= bounds[1]
        and ("end" not in spell or date.fromisoformat(spell["end"]) >= bounds[0]))
    assert 4800 < len(expected) < 5000  # some left in August, some started on the 16th

    portal = signed_in(client, FIRM)
    page = select(portal, "EMP-0002")
    assert f"{len(expected):,}".replace(",", "\u202f") in page.text or \
        str(len(expected)) in page.text
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        rows = registrations(page)
        assert len(rows) == 100 or page.soup.select_one("a[rel=next]") is None
        seen += rows
        following = page.soup.select_one("a[rel=next]")
        if following is None:
            break
        assert "after=" in following["href"] and "offset" not in following["href"]
        page = portal.get(following["href"])
    assert pages == (len(expected) + 99) // 100
    assert seen == [registration for _, registration in expected]
    # reimporting the same employees changes nothing
    with services.sessions.begin() as s:
        again = import_registry(s, data, services.passwords)
    assert (again.created, again.updated) == (0, 0)


# -- statements and the SEPA mandate ----------------------------------------------------------


def test_a_direct_debit_client_has_its_statements_as_pdf(demo, client):
    portal = signed_in(client, BAKERY)
    select(portal, "EMP-0001")
    page = portal.get("/client/statements")
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in page.soup.select("table.statements tbody tr")]
    assert [row[0] for row in rows] == ["2026-10", "2026-09"]
    assert re.sub(r"[\s\u202f\u00a0]", "", rows[0][2]) == "3558,77€"
    href = page.attr("table.statements a", "href")
    assert href == "/client/statements/RC-EMP-0001-2026-10.pdf"
    pdf = portal.client.get(href)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for expected in ("Relevé de cotisations", "Boulangerie du Rocher", "012501", "2026-10",
                     "1795,20", "910,00", "319,65", "533,92", "3558,77"):
        assert expected in text.replace("3 558", "3558").replace("1 795", "1795"), expected


def test_a_client_without_direct_debit_gets_the_manuals_sentence_and_no_statement(demo, client):
    portal = signed_in(client, FIRM)
    select(portal, "EMP-0003")
    page = portal.get("/client/statements?lang=en")
    assert not page.soup.select("table.statements")
    assert "you keep receiving its contribution statements by post" in page.text
    # a statement of a direct debit client is not reachable through another client
    assert portal.get("/client/statements/RC-EMP-0002-2026-10.pdf").status == 404
    select(portal, "EMP-0002")
    assert portal.get("/client/statements/RC-EMP-0001-2026-10.pdf").status == 404
    assert portal.client.get("/client/statements/RC-EMP-0002-2026-10.pdf").status_code == 200


def test_the_sepa_mandate_names_the_fund_and_the_client(demo, client):
    assert creditor_identifier_is_valid(CREDITOR_IDENTIFIER)
    portal = signed_in(client, FIRM)
    select(portal, "EMP-0003")
    page = portal.get("/client/statements")
    assert page.attr("a[href='/client/sepa-mandate.pdf']", "href")
    pdf = portal.client.get("/client/sepa-mandate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for expected in ("Mandat de prélèvement SEPA", "Caisses Sociales de Monaco",
                     CREDITOR_IDENTIFIER, "Garage des Moneghetti", "015230", "IBAN", "BIC",
                     "Service Recouvrement"):
        assert expected in text, expected


# -- who is refused ---------------------------------------------------------------------------

EMPLOYER_PAGES = [("GET", "/clients"), ("POST", "/clients/select"), ("GET", "/client/workforce"),
                  ("GET", "/client/statements"), ("GET", "/client/sepa-mandate.pdf"),
                  ("GET", "/client/statements/RC-EMP-0001-2026-10.pdf")]


@pytest.mark.parametrize("make", [member, staff], ids=["member", "staff"])
def test_members_and_staff_are_sent_home_from_the_employer_pages(demo, client, make):
    who = make(demo)
    portal = Portal(client)
    assert portal.login(who.identifier, who.password).path == "/"
    csrf = portal.get("/").csrf_token()
    for method, path in EMPLOYER_PAGES:
        r = client.open(path, method=method, data={"csrf_token": csrf, "employer": "EMP-0001"}
                        if method == "POST" else None)
        assert r.status_code == 302 and r.headers["Location"] == "/", (method, path)


def test_visitors_are_sent_to_the_login_page(demo, client):
    for method, path in EMPLOYER_PAGES:
        if method == "GET":
            r = client.get(path)
            assert r.status_code == 302 and r.headers["Location"].startswith("/login"), path
