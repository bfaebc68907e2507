"""The personal data pages (ref 002 "Interrogation des données personnelles") and the ``member``
host context they read: the member's civil status and address, their spouse's and children's
by the names at the top, never another household's; a child's address and family situation are
not shown; the "documents awaited" message; the PDF; who is sent away. On the demo registry
(demo/registry.yaml), on SQLite and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pypdf
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect

from tests.factories import PASSWORD, employer, member, staff
from tests.integration.portal_client import Page, Portal
from web import create_app
from web.contexts import PROVIDERS, Asker, member_data
from web.db.models import Account, Household, Person
from web.registry import import_registry, load_registry_file
from web.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "registry.yaml"
ALAIN = ("002490-12051960", "Moulins7")  # declarant: spouse Claire, children Lucas and Emma
MARIE = ("123456-03091985", "Condam1n")  # another household (H-0002)
PAUL = ("654321-21011970", "Larvott0")  # retiree, documents awaited
AWAITED_FR = ("Nous demeurons dans l'attente de pièces complémentaires. Merci de bien vouloir "
              "nous contacter.")
AWAITED_EN = "We are still awaiting further documents. Please contact us."
CHILD_FR = ("Les informations d'adresse et de situation familiale ne sont pas affichées pour "
            "les enfants car elles ne sont pas gérées de manière individuelle.")
CHILD_EN = ("Address and family situation are not shown for children, as they are not managed "
            "individually.")


@pytest.fixture
def demo(app: Flask) -> Flask:
    services = app.extensions["csm"]
    with services.sessions.begin() as s:
        import_registry(s, load_registry_file(DEMO), services.passwords)
    return app


def signed_in(client: FlaskClient, who: tuple[str, str]) -> Portal:
    portal = Portal(client)
    assert portal.login(*who).path == "/"
    return portal


def english(portal: Portal, path: str) -> Page:
    return portal.get(f"{path}?lang=en")


def terms(page: Page) -> dict[str, str]:
    """The page's civil status and address: each dt with its dd."""
    return {dt.get_text(" ", strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True)
            for dt in page.soup.select("main dl dt")}


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def add_account(app: Flask, person_id: str, *, identifier: str) -> tuple[str, str]:
    services = app.extensions["csm"]
    with services.sessions.begin() as s:
        s.add(Account(identifier=identifier, kind="member", person_id=person_id,
                      password_hash=services.passwords.hash(PASSWORD), email="x@example.mc",
                      email_validated=True, must_change_password=False, roles=[]))
    return identifier, PASSWORD


# --- the member's own data --------------------------------------------------------------------


def test_the_member_sees_their_civil_status_and_address(demo: Flask, client: FlaskClient) -> None:
    portal = signed_in(client, ALAIN)
    page = english(portal, "/personal-data")

    assert page.status == 200 and page.h1 == "My personal data"
    assert terms(page) == {
        "Last name": "Dupont", "First name": "Alain", "Registration number": "002490",
        "Birth date": "May 12, 1960", "Birth place": "Monaco", "Sex": "Male",
        "Nationality": "monégasque", "Family situation": "Married"}
    address = page.soup.select_one("main address")
    assert address is not None
    assert address.get_text("|", strip=True) == "12 boulevard des Moulins|98000 MONACO"
    assert AWAITED_EN not in page.text and CHILD_EN not in page.text
    # the family at the top, by name (ref 002: "cliquer sur son nom en haut de votre écran")
    links = {a.get_text(strip=True): a["href"] for a in page.soup.select("nav.person-nav a")}
    assert links == {"Alain Dupont": "/personal-data", "Claire Dupont": "/personal-data/P-0002",
                     "Lucas Dupont": "/personal-data/P-0003",
                     "Emma Dupont": "/personal-data/P-0004"}
    assert page.attr("nav.person-nav a[aria-current=page]", "href") == "/personal-data"
    # print, and write to the Registration Department
    assert page.attr("a[href$='.pdf']", "href") == "/personal-data.pdf"
    mail = page.soup.select_one("a[href^='mailto:']")
    assert mail is not None and mail["href"] == "mailto:immatriculation@caisses-sociales.mc"
    assert mail.get_text(strip=True) == "Write to the Registration Department"
    assert not page.soup.select("script, style, [style]")


