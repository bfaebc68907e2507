"""Postal letters: the password letters (initial access codes, forgotten password), the
notification letters (a member's submission moved, told by post) and the certificates (an
attestation the fund issues from its data, with its verification code).

Independent of Flask and of the database: the caller builds :class:`PostalLetter` (password),
:class:`NoticeLetter` (notification) and :class:`CertificateLetter` (certificate) objects and
gets one PDF from :func:`render_letters_pdf`, each letter starting a new page (a long
notification flows onto more pages). The clear password lives only in its object (never shown
by ``repr``) and in the PDF bytes; a notification or a certificate carries nothing secret.

A letter whose address is empty still prints, with the name and a visible "address missing"
mark in the window for the mail room (the caller decides whether such a letter may print: the
password letters never do).

The layout is for an A4 sheet folded in three into a DL envelope with the window on the right
(the usual French and Monegasque format): the recipient's address sits 50 mm from the top and
110 mm from the left edge, above the first fold (fold marks at 99 mm and 198 mm).

As for the receipt (:mod:`web.pdf.receipt`): WeasyPrint is imported lazily, the URL fetcher
refuses everything, the PDF is tagged (PDF/UA-1) and Jinja escapes every value: HTML in a
notification's subject or body is shown as text, never interpreted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, TypeAlias

from web.pdf.receipt import FUND_NAME, LANGUAGES, TEMPLATES, html_to_pdf

__all__ = [
    "CERTIFICATE_KIND",
    "FUND_RETURN_ADDRESS",
    "LETTER_KINDS",
    "NOTICE_KIND",
    "ONLINE_SERVICES",
    "AnyLetter",
    "CertificateLetter",
    "NoticeLetter",
    "PostalLetter",
    "format_day",
    "format_letter_date",
    "render_letters_html",
    "render_letters_pdf",
]

FUND_RETURN_ADDRESS = ("11 rue Louis Notari", "98013 Monaco Cedex")
"""The fund's postal address (reference manuals 002 and 003)."""
ONLINE_SERVICES = "caisses-sociales.mc"
LETTER_KINDS = ("initial_password", "password_reset")
"""The kinds of :class:`PostalLetter`: the letters that carry a password."""
NOTICE_KIND = "notification"
"""The kind of :class:`NoticeLetter` (``web.notifications.NOTIFICATION_LETTER``)."""
CERTIFICATE_KIND = "certificate"
"""The kind of :class:`CertificateLetter` (``web.certificates.CERTIFICATE_LETTER``)."""

