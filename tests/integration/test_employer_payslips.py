"""Payslips from gross amounts in the employer portal (ref 004, "Bulletins de salaire";
docs/payslip.md): the workforce of a month with each registration number a link, the form (its
errors next to the fields, the French decimal comma, more elements on demand), the result whose
figures are compute_payslip's, "Modify" with the values kept, the PDF read back; an employee of
another client or out of the month 404; members and visitors refused; the rates read once. On the
demo data, on SQLite and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from flask import Flask
from flask.testing import FlaskClient

from rules.payslip import compute_payslip
from tests.factories import member
from tests.integration.portal_client import Page, Portal, form_values
from web import payslips as payslip_module
from web.payslips import format_amount, format_rate, load_rates
from web.portal import payslips
from web.registry import import_registry, load_registry_file

ROOT = Path(__file__).resolve().parents[2]
FIRM = ("300781", "Bilan7rz")  # Fiduciaire Azur Conseil: EMP-0002 to EMP-0007
BAKERY = ("300125", "Fournil5")  # Boulangerie du Rocher: EMP-0001 (SAL-0001 to SAL-0004)
FORM = "form.payslip-form"


@pytest.fixture
def demo(app: Flask) -> Flask:
    services = app.extensions["csm"]
    for name in ("registry.yaml", "employers.yaml"):
        with services.sessions.begin() as s:
            import_registry(s, load_registry_file(ROOT / "demo" / name), services.passwords)
    return app


def bakery(client: FlaskClient) -> Portal:
    portal = Portal(client)
    assert portal.login(*BAKERY).path == "/"
    page = portal.post("/clients/select", {"employer": "EMP-0001"})
    assert page.path == "/client/workforce"
    return portal


def flat(text: str) -> str:
    return re.sub(r"[\s\u202f\u00a0]+", " ", text).strip()


def cells(page: Page, selector: str) -> list[list[str]]:
    return [[flat(c.get_text(" ")) for c in row.select("th, td")]
            for row in page.soup.select(selector)]


def field_error(page: Page, name: str) -> str:
    found = page.soup.select_one(f"#{name}-error")
    return flat(found.get_text(" ")) if found is not None else ""


# -- screen 1: the workforce of the month ---------------------------------------------------------


def test_the_list_is_the_workforce_of_the_month_each_registration_a_link(demo, client):
    portal = bakery(client)
    page = portal.get("/client/workforce")
    nav = page.soup.select_one("nav.client-nav a[href='/client/payslips']")
    assert nav is not None and flat(nav.get_text()) == "Bulletins de salaire"
    page = portal.get("/client/payslips")
    assert page.status == 200
    assert page.attr("nav.client-nav a[aria-current=page]", "href") == "/client/payslips"
    assert page.attr("#period option[selected]", "value") == "2026-11"
    links = [(a.get_text(strip=True), a["href"])
             for a in page.soup.select("table.payslip-employees tbody td a")]
    assert links == [("120345", "/client/payslips/SAL-0001?period=2026-11"),
                     ("098761", "/client/payslips/SAL-0002?period=2026-11"),
                     ("134002", "/client/payslips/SAL-0003?period=2026-11")]
    september = portal.submit(page, {"period": "2026-09"}, form="form[action='/client/payslips']")
    assert september.url == "/client/payslips?period=2026-09"
    assert "/client/payslips/SAL-0004?period=2026-09" in [
        a["href"] for a in september.soup.select("table.payslip-employees a")]
    refused = portal.get("/client/payslips?period=2027-01")
    assert refused.status == 400 and refused.soup.select_one(".error-summary")
    assert not page.soup.select("script, [style]")


def test_nothing_chosen_sends_back_to_the_clients_list(demo, client):
    portal = Portal(client)
    portal.login(*BAKERY)
    page = portal.get("/client/payslips")
    assert page.path == "/clients" and "Sélectionnez d'abord un client" in page.text
    assert portal.get("/client/payslips/SAL-0001").path == "/clients"


# -- screen 2: the form ---------------------------------------------------------------------------


def test_the_form_warns_and_shows_its_errors_next_to_the_fields(demo, client):
    portal = bakery(client)
    form = portal.get("/client/payslips/SAL-0001?period=2026-01")
    assert form.status == 200
    assert "y compris congés payés et préavis" in form.soup.select_one(".notice--warning").text
    assert "Gallo" in form.text and "120345" in form.text
    empty = portal.submit(form, button="Calculer", form=FORM)
    assert empty.status == 400
    assert empty.errors() and empty.soup.select_one(".error-summary a[href='#hourly_rate']")
    assert "taux horaire brut" in field_error(empty, "hourly_rate")
    assert "nombre d'heures" in field_error(empty, "hours")
    assert empty.attr("#hourly_rate", "aria-invalid") == "true"
    assert "hourly_rate-error" in (empty.attr("#hourly_rate", "aria-describedby") or "")

    wrong = portal.submit(empty, {"hourly_rate": "douze", "hours": "151,678",
                                  "extra_amount_1": "50"}, button="Calculer", form=FORM)
    assert wrong.status == 400
    assert "12,50" in field_error(wrong, "hourly_rate")
    assert "2 décimales" in field_error(wrong, "hours")
    assert field_error(wrong, "extra_label_1")
    # what was typed stays
    assert wrong.attr("#hourly_rate", "value") == "douze"
    assert wrong.attr("#extra_amount_1", "value") == "50"


def test_more_elements_are_shown_one_at_a_time_up_to_five(demo, client):
    portal = bakery(client)
    page = portal.get("/client/payslips/SAL-0001?period=2026-01")
    assert len(page.soup.select("fieldset.repeat__item")) == 1
    page = portal.submit(page, {"hourly_rate": "15", "extra_label_1": "Prime"},
                         button="Afficher plus d'éléments", form=FORM)
    assert page.status == 200 and not page.soup.select(".error-summary")
    assert len(page.soup.select("fieldset.repeat__item")) == 2
    assert page.attr("#hourly_rate", "value") == "15"
    assert page.attr("#extra_label_1", "value") == "Prime"
    for _ in range(5):
        if not page.soup.find("button", attrs={"value": "more"}):
            break
        page = portal.submit(page, button="Afficher plus d'éléments", form=FORM)
    assert len(page.soup.select("fieldset.repeat__item")) == payslips.MAX_EXTRAS
    assert page.soup.find("button", attrs={"value": "more"}) is None


def test_a_negative_gross_pay_is_refused_for_the_whole_payslip(demo, client):
    portal = bakery(client)
    page = portal.get("/client/payslips/SAL-0001?period=2026-01")
    refused = portal.submit(page, {"hourly_rate": "10", "hours": "10",
                                   "extra_label_1": "Absence", "extra_amount_1": "-500"},
                            button="Calculer", form=FORM)
    assert refused.status == 400 and "négatif" in " ".join(refused.errors())


# -- screen 3: the result, "Modify" and the PDF ---------------------------------------------------


def test_the_result_is_compute_payslips_and_the_pdf_says_the_same(demo, client):
    portal = bakery(client)
    page = portal.get("/client/payslips/SAL-0001?period=2026-01")
    page = portal.submit(page, button="Afficher plus d'éléments", form=FORM)
    result = portal.submit(page, {"hourly_rate": "15,00", "hours": "151,67",
                                  "extra_label_1": "Prime", "extra_amount_1": "100",
                                  "extra_label_2": "Avantage en nature",
                                  "extra_amount_2": "1 000,5"},
                           button="Calculer", form=FORM)
    assert result.status == 200, result.errors()
    slip = compute_payslip(load_rates(ROOT), "2026-01", Decimal("15.00"), Decimal("151.67"),
                           [{"label": "Prime", "amount": "100.00"},
                            {"label": "Avantage en nature", "amount": "1000.50"}])

    def money(value: Decimal) -> str:
        return flat(format_amount(value, "fr"))

    pay = cells(result, "table.payslip-pay tbody tr")
    assert pay[0][1] == money(slip.basic) == "2 275,05 €"
    assert pay[1:3] == [["Prime", "100,00 €"], ["Avantage en nature", "1 000,50 €"]]
    assert pay[3] == ["Salaire brut", money(slip.gross)]
    lines = cells(result, "table.payslip-lines tbody tr")
    assert lines == [[line.fr, money(line.base), flat(format_rate(line.employee_rate, "fr")),
                      money(line.employee), flat(format_rate(line.employer_rate, "fr")),
                      money(line.employer)] for line in slip.lines]
    totals = cells(result, "table.payslip-lines tfoot tr")[0]
    assert money(slip.employee_total) in totals and money(slip.employer_total) in totals
    assert flat(result.soup.select_one("#net dd").get_text()) == money(slip.net)
    assert flat(result.soup.select_one("#cost dd").get_text()) == money(slip.employer_cost)
    assert not result.soup.select("script, [style]")

    # "Modify": back to the form, every value kept
    again = portal.submit(result, button="Modifier", form="form.payslip-result")
    assert again.status == 200 and again.soup.select_one(FORM) is not None
    assert [again.attr(f"#{name}", "value") for name in (
        "hourly_rate", "hours", "extra_label_1", "extra_amount_1", "extra_label_2",
        "extra_amount_2")] == ["15,00", "151,67", "Prime", "100", "Avantage en nature",
                               "1 000,5"]

    # "Download": the PDF, computed again from the same inputs, nothing stored
    form = result.form("form.payslip-result")
    button = form.find("button", attrs={"formaction": True})
    assert button is not None and button["formaction"] == \
        "/client/payslips/SAL-0001/payslip.pdf?period=2026-01"
    pdf = client.post(button["formaction"], data=dict(form_values(form)))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert pdf.headers["Cache-Control"] == "no-store"
    reader = pypdf.PdfReader(io.BytesIO(pdf.data))
    text = flat(" ".join(p.extract_text() or "" for p in reader.pages))
    for expected in ("Bulletin de salaire", "Boulangerie du Rocher", "Stefano Gallo", "120345",
                     "janvier 2026", "Prime", "Avantage en nature", money(slip.gross),
                     money(slip.net), money(slip.employer_cost)):
        assert expected in text, expected


def test_the_english_result(demo, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    portal = bakery(client)
    page = portal.get("/client/payslips/SAL-0002?period=2025-12")
    result = portal.submit(page, {"hourly_rate": "15.00", "hours": "151.67",
                                  "extra_label_1": "Bonus", "extra_amount_1": "100.00"},
                           button="Calculate", form=FORM)
    assert result.status == 200, result.errors()
    # docs/payslip.md: the same pay in December 2025 gives a net pay of 2 067.24
    assert flat(result.soup.select_one("#net dd").get_text()) == "€2,067.24"


def test_the_rates_are_read_once(demo, client, monkeypatch):
    calls: list[Path] = []

    def counting(root: Path) -> object:
        calls.append(Path(root))
        return payslip_module.load_rates(root)

    monkeypatch.setattr(payslips, "_RATES", {})
    monkeypatch.setattr(payslips, "load_rates", counting)
    portal = bakery(client)
    for _ in range(2):
        page = portal.get("/client/payslips/SAL-0001?period=2026-01")
        result = portal.submit(page, {"hourly_rate": "12,5", "hours": "100"},
                               button="Calculer", form=FORM)
        assert result.status == 200
    assert len(calls) == 1


# -- who may see which employee -------------------------------------------------------------------


def test_an_employee_of_another_client_or_out_of_the_month_is_404(demo, client):
    portal = bakery(client)
    csrf = portal.get("/client/payslips").csrf_token()
    data = {"csrf_token": csrf, "hourly_rate": "15", "hours": "151,67"}
    for path in ("/client/payslips/SAL-0005?period=2026-11",  # Garage des Moneghetti's
                 "/client/payslips/SAL-0004?period=2026-11",  # left on 30 September
                 "/client/payslips/SAL-0003?period=2026-10",  # starts on 16 November
                 "/client/payslips/SAL-9999",
                 "/client/payslips/SAL-0001?period=2027-01",
                 "/client/payslips/SAL-0001?period=abc"):
        assert client.get(path).status_code == 404, path
        assert client.post(path, data=data).status_code == 404, path
        pdf = path.replace("?", "/payslip.pdf?") if "?" in path else f"{path}/payslip.pdf"
        assert client.post(pdf, data=data).status_code == 404, pdf
    assert client.get("/client/payslips/SAL-0004?period=2026-09").status_code == 200
    # the firm acting for the garage reaches its employee, not the bakery's
    portal.logout()
    firm = Portal(client)
    assert firm.login(*FIRM).path == "/"
    firm.post("/clients/select", {"employer": "EMP-0003"})
    assert client.get("/client/payslips/SAL-0005").status_code == 200
    assert client.get("/client/payslips/SAL-0001").status_code == 404


PAGES = [("GET", "/client/payslips"), ("GET", "/client/payslips/SAL-0001"),
         ("POST", "/client/payslips/SAL-0001"), ("POST", "/client/payslips/SAL-0001/payslip.pdf")]


def test_a_member_is_sent_home_and_a_visitor_to_the_login_page(demo, client):
    for method, path in PAGES:
        if method == "GET":
            r = client.get(path)
            assert r.status_code == 302 and r.headers["Location"].startswith("/login"), path
    who = member(demo)
    portal = Portal(client)
    assert portal.login(who.identifier, who.password).path == "/"
    csrf = portal.get("/").csrf_token()
    for method, path in PAGES:
        r = client.open(path, method=method, data={"csrf_token": csrf, "hourly_rate": "15",
                                                    "hours": "10"}
                        if method == "POST" else None)
        assert r.status_code == 302 and r.headers["Location"] == "/", (method, path)