def test_the_page_speaks_french_by_default(demo: Flask, client: FlaskClient) -> None:
    page = signed_in(client, ALAIN).get("/personal-data")
    assert page.h1 == "Mes données personnelles"
    assert terms(page)["Situation de famille"] == "Marié(e)"
    assert terms(page)["Date de naissance"] == "12 mai 1960"
    assert terms(page)["Sexe"] == "Masculin"
    assert "Écrire au Service Immatriculation" in page.text


def test_the_home_page_leads_to_the_personal_data(demo: Flask, client: FlaskClient) -> None:
    home = english(signed_in(client, ALAIN), "/")
    assert home.attr("a[href='/personal-data']", "href") == "/personal-data"
    bakery = english(signed_in(demo.test_client(), ("300125", "Fournil5")), "/")
    assert bakery.soup.select("a[href='/personal-data']") == []


def test_the_registration_address_is_a_setting(settings: Settings) -> None:
    other = create_app(replace(settings, registration_email="etat-civil@example.mc"))
    try:
        services = other.extensions["csm"]
        with services.sessions.begin() as s:
            import_registry(s, load_registry_file(DEMO), services.passwords)
        page = signed_in(other.test_client(), ALAIN).get("/personal-data")
        assert page.attr("a[href^='mailto:']", "href") == "mailto:etat-civil@example.mc"
    finally:
        other.extensions["csm"].engine.dispose()
    with pytest.raises(ValueError, match="REGISTRATION_EMAIL"):
        replace(settings, registration_email="not an address").check()


# --- the family: spouse, children, nobody else ------------------------------------------------


def test_the_spouse_by_her_name(demo: Flask, client: FlaskClient) -> None:
    page = english(signed_in(client, ALAIN), "/personal-data/P-0002")
    assert page.status == 200 and page.h1 == "Personal data of Claire Dupont"
    found = terms(page)
    assert (found["First name"], found["Registration number"], found["Birth place"],
            found["Sex"], found["Family situation"]) == (
        "Claire", "002491", "Nice (France)", "Female", "Married")
    assert page.soup.select_one("main address") is not None
    assert page.attr("nav.person-nav a[aria-current=page]", "href") == "/personal-data/P-0002"
    assert page.attr("a[href$='.pdf']", "href") == "/personal-data/P-0002.pdf"


def test_a_child_without_address_nor_family_situation(demo: Flask,
                                                      client: FlaskClient) -> None:
    portal = signed_in(client, ALAIN)
    page = english(portal, "/personal-data/P-0003")
    assert page.status == 200 and page.h1 == "Personal data of Lucas Dupont"
    found = terms(page)
    assert "Family situation" not in found and found["First name"] == "Lucas"
    assert page.soup.select("main address") == [] and "Postal address" not in page.text
    assert "boulevard des Moulins" not in page.text
    assert CHILD_EN in page.text
    assert CHILD_FR in portal.get("/personal-data/P-0003?lang=fr").text


@pytest.mark.parametrize("path", ["/personal-data/P-0005", "/personal-data/P-0005.pdf",
                                  "/personal-data/P-9999", "/personal-data/P-9999.pdf"])
def test_another_households_person_is_404(demo: Flask, client: FlaskClient, path: str) -> None:
    portal = signed_in(client, ALAIN)
    page = portal.get(path)
    assert page.status == 404
    assert "Rossi" not in page.html and "123456" not in page.html


def test_a_spouse_account_sees_the_declarant_as_spouse(demo: Flask,
                                                       client: FlaskClient) -> None:
    portal = signed_in(client, add_account(demo, "P-0002", identifier="002491-23081962"))
    page = english(portal, "/personal-data")
    assert page.h1 == "My personal data" and terms(page)["First name"] == "Claire"
    links = [(a.get_text(strip=True), a["href"]) for a in page.soup.select("nav.person-nav a")]
    assert links == [("Claire Dupont", "/personal-data"), ("Alain Dupont", "/personal-data/P-0001"),
                     ("Lucas Dupont", "/personal-data/P-0003"),
                     ("Emma Dupont", "/personal-data/P-0004")]
    assert english(portal, "/personal-data/P-0001").h1 == "Personal data of Alain Dupont"


