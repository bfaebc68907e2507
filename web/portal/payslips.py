"""Payslips computed from gross amounts, in the employer portal (ref 004, "Bulletins de
salaire"; docs/payslip.md), the manual's three screens for the client chosen in the session:

1. ``GET /client/payslips?period=``: the client's workforce for the month (the current one by
   default, keyset pages as the workforce page), each registration number a link;
2. ``GET /client/payslips/<employee>?period=``: the form (gross hourly rate, hours worked in the
   period including paid leave and notice, up to :data:`MAX_EXTRAS` other elements of pay shown
   one more at a time by "Show more elements", no JavaScript); ``POST`` the same address to
   calculate (errors next to their fields), show one more element, or come back from the result
   with the values kept ("Modify");
3. the result (every contribution line, totals, net pay, employer cost), with "Modify" and
   "Download": ``POST /client/payslips/<employee>/payslip.pdf`` with the same inputs.

Nothing is stored: the inputs travel in the posted forms (never in URLs, so no salary in a log
or the browser history), and each answer computes again with :func:`rules.payslip.compute_payslip`.
An employee outside the client's workforce for the month is 404. The rates are read once per
definitions folder (:func:`rates`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from rules.payslip import Extra, Payslip, compute_payslip
from web import employers
from web.audience import audience
from web.current import db, services
from web.db.models import Employee, Employer
from web.errors import NOT_FOUND, ApiProblem
from web.i18n import current_language
from web.payslips import (
    PayslipDocument,
    format_amount,
    format_number,
    format_rate,
    load_rates,
    render_payslip_pdf,
)
from web.portal import bp
from web.portal.employer import (
    choose_client_first,
    chosen_period,
    selected_client,
    workforce_page,
)
from web.portal.signin import employer_required

MAX_EXTRAS = 5
"""Other elements of pay a payslip may have (label + amount)."""
MAX_LABEL = 60
MAX_HOURS = Decimal(744)  # 31 days of 24 hours
MAX_RATE = Decimal(10000)
MAX_AMOUNT = Decimal(1000000)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")

_RATES: dict[Path, tuple[Mapping[str, Any], ...]] = {}
_RATES_LOCK = threading.Lock()


def rates() -> tuple[Mapping[str, Any], ...]:
    """The contribution rates of this app's definitions folder, read and checked once
    (:func:`web.payslips.load_rates`), then kept for the life of the process."""
    root = Path(services().settings.definitions_dir).resolve()
    found = _RATES.get(root)
    if found is None:
        with _RATES_LOCK:
            found = _RATES.get(root)
            if found is None:
                found = _RATES[root] = load_rates(root)
    return found


def parse_decimal(text: str) -> Decimal | None:
    """``12,50``, ``12.50``, ``1 234,5`` (spaces as thousands separators) → a Decimal; ``None``
    when it is not such a number."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern lets only numbers through
        return None


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@dataclass
class PayslipForm:
    """What the employer typed, as typed, and what is wrong with it (by field name)."""

    hourly_rate: str = ""
    hours: str = ""
    extras: list[tuple[str, str]] = field(default_factory=lambda: [("", "")])
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # an error of the whole payslip (gross pay negative...)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> PayslipForm:
        shown = form.get("lines", "1")
        count = int(shown) if shown.isdigit() else 1
        extras = [(form.get(f"extra_label_{i}", "").strip()[:200],
                   form.get(f"extra_amount_{i}", "").strip()[:40])
                  for i in range(1, MAX_EXTRAS + 1)]
        filled = max((i + 1 for i, (label, amount) in enumerate(extras) if label or amount),
                     default=0)
        count = min(max(count, filled, 1), MAX_EXTRAS)
        return cls(hourly_rate=form.get("hourly_rate", "").strip()[:40],
                   hours=form.get("hours", "").strip()[:40], extras=extras[:count])

    def more(self) -> None:
        if len(self.extras) < MAX_EXTRAS:
            self.extras.append(("", ""))

    @property
    def items(self) -> list[tuple[str, str]]:
        """The error summary's (anchor, message) pairs, in the form's order."""
        found = [(f"#{name}", message) for name, message in self.errors.items()]
        return found + ([("", self.problem)] if self.problem else [])

    def hidden(self) -> list[tuple[str, str]]:
        """The inputs as hidden fields (the result page's "Modify" and "Download")."""
        fields = [("hourly_rate", self.hourly_rate), ("hours", self.hours),
                  ("lines", str(len(self.extras)))]
        for i, (label, amount) in enumerate(self.extras, start=1):
            fields += [(f"extra_label_{i}", label), (f"extra_amount_{i}", amount)]
        return fields

    def _number(self, name: str, text: str, *, places: int, low: Decimal, high: Decimal,
                what: str) -> Decimal | None:
        if not text:
            self.errors[name] = gettext("Enter %(what)s.", what=what)
            return None
        value = parse_decimal(text)
        if value is None:
            self.errors[name] = gettext(
                "Enter %(what)s as a number, for example 12,50.", what=what)
        elif _places(value) > places:
            self.errors[name] = gettext(
                "Enter %(what)s with at most %(places)s decimals.", what=what, places=places)
        elif not low <= value <= high:
            self.errors[name] = gettext(
                "Enter %(what)s between %(low)s and %(high)s.", what=what,
                low=format_number(low, current_language()),
                high=format_number(high, current_language()))
        else:
            return value
        return None

    def compute(self, period: str) -> Payslip | None:
        """The payslip, or ``None`` with :attr:`errors` / :attr:`problem` set."""
        self.errors, self.problem = {}, None
        rate = self._number("hourly_rate", self.hourly_rate, places=4, low=Decimal("0.01"),
                            high=MAX_RATE, what=gettext("the gross hourly rate"))
        hours = self._number("hours", self.hours, places=2, low=Decimal(0), high=MAX_HOURS,
                             what=gettext("the number of hours"))
        extras: list[Extra] = []
        for i, (label, amount) in enumerate(self.extras, start=1):
            if not label and not amount:
                continue
            if not label:
                self.errors[f"extra_label_{i}"] = gettext("Enter the label of this element.")
            elif len(label) > MAX_LABEL:
                self.errors[f"extra_label_{i}"] = gettext(
                    "Enter at most %(count)s characters.", count=MAX_LABEL)
            value = self._number(f"extra_amount_{i}", amount, places=2, low=-MAX_AMOUNT,
                                 high=MAX_AMOUNT, what=gettext("the amount"))
            if value is not None and label and len(label) <= MAX_LABEL:
                extras.append(Extra(label, value.quantize(Decimal("0.01"))))
        if self.errors or rate is None or hours is None:
            return None
        try:
            return compute_payslip(rates(), period, rate, hours, extras)
        except ValueError:
            self.problem = gettext(
                "The gross pay cannot be negative, and rates must be in force for the period: "
                "check the elements of pay.")
            return None


