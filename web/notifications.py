"""Tell a member that their submission moved: the ``notify`` templates of a workflow's lifecycle.

When a transition brings a submission into a state whose definition has ``notify``, the engine
adds a ``notify`` effect and :func:`notify` turns it into:

* a :class:`~web.db.models.Notification` row, shown in the member's "my requests" (both
  languages rendered once, so the page follows the reader's language);
* and the message itself, by the channel the member chose in the profile's mail options
  (ref 002 "Mes options de courrier"): an e-mail in the outbox when the member chose e-mail and
  has a confirmed address, otherwise a letter queued for the post (``letters`` kind
  ``notification``).

Everything is written in the caller's transaction: a transition that rolls back notifies nobody,
and a committed one cannot lose its message (the outbox and the letter queue are tables).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Workflow
from engine.templates import fill
from web.accounts.mail_options import mail_options
from web.accounts.subscriptions import subscription_for_person
from web.db.models import Account, Letter, Notification, Submission
from web.mail.outbox import enqueue
from web.pdf.letter import format_day
from web.pdf.receipt import MONACO

LANGUAGES = ("fr", "en")
NOTIFICATION_LETTER = "notification"
"""The kind of the letter that carries a notification to a member who receives post."""


def channel_for(session: Session, owner: Account, person_id: str | None = None) -> str:
    """``email`` when the member chose e-mail and has a confirmed address, else ``post``.

    The options are those of the owner's subscription under ``person_id``, the person the
    submission concerns (ref 002: the e-mail option of a subscription covers "les documents
    dont le matricule abonné est le destinataire"); the first subscription when ``person_id``
    is None or the owner holds no subscription under that person. A submission carries no
    person of its own yet: :func:`notify` passes none, so its notification follows the first
    subscription (the owner's own person, whom every procedure concerns today)."""
    subscription = subscription_for_person(session, owner, person_id)
    chosen = mail_options(session, owner, subscription).channel
    if chosen == "email" and owner.email and owner.email_validated:
        return "email"
    return "post"


def notify(session: Session, wf: Workflow, row: Submission, owner: Account, state: str,
           comment: str, now: datetime) -> Notification | None:
    """Record and send the notification for ``row`` entering ``state`` (None if not notified)."""
    template = wf.lifecycle.notify.get(state)
    if template is None:
        return None
    content = {}
    for lang in LANGUAGES:
        values = {"procedure": wf.title.text(lang), "receipt": row.receipt_number or "",
                  "status": wf.lifecycle.states[state].text(lang), "comment": comment,
                  "date": format_day(now.astimezone(MONACO).date(), lang)}
        content[lang] = {"subject": _one_line(fill(template.subject.text(lang), values)),
                         "body": fill(template.body.text(lang), values).strip() + "\n"}
    channel = channel_for(session, owner)
    note = Notification(account_id=owner.id, submission_id=row.id, created_at=now, state=state,
                        channel=channel, content=content)
    session.add(note)
    if channel == "email":
        assert owner.email is not None
        enqueue(session, kind="notification", to=owner.email, subject=content["fr"]["subject"],
                body=_bilingual(content), account_id=owner.id, now=now)
    else:
        session.add(Letter(account_id=owner.id, kind=NOTIFICATION_LETTER, created_at=now,
                           content={"submission_id": row.id, **content}))
    return note


def for_account(session: Session, account_id: str) -> list[Notification]:
    """The member's notifications, newest first."""
    return list(session.scalars(select(Notification).where(
        Notification.account_id == account_id).order_by(Notification.created_at.desc(),
                                                        Notification.id.desc())))


def latest_by_submission(notes: Iterable[Notification]) -> dict[str, Notification]:
    """The newest notification of each submission (``notes`` newest first)."""
    latest: dict[str, Notification] = {}
    for note in notes:
        latest.setdefault(note.submission_id, note)
    return latest


def _one_line(text: str) -> str:
    """A subject never carries a line break (header injection), whatever the template says."""
    return " ".join(text.split())[:200]


def _bilingual(content: dict[str, dict[str, str]]) -> str:
    """The e-mail body: French, then English (the fund writes in French first)."""
    return (content["fr"]["body"] + "\n-- English version --\n\n" + content["en"]["subject"]
            + "\n\n" + content["en"]["body"])
