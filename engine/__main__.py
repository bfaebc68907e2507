"""``python -m engine check``: check every definition, print "ok" or every problem at once.

Exit codes: 0 all definitions are good, 1 problems were found, 2 the checker itself failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.loading import load_definitions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check workflows, forms and contexts")
    check.add_argument("root", nargs="?", default=".", help="folder holding workflows/ and forms/")
    check.add_argument("--lang", choices=("fr", "en"), default="fr")
    check.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        result = load_definitions(Path(args.root))
    except Exception as error:  # noqa: BLE001 - a crash of the checker is exit 2, not 1
        print(f"internal error while checking: {error!r}", file=sys.stderr)
        return 2
    report = result.report
    print(report.as_json(args.lang) if args.format == "json" else report.as_text(args.lang))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
