"""A member's first login and a forgotten password, in a real browser, with the e-mails delivered
over a real SMTP exchange (aiosmtpd on 127.0.0.1) and their links opened from the capture.

The first-login test starts from an account in the state the staff letter leaves it, as
``tests.factories.member`` makes it with ``must_change_password=True, email=None,
email_validated=False`` (an initial password, to be changed, and no e-mail address yet); the whole
journey from the subscription request is tests/e2e/test_subscription.py. Delivery is the
``flask mail send`` worker's pass, ``web.mail.delivery.deliver_pending``, called by the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, LiveServer, SmtpCapture
from tests.factories import Member, member
from web.db.models import Account
from web.mail.delivery import DeliveryReport, deliver_pending

FROM = "Caisses Sociales de Monaco <no-reply@caisses-sociales.mc>"
VALIDATION_SUBJECT = "Validez votre adresse électronique / Confirm your e-mail address"
RESET_SUBJECT = "Mot de passe oublié / Forgotten password"
NEW_PASSWORD = "Rivage9"
"""7 characters, no triple repeat, nothing of the member's names, registration or birth year."""
WEAK_PASSWORD = "azerty1"
FORCED_NOTICE = "Vous vous êtes connecté avec le mot de passe reçu par courrier"
SERVICES_CLOSED = ("Vos services personnels s’ouvrent dès que votre adresse électronique est"
                   " confirmée")
RESET_ANSWER = "Si cet identifiant correspond à un compte, un nouveau mot de passe vous parvient"


@pytest.fixture
def live_server(live_server_smtp: LiveServer) -> LiveServer:
    """Every page of this module talks to the server whose mail goes out over SMTP."""
    return live_server_smtp


# --- helpers -----------------------------------------------------------------------------------

