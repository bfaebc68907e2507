"""The analyst pages: the check report (and its JSON), a workflow version drawn, the preview."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from engine import (
    ActionRefused,
    FieldError,
    NotAvailable,
    StepInvalid,
    Workflow,
    planned_path,
    review,
)
from engine import runtime as engine
from engine.diagrams import filling_diagram, lifecycle_diagram
from engine.diff import diff, migration_issues
from engine.migrations import Migration, Operation
from web.analyst import bp
from web.analyst.access import analyst_required
from web.analyst.checks import check_json, run_checks
from web.analyst.preview import Persona, Preview, Tampered, personas, seal, unseal
from web.analyst.svg import filling_graph, lifecycle_graph, render
from web.audience import audience
from web.catalog import CatalogError
from web.current import db, services
from web.db.models import Submission, WorkflowVersion
from web.i18n import current_language
from web.portal.forms import (
    PlacedErrors,
    StepForm,
    change_list,
    make_form,
    place_errors,
    present_label,
    read_answers,
    set_choices,
)
from web.portal.layout import present
from web.publishing import PublishingError, migrate_drafts, stored_bundle

# -- the check report ----------------------------------------------------------------------------

def definitions_root() -> Path:
    """The definitions folder this service runs (``DEFINITIONS_DIR``)."""
    return Path(services().settings.definitions_dir)



@bp.get("/")
@audience("staff")
@analyst_required
def check_page() -> str:
    """Every problem of the deployed definitions, the scenarios and their coverage, and the
    workflows with their versions."""
    lang = current_language()
    checked = run_checks(definitions_root())
    problems = [{"where": checked.relative(p.file) + ("" if p.line is None else f":{p.line}")
                 + ("" if p.line is None or p.column is None else f":{p.column}"),
                 "code": p.code, "pointer": p.pointer, "message": p.message.text(lang),
                 "warning": p.severity != "error"}
                for p in checked.report.sorted()]
    scenarios = [{"file": checked.relative(r.file), "ok": r.ok,
                  "failures": [{"line": f.line, "message": f.message.text(lang)}
                               for f in r.failures]} for r in checked.scenarios]
    coverage = checked.coverage
    uncovered = [{"where": f"{checked.relative(u.file)}:{u.line}",
                  "what": u.branch.what.text(lang)} for u in coverage.uncovered] \
        if coverage is not None else []
    return render_template(
        "analyst/check.html", problems=[p for p in problems if not p["warning"]],
        warnings=[p for p in problems if p["warning"]], scenarios=scenarios, uncovered=uncovered,
        coverage=coverage, passed=sum(s["ok"] for s in scenarios),
        workflows=[{"id": wf.id, "title": wf.title.text(lang), "versions": versions_of(wf.id)}
                   for wf in services().catalog.all_current()])


@bp.get("/check.json")
@audience("staff")
@analyst_required
def check_report_json() -> Response:
    """The report of ``python -m engine check --format json``, in the page's language."""
    checked = run_checks(definitions_root())
    return jsonify(check_json(checked.report, current_language()))


# -- a workflow version, drawn -------------------------------------------------------------------

def versions_of(workflow: str) -> list[int]:
    """Every version the service knows: on disk and in the database only."""
    found = set(db().scalars(select(WorkflowVersion.version)
                             .where(WorkflowVersion.workflow == workflow)))
    current = services().catalog.current(workflow)
    if current is not None:
        found.add(current.version)
    return sorted(found)


def chosen_version(workflow: str) -> tuple[Workflow, list[int]]:
    """The version asked for (``?version=N``, by default the current one, else the highest);
    404 for an unknown workflow or version."""
    versions = versions_of(workflow)
    if not versions:
        abort(404)
    asked = request.args.get("version", "")
    current = services().catalog.current(workflow)
    if asked:
        if not asked.isdigit() or int(asked) not in versions:
            abort(404)
        version = int(asked)
    else:
        version = current.version if current is not None else versions[-1]
    try:
        return services().catalog.get(db(), workflow, version), versions
    except CatalogError:
        abort(404)


