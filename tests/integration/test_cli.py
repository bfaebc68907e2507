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
