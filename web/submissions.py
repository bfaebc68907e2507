"""Submissions as the service runs them: load, ask the engine, store the outcome.

The engine decides; this module keeps its decisions. Every change writes the new state, one event
per change in the append-only log and the effects (a numbered receipt, what a staff transition
produces: :mod:`web.producers`, the member's notification) in the caller's transaction; the
caller commits. Another member's submission is indistinguishable from a missing
one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import (
    Context,
    Message,
    Outcome,
    SubmissionState,
    Workflow,
    path,
    prefill_params,
    review,
    scope_of,
)
from engine import runtime as engine
from web import audit
from web.catalog import Catalog
from web.clock import Clock
from web.context_cache import ContextCache
from web.contexts import Asker, context_values
from web.db.models import (
    Account,
    Counter,
    Document,
    IdempotencyKey,
    Person,
    Submission,
)
from web.declarations import unique_key
from web.errors import NOT_FOUND, STALE, ApiProblem
from web.host_checks import run_checks
from web.notifications import notify
from web.prefill import PrefillInput, values_for
from web.producers import ProduceInput, produce
from web.subjects import may_act_for

Action = Callable[[Workflow, SubmissionState, Context], Outcome]


@dataclass(frozen=True)
class Actor:
    account: Account
    person: Person | None

    @property
    def is_staff(self) -> bool:
        return self.account.kind == "staff"

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.account.roles or ())


ADMIN = "admin"
"""The staff role that sees every procedure's submissions (deciding still needs each
transition's own role)."""


def staff_sees(actor: Actor, wf: Workflow) -> bool:
    """A staff member sees a procedure's submissions when they hold the role of one of its
    transitions, or are an administrator."""
    return actor.is_staff and (ADMIN in actor.roles or
                               bool(actor.roles & {t.role for t in wf.lifecycle.transitions}))


def actor_for(session: Session, account: Account) -> Actor:
    person = session.get(Person, account.person_id) if account.person_id else None
    return Actor(account, person)


