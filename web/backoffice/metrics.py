"""The metrics of one procedure for staff and analysts: plain data, drawn by someone else.

:func:`procedure_metrics` reads, for one workflow id and all its versions:

- **by_status**: how many submissions are in each status now: ``draft``, then every lifecycle
  state in lifecycle order, then ``cancelled`` (0 when none); a status only an older version
  knows comes last, in name order.
- **per_day**: submissions per day of *first* submission over the ``days`` days up to ``today``
  (every day listed, 0 when none). ``Submission.submitted_at`` is rewritten by every amendment
  (``Submissions._receipt``), so the day is that of the submission's ``submitted`` event in the
  audit trail. The engine logs ``submitted`` once per submission (draft to the lifecycle's
  initial state; a resubmission is ``amended``).
- **decision times**: hours from the first ``submitted`` entry to the first entry whose
  ``detail.status`` is a decision state (:func:`decision_states`), over the submissions whose
  decision falls in the window: their number, median and 90th percentile (linear
  interpolation between the two nearest values, as PostgreSQL's ``percentile_cont``; ``None``
  when none was decided).
- **funnel**: per step (the workflow's ``start``, then the order of its ``steps``; steps only an
  older version has come last), the drafts stopped there, split into *in progress* and
  *abandoned* (stale: last changed ``stale_after_days`` days or more before ``today``), and the
  drafts cancelled there.
- **completion**: submissions started (every row), submitted (every row past the draft: neither
  ``draft`` nor ``cancelled``), and the rate submitted / started.

Days are calendar days in Europe/Monaco, the fund's time, as in the queue's date filters
(``web.backoffice.queue``): a submission made at 23:30 UTC on 10 November counts on the 11th in
winter. ``today`` places the windows and the stale cut-off; the counts by status, the funnel and
completion describe the database as it is now.

The decision states are those of the definition given (the current version, as a rule); they
apply to every version. A decision state is never left (no transition leaves it), so a decided
submission still has that status, which narrows the search.

**Cost.** Nothing is loaded row by row: each figure is one grouped query (on SQLite, two more
for the percentiles: :func:`_percentiles`). ``submission_events`` has no index on ``event`` nor
``at``, so each figure read from the audit trail starts from the submissions that can match
(by workflow and status, and ``submitted_at`` or ``updated_at`` since the window began, see
each function) and looks up their entries by ``submission_id`` in a correlated subquery: the
look-ups grow with the window (the cancelled drafts: with their number), never with the
length of the trail. PostgreSQL's JIT is off meanwhile
(:func:`_jit_off`). ``bench/metrics.py``, one million submissions and 8.4 million audit
entries on 2 CPUs: about 0.9 s for 30 days, 4.7 s for 365 days (the per-day look-ups). A
``first_submitted_at`` column on ``submissions``, or an index on ``submission_events (event,
at)``, would turn the per-day and decision figures into index range reads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    and_,
    case,
    cast,
    extract,
    func,
    select,
)
from sqlalchemy.orm import Session, aliased

from engine import Workflow
from web.db.models import Submission, SubmissionEvent

TIMEZONE = "Europe/Monaco"
MONACO = ZoneInfo(TIMEZONE)
DRAFT, CANCELLED = "draft", "cancelled"
CLOCK_SLACK = timedelta(hours=1)
"""Margin on a bound that relies on two readings of the clock in one request being in order."""
MAX_DAYS = 3660
"""Ten years: one bound parameter per day on SQLite."""


@dataclass(frozen=True)
class DayCount:
    day: date
    """A calendar day in Europe/Monaco."""
    submitted: int
    """Submissions whose first submission happened that day."""


@dataclass(frozen=True)
class StepFunnel:
    """Where drafts stopped: one step of the workflow."""

    step: str
    in_progress: int
    """Drafts at this step changed less than ``stale_after_days`` days before ``today``."""
    abandoned: int
    """Drafts at this step not changed for ``stale_after_days`` days or more."""
    cancelled: int
    """Drafts the member cancelled while at this step."""

    @property
    def drafts(self) -> int:
        return self.in_progress + self.abandoned


@dataclass(frozen=True)
class Completion:
    started: int
    """Every submission ever started (drafts, cancelled and submitted ones)."""
    submitted: int
    """Those submitted at least once: neither a draft nor cancelled."""
    rate: float | None
    """``submitted / started``; ``None`` when nothing was started."""


@dataclass(frozen=True)
class ProcedureMetrics:
    workflow: str
    today: date
    days: int
    first_day: date
    """The window is ``first_day`` to ``today``, both included: ``days`` days."""
    stale_after_days: int
    by_status: Mapping[str, int]
    """Status to count, in display order (see the module's docstring). Do not mutate."""
    per_day: tuple[DayCount, ...]
    """One entry per day of the window, oldest first."""
    decided: int
    """Submissions whose decision (entry into a decision state) falls in the window."""
    median_decision_hours: float | None
    p90_decision_hours: float | None
    funnel: tuple[StepFunnel, ...]
    completion: Completion


def decision_states(wf: Workflow) -> frozenset[str]:
    """The lifecycle states no staff transition leaves (e.g. ``processed``, ``rejected``).

    This is what "decided" means in these metrics: a submission is decided when it enters one
    of these states, and its decision time runs from its first submission to that moment."""
    return wf.lifecycle.decisions


def procedure_metrics(session: Session, wf: Workflow, today: date, days: int = 30,
                      stale_after_days: int = 30) -> ProcedureMetrics:
    """The figures of ``wf.id`` (every version) for the ``days`` days up to ``today``."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    if stale_after_days < 1:
        raise ValueError("stale_after_days must be at least 1")
    first_day = today - timedelta(days=days - 1)
    bounds = [monaco_midnight(first_day + timedelta(days=i)) for i in range(days + 1)]
    postgres = session.get_bind().dialect.name == "postgresql"
    jit = _jit_off(session) if postgres else None
    stale_before = monaco_midnight(today - timedelta(days=stale_after_days - 1))
    by_status, drafts = _counts(session, wf, stale_before)
    submitted_statuses = [s for s, n in by_status.items() if n and s not in (DRAFT, CANCELLED)]
    per_day = _per_day(session, wf, submitted_statuses, bounds, postgres)
    decided, median, p90 = _decision_hours(session, wf, bounds[0], bounds[-1], postgres)
    funnel = _funnel(session, wf, drafts)
    if jit is not None:
        session.execute(select(func.set_config("jit", jit, True)))
    started = sum(by_status.values())
    submitted = started - by_status[DRAFT] - by_status[CANCELLED]
    return ProcedureMetrics(
        workflow=wf.id, today=today, days=days, first_day=first_day,
        stale_after_days=stale_after_days, by_status=by_status,
        per_day=tuple(DayCount(first_day + timedelta(days=i), per_day.get(i, 0))
                      for i in range(days)),
        decided=decided, median_decision_hours=median, p90_decision_hours=p90,
        funnel=funnel,
        completion=Completion(started, submitted, submitted / started if started else None))


def _jit_off(session: Session) -> str:
    """Turn PostgreSQL's JIT off for this transaction; the setting it had, to put it back.

    The look-ups per submission are cheap, but their estimated cost is high enough to make
    PostgreSQL compile each statement first (``jit_above_cost``), which cost 0.1 to 0.5 s per
    statement on a million submissions, more than running it (bench/metrics.py). If a query
    fails, the transaction is rolled back and the setting with it."""
    before = str(session.execute(select(func.current_setting("jit"))).scalar_one())
    session.execute(select(func.set_config("jit", "off", True)))
    return before


def monaco_midnight(day: date) -> datetime:
    """The instant (UTC) a Monaco calendar day begins."""
    return datetime.combine(day, time(0), tzinfo=MONACO).astimezone(UTC)


# -- counts by status, drafts by step ---------------------------------------------------------

Drafts = dict[str | None, tuple[int, int]]
"""Step to the number of drafts there in progress and abandoned."""


def _counts(session: Session, wf: Workflow, stale_before: datetime) -> \
        tuple[dict[str, int], Drafts]:
    """The count per status (in display order) and the drafts per step, in one pass over the
    workflow's rows."""
    is_draft = Submission.status == DRAFT
    rows = (select(Submission.status.label("status"),
                   case((is_draft, Submission.step)).label("step"),
                   case((and_(is_draft, Submission.updated_at < stale_before), 1),
                        else_=0).label("stale"))
            .where(Submission.workflow == wf.id)
            .subquery())
    found: dict[str, int] = {}
    drafts: Drafts = {}
    for status, step, stale, n in session.execute(
            select(rows.c.status, rows.c.step, rows.c.stale, func.count())
            .group_by(rows.c.status, rows.c.step, rows.c.stale)):
        found[status] = found.get(status, 0) + n
        if status == DRAFT:
            fresh, old = drafts.get(step, (0, 0))
            drafts[step] = (fresh, old + n) if stale else (fresh + n, old)
    known = [DRAFT, *wf.lifecycle.states, CANCELLED]
    by_status = {**{s: found.pop(s, 0) for s in known}, **dict(sorted(found.items()))}
    return by_status, drafts


# -- per day -----------------------------------------------------------------------------------

def _first(conditions: Callable[[Any], tuple[ColumnElement[bool], ...]]) -> Any:
    """The time of the submission's first audit entry meeting ``conditions(entry)``: a
    correlated subquery, one look-up per submission row (``ix_submission_events_submission_id``)."""
    event = aliased(SubmissionEvent)
    return (select(func.min(event.at))
            .where(event.submission_id == Submission.id, *conditions(event))
            .correlate(Submission).scalar_subquery())


def _per_day(session: Session, wf: Workflow, statuses: list[str], bounds: list[datetime],
             postgres: bool) -> dict[int, int]:
    """Day index in the window (0 = first day) to the number of first submissions that day.

    Only submitted rows whose last submission (``submitted_at``, set by the first submission or
    a later amendment, always just after the event was logged) is inside the window or later
    can have their first submission in it: that range of ``ix_submissions_queue`` is read, then
    each one's ``submitted`` entry."""
    if not statuses:
        return {}
    firsts = (select(_first(lambda e: (e.event == "submitted",)).label("at"))
              .where(Submission.workflow == wf.id, Submission.status.in_(statuses),
                     Submission.submitted_at >= bounds[0] - CLOCK_SLACK)
              .offset(0)  # a fence: the subquery stays one, each look-up runs once a row
              .subquery())
    at = firsts.c.at
    if postgres:
        day: ColumnElement[Any] = cast(func.timezone(TIMEZONE, at), Date)
    else:  # SQLite knows no time zones: one bucket per day, bounds computed here
        day = case(*[(at < bounds[i + 1], i) for i in range(len(bounds) - 1)])
    days = select(day.label("day")).where(at >= bounds[0], at < bounds[-1]).subquery()
    counted = session.execute(select(days.c.day, func.count()).group_by(days.c.day))
    if postgres:
        first = bounds[0].astimezone(MONACO).date()
        return {(d - first).days: int(n) for d, n in counted}
    return {int(i): int(n) for i, n in counted}


# -- decision times ----------------------------------------------------------------------------

def _decision_hours(session: Session, wf: Workflow, start: datetime, end: datetime,
                    postgres: bool) -> tuple[int, float | None, float | None]:
    """How many submissions were decided in [start, end), median and p90 of their hours."""
    decisions = sorted(decision_states(wf))
    if not decisions:
        return 0, None, None
    hours = _durations(wf, decisions, start, end, postgres)
    if postgres:
        n, median, p90 = session.execute(
            select(func.count(), func.percentile_cont(0.5).within_group(hours.c.hours),
                   func.percentile_cont(0.9).within_group(hours.c.hours))
            .select_from(hours)).one()
        return int(n), _float(median), _float(p90)
    n = int(session.execute(select(func.count()).select_from(hours)).scalar_one())
    median, p90 = (_percentiles(session, hours.c.hours, n, q) for q in (0.5, 0.9))
    return n, median, p90


def _durations(wf: Workflow, decisions: list[str], start: datetime, end: datetime,
               postgres: bool) -> Any:
    """One row per submission decided in [start, end): ``hours`` from its first ``submitted``
    entry to its first entry with a decision status.

    A decision state is never left, so a decided submission has that status now. The request
    that decided stored the status (``updated_at``, which only grows afterwards) just before
    logging it: only decided submissions changed since the window began (less the slack) are
    read, then their entries."""
    decided_at = _first(lambda e: (e.detail["status"].as_string().in_(decisions),))
    submitted_at = _first(lambda e: (e.event == "submitted",))
    found = (select(decided_at.label("decided_at"), submitted_at.label("submitted_at"))
             .where(Submission.workflow == wf.id, Submission.status.in_(decisions),
                    Submission.updated_at >= start - CLOCK_SLACK)
             .offset(0)  # a fence, as in _per_day
             .subquery())
    decided, submitted = found.c.decided_at, found.c.submitted_at
    span: ColumnElement[Any]
    if postgres:
        span = cast(extract("epoch", decided - submitted), Float) / 3600.0
    else:
        span = (func.julianday(decided) - func.julianday(submitted)) * 24.0
    return (select(span.label("hours"))
            .where(decided >= start, decided < end, submitted.is_not(None))
            .subquery())


def _percentiles(session: Session, hours: Any, n: int, q: float) -> float | None:
    """The ``q`` percentile as ``percentile_cont`` computes it, on a database without it: the
    one or two values around position ``q * (n - 1)`` of the ordered durations, read with
    ``ORDER BY ... LIMIT 2 OFFSET``, interpolated."""
    if n == 0:
        return None
    position = q * (n - 1)
    below = math.floor(position)
    values = [float(v) for v in session.scalars(
        select(hours).order_by(hours).offset(below).limit(2))]
    if len(values) == 1 or position == below:
        return values[0]
    return values[0] + (position - below) * (values[1] - values[0])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# -- funnel ------------------------------------------------------------------------------------

def _funnel(session: Session, wf: Workflow, drafts: Drafts) -> tuple[StepFunnel, ...]:
    cancelled = _cancelled_at(session, wf)
    steps = [wf.start, *(s for s in wf.steps if s != wf.start)]
    others = sorted(s for s in {*drafts, *cancelled} if s is not None and s not in steps)
    return tuple(StepFunnel(step, *drafts.get(step, (0, 0)), cancelled.get(step, 0))
                 for step in [*steps, *others])


def _cancelled_at(session: Session, wf: Workflow) -> dict[str | None, int]:
    """Cancelled drafts per step they were at. Cancelling clears ``Submission.step``
    (``engine.runtime.cancel``), so the step is read from the audit trail: ``detail.step`` of
    the last entry whose ``detail.status`` is still ``draft``, the one just before
    ``cancelled`` (nothing goes back to draft after it). ``started`` has no status: a draft
    cancelled right after starting was at the workflow's ``start``."""
    before = aliased(SubmissionEvent)
    step = (select(before.detail["step"].as_string())
            .where(before.submission_id == Submission.id,
                   before.detail["status"].as_string() == DRAFT)
            .order_by(before.seq.desc()).limit(1)  # (submission_id, seq) read backwards
            .correlate(Submission).scalar_subquery())
    steps = (select(step.label("step"))
             .where(Submission.workflow == wf.id, Submission.status == CANCELLED)
             .offset(0)  # a fence, as in _per_day
             .subquery())
    found: dict[str | None, int] = {}
    for name, n in session.execute(select(steps.c.step, func.count()).group_by(steps.c.step)):
        key = name if name is not None else wf.start
        found[key] = found.get(key, 0) + int(n)
    return found


__all__ = ["Completion", "DayCount", "ProcedureMetrics", "StepFunnel", "decision_states",
           "monaco_midnight", "procedure_metrics"]
