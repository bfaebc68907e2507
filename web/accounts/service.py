"""What a person does with their account: change the password, register and validate an e-mail
address, ask for a forgotten password and set a new one; an employer also sets its security
question.

Each function changes the caller's session and never commits: the mail it sends is an outbox row
in the same transaction, so it leaves only if the change is kept. Refusals are
:class:`AccountRefused` with a stable code and a French and English message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import Message
from web.accounts.links import EMAIL_VALIDATION, PASSWORD_RESET, consume, issue_link
from web.accounts.policy import PasswordPolicy, PersonalData, Problem
from web.accounts.security_question import (
    answer_problem,
    clean_question,
    hash_answer,
    question_problem,
)
from web.db.models import Account, Household, Letter, PasswordResetRequest, Person
from web.mail.outbox import enqueue
from web.passwords import Passwords
from web.security_log import security_event
from web.tokens import revoke_all

VALIDATION_TTL = timedelta(hours=48)
RESET_TTL = timedelta(hours=1)


@dataclass
class AccountRefused(Exception):
    code: str
    message: Message
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.code)


def personal_data(session: Session, account: Account) -> PersonalData:
    person = session.get(Person, account.person_id) if account.person_id else None
    if person is None:
        return PersonalData(identifier=account.identifier)
    return PersonalData(identifier=account.identifier, registration=person.registration,
                        birth_date=person.birth_date, first_name=person.first_name,
                        last_name=person.last_name)


def _new_password(session: Session, passwords: Passwords, policy: PasswordPolicy,
                  account: Account, new: str, confirm: str, now: datetime) -> None:
    if new != confirm:
        raise AccountRefused("confirmation_mismatch", Message(
            "Les deux mots de passe saisis ne sont pas identiques.",
            "The two passwords you typed are not the same."))
    problems = policy.check(new, personal_data(session, account))
    if problems:
        raise AccountRefused("password_refused", Message(
            "Ce mot de passe ne respecte pas les règles.",
            "This password does not follow the rules."), problems)
    account.password_hash = passwords.hash(new)
    account.must_change_password = False
    account.password_changed_at = now
    _notify_password_changed(session, account, now)


PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a mail kind, not a password


def _notify_password_changed(session: Session, account: Account, now: datetime) -> None:
    """Tell the confirmed address that the password changed: if it was not its owner, they
    learn it at once (ASVS 2.5.5). Nothing when no address is confirmed yet."""
    if not (account.email and account.email_validated):
        return
    enqueue(session, kind=PASSWORD_CHANGED, to=account.email, account_id=account.id, now=now,
            subject="Votre mot de passe a été modifié / Your password was changed",
            body=(
                "Bonjour,\n\nLe mot de passe de vos services en ligne des Caisses Sociales de"
                " Monaco vient d'être modifié. Si vous êtes à l'origine de ce changement, vous"
                " n'avez rien à faire.\n\nSinon, demandez tout de suite un nouveau mot de passe"
                " (« Mot de passe oublié » sur la page de connexion) et contactez les Caisses"
                " Sociales au +377 93 15 44 44.\n\n---\n\nHello,\n\nThe password of your"
                " online services was just changed. If you made this change, there is nothing to"
                " do.\n\nOtherwise, ask for a new password at once (“Forgotten password” on the"
                " login page) and contact the Caisses Sociales on +377 93 15 44 44.\n"))


def _check_current(passwords: Passwords, account: Account, current: str) -> None:
    if not passwords.verify(account.password_hash, current):
        raise AccountRefused("wrong_current_password", Message(
            "Votre mot de passe actuel n'est pas le bon.",
            "Your current password is not right."))


def change_password(session: Session, passwords: Passwords, policy: PasswordPolicy,
                    account: Account, current: str, new: str, confirm: str,
                    now: datetime) -> int:
    """The current password is required. Every session and API token of the account ends (the
    caller opens a new session for the person who changed it); how many ended."""
    _check_current(passwords, account, current)
    if current == new:
        raise AccountRefused("same_password", Message(
            "Choisissez un mot de passe différent de l'actuel.",
            "Choose a password different from the current one."))
    _new_password(session, passwords, policy, account, new, confirm, now)
    return revoke_all(session, account, now)


def set_security_question(session: Session, passwords: Passwords, account: Account,
                          current_password: str, question: str, answer: str) -> None:
    """An employer's security question and answer (ref 004, "Modification du profil"): the
    current password is required; the answer is kept only as a hash
    (:mod:`web.accounts.security_question` says why and how it may be used)."""
    if account.kind != "employer":
        raise AccountRefused("not_an_employer", Message(
            "Seuls les comptes employeur ont une question de sécurité.",
            "Only employer accounts have a security question."))
    _check_current(passwords, account, current_password)
    problems = [Problem(code, message) for code, message in (
        ("invalid_question", question_problem(question)),
        ("invalid_answer", answer_problem(answer))) if message is not None]
    if problems:
        raise AccountRefused("security_question_refused", Message(
            "La question ou la réponse ne convient pas.",
            "The question or the answer is not suitable."), problems)
    account.security_question = clean_question(question)
    account.security_answer_hash = hash_answer(passwords, answer)
    security_event("security_question_changed", account_id=account.id)


def normalised_email(raw: str) -> str:
    try:
        found = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountRefused("invalid_email", Message(
            "Cette adresse électronique n'est pas valide (exemple : prenom.nom@exemple.mc).",
            "This e-mail address is not valid (for example firstname.lastname@example.mc).")
        ) from error
    return str(found.normalized)


def register_email(session: Session, account: Account, raw: str, now: datetime,
                   link_base: str) -> str:
    """Record a new address, not yet validated, and send it a validation link (48 h)."""
    email = normalised_email(raw)
    account.email, account.email_validated = email, False
    token = issue_link(session, account.id, EMAIL_VALIDATION, now, VALIDATION_TTL, email)
    link = f"{link_base}{token}"
    enqueue(session, kind=EMAIL_VALIDATION, to=email, account_id=account.id, now=now,
            subject="Validez votre adresse électronique / Confirm your e-mail address",
            body=(
                "Bonjour,\n\nPour valider votre adresse électronique auprès des Caisses Sociales"
                " de Monaco, ouvrez ce lien dans les 48 heures puis confirmez :\n"
                f"{link}\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message."
                "\n\n---\n\nHello,\n\nTo confirm your e-mail address with the Caisses Sociales"
                " de Monaco, open this link within 48 hours and confirm:\n"
                f"{link}\n\nIf you did not ask for this, ignore this message.\n"))
    return token


def confirm_email(session: Session, token: str, now: datetime) -> Account | None:
    """Use a validation link: the account whose address it validates, or None when the link is
    unknown, used, expired, or the address changed since it was sent."""
    used = consume(session, token, EMAIL_VALIDATION, now)
    if used is None:
        return None
    account = session.get(Account, used[0])
    if account is None or account.email != used[1]:
        return None
    account.email_validated = True
    return account


@dataclass(frozen=True)
class ResetAsked:
    channel: str | None
    """``email``, ``post``, or None when nothing was sent (unknown identifier, or already
    asked today): the person sees the same answer either way."""


def request_reset(session: Session, identifier: str, today: date, now: datetime,
                  link_base: str) -> ResetAsked:
    """At most one per account and day, enforced by the primary key of
    ``password_reset_requests`` (two processes at once still send one message): by e-mail when
    a validated address exists, otherwise a letter queued for the post."""
    account = session.scalars(select(Account).where(
        Account.identifier == identifier.strip()[:80])).first()
    if account is None:
        return ResetAsked(None)
    channel = "email" if account.email and account.email_validated else "post"
    try:
        with session.begin_nested():
            session.add(PasswordResetRequest(account_id=account.id, day=today, created_at=now,
                                             channel=channel))
    except IntegrityError:
        return ResetAsked(None)  # already asked today
    if channel == "email":
        assert account.email is not None
        token = issue_link(session, account.id, PASSWORD_RESET, now, RESET_TTL)
        link = f"{link_base}{token}"
        enqueue(session, kind=PASSWORD_RESET, to=account.email, account_id=account.id,
                now=now, subject="Mot de passe oublié / Forgotten password",
                body=(
                    "Bonjour,\n\nVous avez demandé un nouveau mot de passe pour vos services en"
                    " ligne des Caisses Sociales de Monaco. Ouvrez ce lien dans l'heure pour le"
                    f" choisir :\n{link}\n\nSi vous n'avez rien demandé, ignorez ce message :"
                    " votre mot de passe actuel reste valable.\n\n---\n\nHello,\n\nYou asked for"
                    " a new password for your online services. Open this link within the hour"
                    f" to choose it:\n{link}\n\nIf you did not ask for anything, ignore this"
                    " message: your current password stays valid.\n"))
    else:
        session.add(Letter(account_id=account.id, kind=PASSWORD_RESET, created_at=now,
                           content=postal_address(session, account)))
    return ResetAsked(channel)


def postal_address(session: Session, account: Account) -> dict[str, object]:
    person = session.get(Person, account.person_id) if account.person_id else None
    household = session.get(Household, person.household_id) \
        if person and person.household_id else None
    name = f"{person.first_name} {person.last_name}" if person else account.display_name
    return {"name": name, "identifier": account.identifier,
            "address": household.address if household else {}}


def reset_password(session: Session, passwords: Passwords, policy: PasswordPolicy, token: str,
                   new: str, confirm: str, now: datetime) -> Account:
    """Set a new password with a reset link (used once); every session of the account ends."""
    used = consume(session, token, PASSWORD_RESET, now)
    account = session.get(Account, used[0]) if used else None
    if account is None:
        raise AccountRefused("link_invalid", LINK_INVALID)
    _new_password(session, passwords, policy, account, new, confirm, now)
    revoke_all(session, account, now)
    return account


LINK_INVALID = Message(
    "Ce lien n'est plus valable : il a déjà servi ou il a expiré. Vous pouvez en demander un"
    " nouveau.", "This link is no longer valid: it was already used or it expired. You can ask"
    " for a new one.")