def test_a_single_member_has_no_family_links(demo: Flask, client: FlaskClient) -> None:
    page = english(signed_in(client, MARIE), "/personal-data")
    assert page.soup.select("nav.person-nav") == []
    assert terms(page)["Family situation"] == "Single"
    assert page.soup.select_one("main address").get_text("|", strip=True) == (  # type: ignore[union-attr]
        "Résidence Les Agaves|3 rue Grimaldi|98000 MONACO")


# --- the anomaly message ----------------------------------------------------------------------


def test_documents_awaited_are_said_at_the_top(demo: Flask, client: FlaskClient) -> None:
    portal = signed_in(client, PAUL)
    page = portal.get("/personal-data")
    notice = page.soup.select_one("main .notice--warning")
    assert notice is not None and notice.get_text(" ", strip=True) == AWAITED_FR
    assert page.html.index("notice--warning") < page.html.index("<h1")
    assert AWAITED_EN in english(portal, "/personal-data").text
    assert terms(english(portal, "/personal-data"))["Family situation"] == "Widowed"


# --- the PDF ----------------------------------------------------------------------------------


def test_the_pdf_holds_the_same_data(demo: Flask, client: FlaskClient) -> None:
    portal = signed_in(client, ALAIN)
    r = client.get("/personal-data.pdf?lang=en")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF-")
    text = pdf_text(r.data)
    for expected in ("Personal data of Alain Dupont", "002490", "May 12, 1960", "Monaco",
                     "Married", "12 boulevard des Moulins", "98000 MONACO",
                     "immatriculation@caisses-sociales.mc"):
        assert expected in text, expected
    assert AWAITED_EN not in text
    child = pdf_text(client.get("/personal-data/P-0003.pdf?lang=en").data)
    assert "Lucas" in child and "boulevard des Moulins" not in child
    assert "Family situation" not in child and "not managed individually" in child
    french = pdf_text(client.get("/personal-data/P-0002.pdf").data)
    assert "Données personnelles de Claire Dupont" in french and "Féminin" in french
    assert portal.page is not None


def test_the_pdf_says_documents_are_awaited(demo: Flask, client: FlaskClient) -> None:
    signed_in(client, PAUL)
    text = pdf_text(client.get("/personal-data.pdf").data)
    assert "Nous demeurons dans l" in text and "pièces complémentaires" in text


# --- who is sent away -------------------------------------------------------------------------

PATHS = ["/personal-data", "/personal-data/P-0002", "/personal-data.pdf",
         "/personal-data/P-0002.pdf"]


