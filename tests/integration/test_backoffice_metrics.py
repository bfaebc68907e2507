"""The metrics of a procedure (web/backoffice/metrics.py) on submissions made through the API.

One story, played on the app's frozen clock in time order from 2 to 23 November 2026 (Monaco
is UTC+1 then): drafts left at various steps, drafts cancelled, declarations submitted (one
amended), taken through the lifecycle by staff to a decision. Every figure is asserted exactly,
on SQLite and on PostgreSQL when TEST_DATABASE_URL is set (which also checks that the two ways
of computing percentiles agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.factories import member, staff
from tests.integration.api_client import Api
from web.backoffice.metrics import (
    Completion,
    DayCount,
    StepFunnel,
    decision_states,
    procedure_metrics,
)
from web.db.models import Account, Submission
from web.tokens import issue

WF = "resource_declaration"
TODAY = date(2026, 11, 23)
TERMS = ("terms", {"accepted": True})
NO_SITUATION = ("situation", {"code": "none"})
OTHER_SCHEME = ("situation", {"code": "other_scheme"})
STEPS = ["terms", "situation", "income_declarant", "income_spouse", "observations", "children",
         "summary"]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@dataclass
class Story:
    app: Flask
    client: FlaskClient
    agent: Api

    def set_clock(self, when: datetime) -> None:
        self.app.extensions["csm"].clock.freeze(when)

    def api_for(self, account_id: str) -> Api:
        """A year-long API token made directly (the login itself is not under test)."""
        services = self.app.extensions["csm"]
        with services.sessions.begin() as s:
            account = s.get(Account, account_id)
            assert account is not None
            token = issue(s, account, services.clock.now(), 24 * 365).token
        return Api(self.client, token)

    def new_member(self) -> Api:
        return self.api_for(member(self.app).account_id)

    def started(self, *steps: tuple[str, Any]) -> tuple[Api, str]:
        """A member's new draft, the terms opened, then ``steps`` answered in order."""
        api = self.new_member()
        sid = api.start(WF)["id"]
        if steps:
            assert api.post(f"/api/v1/submissions/{sid}/documents/cgu").status_code == 200
        for step, data in steps:
            r = api.answer(sid, step, data)
            assert r.status_code == 200, r.json
        return api, sid

    def submitted(self) -> tuple[Api, str]:
        api, sid = self.started(TERMS, OTHER_SCHEME)
        r = api.act(sid, "submit")
        assert r.status_code == 200 and r.json["status"] == "submitted", r.json
        return api, sid

    def staff_fires(self, sid: str, name: str, comment: str | None = None) -> None:
        revision = self.agent.get(f"/api/v1/submissions/{sid}").json["revision"]
        body: dict[str, Any] = {"name": name, "revision": revision}
        if comment is not None:
            body["comment"] = comment
        r = self.agent.post(f"/api/v1/staff/submissions/{sid}/transitions", body)
        assert r.status_code == 200, r.json

    def metrics(self, **kwargs: Any) -> Any:
        services = self.app.extensions["csm"]
        wf = services.catalog.current(WF)
        with services.sessions() as s:
            return procedure_metrics(s, wf, TODAY, **kwargs)


@pytest.fixture
def story(app: Flask, client: FlaskClient) -> Story:
    app.extensions["csm"].clock.freeze(at(1, 8))
    found = Story(app, client, Api(client))
    found.agent = found.api_for(staff(app).account_id)
    return found