_FR_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "document": "Courriers de mot de passe",
        "title_initial_password": "Vos codes d’accès aux services en ligne",
        "title_password_reset": "Votre nouveau mot de passe",
        "reference": "Référence du courrier",
        "salutation": "Madame, Monsieur,",
        "intro_initial_password": (
            "Vous pouvez désormais accéder aux services en ligne des Caisses Sociales de "
            "Monaco. Voici vos codes d’accès personnels :"),
        "intro_password_reset": (
            "Vous avez demandé un nouveau mot de passe pour vos services en ligne. Le voici ; "
            "votre ancien mot de passe ne fonctionne plus et vos connexions en cours ont été "
            "fermées."),
        "codes": "Vos codes d’accès",
        "identifier": "Identifiant",
        "password": "Mot de passe",
        "case": (
            "Respectez les majuscules et les minuscules. Pour éviter toute confusion, ce mot de "
            "passe ne contient ni la lettre O ni le chiffre zéro, ni les caractères l, I et 1."),
        "how": "Pour vous connecter",
        "step_login": (
            "Rendez-vous sur les services en ligne ({site}, « Mon compte ») et saisissez votre "
            "identifiant et ce mot de passe."),
        "step_choose": (
            "Il vous sera demandé de choisir votre propre mot de passe : ce mot de passe "
            "provisoire ne servira plus ensuite."),
        "step_email": (
            "Il vous sera aussi demandé d’enregistrer votre adresse électronique et de la "
            "confirmer avec le lien que vous recevrez : en cas d’oubli, vous pourrez alors "
            "recevoir un nouveau mot de passe par courriel plutôt que par courrier."),
        "secret": "Gardez-le secret",
        "secret_personal": (
            "Ce mot de passe est strictement personnel : ne le communiquez à personne, pas même "
            "à un agent des Caisses Sociales de Monaco."),
        "secret_never": (
            "Les Caisses Sociales de Monaco ne vous le demanderont jamais, ni par téléphone, ni "
            "par courriel, ni au guichet."),
        "secret_destroy": "Une fois votre propre mot de passe choisi, détruisez ce courrier.",
        "not_you": (
            "Si vous n’êtes pas à l’origine de cette demande, contactez les Caisses Sociales de "
            "Monaco."),
        "closing": (
            "Nous vous prions d’agréer, Madame, Monsieur, l’expression de nos salutations "
            "distinguées."),
        "document_notification": "Courriers de notification",
        "document_certificate": "Attestations",
        "document_mixed": "Courriers",
        "certificate_intro": "Les Caisses Sociales de Monaco attestent que la personne désignée"
                             " ci-dessous a droit aux prestations médicales pour la période"
                             " indiquée.",
        "beneficiary": "Bénéficiaire",
        "registration": "Numéro d’immatriculation",
        "birth_date": "Date de naissance",
        "period": "Période de droits",
        "period_value": "du {start} au {end}",
        "issued_on": "Délivrée le",
        "verification_code": "Code de vérification",
        "verification_note": (
            "L’authenticité de cette attestation peut être vérifiée auprès des Caisses Sociales "
            "de Monaco à l’aide de ce code de vérification."),
        "address_missing": "ADRESSE MANQUANTE",
        "address_missing_note": "Service courrier : compléter l’adresse avant l’envoi.",
    },
    "en": {
        "document": "Password letters",
        "title_initial_password": "Your access codes for the online services",
        "title_password_reset": "Your new password",
        "reference": "Letter reference",
        "salutation": "Dear Sir or Madam,",
        "intro_initial_password": (
            "You can now use the online services of the Caisses Sociales de Monaco. Here are "
            "your personal access codes:"),
        "intro_password_reset": (
            "You asked for a new password for your online services. Here it is; your former "
            "password no longer works and your open sessions have been closed."),
        "codes": "Your access codes",
        "identifier": "Identifier",
        "password": "Password",
        "case": (
            "Upper and lower case matter. To avoid any confusion, this password contains neither "
            "the letter O nor the digit zero, nor the characters l, I and 1."),
        "how": "To log in",
        "step_login": (
            "Go to the online services ({site}, “My account”) and type your identifier and this "
            "password."),
        "step_choose": (
            "You will be asked to choose your own password: this temporary password will no "
            "longer be used after that."),
        "step_email": (
            "You will also be asked to register your e-mail address and to confirm it with the "
            "link you will receive: should you forget your password, a new one can then be sent "
            "to you by e-mail rather than by post."),
        "secret": "Keep it secret",
        "secret_personal": (
            "This password is strictly personal: do not give it to anyone, not even to an agent "
            "of the Caisses Sociales de Monaco."),
        "secret_never": (
            "The Caisses Sociales de Monaco will never ask you for it, by telephone, by e-mail "
            "or at the counter."),
        "secret_destroy": "Once you have chosen your own password, destroy this letter.",
        "not_you": "If you did not ask for it, contact the Caisses Sociales de Monaco.",
        "closing": "Yours faithfully,",
        "document_notification": "Notification letters",
        "document_certificate": "Certificates",
        "document_mixed": "Letters",
        "certificate_intro": "The Caisses Sociales de Monaco certify that the person named below"
                             " is entitled to medical benefits for the period stated.",
        "beneficiary": "Beneficiary",
        "registration": "Registration number",
        "birth_date": "Date of birth",
        "period": "Period of entitlement",
        "period_value": "from {start} to {end}",
        "issued_on": "Issued on",
        "verification_code": "Verification code",
        "verification_note": (
            "This certificate can be checked with the Caisses Sociales de Monaco using this "
            "verification code."),
        "address_missing": "ADDRESS MISSING",
        "address_missing_note": "Mail room: complete the address before posting.",
    },
}


@dataclass(frozen=True)
class PostalLetter:
    """One password letter: who it goes to, where, and the access codes it carries."""

    lang: str  # "fr" or "en"
    name: str  # e.g. "Marie Rossi"
    address: tuple[str, ...]  # the postal lines under the name, city line included
    identifier: str  # e.g. "123456-03091985"
    password: str = field(repr=False)  # the clear password: only ever in the PDF
    kind: str  # "initial_password" or "password_reset"
    date: dt.date  # the date of the letter, in Monaco
    reference: str = ""  # the letter's id, to find it again (reprint)

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"unsupported letter language {self.lang!r}; expected one of "
                             f"{LANGUAGES}")
        if self.kind not in LETTER_KINDS:
            raise ValueError(f"unsupported letter kind {self.kind!r}; expected one of "
                             f"{LETTER_KINDS}")
        if not isinstance(self.address, tuple):
            raise TypeError("PostalLetter.address must be a tuple of lines")
        if not self.password:
            raise ValueError("a password letter needs a password")


@dataclass(frozen=True)
class NoticeLetter:
    """One notification letter: who it goes to, where, and the message (nothing secret)."""

    lang: str  # "fr" or "en"
    name: str  # e.g. "Marie Rossi"
    address: tuple[str, ...]  # the postal lines under the name; () prints "address missing"
    subject: str  # one line, the letter's title
    body: str  # plain text, paragraphs separated by blank lines
    date: dt.date  # the date of the letter, in Monaco
    reference: str = ""  # the letter's id, to find it again (reprint)

    kind: ClassVar[str] = NOTICE_KIND

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"unsupported letter language {self.lang!r}; expected one of "
                             f"{LANGUAGES}")
        if not isinstance(self.address, tuple):
            raise TypeError("NoticeLetter.address must be a tuple of lines")
        if not self.subject.strip():
            raise ValueError("a notification letter needs a subject")

    @property
    def paragraphs(self) -> tuple[tuple[str, ...], ...]:
        """The body's paragraphs (split on blank lines, empty ones dropped), each as its lines."""
        found: list[tuple[str, ...]] = []
        lines: list[str] = []
        for raw in [*self.body.splitlines(), ""]:
            line = raw.strip()
            if line:
                lines.append(line)
            elif lines:
                found.append(tuple(lines))
                lines = []
        return tuple(found)


