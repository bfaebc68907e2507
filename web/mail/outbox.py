"""Queue an e-mail in the caller's transaction: it is sent only if that transaction commits.

Nothing here talks to a mail server. The row joins the caller's session; when the caller
commits its change, the message commits with it, and the ``mail send`` worker delivers it
afterwards (at least once, with a Message-ID derived from the row so a repeat is recognisable).
A rollback takes the message with it: no e-mail ever announces a change that did not happen.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from web.db.models import OutboxMessage

MAX_ADDRESS = 254
MAX_SUBJECT = 200
MAX_KIND = 40

_ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+")
"""A bare ``local@domain``: no display name, no list, no quoting, no whitespace."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def enqueue(session: Session, *, kind: str, to: str, subject: str, body: str,
            account_id: str | None = None, now: datetime) -> OutboxMessage:
    """Add one message to ``session`` (the caller commits it with its change).

    Raises ``ValueError`` for an address that is not a single bare ``local@domain``, or for a
    line break or other control character in the address or the subject (header injection).
    The row's id is assigned at the next flush.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (UTC)")
    if not kind or len(kind) > MAX_KIND or _CONTROL.search(kind):
        raise ValueError("invalid mail kind")
    if _CONTROL.search(to) or _CONTROL.search(subject):
        raise ValueError("line breaks and control characters are refused in mail headers")
    if len(to) > MAX_ADDRESS or not _ADDRESS.fullmatch(to):
        raise ValueError("invalid e-mail address")
    if not subject.strip() or len(subject) > MAX_SUBJECT:
        raise ValueError(f"the subject must hold 1 to {MAX_SUBJECT} characters")
    message = OutboxMessage(created_at=now, kind=kind, to_address=to, subject=subject,
                            body_text=body, account_id=account_id, attempts=0,
                            sent_at=None, next_attempt_at=None, last_error=None)
    session.add(message)
    return message
