"""The documented commands, run as an operator runs them."""

from __future__ import annotations

from web.app import create_app


def test_workflows_check_prints_ok_and_exits_0(app):
    result = app.test_cli_runner().invoke(args=["workflows", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ok"


def test_workflows_check_reports_a_broken_definition(settings, tmp_path):
    import shutil
    from dataclasses import replace

    from web.settings import ROOT

    for folder in ("workflows", "forms", "contexts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    app = create_app(settings)  # the served definitions are fine; the checked folder is not
    broken = tmp_path / "workflows" / "resource_declaration.yaml"
    broken.write_text(broken.read_text("utf-8").replace("next: observations",
                                                        "next: observationz"), "utf-8")
    app.extensions["csm"] = replace(app.extensions["csm"], settings=replace(
        settings, definitions_dir=tmp_path))
    result = app.test_cli_runner().invoke(args=["workflows", "check", "--lang", "en"])
    assert result.exit_code == 1
    assert "workflows/resource_declaration.yaml:" in result.output
    assert "unknown_step" in result.output and "observationz" in result.output


def test_demo_loads_the_registry_and_its_logins_work(app):
    from web.cli import DEMO_FILES, DEMO_LOGINS

    header = "".join(open(f"demo/{name}", encoding="utf-8").read().split("\n\n")[0]
                     for name in DEMO_FILES)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/" in result.output
    assert "http://127.0.0.1:5000/backoffice/" in result.output
    assert "staff totp-code IDENTIFIER" in result.output
    client = app.test_client()
    for line in DEMO_LOGINS:
        identifier, _, rest = line.partition(" / ")
        identifier, password = identifier.strip(), rest.split()[0]
        body = {"identifier": identifier, "password": password}
        if "staff" in line:  # the code the demo's instructions point to
            printed = runner.invoke(args=["staff", "totp-code", identifier])
            assert printed.exit_code == 0, printed.output
            body["code"] = printed.output.split()[0]
        r = client.post("/api/v1/auth/token", json=body)
        assert r.status_code == 200, (identifier, r.json)
        assert identifier in header and password in header  # the file says the same
    assert "wage declaration DS-" in result.output  # the bakery's history is not empty
    again = runner.invoke(args=["demo"])  # importing twice changes nothing
    assert again.exit_code == 0, again.output
    assert "wage declaration DS-" not in again.output
    from sqlalchemy import select

    from engine import SubmissionState
    from web.db.models import Submission
    with app.extensions["csm"].sessions() as s:
        rows = s.scalars(select(Submission).where(Submission.workflow == "wage_declaration")
                         ).all()
        assert [(r.subject_id, r.status) for r in rows] == [("EMP-0001", "corrected")]
        assert len(SubmissionState.from_json(rows[0].state).records) == 1


def test_registry_import_reports_problems_and_exits_1(app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("persons:\n  - id: P-1\n    registration: '12'\n    birth_date: '1990-02-30'\n"
                   "    first_name: A\n    last_name: B\n    household: H-404\n", "utf-8")
    result = app.test_cli_runner().invoke(args=["registry", "import", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:" in result.output and "H-404" in result.output