@pytest.mark.parametrize("path", PATHS)
def test_visitors_go_to_the_login_page(demo: Flask, client: FlaskClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 302
    assert r.headers["Location"] == f"/login?next={path}"


@pytest.mark.parametrize("outsider", [staff, employer], ids=["staff", "employer"])
def test_staff_and_employers_are_sent_home(demo: Flask, client: FlaskClient,
                                           outsider: Any) -> None:
    who = outsider(demo)
    signed_in(client, (who.identifier, who.password))
    for path in PATHS:
        r = client.get(path)
        assert (r.status_code, r.headers.get("Location")) == (302, "/"), path


def test_the_personal_section_stays_closed_until_the_email_is_confirmed(
        app: Flask, client: FlaskClient) -> None:
    who = member(app, email_validated=False)
    portal = signed_in(client, (who.identifier, who.password))
    r = client.get("/personal-data")
    assert (r.status_code, r.headers.get("Location")) == (302, "/")
    assert "/personal-data" not in portal.get("/").html


# --- the member context -----------------------------------------------------------------------

MEMBER_SCHEMA = yaml.safe_load((ROOT / "contexts" / "member.yaml").read_text("utf-8"))["schema"]


def context_of(app: Flask, person_id: str | None) -> dict[str, Any]:
    services = app.extensions["csm"]
    with services.sessions() as s:
        person = s.get(Person, person_id) if person_id else None
        account = Account(identifier="x", kind="member")
        found = PROVIDERS["member"](s, Asker(account, person), "certificate_request",
                                    date(2026, 11, 23))
    jsonschema.validate(found, MEMBER_SCHEMA)
    return found


def test_the_member_context_of_a_declarant(demo: Flask) -> None:
    assert context_of(demo, "P-0001") == {
        "population": "employee",
        "postal_address": ["12 boulevard des Moulins", "98000 MONACO"],
        "awaiting_documents": False,
        "people": [{"id": "P-0001", "role": "member", "name": "Alain Dupont"},
                   {"id": "P-0002", "role": "spouse", "name": "Claire Dupont"},
                   {"id": "P-0003", "role": "child", "name": "Lucas Dupont"},
                   {"id": "P-0004", "role": "child", "name": "Emma Dupont"}]}


def test_the_member_context_of_a_spouse_names_the_declarant_as_spouse(demo: Flask) -> None:
    found = context_of(demo, "P-0002")
    assert found["population"] == "spouse"
    assert [(p["id"], p["role"]) for p in found["people"]] == [
        ("P-0002", "member"), ("P-0001", "spouse"), ("P-0003", "child"), ("P-0004", "child")]


def test_the_member_context_without_household_nor_person(demo: Flask) -> None:
    services = demo.extensions["csm"]
    with services.sessions.begin() as s:
        s.add(Person(id="P-LONE", registration="7777", birth_date=date(1950, 1, 1),
                     first_name="Jean", last_name="Seul", population="retiree",
                     awaiting_documents=True))
    assert context_of(demo, "P-LONE") == {
        "population": "retiree", "postal_address": [], "awaiting_documents": True,
        "people": [{"id": "P-LONE", "role": "member", "name": "Jean Seul"}]}
    assert context_of(demo, None) == {"population": None, "postal_address": [],
                                      "awaiting_documents": False, "people": []}
    # a child's own account: themself only
    assert [p["id"] for p in context_of(demo, "P-0003")["people"]] == ["P-0003"]


def test_a_foreign_address_ends_with_the_country(demo: Flask) -> None:
    services = demo.extensions["csm"]
    with services.sessions.begin() as s:
        household = s.get(Household, "H-0002")
        assert household is not None
        household.address = {"lines": ["4 via Roma"], "postcode": "18039",
                              "city": "Ventimiglia", "country": "IT"}
    assert context_of(demo, "P-0005")["postal_address"] == [
        "4 via Roma", "18039 VENTIMIGLIA", "ITALIE"]
    with services.sessions() as s:
        assert member_data(s, s.get(Person, "P-0005"))["people"] == [
            {"id": "P-0005", "role": "member", "name": "Marie Rossi"}]


def test_every_provider_matches_its_schema(demo: Flask) -> None:
    services = demo.extensions["csm"]
    with services.sessions() as s:
        for name, provide in sorted(PROVIDERS.items()):
            schema = yaml.safe_load((ROOT / "contexts" / f"{name}.yaml").read_text("utf-8"))
            for pid in ("P-0001", "P-0002", "P-0003", "P-0006"):
                asker = Asker(Account(identifier="x", kind="member"), s.get(Person, pid))
                jsonschema.validate(provide(s, asker, "resource_declaration",
                                            date(2026, 11, 23)), schema["schema"])


# --- migration 0007 ---------------------------------------------------------------------------


def test_0007_goes_down_and_up_keeping_the_persons(app: Flask, demo: Flask) -> None:
    from tests.integration.test_migrations import downgrade
    from web.db.migrate import upgrade

    engine = app.extensions["csm"].engine
    downgrade(engine, "0006")
    columns = {c["name"] for c in inspect(engine).get_columns("persons")}
    assert "awaiting_documents" not in columns and "population" not in columns
    assert "certificates" not in inspect(engine).get_table_names()
    upgrade(engine)
    services = app.extensions["csm"]
    with services.sessions() as s:
        paul = s.get(Person, "P-0006")
        assert paul is not None and paul.last_name == "Martin"
        assert (paul.population, paul.awaiting_documents) == (None, False)  # the server default
    assert "certificates" in inspect(engine).get_table_names()