def _employee(period: str, employee_id: str) -> tuple[Employer, Employee] | None:
    """The chosen client and its employee of ``period``; 404 for anyone else."""
    client = selected_client()
    if client is None:
        return None
    if employers.period_bounds(period) is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    employee = employers.employee_in_workforce(db(), client.id, period, employee_id)
    if employee is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    return client, employee


def _period() -> str:
    """The month of the employee pages: ``?period=``, the current one by default; a bad one
    is 404 (these addresses come from the list's links)."""
    period, _periods, error = chosen_period()
    if error is not None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    return period


@bp.get("/client/payslips")
@audience("employer")
@employer_required
def employer_payslips() -> BaseResponse | str | tuple[str, int]:
    return workforce_page("portal/employer/payslips.html", "payslips")


def _form_page(client: Employer, employee: Employee, period: str, form: PayslipForm,
               status: int = 200) -> tuple[str, int]:
    return render_template("portal/employer/payslip_form.html", client=client,
                           employee=employee, period=period, form=form, tab="payslips",
                           items=form.items, max_extras=MAX_EXTRAS), status


@bp.get("/client/payslips/<employee_id>")
@audience("employer")
@employer_required
def employer_payslip(employee_id: str) -> BaseResponse | tuple[str, int]:
    period = _period()
    found = _employee(period, employee_id)
    if found is None:
        return choose_client_first()
    return _form_page(*found, period, PayslipForm())


@bp.post("/client/payslips/<employee_id>")
@audience("employer")
@employer_required
def employer_payslip_post(employee_id: str) -> BaseResponse | tuple[str, int]:
    period = _period()
    found = _employee(period, employee_id)
    if found is None:
        return choose_client_first()
    client, employee = found
    form = PayslipForm.read(request.form)
    action = request.form.get("action", "calculate")
    if action == "more":
        form.more()
        return _form_page(client, employee, period, form)
    if action == "modify":
        return _form_page(client, employee, period, form)
    slip = form.compute(period)
    if slip is None:
        return _form_page(client, employee, period, form, 400)
    lang = current_language()
    return render_template(
        "portal/employer/payslip_result.html", client=client, employee=employee,
        period=period, form=form, tab="payslips", slip=slip,
        amount=lambda value: format_amount(value, lang),
        rate=lambda value: format_rate(value, lang),
        number=lambda value: format_number(value, lang),
        hourly=format_amount(slip.hourly_rate, lang, max(2, _places(slip.hourly_rate))),
        title=lambda line: line.fr if lang == "fr" else line.en), 200


@bp.post("/client/payslips/<employee_id>/payslip.pdf")
@audience("employer")
@employer_required
def employer_payslip_pdf(employee_id: str) -> BaseResponse | tuple[str, int]:
    period = _period()
    found = _employee(period, employee_id)
    if found is None:
        return choose_client_first()
    client, employee = found
    form = PayslipForm.read(request.form)
    slip = form.compute(period)
    if slip is None:
        return _form_page(client, employee, period, form, 400)
    document = PayslipDocument(
        lang=current_language(), employer_name=client.name, employer_number=client.number,
        employee_name=f"{employee.first_name} {employee.last_name}",
        registration=employee.registration, payslip=slip,
        issued_on=services().clock.today())
    filename = f"bulletin-{employee.registration}-{period}.pdf"
    return Response(render_payslip_pdf(document), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})
