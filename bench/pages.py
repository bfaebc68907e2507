"""The member portal's cost per page, next to the API's for the same answers, in process.

    .venv/bin/python bench/pages.py                  # SQLite file, 60 declarations each way
    .venv/bin/python bench/pages.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Each member fills the whole resource declaration (spouse and children section) once through the
pages (GET each step, POST its fields with the CSRF token, like a browser without JavaScript) and
once through the API (PUT each step as JSON). Prints the median and 95th percentile of each kind
of request, and the ratio page POST / API PUT: what drawing HTML and reading form fields cost on
top of the engine work both share.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import database  # noqa: E402
from payloads import STEPS  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PAGE_FORMS: list[tuple[str, dict[str, str]]] = [
    ("terms", {"accepted": "y"}),
    ("situation", {"code": "none"}),
    ("income_declarant", {"incomes-0-category": "basic_pension", "incomes-0-amount": "18 000",
                          "incomes-0-months": "12", "incomes-1-category": "complementary_pension",
                          "incomes-1-amount": "6250,50", "incomes-1-months": "12",
                          "total_months": "12"}),
    ("income_spouse", {"total_months": "0"}),
    ("observations", {"text": "Retraité depuis 2019"}),
    ("children", {"count": "1", "children-0-first_name": "Léa",
                  "children-0-birth_date": "01/03/2012", "children-0-regime": "csm"}),
]


def token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def timed(samples: dict[str, list[float]], kind: str, call: Any) -> Any:
    start = time.perf_counter()
    result = call()
    samples.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
    return result


def through_pages(app: Any, identifier: str, samples: dict[str, list[float]]) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    r = client.post("/login", data={"csrf_token": token(page), "identifier": identifier,
                                    "password": database.PASSWORD})
    assert r.status_code == 302, r.status_code
    home = client.get("/").get_data(as_text=True)
    r = client.post("/procedures/resource_declaration/start",
                    data={"csrf_token": token(home), "key": identifier})
    sid = r.headers["Location"].rsplit("/", 1)[-1]
    base = f"/submissions/{sid}/steps"
    html = client.get(f"{base}/terms").get_data(as_text=True)
    r = client.post(f"{base}/terms", data={"csrf_token": token(html), "action": "open:cgu"})
    assert r.status_code == 302
    for name, fields in PAGE_FORMS:
        html = timed(samples, "page GET", lambda n=name: client.get(f"{base}/{n}")) \
            .get_data(as_text=True)
        revision = re.search(r'name="revision" value="(\d+)"', html)
        assert revision, name
        data = {"csrf_token": token(html), "revision": revision.group(1), **fields}
        r = timed(samples, "page POST", lambda n=name, d=data: client.post(f"{base}/{n}", data=d))
        assert r.status_code == 302, (name, r.status_code, r.get_data(as_text=True)[:300])
    summary = timed(samples, "review GET", lambda: client.get(f"{base}/summary"))
    html = summary.get_data(as_text=True)
    r = timed(samples, "submit POST", lambda: client.post(
        f"/submissions/{sid}/submit", data={"csrf_token": token(html)}))
    assert r.status_code == 302, r.status_code


def through_api(app: Any, identifier: str, samples: dict[str, list[float]]) -> None:
    client = app.test_client()
    r = client.post("/api/v1/auth/token",
                    json={"identifier": identifier, "password": database.PASSWORD})
    headers = {"Authorization": f"Bearer {r.json['token']}"}
    r = client.post("/api/v1/workflows/resource_declaration/submissions", headers=headers)
    sid = r.json["id"]
    client.post(f"/api/v1/submissions/{sid}/documents/cgu", headers=headers)
    for name, data, expected in STEPS:
        r = timed(samples, "API PUT", lambda n=name, d=data: client.put(
            f"/api/v1/submissions/{sid}/steps/{n}", json={"data": d}, headers=headers))
        assert r.json["step"] == expected, r.json
    r = timed(samples, "API submit", lambda: client.post(
        f"/api/v1/submissions/{sid}/submit", headers=headers))
    assert r.status_code == 200, r.json


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--declarations", type=int, default=60)
    p.add_argument("--pg-url", default=None, help="PostgreSQL (a bench_<random> schema is made)")
    args = p.parse_args(argv)

    from web import create_app
    from web.settings import Settings

    schema = None
    if args.pg_url:
        schema = database.create_schema(args.pg_url)
        url = schema.url
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/pages.sqlite3"
    try:
        app = create_app(Settings(environment="test", database_url=url, secret_key="b" * 40,
                                  definitions_dir=ROOT, frozen_today=date(2026, 11, 23),
                                  password_hash_profile="cheapest"))
        identifiers = database.seed_members(app, 2 * args.declarations + 4)
        samples: dict[str, list[float]] = {}
        for warm in identifiers[:4]:  # first requests: imports, caches
            through_pages(app, warm, {})
        for n in range(args.declarations):
            through_pages(app, identifiers[4 + 2 * n], samples)
            through_api(app, identifiers[5 + 2 * n], samples)
        app.extensions["csm"].engine.dispose()
    finally:
        if schema is not None:
            database.drop_schema(schema)
    backend = "PostgreSQL" if args.pg_url else "SQLite"
    print(f"{args.declarations} declarations through the pages and through the API,"
          f" in process, {backend}")
    print(f"{'request':<12} {'n':>5} {'median ms':>10} {'p95 ms':>8}")
    for kind in ("page GET", "page POST", "review GET", "submit POST", "API PUT", "API submit"):
        values = sorted(samples[kind])
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"{kind:<12} {len(values):>5} {statistics.median(values):>10.2f} {p95:>8.2f}")
    ratio = statistics.median(samples["page POST"]) / statistics.median(samples["API PUT"])
    print(f"page POST / API PUT (medians): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
