"""Nothing lost, nothing doubled: concurrent submits, and definitions that change under running
submissions (DESIGN "Runtime"; SECURITY REL-03, REL-04)."""

from __future__ import annotations

import re
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import member
from tests.integration.api_client import Api
from web import create_app
from web.catalog import CatalogError
from web.db.models import Document, SubmissionEvent
from web.settings import ROOT


def _ready_to_submit(api: Api) -> str:
    sid = api.start()["id"]
    api.post(f"/api/v1/submissions/{sid}/documents/cgu")
    api.answer(sid, "terms", {"accepted": True})
    assert api.answer(sid, "situation", {"code": "other_scheme"}).json["step"] == "summary"
    return sid


def test_concurrent_submits_give_one_receipt(app):
    who = member(app)
    api = Api(app.test_client()).login(who.identifier, who.password)
    sid = _ready_to_submit(api)
    barrier = threading.Barrier(6)
    answers: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def submit() -> None:
        client = Api(app.test_client(), api.token)
        barrier.wait()
        r = client.act(sid, "submit")
        with lock:
            answers.append((r.status_code, (r.json.get("receipt") or {}).get("number")))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == 6
    assert {status for status, _ in answers} == {200}, answers
    assert {number for _, number in answers} == {"RD-2026-000001"}
    with app.extensions["csm"].sessions() as s:
        receipts = s.scalar(select(func.count()).select_from(Document).where(
            Document.submission_id == sid))
        submitted = s.scalar(select(func.count()).select_from(SubmissionEvent).where(
            SubmissionEvent.submission_id == sid, SubmissionEvent.event == "submitted"))
    assert (receipts, submitted) == (1, 1)


def test_a_stale_revision_is_refused(app):
    who = member(app)
    api = Api(app.test_client()).login(who.identifier, who.password)
    sub = api.start()
    r = api.post(f"/api/v1/submissions/{sub['id']}/back", {"revision": sub["revision"] + 5})
    assert r.status_code == 409 and r.json["code"] == "stale_revision"


@pytest.fixture
def definitions_copy(tmp_path: Path) -> Path:
    root = tmp_path / "defs"
    for folder in ("workflows", "forms", "contexts", "catalogues"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def test_a_submission_keeps_its_definition_version(settings, definitions_copy):
    from dataclasses import replace

    first = create_app(replace(settings, definitions_dir=definitions_copy))
    who = member(first)
    api = Api(first.test_client()).login(who.identifier, who.password)
    old = api.start()["id"]
    first.extensions["csm"].engine.dispose()

    # an analyst removes the observations step and bumps the version, as the docs say
    path = definitions_copy / "workflows" / "resource_declaration.yaml"
    text = path.read_text("utf-8")
    version = int(re.search(r"^version: (\d+)$", text, re.M).group(1))  # type: ignore[union-attr]
    text = text.replace(f"version: {version}", f"version: {version + 1}", 1)
    text = text.replace("    next: observations\n  observations:\n    form: observations\n"
                        "    next: children\n", "    next: children\n")
    path.write_text(text, "utf-8")
    second = create_app(replace(settings, definitions_dir=definitions_copy))
    api = Api(second.test_client(), api.token)
    assert api.get(f"/api/v1/submissions/{old}").json["version"] == version
    api.post(f"/api/v1/submissions/{old}/documents/cgu")
    api.answer(old, "terms", {"accepted": True})
    api.answer(old, "situation", {"code": "none"})
    r = api.answer(old, "income_declarant", {"incomes": [], "total_months": 0})
    assert r.json["step"] == "observations"  # the old version still has it
    spec = api.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert f"resource_declaration.v{version + 1}.income_declarant" in spec
    assert f"resource_declaration.v{version + 1}.observations" not in spec
    second.extensions["csm"].engine.dispose()


def test_changing_a_definition_without_a_new_version_is_refused(settings, definitions_copy):
    from dataclasses import replace

    create_app(replace(settings, definitions_dir=definitions_copy)).extensions[
        "csm"].engine.dispose()
    path = definitions_copy / "workflows" / "resource_declaration.yaml"
    path.write_text(path.read_text("utf-8").replace("receipt_prefix: RD", "receipt_prefix: RX"),
                    "utf-8")
    with pytest.raises(CatalogError, match="bump `version`"):
        create_app(replace(settings, definitions_dir=definitions_copy))


def test_submit_reads_the_registry_afresh_when_the_campaign_closed(app):
    from sqlalchemy import update

    from web.db.models import Campaign

    who = member(app)
    api = Api(app.test_client()).login(who.identifier, who.password)
    sid = _ready_to_submit(api)  # the context is now cached for the next steps
    with app.extensions["csm"].sessions.begin() as s:
        s.execute(update(Campaign).values(closes_on=date(2026, 11, 22)))
    r = api.act(sid, "submit")
    assert r.status_code == 403 and r.json["code"] == "campaign_closed"
    assert api.get(f"/api/v1/submissions/{sid}").json["status"] == "draft"
