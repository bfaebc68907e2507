"""The resource declaration in a real browser, from the home page to the PDF receipt.

Every page of each journey is checked with axe (WCAG 2.0/2.1 A and AA) and photographed. The
texts looked for come from the definitions (workflows/resource_declaration.yaml, forms/*.yaml),
which are stable, rather than from the interface's gettext catalogue.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.factories import Member, member

A11y = Callable[[Page, str], None]
Shot = Callable[[Page, str], Path]

# Step titles (workflows/resource_declaration.yaml, or the form's title when the step has none).
TITLES = {
    "terms": "Conditions générales d'utilisation",
    "situation": "Situations particulières",
    "income_declarant": "Vos revenus",
    "income_spouse": "Les revenus de votre conjoint",
    "observations": "Observations facultatives",
    "children": "Les enfants à charge",
    "summary": "Récapitulatif",
}
PROCEDURE = "Déclaration de ressources"
OBSERVATION = "Détails : pension versée à l'étranger"
AMOUNT_ERROR = ("Le montant doit être un nombre en euros, avec au plus deux décimales"
                " (exemple : 12345,50).")
MONTHS_ERROR = "Le nombre de mois doit être compris entre 1 et 12"
RECEIPT_NUMBER = re.compile(r"RD-\d{4}-\d+")
SPACES = re.compile(r"[\s\u00a0\u202f]+")
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "fr-FR"}
"""As the ``page`` fixture's (tests/e2e/conftest.py)."""


# --- helpers -----------------------------------------------------------------------------------

def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def step_of(page: Page) -> str:
    """The step in the address (``/submissions/<id>/steps/<step>``), "" elsewhere."""
    found = re.search(r"/steps/([^/]+)$", path_of(page))
    return found.group(1) if found else ""


def flat(text: str) -> str:
    """Spaces of every kind (no-break, narrow no-break, new lines) as one plain space."""
    return SPACES.sub(" ", text).strip()


def log_in(page: Page, who: Member) -> None:
    page.goto("/login")
    page.fill("#identifier", who.identifier)
    page.fill("#password", who.password)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    assert path_of(page) == "/", page.content()


def start_procedure(page: Page) -> None:
    """From the home page, "start or resume" the resource declaration."""
    with page.expect_navigation():
        page.locator("form[action$='/procedures/resource_declaration/start']"
                     " button[type=submit]").click()


def act(page: Page, value: str) -> None:
    """Press the step form's visible button whose value is ``value`` and wait for the page."""
    with page.expect_navigation():
        page.click(f"button[name=action][value='{value}']:not(.visually-hidden)")


def on_step(page: Page, step: str) -> None:
    assert step_of(page) == step, f"expected the {step!r} step, at {page.url}"
    expect(page.locator("h1")).to_have_text(TITLES[step])


def visit(page: Page, check_a11y: A11y, shot: Shot, name: str) -> None:
    check_a11y(page, name)
    shot(page, name)


def no_horizontal_scroll(page: Page, where: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], \
        f"{where}: the page is {widths[0]}px wide on a {widths[1]}px screen (horizontal scroll)"


def accept_terms(page: Page, check_a11y: A11y, shot: Shot, suffix: str = "") -> None:
    """Open the terms (required before accepting them), come back, accept, continue."""
    on_step(page, "terms")
    visit(page, check_a11y, shot, f"terms{suffix}")
    act(page, "open:cgu")
    assert "/documents/cgu" in path_of(page)
    expect(page.locator("h1")).to_have_text("Conditions générales d'utilisation")
    visit(page, check_a11y, shot, f"terms-document{suffix}")
    with page.expect_navigation():
        page.locator("main a.button").click()
    on_step(page, "terms")
    page.check("#accepted")
    act(page, "continue")


def choose_situation(page: Page, code: str) -> None:
    on_step(page, "situation")
    page.check(f"input[name=code][value={code}]")
    act(page, "continue")


def fill_incomes(page: Page, lines: list[tuple[str, str, str]], total: str) -> None:
    """Add one element per income line (``add:incomes``), fill it in, then the total."""
    for index, (category, amount, months) in enumerate(lines):
        act(page, "add:incomes")
        expect(page.locator(f"#incomes-{index}-category")).to_be_focused()
        page.select_option(f"#incomes-{index}-category", category)
        page.fill(f"#incomes-{index}-amount", amount)
        page.fill(f"#incomes-{index}-months", months)
    page.fill("#total_months", total)


