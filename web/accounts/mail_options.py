"""A subscription's mail options (refs 002 "Mes options de courrier" and 003 "Contact
options"): letters by post (the default) or by e-mail, and, once e-mail is chosen, the
complementary insurer's address per household member, to which the medical benefits statements
are also sent (ref 002 "Transmission des fiches de décompte maladie à votre organisme
complémentaire"), accepted only with the terms of that transfer.

Per subscription (web/accounts/subscriptions.py): a member with several (ref 002: "Si vous avez
plusieurs abonnements ... naviguer ... selon les matricules proposés dans la liste déroulante")
has options for each, and choosing e-mail on one leaves the others as they are ("la
généralisation de cette option n'est pas automatique"). Every function takes an optional
``subscription``: without it, the account's first (its own person's; an employer's options are
the account's own). A subscription of another account is a programming error (ValueError): the
pages look it up with :func:`~web.accounts.subscriptions.subscription_of` first.

As in :mod:`web.accounts.service`, functions change the caller's session and never commit;
refusals are :class:`~web.accounts.service.AccountRefused`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Message
from web.accounts.policy import Problem
from web.accounts.service import AccountRefused, normalised_email
from web.accounts.subscriptions import own_subscription
from web.db.models import MAIL_CHANNELS, Account, InsurerEmail, MailOptions, Person, Subscription
from web.security_log import security_event

INSURED_ROLES = ("declarant", "spouse", "child")
"""The household members whose statements may go to a complementary insurer: the member who
opens the rights, the spouse and the children (ref 002 "Variante du profil abonné")."""

BACK_TO_POST = Message(
    "Une fois l'option « Courrier électronique » activée, le retour au courrier postal se"
    " demande par écrit : adressez une lettre aux Caisses Sociales de Monaco.",
    "Once the \u201cemail\u201d option has been activated, if you want to go back to receiving"
    " letters by post, you must send a letter requesting this to one of our departments.")
"""Ref 003 ("Contact options"); the French manual (ref 002) does not say it, so the French
text says the same in the fund's words: a letter to the Caisses Sociales."""


def _target(session: Session, account: Account, subscription: Subscription | None,
            create: bool = False) -> Subscription | None:
    """The subscription meant: the one given, else the account's first (None for an account
    without a person, or a first subscription not saved yet and ``create`` false)."""
    if subscription is not None and subscription.id is not None:
        if subscription.account_id != account.id:
            raise ValueError("subscription of another account")
        return subscription
    return own_subscription(session, account, create=create)


def _found_options(session: Session, account: Account,
                   target: Subscription | None) -> MailOptions | None:
    if target is not None:
        return session.scalars(select(MailOptions).where(
            MailOptions.subscription_id == target.id)).first()
    if account.kind == "member" and account.person_id is not None:
        return None  # the first subscription is not saved yet: nothing saved for it either
    return session.scalars(select(MailOptions).where(
        MailOptions.account_id == account.id, MailOptions.subscription_id.is_(None))).first()


def mail_options(session: Session, account: Account,
                 subscription: Subscription | None = None) -> MailOptions:
    """The subscription's options; an unsaved default (post, no terms accepted) when none yet."""
    target = _target(session, account, subscription)
    found = _found_options(session, account, target)
    if found is not None:
        return found
    return MailOptions(account_id=account.id, subscription_id=target.id if target else None,
                       channel="post")


def insured_members(session: Session, account: Account,
                    subscription: Subscription | None = None) -> list[Person]:
    """The member, spouse and children of the household of the subscription's person, in that
    order (the person alone when without a household; nobody for an employer)."""
    if account.kind != "member" or account.person_id is None:
        return []
    person_id = subscription.person_id if subscription is not None else account.person_id
    person = session.get(Person, person_id)
    if person is None:
        return []
    if person.household_id is None:
        return [person]
    people = session.scalars(select(Person).where(
        Person.household_id == person.household_id,
        Person.household_role.in_(INSURED_ROLES))).all()
    return sorted(people, key=lambda p: (INSURED_ROLES.index(p.household_role), p.birth_date,
                                         p.first_name, p.id))


def insurer_emails(session: Session, account: Account,
                   subscription: Subscription | None = None) -> dict[str, str]:
    """The saved insurer address per person id."""
    target = _target(session, account, subscription)
    if target is None:
        return {}
    rows = session.scalars(select(InsurerEmail).where(InsurerEmail.subscription_id == target.id))
    return {row.person_id: row.email for row in rows}


