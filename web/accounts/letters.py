"""Letters for the post, printed in one PDF batch whatever their kind:

* the letters that carry a password (:data:`PASSWORD_LETTERS`): the initial access codes staff
  issue, and a forgotten password for a member without a confirmed e-mail address (queued by
  :func:`web.accounts.service.request_reset`);
* the notification letters (:data:`NOTIFICATION_LETTER`, queued by
  :func:`web.notifications.notify`): a member who receives post is told that a submission
  moved. The letter holds the subject and body in both languages; the one asked for is printed,
  addressed to where the member lives when it is printed. Nothing secret is made for it, so a
  reprint gives the same text, dated the day the notification was made;
* the certificates (:data:`CERTIFICATE_LETTER`, queued by :mod:`web.certificates`): an
  attestation the fund issued from its data (a :class:`~web.db.models.Certificate`), printed as
  issued (its period and verification code), addressed like a notification; a reprint is the
  same certificate.

A password letter is queued without a password. The password is made when the letter is printed
(:func:`print_pending`, :func:`reprint`): a new random one that meets the password policy, of
which only the argon2 hash is stored, with ``must_change_password`` set; every session and API
token of the account ends. The clear password goes into the PDF and nowhere else: not in the
database, not in the log, not in what these functions return apart from the PDF bytes.

Everything happens in the caller's transaction: the caller writes the PDF, then commits (if it
cannot write the PDF, it rolls back: the former passwords keep working and every letter is still
pending, none is lost).

A password letter without a postal address is left pending (no password changes for a letter
that cannot be sent). A notification letter (or a certificate) without one is printed all the
same, with the name and an "address missing" mark for the mail room, and named in
:attr:`PrintRun.unaddressed`: the member must be told, and the mail room can find the address
better than a queue can wait.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from web.accounts.links import PASSWORD_RESET
from web.accounts.policy import PasswordPolicy, PersonalData
from web.accounts.service import personal_data, postal_address
from web.db.models import Account, Certificate, Letter
from web.notifications import NOTIFICATION_LETTER
from web.passwords import Passwords
from web.pdf.letter import (
    CERTIFICATE_KIND,
    AnyLetter,
    CertificateLetter,
    NoticeLetter,
    PostalLetter,
    render_letters_pdf,
)
from web.security_log import security_event
from web.tokens import revoke_all

__all__ = [
    "ALPHABET",
    "CERTIFICATE_LETTER",
    "INITIAL_PASSWORD",
    "NOTIFICATION_LETTER",
    "PASSWORD_LETTERS",
    "PASSWORD_RESET",
    "PRINTED_KINDS",
    "LetterRefused",
    "LetterRow",
    "PrintRun",
    "PrintedLetter",
    "address_lines",
    "find_account",
    "generate_password",
    "list_letters",
    "pending_letter",
    "print_pending",
    "queue_initial_password",
    "reprint",
]

INITIAL_PASSWORD = "initial_password"  # noqa: S105 - a letter kind
PASSWORD_LETTERS = (INITIAL_PASSWORD, PASSWORD_RESET)
"""The kinds of letter that carry a password made at print time."""
CERTIFICATE_LETTER = CERTIFICATE_KIND
"""The kind of the letter that carries a certificate (``web.certificates``)."""
PRINTED_KINDS = (*PASSWORD_LETTERS, NOTIFICATION_LETTER, CERTIFICATE_LETTER)
"""The kinds of letter :func:`print_pending` prints."""

LOWER = "abcdefghijkmnpqrstuvwxyz"  # no l, no o
UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
DIGITS = "23456789"  # no 0, no 1
ALPHABET = LOWER + UPPER + DIGITS
"""What a printed password is made of: nothing that reads two ways on paper (O/0, l/1/I)."""
PRINTED_LENGTH = 8
"""Length of a printed password when the policy allows it (the fund's profile: 7 or 8)."""
MAX_TRIES = 1000
MONACO = ZoneInfo("Europe/Monaco")

COUNTRIES = {
    "MC": "MONACO", "FR": "FRANCE", "IT": "ITALIE", "CH": "SUISSE", "BE": "BELGIQUE",
    "DE": "ALLEMAGNE", "ES": "ESPAGNE", "GB": "ROYAUME-UNI", "LU": "LUXEMBOURG",
    "PT": "PORTUGAL", "NL": "PAYS-BAS", "US": "ETATS-UNIS",
}  # fmt: skip
"""Country line of a foreign address, in capitals as La Poste asks; other codes as given."""


class LetterRefused(ValueError):
    """A letter that cannot be queued or printed; the message says why, for the operator."""


@dataclass(frozen=True)
class PrintedLetter:
    """What was printed, without the password."""

    id: str
    kind: str
    account_id: str
    identifier: str
    address_missing: bool = False
    """Printed without a postal address (a notification): the mail room must find one."""


@dataclass(frozen=True)
class PrintRun:
    """One PDF holding every letter printed (``pdf`` is None when there was nothing)."""

    pdf: bytes | None = field(repr=False)
    letters: tuple[PrintedLetter, ...]
    skipped: tuple[str, ...] = ()
    """Ids of the pending password letters left unprinted: no postal address to send them to
    (a notification letter without one is printed, see :attr:`unaddressed`)."""

    @property
    def count(self) -> int:
        return len(self.letters)

    @property
    def unaddressed(self) -> tuple[str, ...]:
        """Ids of the letters printed without a postal address, for the mail room."""
        return tuple(letter.id for letter in self.letters if letter.address_missing)


@dataclass(frozen=True)
class LetterRow:
    id: str
    kind: str
    identifier: str
    created_at: datetime
    printed_at: datetime | None


# --- queueing ----------------------------------------------------------------------------------

def find_account(session: Session, identifier: str) -> Account | None:
    return session.scalars(select(Account).where(
        Account.identifier == identifier.strip()[:80])).first()


def pending_letter(session: Session, account: Account, kind: str) -> Letter | None:
    """The account's letter of this kind not printed yet, if any."""
    return session.scalars(select(Letter).where(
        Letter.account_id == account.id, Letter.kind == kind, Letter.printed_at.is_(None))
        .order_by(Letter.created_at, Letter.id)).first()


def queue_initial_password(session: Session, account: Account, now: datetime) -> Letter:
    """Queue the letter with the account's initial password (made when it is printed).

    A letter of this kind already waiting for the printer is returned as it is (issuing twice
    prints once). An account without a postal address is refused: there is nowhere to send it.
    """
    waiting = pending_letter(session, account, INITIAL_PASSWORD)
    if waiting is not None:
        return waiting
    content = postal_address(session, account)
    if not address_lines(content.get("address")):
        raise LetterRefused(f"account {account.identifier!r} has no postal address")
    letter = Letter(account_id=account.id, kind=INITIAL_PASSWORD, created_at=now,
                    content=content)
    session.add(letter)
    session.flush()
    security_event("letter_queued", account_id=account.id, letter_id=letter.id,
                   kind=INITIAL_PASSWORD)
    return letter


# --- passwords ---------------------------------------------------------------------------------

def generate_password(policy: PasswordPolicy, context: PersonalData | None = None) -> str:
    """A random password from :data:`ALPHABET` that ``policy`` accepts for this person: at least
    one lower-case letter, one capital and one digit, :data:`PRINTED_LENGTH` characters or the
    policy's bounds."""
    length = min(max(policy.min_length, PRINTED_LENGTH), policy.max_length)
    for _ in range(MAX_TRIES):
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if length >= 3 and not (any(c in LOWER for c in candidate)
                                and any(c in UPPER for c in candidate)
                                and any(c in DIGITS for c in candidate)):
            continue
        if not policy.check(candidate, context):
            return candidate
    raise RuntimeError(f"no password found for policy {policy.name!r} in {MAX_TRIES} tries")


def _issue_password(session: Session, passwords: Passwords, policy: PasswordPolicy,
                    account: Account, now: datetime) -> str:
    """Give the account a new password: its hash only is kept, the person must change it at the
    next login, and every session and API token of the account ends."""
    password = generate_password(policy, personal_data(session, account))
    account.password_hash = passwords.hash(password)
    account.must_change_password = True
    account.password_changed_at = now
    revoke_all(session, account, now)
    return password


# --- printing ----------------------------------------------------------------------------------

def _certificate_letter(session: Session, letter: Letter, account: Account,
                        lang: str) -> CertificateLetter:
    """The certificate as issued (its content and dates), in ``lang``, to the account's postal
    address as it is now, dated the day it was issued (a reprint reads the same)."""
    certificate = session.get(Certificate, str((letter.content or {}).get("certificate_id")))
    if certificate is None:
        raise LetterRefused(f"letter {letter.id}: its certificate is gone")
    content: Mapping[str, Any] = certificate.content or {}
    title = (content.get("title") or {}).get(lang) or certificate.document
    who = content.get("beneficiary") or {}
    if certificate.valid_from is None or certificate.valid_to is None:
        raise LetterRefused(f"letter {letter.id}: its certificate has no period")
    recipient = postal_address(session, account)
    return CertificateLetter(
        lang=lang, name=str(recipient["name"] or account.identifier),
        address=address_lines(recipient["address"]), title=str(title),
        beneficiary=str(who.get("name") or ""), registration=str(who.get("registration") or ""),
        birth_date=date.fromisoformat(str(who.get("birth_date"))),
        valid_from=certificate.valid_from, valid_to=certificate.valid_to,
        issued_on=certificate.issued_at.astimezone(MONACO).date(),
        verification_code=certificate.verification_code, reference=letter.id)


def address_lines(address: object) -> tuple[str, ...]:
    """The postal lines of a household address (``lines``, ``postcode``, ``city``,
    ``country``): the street lines, then ``98000 MONACO``, then the country unless Monaco."""
    if not isinstance(address, Mapping):
        return ()
    lines = [str(line).strip() for line in address.get("lines") or () if str(line).strip()]
    city = " ".join(part for part in (str(address.get("postcode") or "").strip(),
                                      str(address.get("city") or "").strip().upper()) if part)
    if city:
        lines.append(city)
    country = str(address.get("country") or "MC").strip().upper()
    if lines and country != "MC":
        lines.append(COUNTRIES.get(country, country))
    return tuple(lines)


def _postal_letter(letter: Letter, account: Account, password: str, now: datetime,
                   lang: str) -> PostalLetter:
    content: Mapping[str, Any] = letter.content or {}
    name = str(content.get("name") or account.display_name or account.identifier)
    return PostalLetter(lang=lang, name=name, address=address_lines(content.get("address")),
                        identifier=account.identifier, password=password, kind=letter.kind,
                        date=now.astimezone(MONACO).date(), reference=letter.id)


def _notice_letter(session: Session, letter: Letter, account: Account,
                   lang: str) -> NoticeLetter:
    """The notification in ``lang``, to the account's postal address as it is now, dated the
    day it was made (a reprint reads the same)."""
    text = (letter.content or {}).get(lang)
    if not isinstance(text, Mapping) or not str(text.get("subject") or "").strip():
        raise LetterRefused(f"letter {letter.id}: no {lang!r} text to print")
    recipient = postal_address(session, account)
    return NoticeLetter(lang=lang, name=str(recipient["name"] or account.identifier),
                        address=address_lines(recipient["address"]),
                        subject=str(text["subject"]), body=str(text.get("body") or ""),
                        date=letter.created_at.astimezone(MONACO).date(), reference=letter.id)


def _print(session: Session, passwords: Passwords, policy: PasswordPolicy, now: datetime,
           letters: Sequence[Letter], lang: str) -> PrintRun:
    issued: dict[str, str] = {}  # account id -> clear password, for this run only
    pages: list[AnyLetter] = []
    printed: list[PrintedLetter] = []
    for letter in letters:
        account = session.get(Account, letter.account_id)
        if account is None:  # the foreign key says this cannot happen
            raise LetterRefused(f"letter {letter.id}: its account is gone")
        page: AnyLetter
        if letter.kind == NOTIFICATION_LETTER:  # nothing secret: no password is made
            page = _notice_letter(session, letter, account, lang)
        elif letter.kind == CERTIFICATE_LETTER:  # printed as issued
            page = _certificate_letter(session, letter, account, lang)
        else:
            if account.id not in issued:  # two letters of one account in one run: one password
                issued[account.id] = _issue_password(session, passwords, policy, account, now)
            page = _postal_letter(letter, account, issued[account.id], now, lang)
        pages.append(page)
        printed.append(PrintedLetter(letter.id, letter.kind, account.id, account.identifier,
                                     address_missing=not page.address))
        security_event("letter_printed", account_id=account.id, letter_id=letter.id,
                       kind=letter.kind, reprint=letter.printed_at is not None)
        letter.printed_at = now
    pdf = render_letters_pdf(pages) if pages else None
    issued.clear()
    return PrintRun(pdf, tuple(printed))


def print_pending(session: Session, passwords: Passwords, policy: PasswordPolicy,
                  now: datetime, lang: str = "fr") -> PrintRun:
    """Every letter not printed yet, of every kind in :data:`PRINTED_KINDS`, oldest first, in
    one PDF (each letter starting a new page), the password letters each with a new password;
    the letters are marked printed. The caller writes the PDF, then commits.

    A password letter whose address is empty (a staff account, say) is left pending and named
    in ``skipped``: no password changes for a letter that cannot be sent. A notification letter
    without an address is printed with an "address missing" mark (``unaddressed``).

    Each letter is claimed by a conditional UPDATE (``printed_at IS NULL``): two operators
    printing at once never print the same letter twice (the second one waits for the first
    one's transaction on PostgreSQL, then finds it printed)."""
    candidates = session.scalars(select(Letter).where(
        Letter.printed_at.is_(None), Letter.kind.in_(PRINTED_KINDS))
        .order_by(Letter.created_at, Letter.id)).all()
    claimed, skipped = [], []
    for letter in candidates:
        if letter.kind in PASSWORD_LETTERS and not address_lines(
                (letter.content or {}).get("address")):
            skipped.append(letter.id)  # nowhere to send it: no password is changed for it
            continue
        done = session.execute(
            update(Letter).where(Letter.id == letter.id, Letter.printed_at.is_(None))
            .values(printed_at=now).execution_options(synchronize_session=False))
        if getattr(done, "rowcount", 0) == 1:
            claimed.append(letter)
    run = _print(session, passwords, policy, now, claimed, lang)
    return PrintRun(run.pdf, run.letters, tuple(skipped))


def reprint(session: Session, passwords: Passwords, policy: PasswordPolicy, now: datetime,
            letter_id: str, lang: str = "fr") -> PrintRun:
    """Print one letter again (lost, damaged, returned to sender). A password letter carries a
    new password, and the one on the earlier paper stops working; a notification letter reads
    the same as before (sent to the address on file now)."""
    letter = session.get(Letter, letter_id.strip())
    if letter is None:
        raise LetterRefused(f"no letter {letter_id!r}")
    if letter.kind not in PRINTED_KINDS:
        raise LetterRefused(f"letter {letter_id!r} is a {letter.kind!r}: it cannot be printed")
    if letter.kind in PASSWORD_LETTERS and not address_lines(
            (letter.content or {}).get("address")):
        raise LetterRefused(f"letter {letter_id!r} has no postal address")
    return _print(session, passwords, policy, now, [letter], lang)


def list_letters(session: Session, pending_only: bool = False) -> list[LetterRow]:
    """The letters of every kind, oldest first, with the identifier of their account."""
    query = select(Letter.id, Letter.kind, Account.identifier, Letter.created_at,
                   Letter.printed_at).join(Account, Account.id == Letter.account_id)
    if pending_only:
        query = query.where(Letter.printed_at.is_(None))
    return [LetterRow(*row) for row in session.execute(
        query.order_by(Letter.created_at, Letter.id))]
