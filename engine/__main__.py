"""``python -m engine check``: check every definition, print "ok" or every problem at once.
``python -m engine scenarios``: run every scenario file (``engine.scenarios``), print each failure
with its file and line, then the branches no scenario covers (``engine.coverage``).
``python -m engine diagram WORKFLOW``: print the workflow as Mermaid diagrams (``engine.diagrams``).

Exit codes: 0 all definitions are good, warnings aside (all scenarios pass, the diagram is
printed), 1 errors were found (a scenario failed, with ``--require-coverage`` a branch is not
covered, the workflow or version is unknown), 2 the checker itself failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from engine.coverage import Coverage, measured
from engine.coverage import report as coverage_report
from engine.diagrams import filling_diagram, lifecycle_diagram
from engine.loading import load_definitions
from engine.scenarios import ScenarioCrash, find_scenarios, run_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check workflows, forms and contexts")
    check.add_argument("root", nargs="?", default=".", help="folder holding workflows/ and forms/")
    check.add_argument("--lang", choices=("fr", "en"), default="fr")
    check.add_argument("--format", choices=("text", "json"), default="text")
    scenarios = sub.add_parser("scenarios", help="run the scenario files of workflows/tests/")
    scenarios.add_argument("root", nargs="?", default=".", help="folder holding workflows/")
    scenarios.add_argument("--lang", choices=("fr", "en"), default="fr")
    scenarios.add_argument("-v", "--verbose", action="store_true", help="print each time in ms")
    scenarios.add_argument("--require-coverage", action="store_true",
                           help="exit 1 when a branch is covered by no scenario")
    diagram = sub.add_parser("diagram", help="print a workflow as Mermaid diagrams")
    diagram.add_argument("workflow", help="the workflow's name, e.g. resource_declaration")
    diagram.add_argument("root", nargs="?", default=".", help="folder holding workflows/")
    diagram.add_argument("--version", type=int, help="default: the highest version")
    diagram.add_argument("--lang", choices=("fr", "en"), default="fr")
    diagram.add_argument("--part", choices=("all", "filling", "lifecycle"), default="all",
                         help="all: Markdown with both diagrams; otherwise one bare diagram")
    reference = sub.add_parser("reference", help="print docs/rules.md; --write: it, docs/schemas")
    reference.add_argument("root", nargs="?", default=".", help="folder with contexts/, docs/")
    reference.add_argument("--write", action="store_true", help="write the stale generated files")
    reference.add_argument("--check", action="store_true", help="exit 1 when one is out of date")
    compare = sub.add_parser("diff", help="what changes for members between two versions")
    compare.add_argument("workflow", help="the workflow's name, e.g. resource_declaration")
    compare.add_argument("root", nargs="?", default=".", help="folder holding workflows/")
    compare.add_argument("--from", dest="old", type=int, required=True, help="older version")
    compare.add_argument("--to", dest="new", type=int, required=True, help="newer version")
    compare.add_argument("--lang", choices=("fr", "en"), default="fr")
    compare.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    if args.command == "diff":
        from engine.diff import run_diff

        return run_diff(Path(args.root), args.workflow, args.old, args.new, args.lang,
                        args.format)
    if args.command == "reference":
        from engine.reference import run as run_reference
        return run_reference(Path(args.root), write=args.write, check=args.check)
    if args.command == "scenarios":
        return run_scenarios(Path(args.root), args.lang, verbose=args.verbose,
                             require_coverage=args.require_coverage)
    if args.command == "diagram":
        return print_diagram(Path(args.root), args.workflow, args.version, args.lang, args.part)
    try:
        result = load_definitions(Path(args.root))
    except Exception as error:  # noqa: BLE001 - a crash of the checker is exit 2, not 1
        print(f"internal error while checking: {error!r}", file=sys.stderr)
        return 2
    report = result.report
    print(report.as_json(args.lang) if args.format == "json" else report.as_text(args.lang))
    return 0 if report.ok else 1


def run_scenarios(root: Path, lang: str, *, verbose: bool = False,
                  require_coverage: bool = False) -> int:
    began = time.perf_counter()
    try:
        definitions = load_definitions(root)
        files = find_scenarios(root)
        seen = Coverage()
        results = [run_scenario(file, definitions, seen) for file in files]
        measuring = measured(definitions.current(), definitions.workflows, seen)
        branches = coverage_report(root, measuring, seen)
    except ScenarioCrash as crash:
        print(f"internal error in scenario {crash}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - a crash of the runner is exit 2, not 1
        print(f"internal error while running scenarios: {error!r}", file=sys.stderr)
        return 2
    ok = definitions.report.ok
    if not ok:
        print(definitions.report.as_text(lang))
    for result in results:
        if verbose:
            print(f"{result.file}: {'ok' if result.ok else 'FAILED'} ({result.ms:.1f} ms)")
        for failure in result.failures:
            print(failure.text(lang))
    for branch in branches.uncovered if results else ():
        print(branch.text(lang))
    if not results:
        print(f"no scenario file under {root / 'workflows' / 'tests'}")
    failed = sum(not r.ok for r in results)
    total = (time.perf_counter() - began) * 1000
    if lang == "en":
        print(f"{len(results) - failed} of {len(results)} scenarios passed ({total:.0f} ms)")
    else:
        print(f"{len(results) - failed} scénarios sur {len(results)} réussis ({total:.0f} ms)")
    if results:
        print(branches.summary(lang))
    if require_coverage and branches.uncovered:
        return 1
    return 0 if ok and not failed and results else 1


def print_diagram(root: Path, name: str, version: int | None, lang: str, part: str) -> int:
    try:
        definitions = load_definitions(root)
        versions = sorted(v for (wid, v) in definitions.workflows if wid == name)
        if not versions or (version is not None and version not in versions):
            known = ", ".join(f"{wid} v{v}" for wid, v in sorted(definitions.workflows)) or "-"
            wanted = name if version is None else f"{name} v{version}"
            if lang == "en":
                print(f"unknown workflow: {wanted} (known: {known}; a workflow with problems is "
                      "not compiled, see python -m engine check)", file=sys.stderr)
            else:
                print(f"démarche inconnue : {wanted} (connues : {known} ; une démarche qui a des "
                      "problèmes n'est pas compilée, voir python -m engine check)", file=sys.stderr)
            return 1
        wf = definitions.workflows[(name, versions[-1] if version is None else version)]
        filling, lifecycle = filling_diagram(wf, lang), lifecycle_diagram(wf, lang)
    except Exception as error:  # noqa: BLE001 - a crash of the generator is exit 2, not 1
        print(f"internal error while drawing {name}: {error!r}", file=sys.stderr)
        return 2
    if part == "filling":
        print(filling, end="")
    elif part == "lifecycle":
        print(lifecycle, end="")
    else:
        heads = ("Steps", "Lifecycle") if lang == "en" else ("Étapes", "Cycle de vie")
        print(f"# {wf.title.text(lang)} ({wf.id} v{wf.version})\n\n## {heads[0]}\n\n"
              f"```mermaid\n{filling}```\n\n## {heads[1]}\n\n```mermaid\n{lifecycle}```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
