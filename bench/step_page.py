"""A step page with a big repeating group: the wage declaration's employees, in process.

    .venv/bin/python bench/step_page.py                   # 5,000 employees, 3 rounds
    .venv/bin/python bench/step_page.py --employees 10000 --rounds 1 --events 2

Times, for forms/wage_employees.yaml with N employees (two of every ten with an event): parsing
the url-encoded body a browser posts (through the app's request, with its size limits), building
the WTForms form from those posted fields and from stored answers, reading the answers back
(``read_answers``), the layout tree (``present``) and drawing ``portal/step.html`` to HTML. Prints
the best of ``--rounds`` for each, in milliseconds, and the page's size. No database work is
timed (the app is created once on a temporary SQLite file).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import yaml  # noqa: E402
from flask import render_template  # noqa: E402

from engine.definitions import Form, Text  # noqa: E402
from engine.validation import build_validator  # noqa: E402
from web import create_app  # noqa: E402
from web.portal.forms import PlacedErrors, make_form, read_answers  # noqa: E402
from web.portal.layout import present  # noqa: E402
from web.settings import Settings  # noqa: E402


def wage_form() -> Form:
    raw = yaml.safe_load((ROOT / "forms/wage_employees.yaml").read_text(encoding="utf-8"))
    return Form(name=raw["form"], title=Text(raw["title"]["fr"], raw["title"]["en"]),
                help=None, schema=raw["schema"], fields=raw["fields"],
                validator=build_validator(raw["schema"]))


def definitions(into: Path) -> Path:
    """The app's definitions without the wage workflow and forms: only its templates, its
    request parsing and its limits are used, whatever state the wage workflow is in."""
    for name in ("roles.yaml",):
        shutil.copy(ROOT / name, into / name)
    for folder in ("contexts", "catalogues", "forms", "workflows"):
        (into / folder).mkdir()
        for path in (ROOT / folder).glob("*.yaml"):
            if not path.name.startswith("wage_"):
                shutil.copy(path, into / folder / path.name)
    return into


def answers(employees: int, events: int) -> dict[str, Any]:
    lines = []
    for i in range(employees):
        line: dict[str, Any] = {"employee_id": f"E{i:06d}", "registration": f"{i % 999999:06d}",
                                "last_name": f"NOM{i}", "first_name": f"Prénom {i}",
                                "gross": f"{1800 + i % 900},50", "hours": 151.67}
        if i % 10 < 2:
            line["events"] = [{"kind": "sick_leave", "start": f"2026-10-0{1 + j}",
                               "end": f"2026-10-1{1 + j}"} for j in range(events)]
        lines.append(line)
    return {"employees": lines}


def posted(data: dict[str, Any]) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = [("csrf_token", "x"), ("revision", "3")]
    for i, line in enumerate(data["employees"]):
        for name in ("employee_id", "registration", "last_name", "first_name", "birth_date",
                     "gross", "hours"):
            fields.append((f"employees-{i}-{name}", str(line.get(name, ""))))
        for j, event in enumerate(line.get("events", [])):
            for name, value in event.items():
                fields.append((f"employees-{i}-events-{j}-{name}", value))
    fields.append(("action", "continue"))
    return fields


def best(rounds: int, call: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--events", type=int, default=1, help="events per line that has some")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    form = wage_form()
    data = answers(args.employees, args.events)
    body = urlencode(posted(data)).encode()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp}/b.sqlite3",
                                  secret_key="x" * 40,
                                  definitions_dir=definitions(Path(tmp)),
                                  frozen_today=date(2026, 11, 23),
                                  password_hash_profile="cheapest"))
        app.config["WTF_CSRF_ENABLED"] = False
        figures: list[tuple[str, float]] = []
        with app.test_request_context(
                "/submissions/s1/steps/employees", method="POST", data=body,
                content_type="application/x-www-form-urlencoded"):
            from flask import request

            app.preprocess_request()  # the app's hooks: the step post's size limits
            ms, formdata = best(1, lambda: request.form)
            figures.append(("parse the posted body (werkzeug)", ms))
            ms, bound = best(args.rounds, lambda: make_form(form, "fr", formdata=formdata))
            figures.append(("build the form from the posted fields", ms))
            ms, read = best(args.rounds, lambda: read_answers(bound, form.fields, form.schema))
            figures.append(("read_answers", ms))
            assert len(read["employees"]) == args.employees, "every line read back"
            ms, bound = best(args.rounds, lambda: make_form(form, "fr", answers=data))
            figures.append(("build the form from stored answers", ms))
            ms, views = best(args.rounds, lambda: present(bound, form.fields, form.schema, "fr",
                                                          PlacedErrors()))
            figures.append(("layout tree (present)", ms))
            page = stub_page(form, views)
            ms, html = best(args.rounds, lambda: render_template("portal/step.html", **page))
            figures.append(("render portal/step.html", ms))
        app.extensions["csm"].engine.dispose()

    print(f"wage_employees step, {args.employees} employees, {len(posted(data))} posted fields,"
          f" body {len(body) / 1e6:.1f} MB, page {len(html) / 1e6:.1f} MB"
          f" (best of {args.rounds})")
    for label, ms in figures:
        print(f"  {label:<40} {ms:>9.0f} ms")
    total = sum(ms for label, ms in figures if label != "read_answers" and "stored" not in label)
    print(f"  {'POST redrawn (parse+build+present+render)':<40} {total:>9.0f} ms")
    return 0


def stub_page(form: Form, views: Any) -> dict[str, Any]:
    """What steps._step_page gives the template, without a submission in a database."""
    row = SimpleNamespace(id="s1", revision=3)
    state = SimpleNamespace(editing=False)
    progress = {"position": 2, "total": 3, "steps": [
        {"name": n, "title": n, "state": s}
        for n, s in (("period", "done"), ("employees", "current"), ("review", "todo"))]}
    return {"wf_title": "Déclaration de salaires", "row": row, "state": state,
            "step_name": "employees", "title": form.title.fr, "help": "", "fields": views,
            "shows": [], "empty_choices": [], "errors": PlacedErrors(), "documents": {},
            "progress": progress, "from_review": False, "review_step": "review",
            "can_go_back": True}


if __name__ == "__main__":
    raise SystemExit(main())
