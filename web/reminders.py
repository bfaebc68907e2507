"""The monthly reminder of the periodic declarations (ref 004, "Déclarations de salaires": "A
compter du 20 de chaque mois vous pouvez procéder à la saisie ... Vous êtes notifié chaque mois
par e-mail à cette échéance").

:func:`send_reminders` (``flask --app web employers remind``, run by the scheduler on the 20th)
looks, for each periodic declaration about a client (:func:`web.declarations.periodic`: the wage
declaration), at the current period (:func:`rules.periods.current_period`: from the 20th the
month itself, before it the previous month, so a run on another day reminds for the period
declarable that day). Each employer account with a confirmed e-mail address whose active
clients have not declared that period gets **one** e-mail, in French then English, listing
those clients; a :class:`~web.db.models.Reminder` row per (declaration, client, period,
account) is written with the mail, in the same transaction. A client already reminded for that
period to that account is not mentioned again, and an account with nothing new gets no mail:
running the command twice sends one mail. Two runs racing: the second one's insert of the same
reminder is refused by the primary key and that account's mail is rolled back with it (a
savepoint per account), so the account still gets one mail.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import Workflow
from rules.periods import current_period, opening_date, period_label
from web.catalog import Catalog
from web.db.models import Account, Employer, EmployerClient, Reminder
from web.declarations import declared, periodic
from web.mail.outbox import enqueue
from web.notifications import _bilingual
from web.pdf.letter import format_day

MAIL_KIND = "declaration_reminder"
"""The outbox kind of the reminder e-mails."""
MAX_KIND = 40


def reminder_kind(workflow: Workflow) -> str:
    """The ``Reminder.kind`` of a declaration's reminders: its workflow id."""
    return workflow.id[:MAX_KIND]


def send_reminders(session: Session, catalog: Catalog, today: date, now: datetime) -> int:
    """Queue the reminders of the current period in ``session`` (the caller commits); the
    number of e-mails queued."""
    sent = 0
    for workflow in periodic(catalog, "client"):
        sent += _remind(session, workflow, current_period(today), now)
    return sent


def _remind(session: Session, workflow: Workflow, period: str, now: datetime) -> int:
    return sum(_send(session, workflow, account, clients, period, now)
               for account, clients in due(session, workflow, period))


def due(session: Session, workflow: Workflow, period: str) -> list[tuple[Account, list[Employer]]]:
    """The accounts to remind of ``period`` (a confirmed e-mail address), each with its active
    clients that have neither declared it nor been reminded of it to that account, by name."""
    kind = reminder_kind(workflow)
    rows = session.execute(
        select(Account, Employer)
        .join(EmployerClient, EmployerClient.account_id == Account.id)
        .join(Employer, Employer.id == EmployerClient.employer_id)
        .where(Account.kind == "employer", Account.email.is_not(None),
               Account.email_validated.is_(True), Employer.active.is_(True))
        .order_by(Account.id, Employer.name, Employer.id)).all()
    if not rows:
        return []
    done = declared(session, workflow.id, {employer.id for _, employer in rows})
    reminded = {(subject, account_id) for subject, account_id in session.execute(
        select(Reminder.subject_id, Reminder.account_id).where(
            Reminder.kind == kind, Reminder.period == period))}
    found: dict[str, tuple[Account, list[Employer]]] = {}
    for account, employer in rows:
        if period in done.get(employer.id, set()) or (employer.id, account.id) in reminded:
            continue
        found.setdefault(account.id, (account, []))[1].append(employer)
    return list(found.values())


def _send(session: Session, workflow: Workflow, account: Account, clients: list[Employer],
          period: str, now: datetime) -> bool:
    """Record the reminders and queue the mail, in a savepoint: False (and nothing kept) when
    a concurrent run recorded one of these reminders first (its mail is the one sent)."""
    try:
        with session.begin_nested():
            for client in clients:
                session.add(Reminder(kind=reminder_kind(workflow), subject_id=client.id,
                                     period=period, account_id=account.id, sent_at=now))
            session.flush()
            _mail(session, workflow, account, clients, period, now)
    except IntegrityError:
        return False
    return True


def _mail(session: Session, workflow: Workflow, account: Account, clients: list[Employer],
          period: str, now: datetime) -> None:
    assert account.email is not None
    content: dict[str, dict[str, str]] = defaultdict(dict)
    labels = dict(zip(("fr", "en"), period_label(period), strict=True))
    opens = opening_date(period)
    names = "\n".join(f"- {c.name} ({c.number})" for c in clients)
    fr, en = workflow.title.text("fr"), workflow.title.text("en")
    content["fr"]["subject"] = f"{fr} de {labels['fr']} : déclarations à effectuer"
    content["fr"]["body"] = (
        "Bonjour,\n\n"
        f"{fr} de {labels['fr']} : les déclarations de vos clients ci-dessous sont à "
        f"effectuer en ligne, à partir du {format_day(opens, 'fr')} :\n\n{names}\n\n"
        "Connectez-vous aux téléservices des Caisses Sociales de Monaco : la synthèse de vos "
        "clients indique l'état de leurs déclarations.\n\n"
        "Caisses Sociales de Monaco\n")
    content["en"]["subject"] = f"{en} for {labels['en']}: declarations to make"
    content["en"]["body"] = (
        "Hello,\n\n"
        f"{en} for {labels['en']}: the declarations of your clients below are to be made "
        f"online, from {format_day(opens, 'en')}:\n\n{names}\n\n"
        "Sign in to the online services of the Caisses Sociales de Monaco: the synthesis of "
        "your clients shows the state of their declarations.\n\n"
        "Caisses Sociales de Monaco\n")
    enqueue(session, kind=MAIL_KIND, to=account.email, subject=content["fr"]["subject"],
            body=_bilingual(content), account_id=account.id, now=now)
