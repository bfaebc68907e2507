"""The account pages in a real browser: a member's profile, password and e-mail address, an
employer's profile and security question, and the pages a visitor reaches from a link (forgotten
password, an invalid reset or confirmation link). Each page is checked with axe (WCAG 2.0/2.1 A
and AA) and captured, on a desktop screen, and once more on a phone's without horizontal scroll.

Nothing here needs a mail to leave: the e-mail address and the forgotten password stop at the
page's answer (tests/e2e/test_first_login.py follows the links over SMTP).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, Response, expect

from tests.e2e.conftest import LiveServer
from tests.factories import Member, employer, member
from web.db.models import Account

Check = Callable[[Page, str], None]
Shot = Callable[[Page, str], Path]

PREVIOUS_LOGIN = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
WRONG_CURRENT = "Votre mot de passe actuel n'est pas le bon."
INVALID_EMAIL = "Cette adresse électronique n'est pas valide"
RESET_ANSWER = "Si cet identifiant correspond à un compte, un nouveau mot de passe vous parvient"
QUESTION = "Nom de mon premier apprenti ?"
ANSWER = "Barthélemy Zanzibar"
"""Found nowhere else on the pages: its absence from the HTML means it is not shown back."""


# --- helpers -----------------------------------------------------------------------------------

def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def log_in(page: Page, who: Member) -> None:
    page.goto("/login")
    page.fill("#identifier", who.identifier)
    page.fill("#password", who.password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert path_of(page) == "/", page.content()


def submit(page: Page) -> Response:
    """Press the main form's button; the answer to its POST (before any redirect)."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("main form.form button[type=submit]").click()
    page.wait_for_load_state()
    return answer.value


