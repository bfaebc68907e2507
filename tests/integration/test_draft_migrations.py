"""Publishing a new version safely (issue 8, point 5; docs/publishing.md): stored drafts of version
1 move to version 2 when its ``migrate`` fits them (one field renamed, one new required field with
a default), with an audit entry, and their members go on; a migration that would lose data lists
the drafts it would break and moves none of them. SQLite and PostgreSQL (``TEST_DATABASE_URL``).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.factories import member
from tests.integration.api_client import Api
from web import create_app
from web.audit import verify
from web.db.models import Submission, SubmissionEvent
from web.settings import ROOT, Settings

CASE = ROOT / "tests" / "definitions" / "valid" / "draft_migration"
WF = "savings_declaration"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The service's definitions plus version 1 of the test workflow (in workflows/)."""
    root = tmp_path / "defs"
    for folder in ("workflows", "forms", "contexts", "catalogues"):
        shutil.copytree(ROOT / folder, root / folder)
    for form in ("savings_v1", "savings_v2", "remarks"):
        shutil.copy(CASE / "forms" / f"{form}.yaml", root / "forms")
    shutil.copy(CASE / "workflows" / "archive" / f"{WF}.yaml", root / "workflows")
    return root


def _app(settings: Settings, root: Path) -> Flask:
    app = create_app(replace(settings, definitions_dir=root))
    app.config["TESTING"] = True
    return app


def _publish_version_2(root: Path, remarks_form: str | None = None) -> None:
    """Version 2 replaces version 1 in workflows/ (version 1 lives on in the database)."""
    text = (CASE / "workflows" / f"{WF}.yaml").read_text("utf-8")
    if remarks_form is not None:  # the remarks step gets another form, its field renamed
        text = text.replace("    form: remarks\n", f"    form: {remarks_form}\n")
        (root / "forms" / f"{remarks_form}.yaml").write_text(
            (CASE / "forms" / "remarks.yaml").read_text("utf-8")
            .replace("form: remarks", f"form: {remarks_form}").replace("text:", "comment:"),
            "utf-8")
    (root / "workflows" / f"{WF}.yaml").write_text(text, "utf-8")


def _drafts(app: Flask) -> tuple[Api, dict[str, str]]:
    """Three drafts of version 1: savings answered; savings and remarks; nothing yet."""
    who = member(app)
    api = Api(app.test_client()).login(who.identifier, who.password)
    ids = {name: api.start(WF)["id"] for name in ("savings", "remarks", "empty")}
    for name in ("savings", "remarks"):
        r = api.answer(ids[name], "savings", {"amount": "1200", "bank": "CMB"})
        assert r.status_code == 200 and r.json["step"] == "remarks", r.json
    r = api.answer(ids["remarks"], "remarks", {"text": "Compte joint"})
    assert r.json["step"] == "summary", r.json
    return api, ids


def _rows(app: Flask) -> dict[str, Submission]:
    with app.extensions["csm"].sessions() as s:
        return {row.id: row for row in s.scalars(select(Submission))}


def _events(app: Flask, sid: str) -> list[SubmissionEvent]:
    with app.extensions["csm"].sessions() as s:
        return list(s.scalars(select(SubmissionEvent).where(
            SubmissionEvent.submission_id == sid).order_by(SubmissionEvent.seq)))


def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["workflows", *args])