def draft_counts(wf: Workflow) -> dict[str, int]:
    """The live drafts of this version at each step (one GROUP BY)."""
    rows = db().execute(select(Submission.step, func.count()).where(
        Submission.workflow == wf.id, Submission.version == wf.version,
        Submission.status == "draft").group_by(Submission.step))
    return {str(step): int(count) for step, count in rows if step is not None}


@bp.get("/workflows/<workflow>")
@audience("staff")
@analyst_required
def workflow_page(workflow: str) -> str:
    lang = current_language()
    wf, versions = chosen_version(workflow)
    drafts = draft_counts(wf)
    graph = filling_graph(wf, lang, drafts)
    steps = [(node.data["step"], node.lines[0], drafts.get(node.data["step"], 0))
             for node in graph.nodes if "step" in node.data]
    return render_template(
        "analyst/workflow.html", wf=wf, wf_title=wf.title.text(lang), versions=versions,
        filling_svg=render(graph, "filling"),
        lifecycle_svg=render(lifecycle_graph(wf, lang), "lifecycle"),
        filling_text=filling_diagram(wf, lang), lifecycle_text=lifecycle_diagram(wf, lang),
        steps=steps, total=sum(drafts.values()), personas=_persona_choices(wf, lang))


# -- what changes between two versions ------------------------------------------------------------

CHANGE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("steps", ("step_added", "step_removed", "start_changed", "step_form_changed")),
    ("fields", ("field_added", "field_removed", "field_renamed", "field_moved", "field_required",
                "field_not_required", "bound_changed", "options_added", "options_removed")),
    ("conditions", ("next_changed", "skip_unless_changed", "availability_changed")),
    ("lifecycle", ("state_added", "state_removed", "initial_changed", "transition_added",
                   "transition_changed", "transition_removed")),
)
"""The kinds of :class:`engine.diff.Change` the page lists under one heading each."""


def _group_title(group: str) -> str:
    titles = {"steps": _("Steps"), "fields": _("Fields"),
              "conditions": _("Conditions: where a step leads, when it is asked, who may start"),
              "lifecycle": _("Lifecycle")}
    return str(titles.get(group, _("Other changes")))


def _asked_version(name: str, versions: list[int], default: int) -> int:
    asked = request.args.get(name, "")
    if not asked:
        return default
    if not asked.isdigit() or int(asked) not in versions:
        abort(404)
    return int(asked)


def _operation_words(op: Operation) -> str:
    """One operation of a ``migrate``, in the page's language."""
    words: str
    if op.kind == "rename":
        words = _("Step %(step)s: the answer to field %(field)s becomes field %(to)s.",
                  step=op.step, field=op.field, to=op.to_field)
    elif op.kind == "move":
        words = _("The answer to field %(field)s of step %(step)s moves to field %(to)s of step"
                  " %(to_step)s.", field=op.field, step=op.step, to=op.to_field,
                  to_step=op.to_step)
    elif op.kind == "drop" and op.field:
        words = _("The answer to field %(field)s of step %(step)s is dropped.", field=op.field,
                  step=op.step)
    elif op.kind == "drop":
        words = _("The answers of step %(step)s are dropped.", step=op.step)
    else:
        words = _("Step %(step)s: drafts that already answered it get %(value)s for field"
                  " %(field)s.", step=op.step, field=op.field,
                  value=json.dumps(op.value, ensure_ascii=False))
    return words