def review_titles(page: Page) -> list[str]:
    return [flat(t) for t in page.locator(".review__section h2").all_inner_texts()]


def change_section(page: Page, step: str) -> None:
    """Follow the summary's "change" link of a section."""
    with page.expect_navigation():
        page.locator(f".review__section:has(h2#section-{step}) a.review__change").click()
    on_step(page, step)


def submit(page: Page) -> str:
    """Submit from the summary; the receipt number the confirmation shows."""
    on_step(page, "summary")
    with page.expect_navigation():
        page.locator("#submit-form button[type=submit]:not([name])").click()
    confirmation = page.locator("#confirmation")
    expect(confirmation).to_be_visible()
    expect(confirmation.locator("h1")).to_have_text(PROCEDURE)
    number = confirmation.locator(".receipt-number").inner_text().strip()
    assert RECEIPT_NUMBER.fullmatch(number), number
    return number


def receipt_text(page: Page) -> str:
    with page.expect_download() as download:
        page.click("a[href$='receipt.pdf']")
    assert download.value.suggested_filename.endswith(".pdf")
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return flat("\n".join(p.extract_text() or "" for p in reader.pages))


# --- 1. the whole declaration ------------------------------------------------------------------

def test_full_declaration_with_spouse_and_children_to_the_pdf_receipt(
        page, live_server, check_a11y, shot):
    who = member(live_server.app, spouse=True, children=2, children_section=True)
    log_in(page, who)
    visit(page, check_a11y, shot, "home")
    start_procedure(page)

    accept_terms(page, check_a11y, shot)

    on_step(page, "situation")
    visit(page, check_a11y, shot, "situation")
    choose_situation(page, "none")

    on_step(page, "income_declarant")
    fill_incomes(page, [("salary", "32 500,50", "8"), ("basic_pension", "4800", "4")], "12")
    expect(page.locator("fieldset.repeat__item")).to_have_count(2)
    visit(page, check_a11y, shot, "income-declarant")
    act(page, "continue")

    on_step(page, "income_spouse")
    fill_incomes(page, [("alimony", "1 250", "6")], "6")
    visit(page, check_a11y, shot, "income-spouse")
    act(page, "continue")

    on_step(page, "observations")
    page.fill("#text", OBSERVATION)
    visit(page, check_a11y, shot, "observations")
    act(page, "continue")

    on_step(page, "children")
    page.fill("#count", "2")
    for index, (name, born, regime) in enumerate([("Éloïse", "2012-04-17", "csm"),
                                                  ("Jérôme", "2015-09-30", "france")]):
        act(page, "add:children")
        expect(page.locator(f"#children-{index}-first_name")).to_be_focused()
        page.fill(f"#children-{index}-first_name", name)
        page.fill(f"#children-{index}-birth_date", born)
        page.select_option(f"#children-{index}-regime", regime)
    expect(page.locator("#children-0-birth_date")).to_have_attribute("type", "date")
    visit(page, check_a11y, shot, "children")
    act(page, "continue")

    on_step(page, "summary")
    assert review_titles(page) == [TITLES[s] for s in (
        "terms", "situation", "income_declarant", "income_spouse", "observations", "children")]
    expect(page.locator(".review__change")).to_have_count(6)
    summary = flat(page.locator(".review").inner_text())
    for expected in ("Aucune de ces situations : je remplis ma déclaration", "Salaires",
                     "32 500,50 €", "Retraite de base", "4 800,00 €", "Pension alimentaire",
                     "1 250,00 €", OBSERVATION, "Éloïse", "17/04/2012", "Jérôme", "30/09/2015",
                     "Régime français"):
        assert expected in summary, f"{expected!r} is not on the summary: {summary}"
    visit(page, check_a11y, shot, "summary")

    number = submit(page)
    visit(page, check_a11y, shot, "confirmation")

    text = receipt_text(page)
    for expected in (number, PROCEDURE, "Éloïse", "Jérôme", "étranger", "Détails",
                     "Vos revenus", "Les enfants à charge", "€"):
        assert expected in text, f"{expected!r} is not in the PDF receipt: {text}"
    assert re.search(r"32 ?500,50 ?€", text), f"no amount in euros in the PDF receipt: {text}"


# --- 2. an error, then its correction ----------------------------------------------------------