def test_drafts_migrate_to_the_new_version_and_their_members_go_on(settings, tree):
    first = _app(settings, tree)
    api, ids = _drafts(first)
    first.extensions["csm"].engine.dispose()
    _publish_version_2(tree)
    app = _app(settings, tree)
    try:
        before = _rows(app)
        diff = _cli(app, "diff", WF, "--from", "1", "--to", "2", "--lang", "en")
        assert diff.exit_code == 0, diff.output
        assert "field “Amount” (amount) becomes “Total amount” (total)" in diff.output

        dry = _cli(app, "migrate", WF, "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "3 draft(s), 3 would migrate, 0 would break" in dry.output
        assert {row.version for row in _rows(app).values()} == {1}

        run = _cli(app, "migrate", WF)
        assert run.exit_code == 0, run.output
        assert all(f"draft {sid}: moved to version 2" in run.output for sid in ids.values())
        rows = _rows(app)
        for sid in ids.values():
            assert (rows[sid].version, rows[sid].revision) == (2, before[sid].revision + 1)
            assert rows[sid].state["version"] == 2
            last = _events(app, sid)[-1]
            assert (last.event, last.actor_kind, last.detail["from"], last.detail["to"]) == \
                ("migrated", "system", 1, 2)
            assert last.revision == rows[sid].revision
        assert rows[ids["savings"]].state["data"] == {
            "savings": {"total": "1200", "bank": "CMB", "currency": "EUR"}}
        assert rows[ids["remarks"]].state["data"]["remarks"] == {"text": "Compte joint"}
        assert rows[ids["empty"]].state["data"] == {}
        with app.extensions["csm"].sessions() as s:
            assert list(verify(s)) == []

        api = Api(app.test_client(), api.token)
        got = api.get(f"/api/v1/submissions/{ids['savings']}").json
        assert got["version"] == 2 and got["step"] == "remarks"
        assert api.answer(ids["savings"], "remarks", {"text": ""}).json["step"] == "summary"
        assert api.act(ids["savings"], "submit").status_code == 200
        r = api.answer(ids["empty"], "savings", {"total": "5", "currency": "CHF"})
        assert r.status_code == 200, r.json
        again = _cli(app, "migrate", WF)  # nothing left on version 1
        assert again.exit_code == 0 and "0 draft(s)" in again.output
    finally:
        app.extensions["csm"].engine.dispose()


def test_a_migration_that_would_lose_data_lists_the_drafts_and_moves_none_of_them(
        settings, tree, tmp_path):
    first = _app(settings, tree)
    _, ids = _drafts(first)
    first.extensions["csm"].engine.dispose()
    _publish_version_2(tree, remarks_form="remarks_v2")  # "text" is gone, and no `drop`
    app = _app(settings, tree)
    try:
        before = _rows(app)
        dump = _cli(app, "dump-drafts", WF, "--version", "1")
        assert dump.exit_code == 0, dump.output
        assert {d["id"] for d in json.loads(dump.output)} == set(ids.values())
        (tmp_path / "drafts.json").write_text(dump.output, "utf-8")
        checked = _cli(app, "migrate", WF, "--dump", str(tmp_path / "drafts.json"))
        assert checked.exit_code == 1, checked.output
        assert f"draft {ids['remarks']}: would break, stays on version 1" in checked.output
        assert "would_lose_data [remarks/text]" in checked.output

        run = _cli(app, "migrate", WF)
        assert run.exit_code == 1, run.output
        assert f"draft {ids['remarks']}: would break" in run.output
        assert "3 draft(s), 2 migrated, 1 would break" in run.output
        rows = _rows(app)
        broken = rows[ids["remarks"]]
        assert (broken.version, broken.revision) == (1, before[ids["remarks"]].revision)
        assert broken.state == before[ids["remarks"]].state
        assert all(e.event != "migrated" for e in _events(app, ids["remarks"]))
        assert rows[ids["savings"]].version == 2 and rows[ids["empty"]].version == 2
    finally:
        app.extensions["csm"].engine.dispose()


def test_a_migration_that_does_not_fit_the_older_version_moves_nothing(settings, tree):
    first = _app(settings, tree)
    _drafts(first)
    first.extensions["csm"].engine.dispose()
    _publish_version_2(tree)
    path = tree / "workflows" / f"{WF}.yaml"
    path.write_text(path.read_text("utf-8").replace("from: amount", "from: amont"), "utf-8")
    app = _app(settings, tree)
    try:
        run = _cli(app, "migrate", WF)
        assert run.exit_code == 1
        assert "migration_unknown_field_in_old" in run.output
        assert {row.version for row in _rows(app).values()} == {1}
    finally:
        app.extensions["csm"].engine.dispose()
