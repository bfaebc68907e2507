"""Read a definitions tree from disk: every problem at once, each with file and line.

Layout under the root: ``workflows/*.yaml`` (current versions), ``workflows/archive/*.yaml``
(older versions still used by submissions), ``forms/*.yaml``, ``contexts/*.yaml`` and
``catalogues/*.yaml``, and the optional ``roles.yaml`` (the staff roles: without it, the roles of
transitions are not checked). Each file is
read safely (``engine.yamlio``), checked against its language's meta-schema, then every workflow is
compiled with the forms, contexts and catalogues it uses (``engine.compiler``). A workflow that
compiles is then looked at for warnings (``engine.conditionchecks``), and forms no workflow uses
are reported (``unused_form``, a warning).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.bundle import Bundle
from engine.compiler import Issue, check_catalogues, check_forms, compile_bundle, condition_env
from engine.conditionchecks import condition_warnings
from engine.definitions import Workflow
from engine.errors import Message, YamlError
from engine.metaschema import meta_errors
from engine.report import Problem, Report
from engine.yamlio import Loaded, load_yaml_file

_FOLDERS = (("form", "forms"), ("context", "contexts"), ("catalogue", "catalogues"),
            ("workflow", "workflows"), ("workflow", "workflows/archive"))
ROLES_FILE = "roles.yaml"
_NAME_KEY = {"form": "form", "context": "context", "catalogue": "catalogue",
             "workflow": "workflow"}


@dataclass
class LoadResult:
    """What a definitions tree gave: compiled workflows, their bundles, and the report."""

    workflows: dict[tuple[str, int], Workflow] = field(default_factory=dict)
    bundles: dict[tuple[str, int], Bundle] = field(default_factory=dict)
    report: Report = field(default_factory=Report)

    def current(self) -> dict[str, Workflow]:
        """The highest version of each workflow."""
        best: dict[str, Workflow] = {}
        for (wid, _version), wf in sorted(self.workflows.items()):
            best[wid] = wf
        return best


@dataclass
class _Files:
    by_kind: dict[str, dict[Any, Loaded]] = field(
        default_factory=lambda: {"form": {}, "context": {}, "catalogue": {}, "workflow": {}})
    roles: Loaded | None = None  # roles.yaml, when there is one and it is correct
    unread_workflow: bool = False  # a workflow file failed to read: unused forms are not told


def load_definitions(root: str | Path, rule_names: frozenset[str] | None = None,
                     choice_names: frozenset[str] | None = None) -> LoadResult:
    """``rule_names`` and ``choice_names`` default to what ``rules`` registers."""
    if rule_names is None:
        from rules import rule_names as registered

        rule_names = registered()
    root = Path(root)
    result = LoadResult()
    if not (root / "workflows").is_dir():
        result.report.add(Problem(str(root), "no_definitions", Message(
            f"Aucun dossier « workflows » dans {root} : ce n'est pas un dossier de définitions.",
            f"No “workflows” folder in {root}: this is not a definitions folder.")))
        return result
    files = _read_all(root, result.report)
    forms = {name: dict(f.data) for name, f in files.by_kind["form"].items()}
    contexts = {name: dict(f.data) for name, f in files.by_kind["context"].items()}
    catalogues = {name: dict(f.data) for name, f in files.by_kind["catalogue"].items()}
    result.report.extend(_locate(i, files, root) for i in check_forms(forms))
    result.report.extend(_locate(i, files, root) for i in check_catalogues(catalogues))
    result.report.extend(_check_archive(files, root))
    for key, loaded in files.by_kind["workflow"].items():
        wf = loaded.data
        used_forms = {name: forms[name] for name in forms_named(wf) if name in forms}
        used_contexts = {n: contexts[n] for n in wf.get("context", []) if n in contexts}
        used_catalogues = {n: catalogues[n] for n in wf.get("catalogues", []) if n in catalogues}
        bundle = Bundle(workflow=wf, forms=used_forms, contexts=used_contexts,
                        catalogues=used_catalogues)
        compiled, issues = compile_bundle(bundle, rule_names, check_own_forms=False, known={
            "forms": frozenset(forms), "contexts": frozenset(contexts),
            "catalogues": frozenset(catalogues)}, choice_names=choice_names)
        result.report.extend(_locate(i, files, root, key) for i in issues)
        result.report.extend(_unknown_roles(loaded, files.roles, root))
        if compiled is not None and not _broken_forms(result.report, used_forms, files, root) \
                and not _broken(result.report, "catalogue", used_catalogues, files, root):
            result.workflows[key] = compiled
            result.bundles[key] = bundle
            result.report.extend(
                replace(_locate(Issue("workflow", key[0], pointer, code, message), files, root,
                                key), severity="warning")
                for pointer, code, message in condition_warnings(bundle, condition_env(bundle)))
    result.report.extend(_unused_forms(files, root))
    return result


def forms_named(wf: Mapping[str, Any]) -> list[str]:
    """The forms a workflow uses: its steps', then its staff transitions' (``form:``)."""
    names = [s["form"] for s in wf["steps"].values() if isinstance(s.get("form"), str)]
    names += [t["form"] for t in wf["lifecycle"]["transitions"] if isinstance(t.get("form"), str)]
    return list(dict.fromkeys(names))


def _unknown_roles(workflow: Loaded, roles: Loaded | None, root: Path) -> Iterator[Problem]:
    """Each transition's ``role`` is declared in roles.yaml (not checked without the file)."""
    if roles is None:
        return
    known = sorted(roles.data["roles"])
    for i, transition in enumerate(workflow.data["lifecycle"]["transitions"]):
        role = transition["role"]
        if role in known:
            continue
        close = difflib.get_close_matches(role, known, n=1)
        listed = ", ".join(known)
        pointer = f"/lifecycle/transitions/{i}/role"
        line, column = workflow.position(pointer) or (None, None)
        yield Problem(_rel(workflow.source, root), "unknown_role", Message(
            f"Le rôle « {role} » n'est pas déclaré dans {ROLES_FILE}."
            + (f" Vouliez-vous dire « {close[0]} » ?" if close else "") + f" Connus : {listed}.",
            f"Role “{role}” is not declared in {ROLES_FILE}."
            + (f" Did you mean “{close[0]}”?" if close else "") + f" Known: {listed}."),
            pointer, line, column)