@bp.get("/workflows/<workflow>/diff")
@audience("staff")
@analyst_required
def diff_page(workflow: str) -> str:
    """What changes for members from version ``from`` to version ``to`` (by default the
    previous and the current one) and, when ``to`` migrates from ``from``, what would happen
    to the stored drafts (a dry run: nothing moves)."""
    lang = current_language()
    versions = versions_of(workflow)
    if not versions:
        abort(404)
    current = services().catalog.current(workflow)
    to = _asked_version("to", versions, current.version if current is not None
                        else versions[-1])
    earlier = [v for v in versions if v < to]
    start = _asked_version("from", versions, earlier[-1] if earlier else to)
    try:
        old = services().catalog.get(db(), workflow, start)
        new = services().catalog.get(db(), workflow, to)
        bundle = stored_bundle(db(), workflow, to)
    except (CatalogError, PublishingError):
        abort(404)
    migration = Migration.of(bundle.workflow) if start != to else None
    groups: list[dict[str, Any]] = []
    if start != to:
        changes = diff(old, new, migration)
        kinds = dict(CHANGE_GROUPS)
        for group in [name for name, _codes in CHANGE_GROUPS] + ["other"]:
            listed = [c for c in changes if c.code in kinds.get(group, ())] if group != "other" \
                else [c for c in changes if not any(c.code in k for k in kinds.values())]
            if listed:
                groups.append({"name": group, "title": _group_title(group),
                               "changes": [{"code": c.code, "text": c.message.text(lang)}
                                           for c in listed]})
    plan: dict[str, Any] | None = None
    if migration is not None:
        plan = {"from": migration.from_version,
                "operations": [_operation_words(op) for op in migration.operations],
                "fits": migration.from_version == start, "problems": [], "drafts": None}
        if plan["fits"]:
            issues = migration_issues(old, bundle)
            plan["problems"] = [{"pointer": p, "code": c, "text": m.text(lang)}
                                for p, c, m in issues]
            if not issues:  # a dry run, outside any transaction that could write
                run = migrate_drafts(db(), old, new, migration, services().clock.now(),
                                     dry_run=True)
                plan["drafts"] = {"total": len(run.drafts),
                                  "move": len(run.drafts) - len(run.broken),
                                  "broken": len(run.broken)}
    return render_template(
        "analyst/diff.html", wf=new, wf_title=new.title.text(lang), versions=versions,
        start=start, to=to, groups=groups, plan=plan)


def _persona_choices(wf: Workflow, lang: str) -> list[dict[str, Any]]:
    return [{"name": p.name, "label": p.label.text(lang), "lacks": p.lacks(wf)}
            for p in personas().values()]


# -- the preview ---------------------------------------------------------------------------------

@bp.get("/preview/<workflow>")
@audience("staff")
@analyst_required
def preview(workflow: str) -> str | tuple[str, int]:
    """Without ``persona``: choose a version and a person. With one: the first step."""
    lang = current_language()
    wf, versions = chosen_version(workflow)
    persona = personas().get(request.args.get("persona", ""))
    base = {"wf": wf, "wf_title": wf.title.text(lang), "versions": versions,
            "personas": _persona_choices(wf, lang)}
    if persona is None or persona.lacks(wf):
        missing = request.args.get("persona") is not None
        return render_template("analyst/preview.html", mode="choose", persona=None,
                               **base), 400 if missing else 200
    context = persona.context_for(wf, services().clock.today())
    try:
        started = engine.start(wf, context)
    except NotAvailable as closed:
        return render_template("analyst/preview.html", mode="closed", persona=_who(persona),
                               closed=closed.message.text(lang), **base)
    here = Preview(wf.id, wf.version, persona.name, started.state)
    assert started.state.step is not None
    return _page(wf, here, persona, started.state.step)


