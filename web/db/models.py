"""SQLAlchemy models. The engine never sees them: it gets and returns plain state."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (naive storage) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


SEXES = ("F", "M")
MARITAL_STATUSES = ("single", "married", "civil_partnership", "divorced", "separated", "widowed")
POPULATIONS = ("employee", "self_employed", "retiree", "spouse", "other")
"""The values of the persons' registry columns; the registry import (``registry/schema.json``)
accepts no other (the columns are plain strings: a new value needs no migration)."""


class Household(Base):
    __tablename__ = "households"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    address: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class Person(Base):
    __tablename__ = "persons"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    registration: Mapped[str] = mapped_column(String(6), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    household_id: Mapped[str | None] = mapped_column(ForeignKey("households.id"))
    household_role: Mapped[str] = mapped_column(String(20), default="declarant")
    """declarant, spouse or child"""
    sex: Mapped[str | None] = mapped_column(String(1))
    """``F`` or ``M`` (:data:`SEXES`), unknown when null."""
    birth_place: Mapped[str | None] = mapped_column(String(80))
    nationality: Mapped[str | None] = mapped_column(String(80))
    marital_status: Mapped[str | None] = mapped_column(String(20))
    """One of :data:`MARITAL_STATUSES` (the family situation), unknown when null."""
    population: Mapped[str | None] = mapped_column(String(20))
    """The person's insurance population, one of :data:`POPULATIONS`, unknown when null."""
    awaiting_documents: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    """The fund awaits documents for this person's file: the personal data page says so (ref 002
    "Messages d'anomalie")."""


# the staff queue's name search (web/backoffice/queue.py): lower(last_name) LIKE 'prefix%'
# reads this index whatever the database's collation (text_pattern_ops). PostgreSQL only: SQLite
# cannot reflect an expression index (every reflection of the table would warn).
Index("ix_persons_last_name_lower", func.lower(Person.last_name).label("last_name_lower"),
      postgresql_ops={"last_name_lower": "text_pattern_ops"}).ddl_if(dialect="postgresql")


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workflow: Mapped[str] = mapped_column(String(63), index=True)
    year: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    reference_date: Mapped[date] = mapped_column(Date)


class CampaignRecipient(Base):
    __tablename__ = "campaign_recipients"
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), primary_key=True)
    children_section: Mapped[bool] = mapped_column(Boolean, default=False)


SUBSCRIBER_KINDS = frozenset({"member", "employer"})
"""The account kinds that fill procedures: their services open only once the password sent by
post is replaced and the e-mail address confirmed (refs 002 and 004: "En l'absence d'une adresse
électronique valide, vous ne pouvez accéder à aucun service")."""


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    identifier: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="member")
    """``member``, ``staff`` or ``employer`` (an employer or an accounting firm: its identifier
    is its subscriber number, ref 004)"""
    person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(160), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    email_validated: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    roles: Mapped[list[str]] = mapped_column(JsonType, default=list)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    security_question: Mapped[str | None] = mapped_column(String(200))
    """Employers only (ref 004, "profil abonné"): the question the subscriber chose."""
    security_answer_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    """Staff only: the base32 secret of the authenticator (second factor, AUTH-11)."""
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    """The 30-second step of the last code accepted: a code is never accepted twice."""
    """argon2id of the answer's folded form (case, accents and spaces): never shown, never
    enough on its own to open anything (web/accounts/security_question.py)."""


# the staff queue's search of an employer by name, as for persons above
Index("ix_accounts_display_name_lower",
      func.lower(Account.display_name).label("display_name_lower"),
      postgresql_ops={"display_name_lower": "text_pattern_ops"}).ddl_if(dialect="postgresql")


MAIL_CHANNELS = ("post", "email")


class Subscription(Base):
    """A subscription an account holds (ref 002 "Profil abonné"): the insured person under whose
    registration number ("matricule") the fund's documents are addressed. The account's own
    person is always its first; a member may hold others (employee and spouse, say) and
    switches between them in the profile (web/accounts/subscriptions.py)."""

    __tablename__ = "subscriptions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(80))
    """Optional words shown next to the registration number (``Conjoint``, say)."""
    __table_args__ = (UniqueConstraint("account_id", "person_id",
                                       name="uq_subscriptions_account_person"),)