def _unused_forms(files: _Files, root: Path) -> Iterator[Problem]:
    """A form no workflow (current or archived) uses: a leftover, or a step that forgot it."""
    if files.unread_workflow:
        return
    used = {name for loaded in files.by_kind["workflow"].values()
            for name in forms_named(loaded.data)}
    for name, loaded in sorted(files.by_kind["form"].items()):
        if name not in used:
            line, column = loaded.position("/form") or (None, None)
            yield Problem(_rel(loaded.source, root), "unused_form", Message(
                f"Aucune démarche (en cours ou archivée) n'utilise le formulaire « {name} » :"
                " supprimez-le, ou donnez-le à une étape (« form: " + name + " »).",
                f"No workflow (current or archived) uses form “{name}”: delete it, or give it to"
                " a step (“form: " + name + "”)."), "/form", line, column, "warning")


def _check_archive(files: _Files, root: Path) -> list[Problem]:
    """The file in workflows/ is the current version: archived ones must be older."""
    current = {key[0]: key[1] for key, f in files.by_kind["workflow"].items()
               if Path(f.source).parent.name != "archive"}
    found = []
    for (wid, version), loaded in files.by_kind["workflow"].items():
        if Path(loaded.source).parent.name == "archive" and version >= current.get(wid, 0) \
                and wid in current:
            line, column = loaded.position("/version") or (None, None)
            found.append(Problem(_rel(loaded.source, root), "archive_not_older", Message(
                f"La version archivée {version} de « {wid} » doit être plus ancienne que la"
                f" version en cours ({current[wid]}) de workflows/.",
                f"Archived version {version} of “{wid}” must be older than the current version"
                f" ({current[wid]}) in workflows/."), "/version", line, column))
    return found


def _broken_forms(report: Report, used: Mapping[str, Any], files: _Files, root: Path) -> bool:
    return _broken(report, "form", used, files, root)


def _broken(report: Report, kind: str, used: Mapping[str, Any], files: _Files,
            root: Path) -> bool:
    paths = {_rel(files.by_kind[kind][name].source, root) for name in used}
    return any(p.file in paths for p in report.errors)


def _read_one(path: Path, kind: str, root: Path, report: Report) -> Loaded | None:
    """The file read and checked against its meta-schema, or None with its problems reported."""
    rel = _rel(str(path), root)
    try:
        loaded = load_yaml_file(path)
    except YamlError as error:
        report.add(Problem(rel, error.code, error.message, "", error.line, error.column))
        return None
    except OSError as error:
        report.add(Problem(rel, "unreadable_file", Message(
            f"Le fichier ne peut pas être lu : {error.strerror}.",
            f"The file cannot be read: {error.strerror}.")))
        return None
    problems = [Problem(rel, code, message, pointer, *(loaded.position(pointer) or
                                                        (None, None)))
                for pointer, code, message in meta_errors(kind, loaded.data)]
    report.extend(problems)
    return None if problems else loaded


def _read_all(root: Path, report: Report) -> _Files:
    files = _Files()
    if (root / ROLES_FILE).is_file():
        files.roles = _read_one(root / ROLES_FILE, "roles", root, report)
    for kind, folder in _FOLDERS:
        for path in sorted((root / folder).glob("*.yaml")):
            rel = _rel(str(path), root)
            loaded = _read_one(path, kind, root, report)
            if loaded is None:
                files.unread_workflow |= kind == "workflow"
                continue
            data = loaded.data
            key: Any = data[_NAME_KEY[kind]]
            if kind == "workflow":
                key = (data["workflow"], int(data["version"]))
            if key in files.by_kind[kind]:
                first = _rel(files.by_kind[kind][key].source, root)
                shown = f"{key[0]} version {key[1]}" if kind == "workflow" else str(key)
                pointer = "/version" if kind == "workflow" else f"/{_NAME_KEY[kind]}"
                line, column = loaded.position(pointer) or (None, None)
                report.add(Problem(rel, f"duplicate_{kind}", Message(
                    f"« {shown} » est déjà défini dans {first}.",
                    f"“{shown}” is already defined in {first}."), pointer, line, column))
                continue
            files.by_kind[kind][key] = loaded
    return files


def _rel(source: str, root: Path) -> str:
    try:
        return str(Path(source).resolve().relative_to(root.resolve()))
    except ValueError:
        return source


def _locate(issue: Issue, files: _Files, root: Path,
            workflow_key: tuple[str, int] | None = None) -> Problem:
    key: Any = workflow_key if issue.kind == "workflow" else issue.name
    loaded = files.by_kind[issue.kind].get(key)
    if loaded is None:
        return Problem(issue.name, issue.code, issue.message, issue.pointer)
    line, column = loaded.position(issue.pointer) or (None, None)
    return Problem(_rel(loaded.source, root), issue.code, issue.message, issue.pointer, line,
                   column)