def assert_no_horizontal_scroll(page: Page, where: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        f"{where}: wider than the {page.viewport_size} screen (horizontal scroll)"


def expect_error_summary(page: Page, message: str) -> None:
    """The error summary, focused (so a screen reader reads it), saying ``message``."""
    summary = page.locator("main .error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.locator("h2")).to_have_text("Il y a un problème")
    expect(summary).to_contain_text(message)
    expect(page).to_have_title(re.compile(r"^Erreur"))


def profile_row(page: Page, term: str) -> str:
    row = page.locator("main .review__row").filter(
        has=page.locator("dt", has_text=re.compile(f"^{re.escape(term)}$")))
    expect(row).to_have_count(1)
    return row.locator("dd").inner_text().strip()


def set_previous_login(server: LiveServer, who: Member) -> None:
    """As if the account had logged in before: the next login shows that moment."""
    with server.app.extensions["csm"].sessions.begin() as session:
        account = session.get(Account, who.account_id)
        assert account is not None
        account.last_login_at = PREVIOUS_LOGIN


def visit(page: Page, path: str, status: int = 200) -> None:
    with page.expect_response(lambda r: urlsplit(r.url).path == path) as answer:
        page.goto(path)
    assert answer.value.status == status, f"{path}: {answer.value.status}"


# --- a member ----------------------------------------------------------------------------------

def test_member_profile_password_and_email(page: Page, live_server: LiveServer,
                                           check_a11y: Check, shot: Shot) -> None:
    who = member(live_server.app)
    set_previous_login(live_server, who)
    with live_server.app.extensions["csm"].sessions() as session:
        account = session.get(Account, who.account_id)
        assert account is not None and account.email
        address = account.email
    log_in(page, who)

    # the header's "my account" link, reached with the keyboard from the top of the page
    account_link = page.locator("header .site-header__user a")
    expect(account_link).to_have_accessible_name(re.compile(r"Dupont\d+ — Mon compte$"))
    for _ in range(8):
        page.keyboard.press("Tab")
        if account_link.evaluate("link => link === document.activeElement"):
            break
    expect(account_link).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/account", page.content()

    # the profile
    expect(page.locator("h1")).to_have_text("Mon compte")
    assert profile_row(page, "Identifiant") == who.identifier
    previous = profile_row(page, "Connexion précédente")
    assert "20 nov. 2026" in previous and "09:30" in previous, previous  # Monaco time
    assert profile_row(page, "Adresse électronique") == f"{address} (confirmée)"
    expect(page.locator("main").get_by_text("Question de sécurité")).to_have_count(0)
    links = page.locator("main ul a")
    expect(links).to_have_text(["Modifier mon mot de passe",
                                "Modifier mon adresse électronique",
                                "Mes options de courrier"])
    expect(page.get_by_role("link", name="Retour à mes services en ligne")) \
        .to_have_attribute("href", "/")
    check_a11y(page, "profile")
    shot(page, "profile")

    # the password: a wrong current password is refused
    page.get_by_role("link", name="Modifier mon mot de passe").click()
    page.wait_for_load_state()
    assert path_of(page) == "/account/password"
    expect(page.locator("h1")).to_have_text("Modifier mon mot de passe")
    expect(page.locator("main .error-summary")).to_have_count(0)
    check_a11y(page, "password")
    shot(page, "password")
    page.fill("#current", "PasLeBon4")
    page.fill("#new", "Rivage9")
    page.fill("#confirm", "Rivage9")
    assert submit(page).status == 400
    assert path_of(page) == "/account/password"
    expect_error_summary(page, WRONG_CURRENT)
    for field in ("#current", "#new", "#confirm"):  # passwords are never sent back
        expect(page.locator(field)).to_have_value("")
    check_a11y(page, "password-wrong-current")
    shot(page, "password-wrong-current")

    # the e-mail address: an invalid one is refused and kept in the field, a valid one sent
    page.goto("/account")
    page.get_by_role("link", name="Modifier mon adresse électronique").click()
    page.wait_for_load_state()
    assert path_of(page) == "/account/email"
    expect(page.locator("main")).to_contain_text(f"Votre adresse confirmée : {address}.")
    expect(page.locator("label[for=email]")).to_have_text("Nouvelle adresse électronique")
    check_a11y(page, "email")
    shot(page, "email")
    page.fill("#email", "pas-une-adresse")
    assert submit(page).status == 400
    assert path_of(page) == "/account/email"
    expect_error_summary(page, INVALID_EMAIL)
    expect(page.locator("#email")).to_have_value("pas-une-adresse")
    check_a11y(page, "email-invalid")
    shot(page, "email-invalid")

    new_address = "alain.nouveau@example.mc"
    page.fill("#email", new_address)
    assert submit(page).status == 302
    assert path_of(page) == "/account/email", page.content()
    expect(page.locator("main .notice--success")).to_contain_text(
        f"Un lien de validation a été envoyé à {new_address}")
    expect(page.locator("main .notice--warning")).to_contain_text(new_address)
    expect(page.locator("main .error-summary")).to_have_count(0)
    check_a11y(page, "email-sent")
    shot(page, "email-sent")

    page.goto("/account")  # the profile says the new address waits for its confirmation
    assert profile_row(page, "Adresse électronique") == f"{new_address} (pas encore confirmée)"


# --- an employer -------------------------------------------------------------------------------

def test_employer_profile_and_security_question(page: Page, live_server: LiveServer,
                                                check_a11y: Check, shot: Shot) -> None:
    who = employer(live_server.app, name="Boulangerie du Rocher")
    assert re.fullmatch(r"\d{6}", who.identifier)  # the subscriber number
    log_in(page, who)

    # the employer's home: its clients (none here), a way to the profile
    expect(page.locator("h1")).to_have_text("Synthèse de mes clients")
    expect(page.locator("header")).to_contain_text("Boulangerie du Rocher")
    notice = page.locator("main .notice--info")
    expect(notice).to_contain_text("Votre profil n’a pas encore de question de sécurité.")
    check_a11y(page, "employer-home")
    shot(page, "employer-home")
    notice.get_by_role("link", name="Mon profil abonné").click()
    page.wait_for_load_state()
    assert path_of(page) == "/account"

    # the profile
    expect(page.locator("h1")).to_have_text("Mon compte")
    assert profile_row(page, "Numéro d’abonné") == who.identifier
    assert profile_row(page, "Entreprise ou cabinet comptable") == "Boulangerie du Rocher"
    assert profile_row(page, "Connexion précédente") == "—"  # the first login
    assert profile_row(page, "Adresse électronique").endswith(" (confirmée)")
    assert profile_row(page, "Question de sécurité") == "pas encore choisie"
    check_a11y(page, "employer-profile")
    shot(page, "employer-profile")

    # the security question: refused with a wrong current password, the answer not sent back
    page.get_by_role("link", name="Choisir ma question de sécurité").click()
    page.wait_for_load_state()
    assert path_of(page) == "/account/security-question"
    expect(page.locator("h1")).to_have_text("Ma question de sécurité")
    check_a11y(page, "security-question")
    shot(page, "security-question")
    page.fill("#question", QUESTION)
    page.fill("#answer", ANSWER)
    page.fill("#current", "PasLeBon4")
    assert submit(page).status == 400
    assert path_of(page) == "/account/security-question"
    expect_error_summary(page, WRONG_CURRENT)
    expect(page.locator("#question")).to_have_value(QUESTION)
    expect(page.locator("#answer")).to_have_value("")
    expect(page.locator("#current")).to_have_value("")
    assert ANSWER not in page.content()
    check_a11y(page, "security-question-wrong-current")
    shot(page, "security-question-wrong-current")

    # with the right password: saved, back on the profile with the question, never the answer
    page.fill("#answer", ANSWER)
    page.fill("#current", who.password)
    assert submit(page).status == 302
    assert path_of(page) == "/account", page.content()
    expect(page.locator("main .notice--success")).to_contain_text(
        "Votre question de sécurité est enregistrée.")
    assert profile_row(page, "Question de sécurité") == QUESTION
    expect(page.get_by_role("link", name="Modifier ma question de sécurité")).to_be_visible()
    assert ANSWER not in page.content()
    check_a11y(page, "employer-profile-with-question")
    shot(page, "employer-profile-with-question")

    page.get_by_role("link", name="Modifier ma question de sécurité").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text(f"Votre question actuelle : {QUESTION}")
    expect(page.locator("#question")).to_have_value(QUESTION)
    expect(page.locator("#answer")).to_have_value("")
    assert ANSWER not in page.content()


# --- a visitor ---------------------------------------------------------------------------------

def test_visitor_pages_forgotten_password_and_invalid_links(
        page: Page, live_server: LiveServer, check_a11y: Check, shot: Shot) -> None:
    who = member(live_server.app)

    page.goto("/login")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_load_state()
    assert path_of(page) == "/password/forgotten"
    expect(page.locator("h1")).to_have_text("Mot de passe oublié")
    expect(page.locator("#identifier")).to_have_attribute("aria-describedby", "identifier-hint")
    check_a11y(page, "forgotten")
    shot(page, "forgotten")
    page.fill("#identifier", who.identifier)
    assert submit(page).status == 302
    assert path_of(page) == "/login", page.content()
    expect(page.locator("main .notice--info")).to_contain_text(RESET_ANSWER)
    check_a11y(page, "forgotten-answer")
    shot(page, "forgotten-answer")

    visit(page, "/password/reset/xxxx", 410)
    expect(page.locator("h1")).to_have_text("Choisir un nouveau mot de passe")
    expect(page.locator("main")).to_contain_text("Ce lien n’est plus valable")
    expect(page.locator("#new")).to_have_count(0)
    ask_again = page.get_by_role("link", name="Demander un nouveau mot de passe")
    expect(ask_again).to_have_attribute("href", "/password/forgotten")
    check_a11y(page, "reset-invalid")
    shot(page, "reset-invalid")
    ask_again.click()  # its way out leads back to the form
    page.wait_for_load_state()
    assert path_of(page) == "/password/forgotten"

    visit(page, "/account/email/confirm/xxxx", 410)
    expect(page.locator("h1")).to_have_text("Confirmer mon adresse électronique")
    expect(page.locator("main")).to_contain_text("Ce lien n’est plus valable")
    expect(page.get_by_role("button", name="Confirmer cette adresse")).to_have_count(0)
    expect(page.get_by_role("link", name="Mon adresse électronique")) \
        .to_have_attribute("href", "/account/email")
    check_a11y(page, "confirm-invalid")
    shot(page, "confirm-invalid")


# --- on a phone --------------------------------------------------------------------------------

def test_account_pages_on_a_phone(phone_page: Page, live_server: LiveServer,
                                  check_a11y: Check, shot: Shot) -> None:
    page = phone_page
    for path, status, name in (("/password/forgotten", 200, "forgotten"),
                               ("/password/reset/xxxx", 410, "reset-invalid"),
                               ("/account/email/confirm/xxxx", 410, "confirm-invalid")):
        visit(page, path, status)
        assert_no_horizontal_scroll(page, path)
        check_a11y(page, f"{name}-phone")
        shot(page, f"{name}-phone")

    who = employer(live_server.app, name="Cabinet comptable Grimaldi et associés",
                   security_question=QUESTION, security_answer=ANSWER)
    log_in(page, who)
    for path in ("/", "/account", "/account/password", "/account/email",
                 "/account/security-question"):
        visit(page, path)
        assert path_of(page) == path
        assert_no_horizontal_scroll(page, path)
        assert ANSWER not in page.content()
        name = path.strip("/").replace("/", "-") or "home"
        check_a11y(page, f"{name}-phone")
        shot(page, f"{name}-phone")

    page.fill("#current", "PasLeBon4")  # an error summary on a narrow screen
    page.fill("#question", QUESTION)
    page.fill("#answer", ANSWER)
    assert submit(page).status == 400
    expect_error_summary(page, WRONG_CURRENT)
    assert_no_horizontal_scroll(page, "security question refused")
    check_a11y(page, "security-question-wrong-current-phone")
    shot(page, "security-question-wrong-current-phone")
