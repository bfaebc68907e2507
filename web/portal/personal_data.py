"""The member's personal data (ref 002 "Interrogation des données personnelles"): civil status
and postal address as the registry holds them, the member's own and, by a link with their name at
the top of the page, their spouse's and children's; a printable PDF of the same; an e-mail link to
the Registration Department (Service Immatriculation), which manages this data.

Who may be shown is the ``member`` context's ``people`` (``web.contexts.member_data``): the
member, their spouse, their children. Any other person id answers 404, as a missing one does. A
child's address and family situation are not shown: the fund does not manage them per child.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask_babel import format_date, gettext
from sqlalchemy.orm import Session

from web.accounts.letters import address_lines
from web.audience import audience
from web.contexts import member_data
from web.current import db, services
from web.db.models import Household, Person
from web.errors import NOT_FOUND, ApiProblem
from web.i18n import current_language
from web.pdf.receipt import html_to_pdf
from web.portal import bp
from web.portal.signin import actor, member_required


def _sex(value: str | None) -> str | None:
    return {"F": gettext("Female"), "M": gettext("Male")}.get(value or "")


def _marital_status(value: str | None) -> str | None:
    return {"single": gettext("Single"), "married": gettext("Married"),
            "civil_partnership": gettext("Civil partnership"),
            "divorced": gettext("Divorced"), "separated": gettext("Separated"),
            "widowed": gettext("Widowed")}.get(value or "")


def _view(person_id: str | None) -> dict[str, Any]:
    """What the page and its PDF show: the person asked for (the member when ``None``), who
    else may be shown, and the mail link. 404 for anyone outside the member's household."""
    me = actor().person
    if me is None:  # a member account the registry does not know: nothing to show
        raise ApiProblem(404, "not_found", NOT_FOUND)
    session: Session = db()
    people = member_data(session, me)["people"]
    wanted = me.id if person_id is None else person_id
    entry = next((p for p in people if p["id"] == wanted), None)
    person = session.get(Person, wanted) if entry is not None else None
    if entry is None or person is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    child = entry["role"] == "child"
    address: list[str] = []
    if not child and person.household_id is not None:
        household = session.get(Household, person.household_id)
        address = list(address_lines(household.address)) if household is not None else []
    return {"person": person, "role": entry["role"], "child": child, "people": people,
            "own": person.id == me.id,
            "birth_date": format_date(person.birth_date, "long"),
            "sex": _sex(person.sex), "marital_status": _marital_status(person.marital_status),
            "address": address, "registration_email": services().settings.registration_email}


@bp.get("/personal-data")
@audience("member")
@member_required
def personal_data() -> str:
    return render_template("portal/personal_data.html", **_view(None))


@bp.get("/personal-data/<person_id>")
@audience("member")
@member_required
def personal_data_of(person_id: str) -> str:
    return render_template("portal/personal_data.html", **_view(person_id))


@bp.get("/personal-data.pdf")
@audience("member")
@member_required
def personal_data_pdf() -> Response:
    return _pdf(None)


@bp.get("/personal-data/<person_id>.pdf")
@audience("member")
@member_required
def personal_data_of_pdf(person_id: str) -> Response:
    return _pdf(person_id)


def _pdf(person_id: str | None) -> Response:
    """The page's data as a tagged PDF (WeasyPrint, nothing fetched), to print or keep."""
    view = _view(person_id)
    person: Person = view["person"]
    document = render_template("portal/personal_data_print.html", lang=current_language(),
                               **view)
    filename = f"personal-data-{person.registration}.pdf"
    return Response(html_to_pdf(document), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"',
        "Cache-Control": "no-store"})