def test_income_errors_are_summarised_linked_and_corrected(page, live_server, check_a11y, shot):
    who = member(live_server.app)
    log_in(page, who)
    start_procedure(page)
    accept_terms(page, check_a11y, shot)
    choose_situation(page, "none")

    on_step(page, "income_declarant")
    fill_incomes(page, [("salary", "12,5,5", "13")], "12")
    with page.expect_navigation() as answered:
        page.click("button[name=action][value=continue]:not(.visually-hidden)")
    assert answered.value is not None and answered.value.status == 422
    on_step(page, "income_declarant")
    expect(page).to_have_title(re.compile(r"^Erreur"))

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    at_the_top = page.evaluate("""() => {
        const box = document.querySelector('.error-summary').getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight; }""")
    focused = page.evaluate(
        "() => document.activeElement && document.activeElement.matches('.error-summary')")
    assert at_the_top, "the error summary is not in view when the page comes back"
    assert focused, "the error summary is not focused when the page comes back"
    expect(summary.locator("a")).to_have_count(2)
    expect(summary.locator("a[href='#incomes-0-amount']")).to_have_text(AMOUNT_ERROR)
    expect(summary.locator("a[href='#incomes-0-months']")).to_contain_text(MONTHS_ERROR)

    for field, message, typed in (("amount", AMOUNT_ERROR, "12,5,5"),
                                  ("months", MONTHS_ERROR, "13")):
        box = page.locator(f"#incomes-0-{field}")
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(box).to_have_value(typed)
        error = page.locator(f"#incomes-0-{field}-error")
        expect(error).to_contain_text(message)
        described = box.get_attribute("aria-describedby") or ""
        assert f"incomes-0-{field}-error" in described.split(), described
        assert box.evaluate("(el) => el.closest('.field') === document.getElementById("
                            "el.id + '-error').closest('.field')"), \
            f"the message of {field} is not beside its field"
    expect(page.locator("#incomes-0-category")).to_have_value("salary")
    expect(page.locator("#total_months")).to_have_value("12")
    visit(page, check_a11y, shot, "income-errors")

    summary.locator("a[href='#incomes-0-months']").click()
    expect(page.locator("#incomes-0-months")).to_be_focused()
    summary.locator("a[href='#incomes-0-amount']").click()
    expect(page.locator("#incomes-0-amount")).to_be_focused()
    shot(page, "income-errors-link-followed")

    page.fill("#incomes-0-amount", "12 345,50")
    page.fill("#incomes-0-months", "12")
    act(page, "continue")
    on_step(page, "observations")  # no spouse, no children section
    expect(page.locator(".error-summary")).to_have_count(0)
    act(page, "back")
    on_step(page, "income_declarant")
    expect(page.locator("#incomes-0-amount")).to_have_value("12345,50")
    expect(page.locator("[aria-invalid=true]")).to_have_count(0)
    visit(page, check_a11y, shot, "income-corrected")


# --- 3. a special situation goes straight to the summary ---------------------------------------

def test_special_situation_goes_straight_to_the_summary(page, live_server, check_a11y, shot):
    who = member(live_server.app, spouse=True, children=1, children_section=True)
    log_in(page, who)
    start_procedure(page)
    accept_terms(page, check_a11y, shot)
    on_step(page, "situation")
    page.check("input[name=code][value=other_scheme]")
    visit(page, check_a11y, shot, "situation-other-scheme")
    act(page, "continue")

    on_step(page, "summary")
    assert review_titles(page) == [TITLES["terms"], TITLES["situation"]]
    expect(page.locator(".review")).to_contain_text(
        "Je relève désormais d'un autre régime de sécurité sociale")
    visit(page, check_a11y, shot, "summary")

    number = submit(page)
    visit(page, check_a11y, shot, "confirmation")
    expect(page.locator(".review__section h3")).to_have_count(2)
    text = receipt_text(page)
    assert number in text and TITLES["situation"] in text, text
    assert TITLES["income_declarant"] not in text, text


# --- 4. changing an answer from the summary ----------------------------------------------------