class MailOptions(Base):
    """How the fund's letters reach a subscription (refs 002 "Mes options de courrier" and 003
    "Contact options"): by post (the default, ref 002) or by e-mail. One row per subscription;
    an account without a subscription (an employer) has one row with ``subscription_id`` null."""

    __tablename__ = "mail_options"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    subscription_id: Mapped[str | None] = mapped_column(ForeignKey("subscriptions.id"))
    channel: Mapped[str] = mapped_column(String(10), default="post")
    """``post`` or ``email``"""
    insurer_terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the terms of the transfer to the complementary insurer were last accepted."""
    __table_args__ = (
        UniqueConstraint("subscription_id", name="uq_mail_options_subscription_id"),
        Index("uq_mail_options_account_own", "account_id", unique=True,
              sqlite_where=text("subscription_id IS NULL"),
              postgresql_where=text("subscription_id IS NULL")),
    )


class InsurerEmail(Base):
    """The complementary insurer's address to which a household member's medical benefits
    statements are also sent (ref 002 "Transmission des fiches de décompte maladie"), per
    subscription."""

    __tablename__ = "insurer_emails"
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id"),
                                                 primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))


class ApiToken(Base):
    __tablename__ = "api_tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the token: the token itself is never stored."""
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """The absolute end of the session or token."""
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(10), default="api")
    """``api`` (bearer token), ``page`` (a portal session: it also ends when idle) or ``staff`` (a
    back-office session, issued after the second factor; idle after STAFF_SESSION_IDLE_MINUTES)."""
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountToken(Base):
    """A single-use link sent to a person: e-mail validation, password reset."""

    __tablename__ = "account_tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the token (256 random bits): the token itself is never stored."""
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    """``email_validation`` or ``password_reset``"""
    email: Mapped[str | None] = mapped_column(String(254))
    """For a validation: the address the link was sent to (the one it validates)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordResetRequest(Base):
    """At most one forgotten-password request per account and day: the primary key says so,
    so two processes answering at once still send one message."""

    __tablename__ = "password_reset_requests"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(10))
    """``email`` or ``post``"""


class LoginThrottle(Base):
    """Failed logins per identifier typed (known or not), shared by every app process."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the identifier as typed, normalised (trimmed, lower case)."""
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginRecord(Base):
    """A connection record: when, who, how it ended. Kept at most two years (purge command)."""

    __tablename__ = "login_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    identifier: Mapped[str] = mapped_column(String(80))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    """``success``, ``refused`` (wrong identifier or password), ``locked``, ``throttled``"""
    channel: Mapped[str] = mapped_column(String(10))
    """``page`` or ``api``"""


class OutboxMessage(Base):
    """An e-mail to send, written in the transaction of the change it announces; a worker
    delivers it over SMTP (or to the local mailbox) after the commit."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))


class Letter(Base):
    """A letter queued for the post (initial password, forgotten password without e-mail):
    its content is rendered to PDF on demand, staff mark it printed."""

    __tablename__ = "letters"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content: Mapped[dict[str, Any]] = mapped_column(JsonType)
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkflowVersion(Base):
    """Each workflow version as first seen: the definition its submissions keep using."""

    __tablename__ = "workflow_versions"
    workflow: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    bundle: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Submission(Base):
    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workflow: Mapped[str] = mapped_column(String(63))
    version: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    """The member's account; None for a visitor's submission of a ``public`` procedure."""
    draft_key_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    """A visitor's submission: the SHA-256 (hex) of the key their browser holds (never the key)."""
    status: Mapped[str] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(63))
    state: Mapped[dict[str, Any]] = mapped_column(JsonType)
    scope: Mapped[str] = mapped_column(String(120), default="")
    """What makes it unique for its owner (e.g. the campaign year): one live one per scope."""
    receipt_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subject_id: Mapped[str | None] = mapped_column(String(40))
    """What the submission is about when the workflow has a ``subject``: the employer's client
    the account declares for (an ``employers.id``); None otherwise."""
    unique_key: Mapped[str | None] = mapped_column(String(200))
    """Set at submission from the workflow's ``unique_per`` (subject or owner, and the value):
    unique per workflow, so a second one is refused by the database; None while a draft, when
    cancelled, or without ``unique_per``."""

    __mapper_args__ = {"version_id_col": revision}
    __table_args__ = (
        Index("ix_submissions_owner", "owner_id", "workflow"),
        Index("ix_submissions_queue", "workflow", "status", "submitted_at", "id"),
        # the queue of a workflow in every status, in order (web/backoffice/queue.py)
        Index("ix_submissions_queue_all", "workflow", "submitted_at", "id"),
        # the queue's counts per status, of a workflow or of one of its periods: few distinct
        # keys, so PostgreSQL's deduplicated index stays small (7 MB for a million rows)
        Index("ix_submissions_counts", "workflow", "scope", "status"),
        Index("ix_submissions_subject", "workflow", "subject_id"),
        Index("uq_submissions_unique_key", "workflow", "unique_key", unique=True),
    )