def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def log_in(page: Page, identifier: str, password: str) -> None:
    page.goto("/login")
    page.fill("#identifier", identifier)
    page.fill("#password", password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()


def deliver(server: LiveServer) -> DeliveryReport:
    """One pass of the outbox worker, as ``flask mail send`` runs it."""
    csm = server.app.extensions["csm"]
    return deliver_pending(csm.sessions, csm.settings, csm.clock.now())


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, message
    return str(body.get_content())


def first_link(message: EmailMessage) -> str:
    found = re.search(r"https?://\S+", text_of(message))
    assert found, text_of(message)
    return found.group(0)


def check_mail(message: EmailMessage, to: str, subject: str) -> str:
    """The headers and the UTF-8 text of one captured message; its body."""
    assert message["From"] == FROM
    assert message["To"] == to
    assert message["Subject"] == subject
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Auto-Submitted"] == "auto-generated"
    return text_of(message)


# --- first login -------------------------------------------------------------------------------

def test_first_login_forced_change_then_email_validation_opens_the_services(
        page: Page, new_page: Callable[..., Page], live_server: LiveServer,
        smtp_capture: SmtpCapture, check_a11y: Callable[[Page, str], None],
        shot: Callable[[Page, str], Path]) -> None:
    issued = member(live_server.app, email=None, email_validated=False,
                    must_change_password=True)  # as the staff letter leaves it

    # the initial password from the letter: the forced change comes first, whatever is asked
    log_in(page, issued.identifier, issued.password)
    assert path_of(page) == "/account/password", page.content()
    expect(page.locator("h1")).to_have_text("Choisissez votre mot de passe")
    expect(page.locator(".notice--info")).to_contain_text(FORCED_NOTICE)
    check_a11y(page, "forced-change")
    shot(page, "forced-change")
    for elsewhere in ("/", "/submissions/x", "/submissions/x/steps/household", "/account",
                      "/account/email", "/password/forgotten"):
        page.goto(elsewhere)
        assert path_of(page) == "/account/password", f"{elsewhere} opened before the change"

    # a weak password is refused, the rule it breaks named in the error summary
    page.fill("#current", issued.password)
    page.fill("#new", WEAK_PASSWORD)
    page.fill("#confirm", WEAK_PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("main form.form button[type=submit]").click()
    assert answer.value.status == 400
    assert path_of(page) == "/account/password"
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Ce mot de passe ne respecte pas les règles.")
    expect(summary.locator("li")).to_contain_text(["Mot de passe trop courant"])
    expect(page).to_have_title(re.compile(r"^Erreur"))
    expect(page.locator(".notice--info")).to_contain_text(FORCED_NOTICE)  # still forced
    check_a11y(page, "weak-password-refused")
    shot(page, "weak-password-refused")

    # a good one: on to the e-mail address
    page.fill("#current", issued.password)
    page.fill("#new", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert path_of(page) == "/account/email", page.content()
    expect(page.locator("main .notice--success")).to_contain_text(
        "Votre mot de passe a été modifié")
    check_a11y(page, "email-to-register")
    shot(page, "email-to-register")

    address = "alain.dupont@example.mc"
    page.fill("#email", address)
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert path_of(page) == "/account/email", page.content()
    expect(page.locator("main .notice--success")).to_contain_text(
        f"Un lien de validation a été envoyé à {address}")
    expect(page.locator("main .notice--warning")).to_contain_text(address)
    check_a11y(page, "email-sent")
    shot(page, "email-sent")

    # nothing leaves before the worker's pass; then one message, over SMTP
    assert smtp_capture.envelopes == []
    report = deliver(live_server)
    assert len(report.sent) == 1 and not report.retried and not report.gave_up, report
    [envelope] = smtp_capture.envelopes
    assert envelope.mail_from == "no-reply@caisses-sociales.mc"
    assert envelope.rcpt_tos == [address]
    [mail] = smtp_capture.messages()
    body = check_mail(mail, address, VALIDATION_SUBJECT)
    assert "Pour valider votre adresse électronique auprès des Caisses Sociales de Monaco" \
        in body
    assert "To confirm your e-mail address" in body
    link = first_link(mail)
    assert link.startswith(f"{live_server.url}/account/email/confirm/"), link
    assert body.count(link) == 2  # the same link in French and in English

    # meanwhile the home page says the services are closed, and offers no procedure
    page.goto("/")
    assert path_of(page) == "/"
    expect(page.locator("main .notice--warning")).to_contain_text(SERVICES_CLOSED)
    expect(page.locator("main .card")).to_have_count(0)
    expect(page.locator("main form[action^='/procedures/']")).to_have_count(0)
    page.goto("/submissions/x/steps/household")  # no way round it either
    assert path_of(page) == "/"
    check_a11y(page, "home-closed")
    shot(page, "home-closed")

    # the link from the e-mail: a page with a button; pressing it opens the services
    with page.expect_response(lambda r: r.url == link) as opened:
        page.goto(link)
    assert opened.value.status == 200
    assert opened.value.headers.get("referrer-policy") == "no-referrer"
    expect(page.locator("h1")).to_have_text("Confirmer mon adresse électronique")
    check_a11y(page, "confirm-email")
    shot(page, "confirm-email")
    page.get_by_role("button", name="Confirmer cette adresse").click()
    page.wait_for_load_state()
    assert path_of(page) == "/", page.content()
    expect(page.locator("main .notice--success")).to_contain_text(
        "Votre adresse électronique est confirmée")
    expect(page.locator("main .notice--warning")).to_have_count(0)
    card = page.locator("main .card").filter(has_text="Déclaration de ressources")
    expect(card).to_have_count(1)
    expect(card.get_by_role("button", name=re.compile("^Commencer ou reprendre"))).to_be_visible()
    check_a11y(page, "home-open")
    shot(page, "home-open")

    page.goto(link)  # used: the link says so
    expect(page.locator("main")).to_contain_text("Ce lien n’est plus valable")
    expect(page.get_by_role("button", name="Confirmer cette adresse")).to_have_count(0)

    # elsewhere: the letter's password no longer logs in, the chosen one does
    other = new_page(**DESKTOP)
    log_in(other, issued.identifier, issued.password)
    assert path_of(other) == "/login"
    expect(other.locator(".error-summary")).to_be_visible()
    check_a11y(other, "old-password-refused")
    shot(other, "old-password-refused")
    log_in(other, issued.identifier, NEW_PASSWORD)
    assert path_of(other) == "/", other.content()
    expect(other.locator("main .card").filter(has_text="Déclaration de ressources")) \
        .to_have_count(1)
    assert len(smtp_capture.envelopes) == 1  # nothing else was sent


# --- forgotten password ------------------------------------------------------------------------

def ask_for_a_new_password(page: Page, identifier: str) -> str:
    """From the login page's link; the answer the page gives (its main text)."""
    page.goto("/login")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_load_state()
    assert path_of(page) == "/password/forgotten"
    page.fill("#identifier", identifier)
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert path_of(page) == "/login", page.content()
    expect(page.locator("main .notice--info")).to_contain_text(RESET_ANSWER)
    return page.locator("main").inner_text()


def test_forgotten_password_by_email(page: Page, live_server: LiveServer,
                                     smtp_capture: SmtpCapture,
                                     check_a11y: Callable[[Page, str], None],
                                     shot: Callable[[Page, str], Path]) -> None:
    who: Member = member(live_server.app)  # with a confirmed address
    with live_server.app.extensions["csm"].sessions() as session:
        account = session.get(Account, who.account_id)
        assert account is not None and account.email and account.email_validated
        address = account.email

    page.goto("/login")
    check_a11y(page, "login")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_load_state()
    assert path_of(page) == "/password/forgotten"
    check_a11y(page, "forgotten")
    shot(page, "forgotten")

    known = ask_for_a_new_password(page, who.identifier)
    check_a11y(page, "asked")
    shot(page, "asked")
    unknown = ask_for_a_new_password(page, "999999-01011970")
    assert unknown == known, "the answer tells a known identifier from an unknown one"
    again = ask_for_a_new_password(page, who.identifier)  # the same day
    assert again == known

    report = deliver(live_server)
    assert len(report.sent) == 1 and not report.retried and not report.gave_up, report
    assert deliver(live_server).handled == 0
    [envelope] = smtp_capture.envelopes
    assert envelope.rcpt_tos == [address]
    [mail] = smtp_capture.messages()
    body = check_mail(mail, address, RESET_SUBJECT)
    assert "Vous avez demandé un nouveau mot de passe" in body and "l'heure" in body
    link = first_link(mail)
    assert link.startswith(f"{live_server.url}/password/reset/"), link

    with page.expect_response(lambda r: r.url == link) as opened:
        page.goto(link)
    assert opened.value.status == 200
    assert opened.value.headers.get("referrer-policy") == "no-referrer"
    expect(page.locator("h1")).to_have_text("Choisir un nouveau mot de passe")
    check_a11y(page, "reset")
    shot(page, "reset")
    page.fill("#new", "Falaise8")
    page.fill("#confirm", "Falaise8")
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert path_of(page) == "/login", page.content()
    expect(page.locator("main .notice--success")).to_contain_text(
        "Votre nouveau mot de passe est enregistré")
    shot(page, "reset-done")

    log_in(page, who.identifier, who.password)  # the old one is over
    assert path_of(page) == "/login"
    expect(page.locator(".error-summary")).to_be_visible()
    log_in(page, who.identifier, "Falaise8")
    assert path_of(page) == "/", page.content()
    expect(page.locator("main .card").filter(has_text="Déclaration de ressources")) \
        .to_have_count(1)

    with page.expect_response(lambda r: r.url == link) as reopened:
        page.goto(link)
    assert reopened.value.status == 410
    expect(page.locator("main")).to_contain_text("Ce lien n’est plus valable")
    expect(page.locator("#new")).to_have_count(0)
    check_a11y(page, "reset-used")
    shot(page, "reset-used")
    assert len(smtp_capture.envelopes) == 1