def test_changing_the_situation_from_the_summary(page, live_server, check_a11y, shot):
    who = member(live_server.app, spouse=True)
    log_in(page, who)
    start_procedure(page)
    accept_terms(page, check_a11y, shot)
    choose_situation(page, "no_longer_resident")
    on_step(page, "summary")
    short = [TITLES["terms"], TITLES["situation"]]
    full = [TITLES[s] for s in ("terms", "situation", "income_declarant", "income_spouse",
                                "observations")]
    assert review_titles(page) == short
    visit(page, check_a11y, shot, "summary-special")

    # To "none": the steps never answered are asked, one after the other, then the summary.
    change_section(page, "situation")
    expect(page.locator("input[name=code][value=no_longer_resident]")).to_be_checked()
    expect(page.locator("#step-form a[href$='/steps/summary']")).to_have_count(1)
    expect(page.locator("button[name=action][value=back]")).to_have_count(0)
    visit(page, check_a11y, shot, "situation-from-summary")
    page.check("input[name=code][value=none]")
    act(page, "continue")
    on_step(page, "income_declarant")
    fill_incomes(page, [("salary", "21 000", "12")], "12")
    act(page, "continue")
    on_step(page, "income_spouse")
    fill_incomes(page, [("other", "950,75", "3")], "3")
    act(page, "continue")
    on_step(page, "observations")
    page.fill("#text", OBSERVATION)
    act(page, "continue")
    on_step(page, "summary")
    assert review_titles(page) == full
    visit(page, check_a11y, shot, "summary-full")

    # To a special situation: the summary at once, with fewer sections.
    change_section(page, "situation")
    page.check("input[name=code][value=income_paid_by_fund]")
    act(page, "continue")
    on_step(page, "summary")
    assert review_titles(page) == short
    visit(page, check_a11y, shot, "summary-special-again")

    # Back to "none": every step was answered before, so straight back to the summary, and
    # the earlier answers are still there.
    change_section(page, "situation")
    page.check("input[name=code][value=none]")
    act(page, "continue")
    on_step(page, "summary")
    assert review_titles(page) == full
    assert "21 000,00 €" in flat(page.locator(".review").inner_text())

    # And the final answer: a special situation; only its two sections are sent.
    change_section(page, "situation")
    page.check("input[name=code][value=other_scheme]")
    act(page, "continue")
    on_step(page, "summary")
    assert review_titles(page) == short
    number = submit(page)
    expect(page.locator(".review__section h3")).to_have_count(2)
    visit(page, check_a11y, shot, "confirmation")

    text = receipt_text(page)
    assert number in text, text
    assert "Je relève désormais d'un autre régime de sécurité sociale" in text, text
    for absent in (TITLES["income_declarant"], TITLES["income_spouse"],
                   TITLES["observations"], "21 000", "étranger"):
        assert absent not in text, f"{absent!r}, off the final path, is in the receipt: {text}"


# --- 5. without JavaScript, and on a phone -----------------------------------------------------

def test_declaration_without_javascript(nojs_page, new_page, live_server, check_a11y, shot):
    """Every page works with JavaScript off. axe needs JavaScript (on such a page its promise
    never settles): each page is checked in a twin page, JavaScript on, with the same session."""
    page = nojs_page
    twin = new_page(**DESKTOP)

    def visit_without_js(name: str) -> None:
        shot(page, name)
        twin.context.add_cookies(page.context.cookies())
        twin.goto(page.url)
        assert twin.url == page.url, f"the twin page went to {twin.url}, not {page.url}"
        check_a11y(twin, name)

    who = member(live_server.app)
    log_in(page, who)
    start_procedure(page)
    on_step(page, "terms")
    visit_without_js("terms-nojs")
    act(page, "open:cgu")
    visit_without_js("terms-document-nojs")
    with page.expect_navigation():
        page.locator("main a.button").click()
    page.check("#accepted")
    act(page, "continue")

    on_step(page, "situation")
    visit_without_js("situation-nojs")
    choose_situation(page, "none")

    on_step(page, "income_declarant")
    visit_without_js("income-nojs")
    act(page, "add:incomes")
    act(page, "add:incomes")
    act(page, "remove:incomes-0")  # adding and removing lines needs no script
    expect(page.locator("fieldset.repeat__item")).to_have_count(1)
    page.select_option("#incomes-0-category", "unemployment")
    page.fill("#incomes-0-amount", "7 300,20")
    page.fill("#incomes-0-months", "5")
    page.fill("#total_months", "5")
    shot(page, "income-filled-nojs")
    act(page, "continue")

    on_step(page, "observations")
    visit_without_js("observations-nojs")
    page.fill("#text", OBSERVATION)
    act(page, "continue")

    on_step(page, "summary")
    assert review_titles(page) == [TITLES[s] for s in (
        "terms", "situation", "income_declarant", "observations")]
    assert "7 300,20 €" in flat(page.locator(".review").inner_text())
    visit_without_js("summary-nojs")
    number = submit(page)
    visit_without_js("confirmation-nojs")
    assert number in receipt_text(page)


