"""A large demo workforce, generated rather than written out: ``flask --app web demo employees N
--employer ID`` (and ``flask --app web demo``, for the Hôtel Bellevue Larvotto) import it through
the registry import, so it is checked and upserted like any file. The same arguments always give
the same employees: importing again changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

LAST_NAMES = ("Agnelli", "Bernard", "Bianchi", "Blanc", "Boisson", "Campora", "Castellini",
              "Costa", "Dubois", "Ferrari", "Fontana", "Garnier", "Giordano", "Lefèvre",
              "Lorenzi", "Marchetti", "Martini", "Mercier", "Notari", "Orecchia", "Pallanca",
              "Peyron", "Ricci", "Roux", "Sangiorgio", "Sosso", "Testa", "Vatrican", "Viale",
              "Zanetti")
FIRST_NAMES = ("Adèle", "Alessandro", "Amélie", "Bruno", "Camille", "Carla", "Damien", "Elena",
               "Fabien", "Giulia", "Hugo", "Isabelle", "Jean", "Laura", "Louis", "Lucia",
               "Mathieu", "Nadia", "Nicolas", "Océane", "Pierre", "Sara", "Théo", "Valentina",
               "Yann")
FIRST_REGISTRATION = 600000
"""Generated registration numbers start here (6 digits: 199,999 employees at most)."""
MAX_EMPLOYEES = 999_999 - FIRST_REGISTRATION


def workforce(employer_id: str, count: int, today: date) -> dict[str, Any]:
    """``count`` employees of ``employer_id`` and their spells, as registry import sections.

    Most have worked there for years; every 40th started on the 16th of ``today``'s month (in
    its workforce: started mid-month), every 50th left at the end of the month three months
    before ``today`` (out of it).
    """
    if not 0 < count <= MAX_EMPLOYEES:
        raise ValueError(f"between 1 and {MAX_EMPLOYEES} employees")
    month = today.replace(day=1)
    left = (month - timedelta(days=1)).replace(day=1)
    left = (left - timedelta(days=1)).replace(day=1) - timedelta(days=1)  # 3 months back
    employees, employments = [], []
    for i in range(count):
        employee_id = f"{employer_id}-{i + 1:05d}"
        employees.append({
            "id": employee_id, "registration": f"{FIRST_REGISTRATION + i:06d}",
            "last_name": LAST_NAMES[i % len(LAST_NAMES)],
            "first_name": FIRST_NAMES[(i // len(LAST_NAMES)) % len(FIRST_NAMES)],
            "birth_date": (date(1960, 1, 1) + timedelta(days=(i * 37) % 15000)).isoformat()})
        spell: dict[str, Any] = {"employer": employer_id, "employee": employee_id,
                                 "start": (date(2005, 1, 3) + timedelta(days=(i * 13) % 7000))
                                 .isoformat()}
        if i % 40 == 39:
            spell["start"] = month.replace(day=16).isoformat()
        elif i % 50 == 49:
            spell["end"] = left.isoformat()
        employments.append(spell)
    return {"employees": employees, "employments": employments}
