"""The declaration the benchmark replays: the same answers as the integration test
(tests/integration/test_api_declaration.py, spouse and children section)."""

from __future__ import annotations

from datetime import date
from typing import Any

TODAY = date(2026, 11, 23)

INCOME = {"incomes": [{"category": "basic_pension", "amount": "18000", "months": 12},
                      {"category": "complementary_pension", "amount": "6250,50", "months": 12}],
          "total_months": 12}
NO_INCOME = {"incomes": [], "total_months": 0}
CHILDREN = {"count": 1, "children": [{"first_name": "Léa", "birth_date": "2012-03-01",
                                      "regime": "csm"}]}

# (step, answers, step expected next)
STEPS: list[tuple[str, dict[str, Any], str]] = [
    ("terms", {"accepted": True}, "situation"),
    ("situation", {"code": "none"}, "income_declarant"),
    ("income_declarant", INCOME, "income_spouse"),
    ("income_spouse", NO_INCOME, "observations"),
    ("observations", {"text": "Retraité depuis 2019"}, "children"),
    ("children", CHILDREN, "summary"),
]
STEP_NAMES = [name for name, _data, _next in STEPS]

# What web/contexts.py computes for a seeded member (open campaign RD-OPEN, recipient with the
# children section, a spouse): the engine-only bench uses it without a database.
CONTEXT_VALUES: dict[str, Any] = {
    "campaign": {"year": 2025, "open": True, "recipient": True, "children_section": True,
                 "reference_date": "2026-01-01", "opens_on": "2026-11-01",
                 "closes_on": "2027-02-28"},
    "household": {"has_spouse": True, "declarant_name": "Alain Dupont1",
                  "spouse_name": "Claire Dupont1", "children": 0},
}