def test_declaration_on_a_phone_never_scrolls_sideways(phone_page, live_server, check_a11y,
                                                       shot):
    page = phone_page
    who = member(live_server.app, spouse=True, children=1, children_section=True)
    log_in(page, who)
    no_horizontal_scroll(page, "home")
    start_procedure(page)
    on_step(page, "terms")
    no_horizontal_scroll(page, "terms")
    accept_terms(page, check_a11y, shot, "-phone")
    on_step(page, "situation")
    no_horizontal_scroll(page, "situation")
    visit(page, check_a11y, shot, "situation-phone")
    choose_situation(page, "none")

    on_step(page, "income_declarant")
    fill_incomes(page, [("complementary_pension", "123 456 789,99", "12")], "12")
    no_horizontal_scroll(page, "income_declarant")
    visit(page, check_a11y, shot, "income-phone")
    act(page, "continue")
    on_step(page, "income_spouse")
    page.fill("#total_months", "0")
    no_horizontal_scroll(page, "income_spouse")
    act(page, "continue")
    on_step(page, "observations")
    page.fill("#text", OBSERVATION)
    no_horizontal_scroll(page, "observations")
    act(page, "continue")
    on_step(page, "children")
    page.fill("#count", "1")
    act(page, "add:children")
    page.fill("#children-0-first_name", "Anaïs-Bérénice")
    page.fill("#children-0-birth_date", "2011-06-02")
    page.select_option("#children-0-regime", "other_monaco")
    no_horizontal_scroll(page, "children")
    visit(page, check_a11y, shot, "children-phone")
    act(page, "continue")

    on_step(page, "summary")
    no_horizontal_scroll(page, "summary")
    visit(page, check_a11y, shot, "summary-phone")
    submit(page)
    no_horizontal_scroll(page, "confirmation")
    visit(page, check_a11y, shot, "confirmation-phone")


# --- 6. the keyboard ---------------------------------------------------------------------------

def test_situation_step_with_the_keyboard_only(page, live_server, check_a11y, shot):
    who = member(live_server.app)
    log_in(page, who)
    start_procedure(page)
    accept_terms(page, check_a11y, shot)
    on_step(page, "situation")

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    expect(skip).to_have_attribute("href", "#main")
    shot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    page.keyboard.press("Tab")  # past the invisible "continue" (tabindex=-1): the first radio
    first = page.locator("input[name=code]").first
    expect(first).to_be_focused()
    expect(first).to_have_value("none")

    page.keyboard.press("ArrowDown")
    expect(page.locator("input[name=code][value=no_longer_resident]")).to_be_checked()
    expect(page.locator("input[name=code][value=no_longer_resident]")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.locator("input[name=code][value=none]")).to_be_checked()
    expect(page.locator("input[name=code][value=none]")).to_be_focused()
    shot(page, "none-chosen-with-arrows")

    with page.expect_navigation():
        page.keyboard.press("Enter")
    on_step(page, "income_declarant")
    visit(page, check_a11y, shot, "income-after-enter")


# --- 7. English --------------------------------------------------------------------------------

def test_switching_to_english_on_a_step_page(page, live_server, check_a11y, shot):
    who = member(live_server.app, spouse=True)
    log_in(page, who)
    start_procedure(page)
    accept_terms(page, check_a11y, shot)
    on_step(page, "situation")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("legend")).to_contain_text("Votre situation")

    with page.expect_navigation():
        page.locator("header a[hreflang=en]").click()
    assert step_of(page) == "situation", page.url
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Special situations")
    expect(page.locator("legend")).to_contain_text("Your situation")
    expect(page.locator("label[for=code-0]")).to_have_text(
        "None of these situations: I fill in my declaration")
    expect(page.locator("label[for=code-2]")).to_have_text(
        "I now belong to another social-security scheme")
    expect(page.locator(".procedure-name")).to_have_text("Resource declaration")
    expect(page.locator("header a[hreflang=fr]")).to_be_visible()
    visit(page, check_a11y, shot, "situation-en")

    page.check("input[name=code][value=none]")
    act(page, "continue")
    assert step_of(page) == "income_declarant"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Your income")
    act(page, "add:incomes")
    expect(page.locator("label[for=incomes-0-amount]")).to_contain_text("Yearly amount (€)")
    page.fill("#incomes-0-amount", "12.5.5")
    act(page, "continue")
    expect(page.locator("#incomes-0-amount-error")).to_contain_text(
        "The amount must be a number of euros with at most two decimals")
    visit(page, check_a11y, shot, "income-errors-en")
