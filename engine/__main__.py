"""``python -m engine check``: check every definition, print "ok" or every problem at once.
``python -m engine scenarios``: run every scenario file (``engine.scenarios``), print each failure
with its file and line.

Exit codes: 0 all definitions are good (all scenarios pass), 1 problems were found (a scenario
failed), 2 the checker itself failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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
    args = parser.parse_args(argv)
    if args.command == "scenarios":
        return run_scenarios(Path(args.root), args.lang, verbose=args.verbose)
    try:
        result = load_definitions(Path(args.root))
    except Exception as error:  # noqa: BLE001 - a crash of the checker is exit 2, not 1
        print(f"internal error while checking: {error!r}", file=sys.stderr)
        return 2
    report = result.report
    print(report.as_json(args.lang) if args.format == "json" else report.as_text(args.lang))
    return 0 if report.ok else 1


def run_scenarios(root: Path, lang: str, *, verbose: bool = False) -> int:
    began = time.perf_counter()
    try:
        definitions = load_definitions(root)
        files = find_scenarios(root)
        results = [run_scenario(file, definitions) for file in files]
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
    if not results:
        print(f"no scenario file under {root / 'workflows' / 'tests'}")
    failed = sum(not r.ok for r in results)
    total = (time.perf_counter() - began) * 1000
    if lang == "en":
        print(f"{len(results) - failed} of {len(results)} scenarios passed ({total:.0f} ms)")
    else:
        print(f"{len(results) - failed} scénarios sur {len(results)} réussis ({total:.0f} ms)")
    return 0 if ok and not failed and results else 1


if __name__ == "__main__":
    sys.exit(main())