def play(story: Story) -> None:
    """The story, in time order (times UTC). Decisions: E after 50 h, F after 111.5 h counted
    from its first submission (it was amended meanwhile), G after 48 h."""
    s = story
    s.set_clock(at(2, 9))
    s.started(TERMS)  # draft at "situation", unchanged since 2 November
    s.set_clock(at(3, 9))
    api, sid = s.started(TERMS, NO_SITUATION)  # at "income_declarant", cancelled there
    assert api.act(sid, "cancel").json["status"] == "cancelled"
    s.set_clock(at(3, 10))
    api, sid = s.started()  # cancelled at once: the step before is the start
    assert api.act(sid, "cancel").json["status"] == "cancelled"
    s.set_clock(at(3, 11))
    api, sid = s.started(TERMS, NO_SITUATION)  # back to "situation", cancelled there
    assert api.act(sid, "back").json["step"] == "situation"
    assert api.act(sid, "cancel").json["status"] == "cancelled"
    s.set_clock(at(4, 10))
    e_api, e = s.submitted()
    s.set_clock(at(4, 12))
    s.staff_fires(e, "start_review")
    s.set_clock(at(5, 8))
    f_api, f = s.submitted()
    s.set_clock(at(6, 12))
    s.staff_fires(e, "accept")  # E: 4 Nov 10:00 to 6 Nov 12:00 = 50 h
    s.set_clock(at(8, 9))  # F amended: its submitted_at becomes 8 November
    assert f_api.act(f, "amend").status_code == 200
    r = f_api.act(f, "submit")
    assert r.status_code == 200 and r.json["status"] == "submitted", r.json
    s.set_clock(at(8, 10))
    s.staff_fires(f, "start_review")
    s.set_clock(at(9, 23, 30))  # 10 November 00:30 in Monaco
    s.staff_fires(f, "reject", "Pièces illisibles")  # F: 5 Nov 08:00 to 9 Nov 23:30 = 111.5 h
    s.started()  # draft at "terms", last changed on 10 November in Monaco (9th in UTC)
    s.set_clock(at(10, 23, 30))  # 11 November 00:30 in Monaco
    _, g = s.submitted()
    s.set_clock(at(11, 8))
    s.staff_fires(g, "start_review")
    s.set_clock(at(11, 9))
    s.staff_fires(g, "request_documents", "Avis d'imposition")
    s.set_clock(at(12, 10))
    _, h = s.submitted()
    s.set_clock(at(12, 23, 30))
    s.staff_fires(g, "accept")  # G: 10 Nov 23:30 to 12 Nov 23:30 = 48 h
    s.set_clock(at(13, 9))
    s.staff_fires(h, "start_review")
    s.staff_fires(h, "request_documents", "Bulletins de pension")
    s.set_clock(at(20, 9))
    s.started()  # draft at "terms", recent
    # E's member tries to "open" the terms again: refused once decided, no entry in the trail
    assert e_api.post(f"/api/v1/submissions/{e}/documents/cgu").status_code == 409
    s.set_clock(at(20, 10))
    s.submitted()  # stays "submitted"
    s.set_clock(at(20, 11))
    _, j = s.submitted()
    s.set_clock(at(21, 9))
    s.staff_fires(j, "start_review")
    s.set_clock(at(22, 9))
    s.started(TERMS, NO_SITUATION)  # draft at "income_declarant", recent
    s.set_clock(at(23, 12))


def days_of(per_day: tuple[DayCount, ...]) -> dict[date, int]:
    return {d.day: d.submitted for d in per_day if d.submitted}


def funnel(*rows: tuple[str, int, int, int]) -> tuple[StepFunnel, ...]:
    """Every step of the workflow in order, zero unless listed."""
    given = {row[0]: row for row in rows}
    return tuple(StepFunnel(*given.get(step, (step, 0, 0, 0))) for step in STEPS)


def test_decision_states_are_the_states_staff_cannot_leave(app: Flask) -> None:
    wf = app.extensions["csm"].catalog.current(WF)
    assert decision_states(wf) == frozenset({"processed", "rejected"})


def test_metrics_of_the_story(story: Story) -> None:
    play(story)
    m = story.metrics(stale_after_days=14)
    assert (m.workflow, m.today, m.days, m.first_day) == (WF, TODAY, 30, date(2026, 10, 25))
    assert list(m.by_status.items()) == [
        ("draft", 4), ("submitted", 1), ("in_review", 1), ("awaiting_documents", 1),
        ("processed", 2), ("rejected", 1), ("cancelled", 3)]
    # the day of the first submission, in Monaco: F counts on the 5th, not on the 8th (its
    # amendment), and G, sent at 23:30 UTC on the 10th, on the 11th
    assert [d.day for d in m.per_day] == [date(2026, 10, 25) + timedelta(days=i)
                                          for i in range(30)]
    assert days_of(m.per_day) == {date(2026, 11, 4): 1, date(2026, 11, 5): 1,
                                  date(2026, 11, 11): 1, date(2026, 11, 12): 1,
                                  date(2026, 11, 20): 2}
    # 48, 50 and 111.5 hours: the median is the middle one, p90 interpolates 50 → 111.5
    assert m.decided == 3
    assert m.median_decision_hours == pytest.approx(50, abs=1e-4)
    assert m.p90_decision_hours == pytest.approx(50 + 0.8 * 61.5, abs=1e-4)
    # 14 days stale: "situation" (2 November) is abandoned; the draft last changed at 00:30 on
    # 10 November in Monaco (13 days before) is not, though it was still the 9th in UTC
    assert m.funnel == funnel(("terms", 2, 0, 1), ("situation", 0, 1, 1),
                              ("income_declarant", 1, 0, 1))
    assert m.completion == Completion(started=13, submitted=6, rate=6 / 13)


