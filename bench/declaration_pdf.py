"""The PDF of a large wage declaration (``web.pdf.declaration``), drawn with reportlab.

    .venv/bin/python bench/declaration_pdf.py                 # 5,000 employees, a few seconds
    .venv/bin/python bench/declaration_pdf.py --lines 20000 --runs 5 --out /tmp/declaration.pdf
    .venv/bin/python bench/declaration_pdf.py --help

Builds a declaration of ``--lines`` employees (French names, one in ten with an event: sick
leave, start or end of contract; one in twenty with a birth date, as employees added by the
employer are) and one correction of 20 lines, then renders it ``--runs`` times in French. Prints
the time of the first run (fonts loaded, subsets built) and of the best one, the page count and
size of the PDF, and the peak memory: ``ru_maxrss`` of the process (peak resident set, whole
process, imports included) and the ``tracemalloc`` peak of one run (Python allocations only).
The tracemalloc run is separate: tracing slows rendering down, so it is not timed. Targets:
< 3 s and < 300 MB. No database, no network. Exit code: 0 if both targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import io
import platform
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # after bench/ (sys.path[0]): the project's packages

import pypdf  # noqa: E402

from web.pdf.declaration import (  # noqa: E402
    Correction,
    Declaration,
    DeclarationLine,
    EventLine,
    render_declaration_pdf,
)

TARGET_SECONDS = 3.0
TARGET_MB = 300.0
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
              "Bertrand", "Roux", "Vincent", "Fournier", "Rossi", "Ferrari", "Bianchi", "Ricci",
              "Gastaud", "Médecin", "Notari", "Boisson", "Crovetto", "Pastor", "Lœuillet",
              "De Castelnau-Saint-Exupéry de la Tour d'Auvergne"]
FIRST_NAMES = ["Jean", "Marie", "Pierre", "Amélie", "Noël", "Chloé", "Hélène", "Loïc", "Zoé",
               "François", "Gaëlle", "Jérôme", "Léa", "Matteo", "Giulia", "Anaïs", "Théo",
               "Marie-Thérèse", "Jean-Baptiste", "Cœur"]
EVENTS = [("Arrêt maladie", True, True), ("Accident du travail", True, True),
          ("Début de contrat de travail", True, False), ("Fin du contrat de travail", False, True),
          ("Congé de maternité", True, True)]


def employee(rng: random.Random, number: int) -> DeclarationLine:
    events: tuple[EventLine, ...] = ()
    if rng.random() < 0.10:
        label, has_start, has_end = rng.choice(EVENTS)
        day = rng.randint(1, 20)
        events = (EventLine(label, f"2026-11-{day:02d}" if has_start else None,
                            f"2026-11-{day + rng.randint(1, 9):02d}" if has_end else None),)
    gross = f"{rng.randint(1800, 15000)},{rng.randint(0, 99):02d}"
    hours = rng.choice(["169", "151,67", "120", "86.5", "39"])
    birth = f"19{rng.randint(60, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return DeclarationLine(rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES), f"{number:06d}",
                           birth if rng.random() < 0.05 else None, gross, hours, events)


def declaration(lines: int, seed: int) -> Declaration:
    rng = random.Random(seed)
    employees = tuple(employee(rng, 100000 + i) for i in range(lines))
    correction = Correction("Rectification", "2026-12-02",
                            "Montants bruts corrigés après contrôle « prime de fin d'année »",
                            tuple(employee(rng, 900000 + i) for i in range(20)))
    return Declaration("DS-2026-000012", "2026-11-24T08:15:00+00:00", "SAM Riviera Services",
                       "E-012345", "novembre 2026", "Cabinet Comptable Grimaldi", employees,
                       (correction,))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=5000, help="employees (default 5000)")
    parser.add_argument("--runs", type=int, default=3, help="timed renderings (default 3)")
    parser.add_argument("--lang", choices=["fr", "en"], default="fr")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="write the PDF there")
    args = parser.parse_args(argv)

    subject = declaration(args.lines, args.seed)
    print(f"# Wage declaration PDF: {args.lines} employees, {args.runs} runs, "
          f"Python {platform.python_version()}, {platform.machine()}", file=sys.stderr)
    times, pdf = [], b""
    for _ in range(args.runs):
        start = time.perf_counter()
        pdf = render_declaration_pdf(subject, args.lang)
        times.append(time.perf_counter() - start)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    tracemalloc.start()
    render_declaration_pdf(subject, args.lang)
    traced_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    if args.out:
        args.out.write_bytes(pdf)

    best = min(times)
    ok_time, ok_memory = best < TARGET_SECONDS, rss_mb < TARGET_MB
    print(f"render, first run      {times[0]:8.3f} s")
    print(f"render, best of {len(times):<2}     {best:8.3f} s   target < {TARGET_SECONDS:.0f} s "
          f"{'ok' if ok_time else 'FAIL'}")
    print(f"pages                  {pages:8d}")
    print(f"PDF size               {len(pdf) / 1024:8.0f} kB")
    print(f"peak RSS (ru_maxrss)   {rss_mb:8.1f} MB  target < {TARGET_MB:.0f} MB "
          f"{'ok' if ok_memory else 'FAIL'}")
    print(f"tracemalloc peak       {traced_mb:8.1f} MB  (one run, Python allocations)")
    return 0 if ok_time and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