class Submissions:
    def __init__(self, session: Session, catalog: Catalog, clock: Clock,
                 cache: ContextCache | None = None) -> None:
        self.session, self.catalog, self.clock = session, catalog, clock
        self.cache = cache or ContextCache(0)
        self._contexts: dict[tuple[str, str], Context] = {}  # one request: read the registry once

    # -- reading -------------------------------------------------------------------------------

    def definition(self, row: Submission) -> Workflow:
        return self.catalog.get(self.session, row.workflow, row.version)

    def context(self, wf: Workflow, owner: Account | None, fresh: bool = False,
                subject: str | None = None) -> Context:
        """What the registry says about the owner (and the submission's ``subject``, when the
        workflow has one): read once per request and workflow, and reused for a few seconds
        between steps unless ``fresh`` (decisions read it afresh). A visitor (``owner`` None, a
        ``public`` procedure) has no person."""
        owner_key = owner.id if owner is not None else ""
        if subject:
            owner_key = f"{owner_key}|{subject}"
        key = (owner_key, wf.id)
        today = self.clock.today()
        if key not in self._contexts or fresh:
            values = None if fresh or owner is None else self.cache.get((owner_key, wf.id, today))
            if values is None:
                asker = Asker(None, None, subject) if owner is None else \
                    Asker(owner, actor_for(self.session, owner).person, subject)
                values = context_values(self.session, asker, wf.id, wf.context, today)
                if owner is not None:
                    self.cache.put((owner_key, wf.id, today), values)
            self._contexts[key] = Context(values, today)
        return self._contexts[key]

    def owned_by(self, actor: Actor) -> list[Submission]:
        return list(self.session.scalars(select(Submission).where(
            Submission.owner_id == actor.account.id).order_by(Submission.created_at.desc())))

    def staff_may_see(self, actor: Actor, row: Submission) -> bool:
        if not actor.is_staff or row.status in ("draft", "cancelled"):
            return False
        return staff_sees(actor, self.definition(row))

    def visible_workflows(self, actor: Actor) -> list[Workflow]:
        """The current procedures whose queue this staff member sees (none for a member)."""
        if not actor.is_staff:
            return []
        return [wf for wf in self.catalog.all_current() if staff_sees(actor, wf)]

    def load(self, actor: Actor, submission_id: str, for_update: bool = False) -> Submission:
        query = select(Submission).where(Submission.id == submission_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.scalars(query).first()
        if row is None or (row.owner_id != actor.account.id and
                           not self.staff_may_see(actor, row)):
            raise ApiProblem(404, "not_found", NOT_FOUND)
        return row

    def load_draft(self, submission_id: str, key_digest: str | None,
                   for_update: bool = False) -> Submission:
        """A visitor's submission: found by its id **and** the digest of the key their browser
        holds (another browser's key, or none, is not found)."""
        if not key_digest:
            raise ApiProblem(404, "not_found", NOT_FOUND)
        query = select(Submission).where(Submission.id == submission_id,
                                         Submission.draft_key_digest == key_digest)
        row = self.session.scalars(query.with_for_update() if for_update else query).first()
        if row is None:
            raise ApiProblem(404, "not_found", NOT_FOUND)
        return row

    def owner_of(self, row: Submission) -> Account | None:
        return self.session.get(Account, row.owner_id) if row.owner_id else None

    # -- creating ------------------------------------------------------------------------------

    def create_public(self, workflow_id: str, key_digest: str) -> Submission:
        """A visitor's new draft of a ``public`` procedure, held by the digest of their key."""
        wf = self.catalog.current(workflow_id)
        if wf is None or wf.audience != "public":
            raise ApiProblem(404, "not_found", NOT_FOUND)
        context = self.context(wf, None, fresh=True)
        outcome = engine.start(wf, context)
        now = self.clock.now()
        row = Submission(workflow=wf.id, version=wf.version, owner_id=None,
                         draft_key_digest=key_digest, status=outcome.state.status,
                         step=outcome.state.step, state=outcome.state.to_json(),
                         scope=scope_of(wf, context), created_at=now, updated_at=now)
        self.session.add(row)
        self.session.flush()
        self.log(row, None, outcome.event, {"version": wf.version})
        return row

    def create(self, actor: Actor, workflow_id: str, idempotency_key: str | None,
               subject: str | None = None) -> tuple[Submission, bool]:
        """A new draft, or the one this idempotency key already made (then ``False``). A
        workflow with a ``subject`` needs one the account may act for (a client it declares
        for); without, ``subject`` is ignored."""
        wf = self.catalog.current(workflow_id)
        if wf is None or wf.audience != actor.account.kind:
            raise ApiProblem(404, "not_found", NOT_FOUND)
        if wf.subject is None:
            subject = None
        elif not subject:
            raise ApiProblem(422, "subject_required", Message(
                "Choisissez d'abord le client concerné.", "Choose the client concerned first."))
        elif not may_act_for(self.session, wf.subject, actor.account.id, subject):
            raise ApiProblem(404, "not_found", NOT_FOUND)
        if idempotency_key is not None:
            known = self._by_key(actor, idempotency_key, workflow_id)
            if known is not None:
                return known, False
        context = self.context(wf, actor.account, fresh=True, subject=subject)
        outcome = engine.start(wf, context)
        scope = scope_of(wf, context)
        existing = self.session.scalars(select(Submission).where(
            Submission.owner_id == actor.account.id, Submission.workflow == wf.id,
            Submission.scope == scope, Submission.status != "cancelled")).first()
        if scope and existing is not None:
            raise ApiProblem(409, "already_exists", Message(
                "Vous avez déjà commencé ou transmis cette démarche : reprenez-la.",
                "You have already started or submitted this procedure: resume it."),
                submission_id=existing.id)
        now = self.clock.now()
        row = Submission(workflow=wf.id, version=wf.version, owner_id=actor.account.id,
                         status=outcome.state.status, step=outcome.state.step,
                         state=outcome.state.to_json(), scope=scope, created_at=now,
                         updated_at=now, subject_id=subject)
        self.session.add(row)
        self.session.flush()
        self.log(row, actor, outcome.event, {"version": wf.version})
        if idempotency_key is not None:
            self.session.add(IdempotencyKey(account_id=actor.account.id, key=idempotency_key,
                                            request=workflow_id, submission_id=row.id,
                                            created_at=now))
            try:
                self.session.flush()
            except IntegrityError:  # the same key raced us: answer with the winner's draft
                self.session.rollback()
                known = self._by_key(actor, idempotency_key, workflow_id)
                if known is None:
                    raise
                return known, False
        return row, True

    def _by_key(self, actor: Actor, key: str, workflow_id: str) -> Submission | None:
        found = self.session.get(IdempotencyKey, (actor.account.id, key))
        if found is None:
            return None
        if found.request != workflow_id:
            raise ApiProblem(422, "idempotency_key_reused", Message(
                "Cette clé d'idempotence a déjà servi pour une autre demande.",
                "This idempotency key was already used for another request."))
        return self.session.get(Submission, found.submission_id)

    # -- changing ------------------------------------------------------------------------------

    def act(self, actor: Actor | None, row: Submission, action: Action,
            revision: int | None = None, fresh: bool = False) -> Outcome:
        """``actor`` None: a visitor filling in a ``public`` procedure (found by its key)."""
        if revision is not None and revision != row.revision:
            raise ApiProblem(409, "stale_revision", STALE, revision=row.revision)
        wf = self.definition(row)
        owner = self.owner_of(row)
        state = SubmissionState.from_json(row.state)
        outcome = action(wf, state, self.context(wf, owner, fresh=fresh,
                                                 subject=row.subject_id))
        run_checks(self.session, wf, outcome.effects, self.clock.now(),  # before storing
                   submitting=outcome.event in ("submitted", "amended"))
        for effect in outcome.effects:
            if effect.kind == "unique":
                self._unique(wf, row, str(effect.data["value"]))
        if outcome.state != state:
            self._store(row, outcome.state)
        self.log(row, actor, outcome.event, _detail(outcome))
        for effect in outcome.effects:
            if effect.kind == "receipt":
                self._receipt(wf, row, owner, outcome.state, bool(effect.data.get("amended")))
            elif effect.kind == "produce":  # before notify: a refusal tells no one
                assert actor is not None  # staff
                produce(self.session, effect.data["name"], ProduceInput(
                    wf, row, owner, effect.data.get("params") or {}, actor.account.id,
                    self.clock.now()))
            elif effect.kind == "notify" and owner is not None:
                notify(self.session, wf, row, owner, effect.data["state"],
                       effect.data.get("comment", ""), self.clock.now())
        return outcome

    def _unique(self, wf: Workflow, row: Submission, value: str) -> None:
        """Key the submission with its ``unique_per`` value, per subject (else owner): the
        database refuses a second one, even from another account or a concurrent request."""
        row.unique_key = unique_key(row.subject_id or row.owner_id or row.id, value)
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            raise ApiProblem(409, "already_declared", wf.message("duplicate", Message(
                "Cette démarche a déjà été transmise pour cette période.",
                "This procedure has already been submitted for this period."))) from None

    def _store(self, row: Submission, state: SubmissionState) -> None:
        row.state, row.status, row.step = state.to_json(), state.status, state.step
        row.updated_at = self.clock.now()
        self.session.flush()  # the revision check (version_id_col) happens here

    def log(self, row: Submission, actor: Actor | None, event: str,
            detail: dict[str, Any]) -> None:
        """``actor`` None: a visitor (kind ``visitor``, no account)."""
        audit.append(self.session, row.id, self.clock.now(),
                     actor.account.id if actor else None,
                     actor.account.kind if actor else "visitor", event, row.revision, detail)

    def _receipt(self, wf: Workflow, row: Submission, owner: Account | None,
                 state: SubmissionState,
                 amended: bool) -> None:
        now = self.clock.now()
        if row.receipt_number is None:
            row.receipt_number = self._next_number(f"{wf.receipt_prefix}-{now.year}")
        row.submitted_at = now
        steps = list(state.submitted or {})
        content = {
            "number": row.receipt_number, "submitted_at": now.isoformat(), "amended": amended,
            "procedure": {"fr": wf.title.fr, "en": wf.title.en},
            "person": _person_line(self.session, owner),
            "sections": {lang: [{"title": s.title, "lines": [[ln.label, ln.value]
                                                              for ln in s.lines]}
                                for s in review(wf, state.submitted or {}, steps, lang,
                                                  state.labels)]
                         for lang in ("fr", "en")}}
        self.session.add(Document(submission_id=row.id, kind="receipt", created_at=now,
                                  content=content))
        self.session.flush()

    def _next_number(self, name: str) -> str:
        if self.session.get(Counter, name) is None:
            try:
                with self.session.begin_nested():
                    self.session.add(Counter(name=name, value=0))
            except IntegrityError:
                pass  # created by a concurrent submit
        value = self.session.execute(update(Counter).where(Counter.name == name)
                                     .values(value=Counter.value + 1)
                                     .returning(Counter.value)).scalar_one()
        return f"{name}-{value:06d}"

    def latest_receipt(self, row: Submission) -> Document | None:
        return self.session.scalars(select(Document).where(
            Document.submission_id == row.id, Document.kind == "receipt")
            .order_by(Document.created_at.desc())).first()

    def prefill(self, row: Submission, wf: Workflow, state: SubmissionState,
                step: str) -> dict[str, Any]:
        """The starting answers of a step not answered yet, from the host data its ``prefill``
        names (:mod:`web.prefill`); empty when it has none. Nothing is stored."""
        if step in state.data or not wf.steps[step].prefill:
            return {}
        context = self.context(wf, self.owner_of(row), subject=row.subject_id)
        return values_for(self.session, wf, step, prefill_params(wf, state, step, context),
                          PrefillInput(row.subject_id, row.owner_id, {}, self.clock.today()))

    def current_path(self, row: Submission) -> list[str]:
        wf = self.definition(row)
        owner = self.owner_of(row)
        state = SubmissionState.from_json(row.state)
        return path(wf, state.data, self.context(wf, owner, subject=row.subject_id))


def _detail(outcome: Outcome) -> dict[str, Any]:
    """What the log keeps of a change: which step, never the member's answers themselves."""
    detail: dict[str, Any] = {"status": outcome.state.status, "step": outcome.state.step}
    for effect in outcome.effects:
        if effect.kind in ("answered", "opened"):  # which step was answered, which document
            detail[effect.kind] = next(iter(effect.data.values()))
        elif effect.kind == "changed":  # a staff transition: from, to, and the reason given
            detail.update({"from": effect.data["from"], "to": effect.data["to"]})
            if effect.data.get("comment"):
                detail["comment"] = effect.data["comment"]
    return detail


def _person_line(session: Session, owner: Account | None) -> str:
    if owner is None:  # a visitor: who they are is in their answers
        return ""
    person = session.get(Person, owner.person_id) if owner.person_id else None
    if person is None:
        return owner.display_name or owner.identifier
    return f"{person.first_name} {person.last_name} — matricule {person.registration}"