def test_the_windows_follow_days_and_stale_after_days(story: Story) -> None:
    play(story)
    m = story.metrics()  # 30 days, stale after 30 days: every draft is in progress
    assert m.stale_after_days == 30
    assert m.funnel == funnel(("terms", 2, 0, 1), ("situation", 1, 0, 1),
                              ("income_declarant", 1, 0, 1))
    # 13 days stale: the draft last changed on 10 November in Monaco is exactly that old
    m = story.metrics(stale_after_days=13)
    assert m.funnel == funnel(("terms", 1, 1, 1), ("situation", 0, 1, 1),
                              ("income_declarant", 1, 0, 1))
    # 10 to 23 November in Monaco: F (decided at 00:30 on the 10th there) and G
    m = story.metrics(days=14)
    assert m.first_day == date(2026, 11, 10) and len(m.per_day) == 14
    assert days_of(m.per_day) == {date(2026, 11, 11): 1, date(2026, 11, 12): 1,
                                  date(2026, 11, 20): 2}
    assert m.decided == 2
    assert m.median_decision_hours == pytest.approx((48 + 111.5) / 2, abs=1e-4)
    assert m.p90_decision_hours == pytest.approx(48 + 0.9 * 63.5, abs=1e-4)
    # the last week: two submissions, no decision; the counts by status do not depend on it
    m = story.metrics(days=7)
    assert days_of(m.per_day) == {date(2026, 11, 20): 2}
    assert (m.decided, m.median_decision_hours, m.p90_decision_hours) == (0, None, None)
    assert sum(m.by_status.values()) == 13


def test_other_procedures_do_not_count(story: Story) -> None:
    play(story)
    services = story.app.extensions["csm"]
    owner = member(story.app).account_id
    with services.sessions.begin() as s:
        for status, step in (("draft", "terms"), ("processed", None)):
            s.add(Submission(workflow="family_allowance", version=1, owner_id=owner,
                             status=status, step=step, state={}, created_at=at(20, 9),
                             updated_at=at(20, 9), submitted_at=at(20, 9)))
    m = story.metrics(stale_after_days=14)
    assert m.by_status["draft"] == 4 and m.by_status["processed"] == 2
    assert m.funnel[0] == StepFunnel("terms", 2, 0, 1)


def test_a_procedure_nobody_started(story: Story) -> None:
    m = story.metrics(days=3)
    assert list(m.by_status.items()) == [
        ("draft", 0), ("submitted", 0), ("in_review", 0), ("awaiting_documents", 0),
        ("processed", 0), ("rejected", 0), ("cancelled", 0)]
    assert m.per_day == tuple(DayCount(date(2026, 11, d), 0) for d in (21, 22, 23))
    assert (m.decided, m.median_decision_hours, m.p90_decision_hours) == (0, None, None)
    assert m.funnel == funnel()
    assert m.completion == Completion(0, 0, None)


def test_the_session_is_left_as_it_was_found(story: Story) -> None:
    """On PostgreSQL the JIT setting turned off for the figures is put back; on SQLite the
    caller's transaction stays usable."""
    services = story.app.extensions["csm"]
    with services.sessions() as s:
        if services.engine.dialect.name == "postgresql":
            s.execute(text("SET LOCAL jit = on"))
        procedure_metrics(s, services.catalog.current(WF), TODAY)
        if services.engine.dialect.name == "postgresql":
            assert s.execute(text("SELECT current_setting('jit')")).scalar_one() == "on"
        else:
            assert s.execute(text("SELECT 1")).scalar_one() == 1


@pytest.mark.parametrize("kwargs", [{"days": 0}, {"days": 3661}, {"stale_after_days": 0}])
def test_nonsense_windows_are_refused(story: Story, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        story.metrics(**kwargs)