@dataclass(frozen=True)
class CertificateLetter:
    """One certificate (an attestation of entitlement): who it goes to, where, and what it
    attests. Nothing secret: the verification code only lets someone check the paper."""

    lang: str  # "fr" or "en"
    name: str  # the member it is sent to
    address: tuple[str, ...]  # the postal lines under the name; () prints "address missing"
    title: str  # the document's title, e.g. "Attestation de droit aux prestations médicales"
    beneficiary: str  # the person it is about
    registration: str  # the beneficiary's registration number
    birth_date: dt.date
    valid_from: dt.date
    valid_to: dt.date
    issued_on: dt.date  # the date of the letter, in Monaco
    verification_code: str  # e.g. "K7QM-3PXD-9TRA"
    reference: str = ""  # the letter's id, to find it again (reprint)

    kind: ClassVar[str] = CERTIFICATE_KIND

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"unsupported letter language {self.lang!r}; expected one of "
                             f"{LANGUAGES}")
        if not isinstance(self.address, tuple):
            raise TypeError("CertificateLetter.address must be a tuple of lines")
        if not self.title.strip() or not self.verification_code:
            raise ValueError("a certificate needs a title and a verification code")

    @property
    def date(self) -> dt.date:
        return self.issued_on


AnyLetter: TypeAlias = PostalLetter | NoticeLetter | CertificateLetter
"""What one PDF may hold, in any order."""


def format_letter_date(day: dt.date, lang: str) -> str:
    """``Monaco, le 1er décembre 2026`` (fr) or ``Monaco, 1 December 2026`` (en)."""
    if lang == "fr":
        number = "1er" if day.day == 1 else str(day.day)
        return f"Monaco, le {number} {_FR_MONTHS[day.month - 1]} {day.year}"
    if lang == "en":
        return f"Monaco, {day.day} {_EN_MONTHS[day.month - 1]} {day.year}"
    raise ValueError(f"unsupported language {lang!r}")


def format_day(day: dt.date, lang: str) -> str:
    """``1er décembre 2026`` (fr) or ``1 December 2026`` (en)."""
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {_FR_MONTHS[day.month - 1]} {day.year}"
    if lang == "en":
        return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"
    raise ValueError(f"unsupported language {lang!r}")


_ENV = TEMPLATES


def _view(letter: AnyLetter) -> dict[str, object]:
    texts = _TEXTS[letter.lang]
    common = {"letter": letter, "t": texts, "date": format_letter_date(letter.date, letter.lang)}
    if isinstance(letter, NoticeLetter):
        return {**common, "notice": True, "certificate": False, "title": letter.subject,
                "paragraphs": letter.paragraphs}
    if isinstance(letter, CertificateLetter):
        lang = letter.lang
        return {**common, "notice": False, "certificate": True, "title": letter.title,
                "birth_date": format_day(letter.birth_date, lang),
                "issued_on": format_day(letter.issued_on, lang),
                "period": texts["period_value"].format(start=format_day(letter.valid_from, lang),
                                                       end=format_day(letter.valid_to, lang))}
    return {
        **common,
        "notice": False,
        "certificate": False,
        "title": texts[f"title_{letter.kind}"],
        "intro": texts[f"intro_{letter.kind}"],
        "step_login": texts["step_login"].format(site=ONLINE_SERVICES),
    }


def _document(letters: Sequence[AnyLetter]) -> str:
    """The PDF's title names what the batch holds (never a password)."""
    kinds = {letter.kind if isinstance(letter, NoticeLetter | CertificateLetter) else "password"
             for letter in letters}
    key = ("document_mixed" if len(kinds) > 1 else {
        "password": "document", NOTICE_KIND: "document_notification",
        CERTIFICATE_KIND: "document_certificate"}[kinds.pop()])
    return _TEXTS[letters[0].lang][key]


def render_letters_html(letters: Iterable[AnyLetter]) -> str:
    """The letters as one self-contained HTML document, each starting a new page."""
    letters = list(letters)
    if not letters:
        raise ValueError("no letter to render")
    first = letters[0]
    return _ENV.get_template("letter.html.j2").render(
        letters=[_view(letter) for letter in letters],
        lang=first.lang,
        document_title=f"{_document(letters)} — {FUND_NAME}",
        fund_name=FUND_NAME,
        return_address=FUND_RETURN_ADDRESS,
    )


def render_letters_pdf(letters: Sequence[AnyLetter]) -> bytes:
    """Render the letters as one tagged (PDF/UA-1) A4 PDF, each letter starting a new page."""
    return html_to_pdf(render_letters_html(letters))
