"""Payslips computed from gross amounts (ref 004, "Bulletins de salaire"): the rates, the PDF.

The calculation is the pure rule :func:`rules.payslip.compute_payslip`; this module only

* loads the contribution rates from ``catalogues/contribution_rates.yaml`` under the definitions
  folder, checked exactly as ``python -m engine check`` checks a catalogue (the engine's YAML
  reader, the catalogue meta-schema, the entries against the catalogue's schema), plus the
  periods of validity (:func:`rules.payslip.check_rates`); and
* renders a computed payslip as a tagged A4 PDF with WeasyPrint, imported lazily, with no URL
  ever fetched (same machinery as :mod:`web.pdf.receipt`).

No Flask, no database: a page calls :func:`load_rates` (once, at start, or per request: it is a
small file), :func:`rules.payslip.compute_payslip`, then :func:`render_payslip_pdf`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.compiler import check_catalogues
from engine.errors import YamlError
from engine.metaschema import meta_errors
from engine.yamlio import load_yaml_file
from rules.payslip import Payslip, check_rates
from rules.periods import period_label
from web.pdf.receipt import FUND_NAME, LANGUAGES, TEMPLATES, html_to_pdf

__all__ = [
    "RATES_CATALOGUE",
    "RATES_FILE",
    "PayslipDocument",
    "RatesError",
    "format_amount",
    "format_number",
    "format_rate",
    "load_rates",
    "render_payslip_html",
    "render_payslip_pdf",
]

RATES_CATALOGUE = "contribution_rates"
RATES_FILE = Path("catalogues") / f"{RATES_CATALOGUE}.yaml"

_NBSP = "\u202f"  # narrow no-break space: French thousands separator and before "€" / "%"

_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Bulletin de salaire",
        "period": "Période",
        "employer": "Employeur",
        "employer_number": "N° d’employeur",
        "employee": "Salarié",
        "registration": "Matricule",
        "issued": "Établi le",
        "pay": "Éléments de rémunération",
        "element": "Élément",
        "quantity": "Nombre",
        "rate": "Taux",
        "amount": "Montant",
        "basic": "Salaire de base (heures payées, congés payés et préavis compris)",
        "gross": "Salaire brut",
        "contributions": "Cotisations",
        "line": "Cotisation",
        "base": "Base",
        "employee_rate": "Taux salarial",
        "employee_amount": "Part salariale",
        "employer_rate": "Taux patronal",
        "employer_amount": "Part patronale",
        "total": "Total des cotisations",
        "employee_total": "Cotisations salariales",
        "net": "Net à payer",
        "cost": "Coût total employeur",
        "ceiling": "plafond",
        "tranche": "de {floor} à {ceiling}",
        "note": "Bulletin calculé à partir des montants bruts déclarés, avec les taux en vigueur "
                "le premier jour de la période. Conservez-le sans limitation de durée.",
    },
    "en": {
        "title": "Payslip",
        "period": "Period",
        "employer": "Employer",
        "employer_number": "Employer number",
        "employee": "Employee",
        "registration": "Registration number",
        "issued": "Issued on",
        "pay": "Pay",
        "element": "Item",
        "quantity": "Quantity",
        "rate": "Rate",
        "amount": "Amount",
        "basic": "Basic pay (hours paid, paid leave and notice included)",
        "gross": "Gross pay",
        "contributions": "Contributions",
        "line": "Contribution",
        "base": "Base",
        "employee_rate": "Employee rate",
        "employee_amount": "Employee share",
        "employer_rate": "Employer rate",
        "employer_amount": "Employer share",
        "total": "Total contributions",
        "employee_total": "Employee contributions",
        "net": "Net pay",
        "cost": "Total employer cost",
        "ceiling": "ceiling",
        "tranche": "from {floor} to {ceiling}",
        "note": "Payslip computed from the declared gross amounts, with the rates in force on "
                "the first day of the period. Keep it with no time limit.",
    },
}


class RatesError(RuntimeError):
    """The contribution-rates catalogue cannot be used as it is."""


def load_rates(root: str | Path) -> tuple[Mapping[str, Any], ...]:
    """The entries of ``catalogues/contribution_rates.yaml`` under the definitions folder
    ``root`` (the app's ``definitions_dir``), checked like ``python -m engine check`` checks
    any catalogue, then for overlapping periods of validity. RatesError listing every problem
    otherwise (the service must not compute payslips with a broken table)."""
    path = Path(root) / RATES_FILE
    try:
        loaded = load_yaml_file(path)
    except YamlError as error:
        raise RatesError(f"{path}: {error.message.en}") from error
    except OSError as error:
        raise RatesError(f"{path}: {error.strerror}") from error
    data = loaded.data
    problems = [f"{pointer or '/'}: {message.en}"
                for pointer, _code, message in meta_errors("catalogue", data)]
    if not problems:
        if data["catalogue"] != RATES_CATALOGUE:
            problems.append(f"/catalogue: expected {RATES_CATALOGUE!r}, not "
                            f"{data['catalogue']!r}")
        problems += [f"{issue.pointer}: {issue.message.en}"
                     for issue in check_catalogues({RATES_CATALOGUE: data})]
    if not problems:
        problems += check_rates(data["entries"])
    if problems:
        raise RatesError(f"{path}:\n" + "\n".join(f"  {p}" for p in problems))
    return tuple(data["entries"])


@dataclass(frozen=True)
class PayslipDocument:
    """What the PDF shows: who, and the computed payslip."""

    lang: str  # "fr" or "en"
    employer_name: str
    employer_number: str  # the fund's number of the employer (client)
    employee_name: str
    registration: str  # the employee's registration number (matricule)
    payslip: Payslip
    issued_on: date

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"unsupported payslip language {self.lang!r}; "
                             f"expected one of {LANGUAGES}")


def format_number(value: Decimal, lang: str, places: int | None = None) -> str:
    """``1 234,5`` (fr, narrow no-break spaces) or ``1,234.5`` (en); ``places`` fixes the
    decimals, else the value's own (trailing zeros dropped, at least none)."""
    if places is None:
        text = f"{value.normalize():,f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{value:,.{places}f}"
    if lang == "fr":
        return text.replace(",", _NBSP).replace(".", ",")
    return text


def _places(value: Decimal) -> int:
    """The decimals ``value`` needs, at least two (an hourly rate of 12.3456)."""
    exponent = value.normalize().as_tuple().exponent
    return max(2, -exponent if isinstance(exponent, int) else 2)


def format_amount(value: Decimal, lang: str, places: int = 2) -> str:
    """``2 375,05 €`` (fr) or ``€2,375.05`` (en); a negative amount keeps its sign first."""
    text = format_number(abs(value), lang, places)
    sign = "-" if value < 0 else ""
    return f"{sign}{text}{_NBSP}€" if lang == "fr" else f"{sign}€{text}"


def format_rate(percent: Decimal, lang: str) -> str:
    """``6,85 %`` (fr) or ``6.85%`` (en), at least two decimals."""
    text = format_number(percent, lang, _places(percent))
    return f"{text}{_NBSP}%" if lang == "fr" else f"{text}%"


def _date_text(day: date, lang: str) -> str:
    if lang == "fr":
        return f"{day:%d/%m/%Y}"
    return f"{day.day} {period_label(f'{day:%Y-%m}')[1]}"


def render_payslip_html(document: PayslipDocument) -> str:
    """The payslip as a self-contained HTML document (no external resource)."""
    lang, slip = document.lang, document.payslip
    texts = _TEXTS[lang]
    fr, en = period_label(slip.period)

    def base_note(floor: Decimal, ceiling: Decimal | None) -> str:
        if ceiling is None:
            return ""
        if floor:
            return texts["tranche"].format(floor=format_amount(floor, lang),
                                           ceiling=format_amount(ceiling, lang))
        return f"{texts['ceiling']} {format_amount(ceiling, lang)}"

    lines = [{
        "title": line.fr if lang == "fr" else line.en,
        "note": base_note(line.floor, line.ceiling),
        "base": format_amount(line.base, lang),
        "employee_rate": format_rate(line.employee_rate, lang),
        "employee": format_amount(line.employee, lang),
        "employer_rate": format_rate(line.employer_rate, lang),
        "employer": format_amount(line.employer, lang),
    } for line in slip.lines]
    return TEMPLATES.get_template("payslip.html.j2").render(
        t=texts, doc=document, fund_name=FUND_NAME, lang=lang,
        period=fr if lang == "fr" else en,
        issued=_date_text(document.issued_on, lang),
        hours=format_number(slip.hours, lang),
        hourly_rate=format_amount(slip.hourly_rate, lang, _places(slip.hourly_rate)),
        basic=format_amount(slip.basic, lang),
        extras=[(e.label, format_amount(e.amount, lang)) for e in slip.extras],
        gross=format_amount(slip.gross, lang),
        lines=lines,
        employee_total=format_amount(slip.employee_total, lang),
        employer_total=format_amount(slip.employer_total, lang),
        net=format_amount(slip.net, lang),
        cost=format_amount(slip.employer_cost, lang),
    )


def render_payslip_pdf(document: PayslipDocument) -> bytes:
    """The payslip as a tagged (PDF/UA-1) A4 PDF; nothing is fetched."""
    return html_to_pdf(render_payslip_html(document))