def _saved_options(session: Session, account: Account,
                   subscription: Subscription | None) -> MailOptions:
    target = _target(session, account, subscription, create=True)
    found = _found_options(session, account, target)
    if found is None:
        found = MailOptions(account_id=account.id,
                            subscription_id=target.id if target else None, channel="post")
        session.add(found)
    return found


def set_mail_channel(session: Session, account: Account, channel: str, now: datetime,
                     subscription: Subscription | None = None) -> None:
    """Post or e-mail. E-mail needs a confirmed address (ref 003: "available as soon as you have
    confirmed your email address"); once chosen, going back to post is refused here: it takes a
    letter to the fund (:data:`BACK_TO_POST`). ``now`` is not stored yet (no history of the
    choice in this slice). Only ``subscription`` (default: the first) changes."""
    if channel not in MAIL_CHANNELS:
        raise AccountRefused("invalid_channel", Message(
            "Choisissez le courrier postal ou le courrier électronique.",
            "Choose postal mail or e-mail."))
    current = mail_options(session, account, subscription).channel
    if channel == current:
        return
    if channel == "post":
        raise AccountRefused("back_to_post_by_letter", BACK_TO_POST)
    if not (account.email and account.email_validated):
        raise AccountRefused("email_not_confirmed", Message(
            "Pour recevoir vos courriers par voie électronique, enregistrez d'abord une adresse"
            " électronique et confirmez-la.",
            "To receive your letters by e-mail, first register an e-mail address and confirm"
            " it."))
    saved = _saved_options(session, account, subscription)
    saved.channel = "email"
    security_event("mail_channel_changed", account_id=account.id,
                   subscription_id=saved.subscription_id, channel="email")


def set_insurer_emails(session: Session, account: Account, emails_by_person: Mapping[str, str],
                       accept_terms: bool, now: datetime,
                       subscription: Subscription | None = None) -> None:
    """Replace the insurer addresses: one per person id of :func:`insured_members` (a person
    not given, or given an empty address, has none). Only with the e-mail channel; the terms
    must be accepted whenever at least one address is given. A person id outside the household
    is refused, and nothing is saved."""
    options = mail_options(session, account, subscription)
    if options.channel != "email":
        raise AccountRefused("insurer_needs_email_channel", Message(
            "La transmission à votre organisme complémentaire n'est possible qu'avec l'option"
            " « Courrier électronique ».",
            "Sending statements to your complementary insurer is only possible with the"
            " e-mail option."))
    members = {person.id: person for person in insured_members(session, account, subscription)}
    if set(emails_by_person) - set(members):
        raise AccountRefused("unknown_person", Message(
            "Cette personne ne fait pas partie de votre foyer.",
            "This person is not a member of your household."))
    chosen: dict[str, str] = {}
    problems: list[Problem] = []
    for person_id, raw in emails_by_person.items():
        if not raw.strip():
            continue
        try:
            chosen[person_id] = normalised_email(raw)
        except AccountRefused as refused:
            person = members[person_id]
            name = f"{person.first_name} {person.last_name}"
            problems.append(Problem(refused.code, Message(
                f"{name}\u00a0: {refused.message.fr}", f"{name}: {refused.message.en}")))
    if problems:
        raise AccountRefused("invalid_insurer_email", Message(
            "Une adresse électronique d'organisme complémentaire n'est pas valide.",
            "A complementary insurer's e-mail address is not valid."), problems)
    if chosen and not accept_terms:
        raise AccountRefused("insurer_terms_not_accepted", Message(
            "Pour transmettre vos décomptes à votre organisme complémentaire, acceptez les"
            " conditions d'utilisation de ce service.",
            "To send your statements to your complementary insurer, accept the terms of use"
            " of this service."))
    target = _target(session, account, subscription, create=True)
    if target is None:  # cannot happen: a household needs a member account with a person
        raise ValueError("no subscription")
    saved = {row.person_id: row for row in session.scalars(
        select(InsurerEmail).where(InsurerEmail.subscription_id == target.id))}
    for person_id, row in saved.items():
        if person_id not in chosen:
            session.delete(row)
    for person_id, email in chosen.items():
        if person_id in saved:
            saved[person_id].email = email
        else:
            session.add(InsurerEmail(subscription_id=target.id, account_id=account.id,
                                     person_id=person_id, email=email))
    if chosen:
        _saved_options(session, account, target).insurer_terms_accepted_at = now
    security_event("insurer_emails_changed", account_id=account.id, subscription_id=target.id,
                   count=len(chosen))