@bp.post("/preview/<workflow>")
@audience("staff")
@analyst_required
def preview_post(workflow: str) -> str | tuple[str, int]:
    """One move on the preview's state in memory: continue, back, open a document, add or
    remove an element of a list, submit (which only says what would happen)."""
    lang = current_language()
    try:
        here = unseal(request.form.get("preview_state", ""))
    except Tampered:
        abort(400)
    persona = personas().get(here.persona)
    if here.workflow != workflow or persona is None:
        abort(400)
    try:
        wf = services().catalog.get(db(), here.workflow, here.version)
    except CatalogError:
        abort(404)
    context = persona.context_for(wf, services().clock.today())
    state = here.state
    name = request.form.get("step") or state.step or ""
    if name not in wf.steps:
        abort(400)
    action = request.form.get("action", "continue")
    form = wf.form_of(name)
    bound = make_form(form, lang, formdata=request.form) if form is not None else None
    try:
        if action == "submit":
            try:
                outcome = engine.submit(wf, state, context)
            except StepInvalid as invalid:
                return _page(wf, here, persona, name, problems=invalid.errors), 422
            status = outcome.state.status
            title = wf.lifecycle.states[status].text(lang) if status in wf.lifecycle.states \
                else status
            return render_template("analyst/preview.html", mode="done", wf=wf,
                                   wf_title=wf.title.text(lang), persona=_who(persona),
                                   status=title, restart=url_for(
                                       "analyst.preview", workflow=wf.id, version=wf.version,
                                       persona=persona.name))
        if action == "back":
            state = engine.back(wf, state, context).state
            return _page(wf, _with(here, state), persona, state.step or name)
        if form is None or bound is None:
            return _page(wf, here, persona, name)
        if action.startswith("open:"):
            document = action.removeprefix("open:")
            if document not in wf.documents:
                abort(400)
            state = engine.open_document(wf, state, document).state
            notice = _("Here the member reads “%(title)s” (it counts as opened).",
                       title=wf.documents[document].title.text(lang))
            return _page(wf, _with(here, state), persona, name, bound=bound, notice=notice)
        if action.startswith(("add:", "remove:")):
            changed = change_list(form, lang, bound, action)
            return _page(wf, here, persona, name, bound=changed.form if changed else bound,
                         focus=changed.focus if changed else None)
        data = read_answers(bound, form.fields, form.schema)
        try:
            state = engine.answer(wf, state, name, data, context).state
        except StepInvalid as invalid:
            return _page(wf, here, persona, name, bound=bound,
                         errors=place_errors(bound, invalid.errors, lang)), 422
    except ActionRefused as refused:
        return _page(wf, here, persona, state.step or name, notice=refused.message.text(lang))
    return _page(wf, _with(here, state), persona, state.step or name)


def _with(here: Preview, state: Any) -> Preview:
    return Preview(here.workflow, here.version, here.persona, state)


def _who(persona: Persona) -> dict[str, str]:
    return {"name": persona.name, "label": persona.label.text(current_language())}


def _page(wf: Workflow, here: Preview, persona: Persona, name: str,
          bound: StepForm | None = None, errors: PlacedErrors | None = None,
          focus: str | None = None, notice: str | None = None,
          problems: list[FieldError] | None = None) -> str:
    """Step ``name`` of the preview as the portal would draw it, its state sealed in the page."""
    lang = current_language()
    state = here.state
    context = persona.context_for(wf, services().clock.today())
    path = engine.path(wf, state.data, context)
    planned = planned_path(wf, state.data, context)
    if name not in planned:
        planned = path
    common: dict[str, Any] = {
        "wf": wf, "wf_title": wf.title.text(lang), "persona": _who(persona),
        "sealed": seal(here), "step_name": name, "title": wf.steps[name].title.text(lang),
        "notice": notice, "state": state,
        "progress": {"position": planned.index(name) + 1 if name in planned else len(planned),
                     "total": len(planned),
                     "steps": [{"name": n, "title": wf.steps[n].title.text(lang),
                                "state": "current" if n == name else
                                ("done" if n in state.data else "todo")} for n in planned]}}
    if wf.steps[name].review:
        listed = []
        for error in problems or ():
            step = error.path.split("/")[1] if error.path.count("/") >= 1 else ""
            listed.append({"message": error.message.text(lang),
                           "step": wf.steps[step].title.text(lang) if step in wf.steps else ""})
        return render_template("analyst/preview.html", mode="review",
                               sections=review(wf, state.data, path, lang, state.labels),
                               problems=listed, **common)
    form = wf.form_of(name)
    if form is not None and bound is None:
        bound = make_form(form, lang, answers=state.data.get(name))
    empty = set_choices(bound, engine.choices(wf, state, name, context), lang) \
        if form is not None and bound is not None else []
    fields = present(bound, form.fields, form.schema, lang, errors or PlacedErrors(), focus) \
        if form is not None and bound is not None else []
    return render_template(
        "analyst/preview.html", mode="step", fields=fields, errors=errors or PlacedErrors(),
        help=form.help.text(lang) if form is not None and form.help else "",
        shows=[(label.text(lang), value)
               for label, value in engine.shown(wf, state, name, context)],
        empty_choices=[present_label(form.fields, f, lang) for f in empty] if form else [],
        documents={doc: wf.documents[doc].title.text(lang) for doc in wf.documents},
        can_go_back=bool(path) and path[0] != name, **common)
