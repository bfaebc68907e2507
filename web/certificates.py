"""Certificates the fund issues from its own data, and the code that lets anyone check one.

The ``certificate`` producer (:mod:`web.producers`) runs when staff fire a transition that
``produces: {name: certificate, with: {document, beneficiary}}`` (the certificate request's
``send``). It looks up the document in the workflow's ``documents`` catalogue:

* a document marked ``generated: rights_attestation`` is issued here: a :class:`Certificate`
  (the beneficiary, the entitlement period of :func:`rules.certificates.entitlement_period`, a
  random verification code) and a letter of kind :data:`CERTIFICATE_LETTER` for the post,
  printed with the other letters (``flask letters print``) to the member's postal address;
* any other document is prepared by the service outside the online services: nothing is made.

The verification code is 12 symbols of :data:`CODE_ALPHABET` (32 symbols without 0/O, 1/I: 60
random bits from :mod:`secrets`), printed in groups of four (``K7QM-3PXD-9TRA``). Staff check a
code on the back office's verification page (:func:`find`): capitals, spaces and dashes do not
matter.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Message
from rules.certificates import entitlement_period
from web.contexts import member_data
from web.db.models import Certificate, Letter, Person
from web.pdf.letter import CERTIFICATE_KIND
from web.producers import ProduceInput, ProduceRefused, producer

__all__ = ["CERTIFICATE_LETTER", "CODE_ALPHABET", "CODE_LENGTH", "RIGHTS_ATTESTATION",
           "code_digest", "find", "issue_certificate", "local_day", "new_code", "normalize_code"]

CERTIFICATE_LETTER = CERTIFICATE_KIND
"""The kind of the letter that carries a certificate to the member."""
RIGHTS_ATTESTATION = "rights_attestation"
"""The catalogue's ``generated`` value this module issues."""
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""32 symbols (5 bits each), none that reads two ways on paper (0/O, 1/I/L kept apart)."""
CODE_LENGTH = 12
"""60 random bits."""
GROUP = 4
MAX_TRIES = 20
MONACO = ZoneInfo("Europe/Monaco")

UNKNOWN_DOCUMENT = Message(
    "Le document demandé ne figure pas au catalogue de cette version de la démarche.",
    "The document requested is not in this version of the procedure's catalogue.")
NO_BENEFICIARY = Message(
    "Le bénéficiaire de la demande n'existe plus ou n'est plus rattaché au foyer de l'assuré :"
    " l'attestation ne peut pas être établie. Rien n'a été enregistré ; vous pouvez refuser la"
    " demande en indiquant le motif.",
    "The beneficiary of the request no longer exists or is no longer part of the member's"
    " household: the certificate cannot be issued. Nothing was saved; you may refuse the request"
    " and give the reason.")


def local_day(moment: datetime) -> date:
    """The day in Monaco of an aware instant (a certificate's dates are Monaco dates)."""
    return moment.astimezone(MONACO).date()


def new_code() -> str:
    """A fresh verification code, grouped: ``K7QM-3PXD-9TRA``."""
    return _grouped("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def normalize_code(text: str) -> str | None:
    """The code as stored (capitals, grouped) from what someone typed; None when it cannot be a
    code (wrong length or symbol)."""
    raw = "".join(text.split()).replace("-", "").upper()
    if len(raw) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in raw):
        return None
    return _grouped(raw)


def code_digest(text: str) -> str:
    """What the security log keeps of a code typed: a short SHA-256 of its normal form, never
    the code itself."""
    key = normalize_code(text[:100]) or "".join(text[:100].split()).upper()
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def find(session: Session, text: str) -> Certificate | None:
    """The certificate with this code. One indexed query whatever was typed, so that an
    ill-formed code and an unknown one cost the same."""
    code = normalize_code(text[:100]) or "-"
    return session.scalars(select(Certificate).where(
        Certificate.verification_code == code)).first()


def _grouped(raw: str) -> str:
    return "-".join(raw[i:i + GROUP] for i in range(0, len(raw), GROUP))


def _entry(given: ProduceInput, code: object) -> Mapping[str, Any]:
    for entry in given.workflow.catalogues.get("documents", ()):
        if entry.get("code") == code:
            return entry
    raise ProduceRefused(UNKNOWN_DOCUMENT)


def _beneficiary(session: Session, given: ProduceInput) -> Person:
    """The person the certificate is about: still in the registry and still one of the people
    the member may ask for (themself, their spouse, their children)."""
    person_id = str(given.params.get("beneficiary") or "")
    person = session.get(Person, person_id) if person_id else None
    owner = session.get(Person, given.owner.person_id) \
        if given.owner is not None and given.owner.person_id else None
    allowed = {p["id"] for p in member_data(session, owner)["people"]}
    if person is None or person.id not in allowed:
        raise ProduceRefused(NO_BENEFICIARY, status=409)
    return person


@producer("certificate")
def issue_certificate(session: Session, given: ProduceInput) -> None:
    """Issue the certificate of the requested document when the fund's data suffices
    (``generated: rights_attestation``), with its letter for the post; nothing otherwise."""
    entry = _entry(given, given.params.get("document"))
    if entry.get("generated") != RIGHTS_ATTESTATION:
        return  # prepared and posted by the service itself
    person = _beneficiary(session, given)
    assert given.owner is not None  # _beneficiary found the owner's household
    issued = local_day(given.now)
    valid_from, valid_to = entitlement_period(issued)
    code = _unused_code(session)
    title = entry.get("title") or {}
    certificate = Certificate(
        verification_code=code, submission_id=given.submission.id, person_id=person.id,
        document=str(entry["code"]), issued_at=given.now, valid_from=valid_from,
        valid_to=valid_to,
        content={"kind": RIGHTS_ATTESTATION,
                 "title": {"fr": str(title.get("fr", "")), "en": str(title.get("en", ""))},
                 "beneficiary": {"name": f"{person.first_name} {person.last_name}",
                                 "registration": person.registration,
                                 "birth_date": person.birth_date.isoformat()},
                 "issued_on": issued.isoformat(), "receipt": given.submission.receipt_number,
                 "issued_by": given.actor_id})
    session.add(certificate)
    session.flush()
    session.add(Letter(account_id=given.owner.id, kind=CERTIFICATE_LETTER, created_at=given.now,
                       content={"submission_id": given.submission.id,
                                "certificate_id": certificate.id}))
    session.flush()


def _unused_code(session: Session) -> str:
    """A code no certificate has (60 bits: a collision is unlikely, never impossible; the
    unique constraint stays the last word)."""
    for _ in range(MAX_TRIES):
        code = new_code()
        if session.scalars(select(Certificate.id).where(
                Certificate.verification_code == code)).first() is None:
            return code
    raise RuntimeError(f"no unused verification code in {MAX_TRIES} tries")