class SubmissionEvent(Base):
    """The audit trail: append-only (triggers refuse UPDATE and DELETE), one chain per
    submission. ``seq`` numbers a submission's entries from 1 and ``hash`` is the SHA-256 of the
    entry with the previous entry's hash (``web.audit``), so an edited, removed or inserted entry
    breaks the chain; ``(submission_id, seq)`` is unique, so two writers cannot both append the
    same link."""

    __tablename__ = "submission_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    actor_kind: Mapped[str] = mapped_column(String(10))
    event: Mapped[str] = mapped_column(String(63))
    revision: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("submission_id", "seq", name="uq_submission_events_seq"),)


class Notification(Base):
    """What a member is told when a submission enters a state its workflow marks ``notify``:
    shown in "my requests", and sent by e-mail (outbox) or by post (letter) as the member's mail
    options decide. ``content`` holds the subject and body in each language, rendered once."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    content: Mapped[dict[str, Any]] = mapped_column(JsonType)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Certificate(Base):
    """A certificate issued to a member for a beneficiary (the member, spouse or a child) from
    a certificate request: what was issued, for when, and the code that lets anyone holding the
    paper check it is genuine. ``content`` keeps the certificate as issued."""

    __tablename__ = "certificates"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"))
    """The beneficiary."""
    document: Mapped[str] = mapped_column(String(63))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    content: Mapped[dict[str, Any]] = mapped_column(JsonType)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request: Mapped[str] = mapped_column(String(200))
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Counter(Base):
    """Receipt numbers: one row per prefix and year, incremented inside the submit transaction."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """Generated documents kept as sent (receipts): what the member downloads never changes."""

    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content: Mapped[dict[str, Any]] = mapped_column(JsonType)
    __table_args__ = (UniqueConstraint("submission_id", "kind", "created_at"),)


class Employer(Base):
    """An employer the fund collects contributions from (ref 004: a "client" of the employer
    portal). The accounts that may act for it are in :class:`EmployerClient`."""

    __tablename__ = "employers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(10), unique=True)
    """The fund's employer number (digits, leading zeros kept)."""
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    direct_debit: Mapped[bool] = mapped_column(Boolean, default=False)
    """Contributions paid by SEPA direct debit: the statements are then online (ref 004)."""


class EmployerClient(Base):
    """An employer account (kind ``employer``: an accounting firm, or the employer itself) may
    act for this employer, its "client" (ref 004)."""

    __tablename__ = "employer_clients"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), primary_key=True,
                                             index=True)


class Employee(Base):
    """A salaried person as the employers' declarations know them."""

    __tablename__ = "employees"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    registration: Mapped[str] = mapped_column(String(6), index=True)
    last_name: Mapped[str] = mapped_column(String(80))
    first_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    # the workforce pages' order and keyset (web/employers.py)
    __table_args__ = (Index("ix_employees_name", "last_name", "first_name", "id"),)


class Employment(Base):
    """An employment spell: the employee works for the employer from ``starts_on`` until
    ``ends_on`` (included; still employed when null). The workforce of a month is every
    employee with a spell overlapping it."""

    __tablename__ = "employments"
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), primary_key=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.id"), primary_key=True,
                                             index=True)
    starts_on: Mapped[date] = mapped_column(Date, primary_key=True)
    ends_on: Mapped[date | None] = mapped_column(Date)
    __table_args__ = (Index("ix_employments_employer_start", "employer_id", "starts_on"),)


class ContributionStatement(Base):
    """A contribution statement (relevé de cotisations) of an employer for a month: the amounts
    are data (cents), the PDF is drawn from them."""

    __tablename__ = "contribution_statements"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"))
    period: Mapped[str] = mapped_column(String(7))
    """``YYYY-MM``"""
    issued_on: Mapped[date] = mapped_column(Date)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    """``[{"label": str, "amount_cents": int}]``, in the statement's order."""
    __table_args__ = (UniqueConstraint("employer_id", "period",
                                       name="uq_contribution_statements_period"),)


class Reminder(Base):
    """A reminder sent (the wage declaration's, on the 20th): one per kind, subject, period and
    account, so running the command twice sends one mail."""

    __tablename__ = "reminders"
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = ["Account", "ApiToken", "Base", "Campaign", "CampaignRecipient", "Certificate",
           "ContributionStatement", "Counter", "Document", "Employee", "Employer",
           "EmployerClient", "Employment", "Household", "IdempotencyKey", "InsurerEmail",
           "MailOptions", "Person", "Reminder", "Submission", "SubmissionEvent", "Subscription",
           "WorkflowVersion"]
