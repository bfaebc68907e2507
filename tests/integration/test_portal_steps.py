"""Filling in the resource declaration through the member portal's pages (issue 3).

Every step page is drawn generically from workflows/resource_declaration.yaml and forms/*.yaml, so
the texts asserted here (titles, help, labels, error messages, statuses) are read from those files.
Interface strings (buttons, "Step 1 of 7"...) come from a gettext catalogue still being written:
buttons are pressed by their ``value`` and the rest is checked through the page's structure.
Everything goes through the real pages with CSRF protection on (tests/integration/portal_client).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pypdf
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import Member, member
from tests.integration.api_client import Api
from tests.integration.portal_client import Page, Portal, form_values
from web.db.models import Document, Submission
from web.errors import NOT_FOUND
from web.settings import ROOT

# -- the definitions the pages are drawn from ----------------------------------------------------


def _yaml(relative: str) -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / relative).read_text(encoding="utf-8")))


WORKFLOW = _yaml("workflows/resource_declaration.yaml")
FORMS = {path.stem: _yaml(f"forms/{path.name}") for path in (ROOT / "forms").glob("*.yaml")}
START = "/procedures/resource_declaration/start"


def step_title(step: str) -> str:
    spec = WORKFLOW["steps"][step]
    if "title" in spec:
        return str(spec["title"]["fr"])
    return str(FORMS[spec["form"]]["title"]["fr"])


def form_help(form: str) -> str:
    return str(FORMS[form]["help"]["fr"])


INCOME = FORMS["household_income"]["fields"]
AMOUNT_PATTERN = INCOME["incomes"]["items"]["amount"]["errors"]["pattern"]["fr"]
MONTHS_RANGE = INCOME["incomes"]["items"]["months"]["errors"]["range"]["fr"]
TERMS_NOT_ACCEPTED = FORMS["terms_of_use"]["fields"]["accepted"]["errors"]["const"]["fr"]
CGU = WORKFLOW["documents"]["cgu"]
# the engine's message for a document not opened, naming the document by its YAML title
NOT_OPENED = f"Vous devez d'abord ouvrir et lire « {CGU['title']['fr']} »."
SITUATIONS = FORMS["special_situation"]["fields"]["code"]["options"]
STATES = WORKFLOW["lifecycle"]["states"]
MESSAGES = WORKFLOW["messages"]
DRAFT = "Brouillon"  # web/labels.py
RECEIPT = re.compile(r"RD-2026-\d{6}")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

PENSIONS = [("basic_pension", "18000", "12"), ("complementary_pension", "6250,50", "12")]


# -- moving through the pages --------------------------------------------------------------------


def signed_in(app: Flask, client: FlaskClient | None = None, **kwargs: Any) \
        -> tuple[Portal, Member]:
    who = member(app, **kwargs)
    portal = Portal(client or app.test_client())
    page = portal.login(who.identifier, who.password)
    assert (page.status, page.path) == (200, "/"), page
    return portal, who


def start(portal: Portal) -> Page:
    """Press the home page's "start or resume" button of the resource declaration."""
    return portal.submit(portal.get("/"), form=f"form[action='{START}']")


def sid_of(page: Page) -> str:
    found = re.match(rf"/submissions/({UUID})(/|$)", page.path)
    assert found is not None, f"not a submission's page: {page!r}"
    return found.group(1)


def step_of(page: Page) -> str | None:
    found = re.fullmatch(rf"/submissions/{UUID}/steps/(\w+)", page.path)
    return found.group(1) if found else None


def show(page: Page) -> str:
    return f"{page!r} errors={page.errors()} notices={notices(page)}\n{page.text[:600]}"


def at_step(page: Page, step: str, status: int = 200) -> Page:
    assert (page.status, step_of(page)) == (status, step), show(page)
    assert page.h1 == step_title(step), show(page)
    return page


def notices(page: Page) -> list[str]:
    return [" ".join(n.get_text(" ").split()) for n in page.soup.select(".notice")]


def progress_steps(page: Page) -> list[str]:
    """The titles listed by the progress indicator, without their visually hidden state."""
    titles = []
    for li in page.soup.select(".progress li"):
        shown = [t for t in li.find_all(string=True)
                 if not any("visually-hidden" in (p.get("class") or []) for p in t.parents)]
        titles.append(" ".join("".join(shown).split()))
    return titles


def sent(page: Page) -> dict[str, str]:
    """What the step form would send as it stands: the values shown in its fields."""
    form = page.form("#step-form")
    values = dict(form_values(form))
    for area in form.find_all("textarea"):  # a browser drops the newline WTForms writes first
        values[str(area["name"])] = values[str(area["name"])].removeprefix("\r\n")
    return values


def items(page: Page, group: str = "incomes") -> list[str]:
    """The ids of the elements of a repeating group, in order."""
    return [str(el["id"]) for el in page.soup.select(f"fieldset#{group} fieldset.repeat__item")]


def step_url(sid: str, step: str) -> str:
    return f"/submissions/{sid}/steps/{step}"


def open_terms(portal: Portal, page: Page) -> Page:
    """Press the terms' "read" button, then the document page's way back to the step."""
    document = portal.submit(page, button="open:cgu")
    assert (document.status, document.path) == (200, f"/submissions/{sid_of(page)}/documents/cgu")
    back = document.soup.select_one(f"main a[href='{step_url(sid_of(page), 'terms')}']")
    assert back is not None, show(document)
    return portal.get(str(back["href"]))


def accept_terms(portal: Portal, page: Page) -> Page:
    page = portal.submit(open_terms(portal, page), {"accepted": "y"}, button="continue")
    return at_step(page, "situation")


def choose(portal: Portal, page: Page, code: str) -> Page:
    return portal.submit(page, {"code": code}, button="continue")


def income_fields(rows: Sequence[tuple[str, str, str]], total: str) -> dict[str, str]:
    fields = {"total_months": total}
    for i, (category, amount, months) in enumerate(rows):
        fields.update({f"incomes-{i}-category": category, f"incomes-{i}-amount": amount,
                       f"incomes-{i}-months": months})
    return fields


def fill_incomes(portal: Portal, page: Page, rows: Sequence[tuple[str, str, str]],
                 total: str) -> Page:
    """Add as many incomes as needed with the page's own button, fill them in, continue."""
    while len(items(page)) < len(rows):
        page = portal.submit(page, button="add:incomes")
        assert page.status == 200, show(page)
    return portal.submit(page, income_fields(rows, total), button="continue")


def to_income(portal: Portal) -> Page:
    page = at_step(start(portal), "terms")
    page = choose(portal, accept_terms(portal, page), "none")
    return at_step(page, "income_declarant")


def to_summary(portal: Portal, observations: str = "Retraité depuis 2019") -> Page:
    """A member without spouse nor children section, from the start to the summary."""
    page = fill_incomes(portal, to_income(portal), PENSIONS, "12")
    page = portal.submit(at_step(page, "observations"), {"text": observations},
                         button="continue")
    return at_step(page, "summary")


def submit(portal: Portal, summary: Page, follow: bool = True) -> Page:
    return portal.submit(summary, form="#submit-form", follow=follow)


def api(app: Flask, who: Member) -> Api:
    return Api(app.test_client()).login(who.identifier, who.password)


def stored(app: Flask, who: Member, sid: str) -> dict[str, Any]:
    r = api(app, who).get(f"/api/v1/submissions/{sid}")
    assert r.status_code == 200, r.json
    return dict(r.json)


def receipts(app: Flask, sid: str) -> list[dict[str, Any]]:
    with app.extensions["csm"].sessions() as s:
        return [dict(d.content) for d in s.scalars(select(Document).where(
            Document.submission_id == sid, Document.kind == "receipt")
            .order_by(Document.created_at))]


def submissions_of(app: Flask, who: Member) -> list[tuple[str, str]]:
    with app.extensions["csm"].sessions() as s:
        return [(row.id, row.status) for row in s.scalars(select(Submission).where(
            Submission.owner_id == who.account_id))]


def home_rows(portal: Portal) -> dict[str, dict[str, str]]:
    """The home page's list of the member's requests: submission id -> status, receipt."""
    page = portal.get("/")
    assert (page.status, page.path) == (200, "/"), show(page)
    found = {}
    for tr in page.soup.select("table tbody tr"):
        link = tr.select_one("a[href^='/submissions/']:not([href$='.pdf'])")
        assert link is not None
        receipt = tr.select_one("a[href$='/receipt.pdf']")
        status = tr.select_one(".status-tag")
        found[str(link["href"]).removeprefix("/submissions/")] = {
            "status": status.get_text(" ", strip=True) if status else "",
            "receipt": receipt.get_text(" ", strip=True) if receipt else "",
            "receipt_url": str(receipt["href"]) if receipt else ""}
    return found


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def assert_error_next_to(page: Page, field_id: str, message: str) -> None:
    """The field is marked invalid and described by an element holding the message, and the
    error summary links to it."""
    field = page.soup.find(id=field_id)
    assert field is not None, f"no #{field_id} on {page!r}"
    assert field.get("aria-invalid") == "true", field
    described = str(field.get("aria-describedby", "")).split()
    holders = [page.soup.find(id=ref) for ref in described]
    assert any(h is not None and message in h.get_text(" ") for h in holders), \
        f"#{field_id} is not described by {message!r}: {described}"
    assert (f"#{field_id}", message) in summary_links(page)


def summary_links(page: Page) -> list[tuple[str, str]]:
    return [(str(a["href"]), " ".join(a.get_text(" ").split()))
            for a in page.soup.select(".error-summary a[href]")]


# -- 1. first visit ------------------------------------------------------------------------------


def test_starting_lands_on_the_terms_step_with_progress_title_and_help(app: Flask) -> None:
    portal, _who = signed_in(app, spouse=True, children_section=True)
    page = start(portal)
    at_step(page, "terms")
    sid = sid_of(page)
    assert [code for code, _ in page.history] == [302, 302]
    assert page.history[0][1].endswith(f"/submissions/{sid}")
    steps = progress_steps(page)
    planned = ["terms", "situation", "income_declarant", "income_spouse", "observations",
               "children", "summary"]
    assert steps == [step_title(s) for s in planned]
    count = page.soup.select_one(".progress__count")
    assert count is not None
    assert re.findall(r"\d+", count.get_text()) == ["1", str(len(planned))]
    current = page.soup.select("li[aria-current=step]")
    assert [li.get_text(" ", strip=True) for li in current] == [step_title("terms")]
    assert page.h1 == step_title("terms")
    assert form_help("terms_of_use") in page.text
    assert page.soup.select(".error-summary") == []
    # the terms' document link and the checkbox, labelled from the YAML
    label = page.soup.select_one("label[for=accepted]")
    assert label is not None
    assert label.get_text(" ", strip=True) == \
        FORMS["terms_of_use"]["fields"]["accepted"]["label"]["fr"]
    assert page.soup.select_one("#step-form button[value='open:cgu']") is not None
    assert page.soup.select_one("#step-form button[value=back]") is None  # the first step


def test_progress_counts_the_steps_of_a_member_without_spouse_nor_children(app: Flask) -> None:
    portal, _who = signed_in(app)
    page = accept_terms(portal, start(portal))
    planned = ["terms", "situation", "income_declarant", "observations", "summary"]
    assert progress_steps(page) == [step_title(s) for s in planned]
    count = page.soup.select_one(".progress__count")
    assert count is not None and re.findall(r"\d+", count.get_text()) == ["2", "5"]
    assert [li.get_text(" ", strip=True) for li in page.soup.select("li[aria-current=step]")] \
        == [step_title("situation")]
    assert len(page.soup.select(".progress li.progress__step--done")) == 1


def test_starting_again_resumes_the_same_draft(app: Flask) -> None:
    portal, who = signed_in(app)
    first = start(portal)
    sid = sid_of(first)
    # a double click: the same key again
    key = str(portal.get("/").soup.select_one(f"form[action='{START}'] input[name=key]")["value"])
    twice = [portal.post(START, {"key": key}), portal.post(START, {"key": key})]
    assert [(p.status, sid_of(p), step_of(p)) for p in twice] == [(200, sid, "terms")] * 2
    # a new key (the home page gives one each time): one per campaign, the same draft
    page = accept_terms(portal, start(portal))
    assert sid_of(page) == sid
    page = start(portal)
    assert (sid_of(page), step_of(page)) == (sid, "situation")
    assert submissions_of(app, who) == [(sid, "draft")]


# -- 2. terms ------------------------------------------------------------------------------------


def test_accepting_the_terms_without_opening_them_is_refused_next_to_the_checkbox(
        app: Flask) -> None:
    portal, who = signed_in(app)
    page = start(portal)
    sid = sid_of(page)
    page = portal.submit(page, {"accepted": "y"}, button="continue")
    at_step(page, "terms", status=422)
    assert page.errors() == [NOT_OPENED]
    links = page.soup.select(".error-summary a[href]")
    assert links
    for link in links:
        href = str(link["href"])
        assert href.startswith("#") and page.soup.find(id=href[1:]) is not None, href
    assert_error_next_to(page, "accepted", NOT_OPENED)
    assert page.attr("#accepted", "checked") is not None  # what the member ticked is kept
    assert stored(app, who, sid)["data"] == {}


def test_opening_the_terms_shows_them_then_accepting_leads_to_the_situation(app: Flask) -> None:
    portal, who = signed_in(app)
    page = start(portal)
    sid = sid_of(page)
    moved = portal.submit(page, button="open:cgu", follow=False)
    assert moved.status in (302, 303)
    assert moved.headers["Location"].endswith(f"/submissions/{sid}/documents/cgu")
    document = portal.get(moved.headers["Location"])
    assert document.status == 200
    assert document.h1 == CGU["title"]["fr"]
    for line in CGU["body"]["fr"].strip().split("\n"):
        assert line.strip() in document.text
    page = portal.get(step_url(sid, "terms"))
    # opened but not ticked: the form's own message
    page = portal.submit(page, button="continue")
    at_step(page, "terms", status=422)
    assert page.errors() == [TERMS_NOT_ACCEPTED]
    assert_error_next_to(page, "accepted", TERMS_NOT_ACCEPTED)
    page = portal.submit(page, {"accepted": "y"}, button="continue")
    at_step(page, "situation")
    assert form_help("special_situation") in page.text
    for option in SITUATIONS.values():
        assert option["fr"] in page.text
    assert stored(app, who, sid)["data"] == {"terms": {"accepted": True}}


def test_no_situation_chosen_links_to_the_first_radio_button(app: Flask) -> None:
    portal, who = signed_in(app)
    page = accept_terms(portal, start(portal))
    page = portal.submit(page, {"code": None}, button="continue")
    at_step(page, "situation", status=422)
    ((href, message),) = summary_links(page)
    first = page.soup.find(id=href.removeprefix("#"))
    assert first is not None and first.get("name") == "code" and first.get("type") == "radio"
    group = page.soup.select_one("fieldset#code")
    assert group is not None
    holders = [page.soup.find(id=ref) for ref in str(group.get("aria-describedby")).split()]
    assert any(h is not None and message in h.get_text(" ") for h in holders)
    label = FORMS["special_situation"]["fields"]["code"]["label"]["fr"]
    assert label in message  # the standard message names the field by its YAML label
    assert "situation" not in stored(app, who, sid_of(page))["data"]


# -- 3. errors, values kept ----------------------------------------------------------------------


def test_wrong_amount_and_months_are_shown_next_to_their_fields_keeping_the_values(
        app: Flask) -> None:
    portal, who = signed_in(app)
    page = to_income(portal)
    sid = sid_of(page)
    assert form_help("household_income") in page.text
    page = portal.submit(page, button="add:incomes")
    page = portal.submit(page, income_fields([("salary", "12,345.6.7", "13")], "12"),
                         button="continue")
    at_step(page, "income_declarant", status=422)
    assert page.errors() == [AMOUNT_PATTERN, MONTHS_RANGE]
    assert summary_links(page) == [("#incomes-0-amount", AMOUNT_PATTERN),
                                   ("#incomes-0-months", MONTHS_RANGE)]
    assert_error_next_to(page, "incomes-0-amount", AMOUNT_PATTERN)
    assert_error_next_to(page, "incomes-0-months", MONTHS_RANGE)
    for fine in ("incomes-0-category", "total_months"):
        assert page.attr(f"#{fine}", "aria-invalid") is None
        assert page.soup.find(id=f"{fine}-error") is None
    assert page.attr("#incomes-0-amount-error", "class") == "field-error"
    values = sent(page)
    assert values["incomes-0-category"] == "salary"
    assert values["incomes-0-amount"] == "12,345.6.7"
    assert values["incomes-0-months"] == "13"
    assert values["total_months"] == "12"
    assert "income_declarant" not in stored(app, who, sid)["data"]
    # corrected from the page as it was answered
    page = portal.submit(page, {"incomes-0-amount": "12 345,60 €", "incomes-0-months": "12"},
                         button="continue")
    at_step(page, "observations")
    assert stored(app, who, sid)["data"]["income_declarant"] == {
        "incomes": [{"category": "salary", "amount": "12345,60", "months": 12}],
        "total_months": 12}


# -- 4. repeating groups without JavaScript ------------------------------------------------------


def test_adding_and_removing_incomes_redraws_the_page_without_saving(app: Flask) -> None:
    portal, who = signed_in(app)
    page = to_income(portal)
    sid = sid_of(page)
    revision = sent(page)["revision"]
    assert items(page) == []
    page = portal.submit(page, button="add:incomes")
    assert (page.status, step_of(page)) == (200, "income_declarant")
    assert items(page) == ["incomes-0"]
    assert page.attr("#incomes-0-category", "autofocus") is not None
    page = portal.submit(page, income_fields([("salary", "1000", "6")], "9"),
                         button="add:incomes")
    assert (page.status, items(page)) == (200, ["incomes-0", "incomes-1"])
    values = sent(page)
    assert (values["incomes-0-category"], values["incomes-0-amount"],
            values["incomes-0-months"], values["total_months"]) == ("salary", "1000", "6", "9")
    assert (values["incomes-1-category"], values["incomes-1-amount"],
            values["incomes-1-months"]) == ("", "", "")
    assert page.attr("#incomes-1-category", "autofocus") is not None
    assert page.soup.select(".error-summary") == [] and page.soup.select("[aria-invalid]") == []
    legends = [el.get_text(strip=True) for el in page.soup.select(".repeat__item-legend")]
    item_label = INCOME["incomes"]["item_label"]["fr"]
    assert legends == [item_label.replace("{n}", "1"), item_label.replace("{n}", "2")]
    # nothing saved yet: the stored step is still empty
    assert stored(app, who, sid)["data"].get("income_declarant") is None
    again = portal.get(step_url(sid, "income_declarant"))
    assert (items(again), sent(again)["revision"]) == ([], revision)
    # remove the first: the second becomes income no. 1
    page = portal.submit(page, {"incomes-1-category": "basic_pension", "incomes-1-amount": "2000",
                                "incomes-1-months": "3"}, button="remove:incomes-0")
    assert (page.status, items(page)) == (200, ["incomes-0"])
    values = sent(page)
    assert (values["incomes-0-category"], values["incomes-0-amount"],
            values["incomes-0-months"]) == ("basic_pension", "2000", "3")
    assert not any(name.startswith("incomes-1") for name in values)
    assert page.soup.select_one("button[value='remove:incomes-0']") is not None
    assert page.soup.select_one("button[value='remove:incomes-1']") is None
    page = portal.submit(page, {"total_months": "3"}, button="continue")
    at_step(page, "observations")
    assert stored(app, who, sid)["data"]["income_declarant"] == {
        "incomes": [{"category": "basic_pension", "amount": "2000", "months": 3}],
        "total_months": 3}


def test_no_more_incomes_than_max_items(app: Flask) -> None:
    portal, who = signed_in(app)
    page = to_income(portal)
    limit = FORMS["household_income"]["schema"]["properties"]["incomes"]["maxItems"]
    for _ in range(limit):
        page = portal.submit(page, button="add:incomes")
        assert page.status == 200, show(page)
    assert len(items(page)) == limit
    assert page.soup.select_one("button[value='add:incomes']") is None
    # forced anyway (an old page, a crafted request): the page stays as it is
    page = portal.submit(page, {"action": "add:incomes"})
    assert (page.status, len(items(page))) == (200, limit)
    assert page.soup.select(".error-summary") == []
    rows = [("salary", "100", "1")] * limit
    page = portal.submit(page, income_fields(rows, "12"), button="continue")
    at_step(page, "observations")
    answered = stored(app, who, sid_of(page))["data"]["income_declarant"]["incomes"]
    assert len(answered) == limit
    # a list longer than allowed, posted by hand, is cut to the limit or refused, never a 500
    sid = sid_of(page)
    back = portal.get(step_url(sid, "income_declarant"))
    assert len(items(back)) == limit
    page = portal.submit(back, income_fields([("salary", "100", "1")] * (limit + 1), "12"),
                         button="continue")
    assert page.status == 422, show(page)  # refused by the engine, as the API refuses it
    assert page.errors(), show(page)
    answered = stored(app, who, sid)["data"]["income_declarant"]["incomes"]
    assert len(answered) == limit


# -- 5. back -------------------------------------------------------------------------------------


def test_back_from_the_income_step_shows_the_situation_answered(app: Flask) -> None:
    portal, who = signed_in(app)
    page = to_income(portal)
    sid = sid_of(page)
    page = portal.submit(page, button="back")
    at_step(page, "situation")
    assert sent(page)["code"] == "none"
    assert page.attr("input[name=code][value=none]", "checked") is not None
    count = page.soup.select_one(".progress__count")
    assert count is not None and re.findall(r"\d+", count.get_text())[0] == "2"
    assert stored(app, who, sid)["step"] == "situation"
    # and back again to the terms, ticked
    page = portal.submit(page, button="back")
    at_step(page, "terms")
    assert page.attr("#accepted", "checked") is not None
    # continuing from there goes forward step by step, answers kept
    page = at_step(portal.submit(page, button="continue"), "situation")
    assert sent(page)["code"] == "none"


# -- 6. resume -----------------------------------------------------------------------------------


def test_a_draft_resumes_where_the_member_was_on_another_device(app: Flask) -> None:
    portal, who = signed_in(app)
    page = fill_incomes(portal, to_income(portal), PENSIONS, "12")
    page = at_step(portal.submit(at_step(page, "observations"), button="back"),
                   "income_declarant")
    sid = sid_of(page)
    portal.logout()
    assert portal.get(step_url(sid, "income_declarant"), follow=False).status == 302
    for device in (portal.client, portal.client.application.test_client()):
        again = Portal(device)
        assert again.login(who.identifier, who.password).path == "/"
        rows = home_rows(again)
        assert list(rows) == [sid]
        assert rows[sid]["status"] == DRAFT and rows[sid]["receipt"] == ""
        page = again.get(f"/submissions/{sid}")
        at_step(page, "income_declarant")
        assert items(page) == ["incomes-0", "incomes-1"]
        values = sent(page)
        assert values == {**values, **income_fields(PENSIONS, "12")}
        again.logout()


# -- 7. branches ---------------------------------------------------------------------------------


def test_a_special_situation_goes_straight_to_the_summary(app: Flask) -> None:
    portal, who = signed_in(app, spouse=True, children_section=True)
    page = accept_terms(portal, start(portal))
    page = choose(portal, page, "no_longer_resident")
    at_step(page, "summary")
    assert progress_steps(page) == [step_title(s) for s in ("terms", "situation", "summary")]
    assert [s.get_text(strip=True) for s in page.soup.select(".review__section h2")] == \
        [step_title("terms"), step_title("situation")]
    assert SITUATIONS["no_longer_resident"]["fr"] in page.text
    assert stored(app, who, sid_of(page))["steps"] == ["terms", "situation", "summary"]


def test_a_member_with_a_spouse_and_children_section_declares_both(app: Flask) -> None:
    portal, who = signed_in(app, spouse=True, children_section=True)
    page = fill_incomes(portal, to_income(portal), PENSIONS, "12")
    page = at_step(page, "income_spouse")
    assert form_help("household_income") in page.text
    assert items(page) == []  # the declarant's incomes are not the spouse's
    page = at_step(portal.submit(page, {"total_months": "0"}, button="continue"), "observations")
    page = at_step(portal.submit(page, button="continue"), "children")
    fields = FORMS["dependent_children"]["fields"]
    assert fields["count"]["label"]["fr"] in page.text
    assert fields["children"]["label"]["fr"] in page.text
    page = portal.submit(page, {"count": "2"}, button="add:children")
    assert items(page, "children") == ["children-0"]
    assert page.attr("#children-0-birth_date", "type") == "date"
    page = portal.submit(page, {"children-0-first_name": "Léa",
                                "children-0-birth_date": "01/03/2012",
                                "children-0-regime": "csm"}, button="add:children")
    assert items(page, "children") == ["children-0", "children-1"]
    page = portal.submit(page, {"children-1-first_name": "Hugo",
                                "children-1-birth_date": "2015-06-30",
                                "children-1-regime": "france"}, button="continue")
    at_step(page, "summary")
    data = stored(app, who, sid_of(page))["data"]
    assert data["children"] == {"count": 2, "children": [
        {"first_name": "Léa", "birth_date": "2012-03-01", "regime": "csm"},
        {"first_name": "Hugo", "birth_date": "2015-06-30", "regime": "france"}]}
    assert data["income_spouse"] == {"incomes": [], "total_months": 0}
    assert [s.get_text(strip=True) for s in page.soup.select(".review__section h2")] == \
        [step_title(s) for s in ("terms", "situation", "income_declarant", "income_spouse",
                                 "observations", "children")]
    assert "01/03/2012" in page.text and "Léa" in page.text
    options = fields["children"]["items"]["regime"]["options"]
    assert options["csm"]["fr"] in page.text and options["france"]["fr"] in page.text


def test_a_wrong_birth_date_is_refused_next_to_the_date(app: Flask) -> None:
    portal, _who = signed_in(app, children_section=True)
    page = fill_incomes(portal, to_income(portal), PENSIONS, "12")
    page = at_step(portal.submit(at_step(page, "observations"), button="continue"), "children")
    page = portal.submit(page, {"count": "1"}, button="add:children")
    page = portal.submit(page, {"children-0-first_name": "Léa",
                                "children-0-birth_date": "31/02/2012",
                                "children-0-regime": "csm"}, button="continue")
    at_step(page, "children", status=422)
    assert [href for href, _ in summary_links(page)] == ["#children-0-birth_date"]
    assert page.attr("#children-0-birth_date", "aria-invalid") == "true"
    assert sent(page)["children-0-birth_date"] == "31/02/2012"  # as typed, to be corrected
    # a real date, but a child over 21: the rule's message, at the same place
    page = portal.submit(page, {"children-0-birth_date": "2000-01-01"}, button="continue")
    at_step(page, "children", status=422)
    assert [href for href, _ in summary_links(page)] == ["#children-0-birth_date"]
    assert_error_next_to(page, "children-0-birth_date", page.errors()[0])
    assert sent(page)["children-0-first_name"] == "Léa"
    page = portal.submit(page, {"children-0-birth_date": "2012-03-01"}, button="continue")
    at_step(page, "summary")


def test_a_member_without_spouse_skips_the_spouse_step(app: Flask) -> None:
    portal, _who = signed_in(app, spouse=False, children_section=False)
    page = fill_incomes(portal, to_income(portal), PENSIONS, "12")
    page = at_step(page, "observations")
    at_step(portal.submit(page, button="continue"), "summary")


# -- 8. the summary ------------------------------------------------------------------------------


def review_sections(page: Page) -> list[tuple[str, str]]:
    """(title, change link) of each section of the summary."""
    found = []
    for section in page.soup.select(".review__section"):
        title = section.select_one("h2")
        change = section.select_one("a.review__change")
        assert title is not None and change is not None, section
        found.append((title.get_text(strip=True), str(change["href"])))
    return found


def test_summary_has_a_section_and_a_change_link_per_answered_step(app: Flask) -> None:
    portal, _who = signed_in(app)
    page = to_summary(portal)
    sid = sid_of(page)
    answered = ["terms", "situation", "income_declarant", "observations"]
    assert review_sections(page) == [(step_title(s), step_url(sid, s)) for s in answered]
    assert "Retraité depuis 2019" in page.text
    assert "6 250,50 €" in page.text  # a money answer, the French way (docs/forms.md)
    assert INCOME["incomes"]["items"]["category"]["options"]["complementary_pension"]["fr"] \
        in page.text
    assert page.soup.select_one("form#submit-form[action$='/submit']") is not None
    # "change" the situation, change nothing, continue: back to the summary
    change = dict(review_sections(page))[step_title("situation")]
    page = at_step(portal.get(change), "situation")
    assert sent(page)["code"] == "none"
    assert page.soup.select_one(f"a[href='{step_url(sid, 'summary')}']") is not None
    page = at_step(portal.submit(page, button="continue"), "summary")
    # the same for a step with a repeating group
    page = at_step(portal.get(step_url(sid, "income_declarant")), "income_declarant")
    assert items(page) == ["incomes-0", "incomes-1"]
    page = at_step(portal.submit(page, {"incomes-1-amount": "6300"}, button="continue"),
                   "summary")
    assert "6 300,00 €" in page.text and "6 250,50 €" not in page.text


def test_leaving_a_special_situation_goes_through_the_income_step_then_back_to_summary(
        app: Flask) -> None:
    portal, who = signed_in(app)
    page = accept_terms(portal, start(portal))
    sid = sid_of(page)
    page = at_step(choose(portal, page, "other_scheme"), "summary")
    page = at_step(portal.get(step_url(sid, "situation")), "situation")
    assert sent(page)["code"] == "other_scheme"
    page = at_step(choose(portal, page, "none"), "income_declarant")
    assert items(page) == []
    page = fill_incomes(portal, page, PENSIONS, "12")
    page = at_step(page, "observations")  # never answered either: on the way
    page = at_step(portal.submit(page, button="continue"), "summary")
    assert [title for title, _ in review_sections(page)] == \
        [step_title(s) for s in ("terms", "situation", "income_declarant", "observations")]
    assert stored(app, who, sid)["steps"] == ["terms", "situation", "income_declarant",
                                              "observations", "summary"]


def test_answers_of_steps_off_the_path_are_not_submitted(app: Flask) -> None:
    portal, who = signed_in(app)
    page = to_summary(portal)
    sid = sid_of(page)
    page = at_step(portal.get(step_url(sid, "situation")), "situation")
    page = at_step(choose(portal, page, "income_paid_by_fund"), "summary")
    assert [title for title, _ in review_sections(page)] == \
        [step_title("terms"), step_title("situation")]
    assert "Retraité depuis 2019" not in page.text
    assert "income_declarant" in stored(app, who, sid)["data"]  # kept in the draft, not shown
    page = submit(portal, page)
    assert (page.status, page.path) == (200, f"/submissions/{sid}")
    state = stored(app, who, sid)
    assert state["status"] == "submitted"
    assert set(state["submitted"]) == {"terms", "situation"}
    assert state["submitted"]["situation"] == {"code": "income_paid_by_fund"}
    assert "Retraité depuis 2019" not in page.text
    assert step_title("income_declarant") not in page.text
    (receipt,) = receipts(app, sid)
    assert [s["title"] for s in receipt["sections"]["fr"]] == \
        [step_title("terms"), step_title("situation")]


# -- 9. submitting -------------------------------------------------------------------------------


def test_submitting_shows_the_confirmation_receipt_and_status(app: Flask) -> None:
    portal, who = signed_in(app)
    summary = to_summary(portal)
    sid = sid_of(summary)
    moved = submit(portal, summary, follow=False)
    assert moved.status in (302, 303)
    assert moved.headers["Location"].endswith(f"/submissions/{sid}#confirmation")
    page = portal.get(f"/submissions/{sid}")
    assert page.status == 200
    confirmation = page.soup.select_one("#confirmation")
    assert confirmation is not None
    assert MESSAGES["submitted"]["fr"] in confirmation.get_text(" ")
    number = RECEIPT.search(confirmation.get_text(" "))
    assert number is not None
    number_text = number.group(0)
    assert page.soup.select_one(".status-tag").get_text(strip=True) == STATES["submitted"]["fr"]
    assert "Retraité depuis 2019" in page.text  # the answers as sent
    pdf_link = page.soup.select_one(f"a[href='/submissions/{sid}/receipt.pdf']")
    assert pdf_link is not None
    pdf = portal.client.get(str(pdf_link["href"]))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert number_text in pdf_text(pdf.data)
    # the same summary submitted again (a second click, the back button): nothing new
    again = submit(portal, summary)
    assert (again.status, again.path) == (200, f"/submissions/{sid}")
    again = portal.post(f"/submissions/{sid}/submit")
    assert (again.status, again.path) == (200, f"/submissions/{sid}")
    assert len(receipts(app, sid)) == 1
    assert stored(app, who, sid)["receipt"]["number"] == number_text
    # the summary of a submitted procedure is no longer open: the submission's page instead
    page = portal.get(step_url(sid, "summary"))
    assert (page.status, page.path) == (200, f"/submissions/{sid}")
    rows = home_rows(portal)
    assert rows[sid]["status"] == STATES["submitted"]["fr"]
    assert number_text in rows[sid]["receipt"]
    assert rows[sid]["receipt_url"] == f"/submissions/{sid}/receipt.pdf"


# -- 10. cancelling ------------------------------------------------------------------------------


def test_cancelling_a_draft_after_confirmation_removes_it_from_the_list(app: Flask) -> None:
    portal, who = signed_in(app)
    page = to_income(portal)
    sid = sid_of(page)
    link = page.soup.select_one(f"#step-form a[href='/submissions/{sid}/cancel']")
    assert link is not None
    confirm = portal.get(str(link["href"]))
    assert (confirm.status, confirm.path) == (200, f"/submissions/{sid}/cancel")
    assert confirm.soup.select_one(f"form.form[action='/submissions/{sid}/cancel']") is not None
    assert confirm.soup.select_one(f"a[href='{step_url(sid, 'income_declarant')}']") is not None
    assert stored(app, who, sid)["status"] == "draft"  # the confirmation page changes nothing
    page = portal.submit(confirm)
    assert (page.status, page.path) == (200, "/")
    assert MESSAGES["cancelled"]["fr"] in notices(page)
    assert sid not in home_rows(portal)
    assert submissions_of(app, who) == [(sid, "cancelled")]
    assert portal.get(f"/submissions/{sid}").status == 404
    assert portal.get(step_url(sid, "terms"), follow=False).status in (302, 404)
    # a cancelled one does not count: starting again makes a new draft
    page = at_step(start(portal), "terms")
    assert sid_of(page) != sid


def test_cancelling_an_amendment_keeps_the_submitted_version(app: Flask) -> None:
    portal, who = signed_in(app)
    sid = sid_of(to_summary(portal, observations="Version transmise"))
    submitted = submit(portal, portal.get(step_url(sid, "summary")))
    number = RECEIPT.search(submitted.text)
    assert number is not None
    page = portal.submit(submitted, form=f"form[action='/submissions/{sid}/amend']")
    at_step(page, "summary")
    page = at_step(portal.get(step_url(sid, "observations")), "observations")
    page = at_step(portal.submit(page, {"text": "Version abandonnée"}, button="continue"),
                   "summary")
    assert "Version abandonnée" in page.text
    confirm = portal.get(f"/submissions/{sid}/cancel")
    assert confirm.status == 200
    page = portal.submit(confirm)
    assert (page.status, page.path) == (200, f"/submissions/{sid}")
    assert "Version transmise" in page.text and "Version abandonnée" not in page.text
    assert page.soup.select_one(".status-tag").get_text(strip=True) == STATES["submitted"]["fr"]
    state = stored(app, who, sid)
    assert state["status"] == "submitted" and state["editing"] is False
    assert state["submitted"]["observations"] == {"text": "Version transmise"}
    assert state["receipt"]["number"] == number.group(0)
    assert len(receipts(app, sid)) == 1
    assert home_rows(portal)[sid]["status"] == STATES["submitted"]["fr"]


# -- 11. amending --------------------------------------------------------------------------------


def test_amending_changes_an_answer_and_gives_an_amended_receipt(app: Flask) -> None:
    portal, who = signed_in(app)
    sid = sid_of(to_summary(portal, observations="Première version"))
    page = submit(portal, portal.get(step_url(sid, "summary")))
    number = RECEIPT.search(page.text)
    assert number is not None
    amend = page.soup.select_one(f"form[action='/submissions/{sid}/amend']")
    assert amend is not None
    moved = portal.submit(page, form=f"form[action='/submissions/{sid}/amend']", follow=False)
    assert moved.status in (302, 303)
    assert moved.headers["Location"].endswith(step_url(sid, "summary"))
    page = at_step(portal.get(moved.headers["Location"]), "summary")
    assert "Première version" in page.text
    change = dict(review_sections(page))[step_title("observations")]
    page = at_step(portal.get(change), "observations")
    assert sent(page)["text"] == "Première version"
    page = at_step(portal.submit(page, {"text": "Seconde version"}, button="continue"),
                   "summary")
    page = submit(portal, page)
    assert (page.status, page.path) == (200, f"/submissions/{sid}")
    assert page.soup.select_one("#confirmation") is not None
    assert "Seconde version" in page.text and "Première version" not in page.text
    assert page.soup.select_one(".status-tag").get_text(strip=True) == STATES["submitted"]["fr"]
    assert number.group(0) in page.text  # amending keeps the receipt number
    first, second = receipts(app, sid)
    assert (first["amended"], second["amended"]) == (False, True)
    assert second["number"] == first["number"] == number.group(0)
    pdf = portal.client.get(f"/submissions/{sid}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Seconde version" in text and "Déclaration modifiée" in text
    assert stored(app, who, sid)["submitted"]["observations"] == {"text": "Seconde version"}


# -- 12. concurrency -----------------------------------------------------------------------------


def test_a_stale_page_is_not_saved_over_a_newer_answer(app: Flask) -> None:
    portal, who = signed_in(app)
    page = to_income(portal)
    sid = sid_of(page)
    old = portal.submit(page, button="add:incomes")  # tab A: the page as it stands
    other = Portal(app.test_client())  # tab B, another device
    other.login(who.identifier, who.password)
    newer = fill_incomes(other, other.get(f"/submissions/{sid}"), [("salary", "5000", "4")], "4")
    at_step(newer, "observations")
    revision = stored(app, who, sid)["revision"]
    page = portal.submit(old, income_fields([("alimony", "99", "2")], "2"), button="continue",
                         follow=False)
    assert page.status in (302, 303)
    assert page.headers["Location"].endswith(f"/submissions/{sid}")
    page = portal.get(page.headers["Location"])
    at_step(page, "observations")
    assert page.soup.select(".notice--error"), show(page)
    state = stored(app, who, sid)
    assert state["revision"] == revision
    assert state["data"]["income_declarant"] == {
        "incomes": [{"category": "salary", "amount": "5000", "months": 4}], "total_months": 4}


def test_a_stale_summary_is_not_submitted(app: Flask) -> None:
    portal, who = signed_in(app)
    summary = to_summary(portal, observations="Lu sur le récapitulatif")
    sid = sid_of(summary)
    tab = Portal(portal.client)  # another tab of the same browser
    page = at_step(tab.get(step_url(sid, "observations")), "observations")
    at_step(tab.submit(page, {"text": "Changé dans un autre onglet"}, button="continue"),
            "summary")
    page = submit(portal, summary)
    assert page.soup.select(".notice--error"), show(page)
    at_step(page, "summary")
    assert "Changé dans un autre onglet" in page.text
    state = stored(app, who, sid)
    assert state["status"] == "draft" and state["submitted"] is None
    assert receipts(app, sid) == []


# -- 13. access ----------------------------------------------------------------------------------


def assert_not_found(page: Page) -> None:
    assert page.status == 404, show(page)
    assert page.headers["Content-Type"].startswith("text/html")
    assert NOT_FOUND.text("fr") in page.text


def test_another_member_cannot_see_nor_change_a_submission(app: Flask) -> None:
    portal, who = signed_in(app)
    page = accept_terms(portal, start(portal))
    sid = sid_of(page)
    page = at_step(choose(portal, page, "other_scheme"), "summary")
    submit(portal, page)
    intruder, _other = signed_in(app)
    intruder.get("/")
    for path in (step_url(sid, "terms"), step_url(sid, "summary"), f"/submissions/{sid}",
                 f"/submissions/{sid}/receipt.pdf", f"/submissions/{sid}/documents/cgu",
                 f"/submissions/{sid}/cancel"):
        assert_not_found(intruder.get(path))
    home = intruder.get("/")
    for path, data in ((step_url(sid, "situation"), {"code": "none", "action": "continue"}),
                       (f"/submissions/{sid}/amend", {}), (f"/submissions/{sid}/cancel", {}),
                       (f"/submissions/{sid}/submit", {})):
        intruder.page = home
        assert_not_found(intruder.post(path, data))
    state = stored(app, who, sid)
    assert (state["status"], state["editing"]) == ("submitted", False)


def test_a_signed_out_visitor_is_sent_to_the_login_page_then_back(app: Flask) -> None:
    portal, who = signed_in(app)
    sid = sid_of(start(portal))
    visitor = Portal(app.test_client())
    for path in (step_url(sid, "terms"), f"/submissions/{sid}", f"/submissions/{sid}/cancel",
                 f"/submissions/{sid}/receipt.pdf"):
        page = visitor.get(path, follow=False)
        assert page.status == 302, page
        assert page.headers["Location"] == f"/login?next={path.replace('/', '%2F')}" or \
            page.headers["Location"] == f"/login?next={path}", page.headers["Location"]
    page = visitor.get(step_url(sid, "terms"))
    assert page.path == "/login"
    page = visitor.submit(page, {"identifier": who.identifier, "password": who.password})
    at_step(page, "terms")
    assert sid_of(page) == sid


def test_a_step_off_the_path_redirects_to_the_current_step(app: Flask) -> None:
    portal, who = signed_in(app)
    page = start(portal)
    sid = sid_of(page)
    for step in ("summary", "situation", "income_declarant", "children", "income_spouse"):
        moved = portal.get(step_url(sid, step), follow=False)
        assert moved.status == 302, (step, moved)
        assert moved.headers["Location"].endswith(step_url(sid, "terms")), step
    page = to_summary(Portal(portal.client))
    assert sid_of(page) == sid
    for step in ("children", "income_spouse"):  # never on this member's path
        moved = portal.get(step_url(sid, step), follow=False)
        assert moved.status == 302, (step, moved)
        assert moved.headers["Location"].endswith(step_url(sid, "summary")), step
    # posting to a step off the path is refused without harm
    home = portal.get(step_url(sid, "observations"))
    before = stored(app, who, sid)
    page = portal.post(step_url(sid, "children"), {"revision": sent(home)["revision"],
                                                   "count": "0", "action": "continue"})
    assert page.status < 500, show(page)
    assert step_of(page) == "summary"
    after = stored(app, who, sid)
    assert "children" not in after["data"] and after["revision"] == before["revision"]


def test_an_unknown_step_is_not_found(app: Flask) -> None:
    portal, who = signed_in(app)
    sid = sid_of(start(portal))
    assert_not_found(portal.get(step_url(sid, "nowhere")))
    assert_not_found(portal.post(step_url(sid, "nowhere"), {"action": "continue"}))
    assert_not_found(portal.get(f"/submissions/{sid}/documents/nothing"))
    assert_not_found(portal.get(step_url("00000000-0000-0000-0000-000000000000", "terms")))
    assert stored(app, who, sid)["step"] == "terms"


@pytest.mark.parametrize("action", [
    "frobnicate", "", "open:", "open:nothing", "add:", "add:nothing", "add:incomes-0",
    "add:total_months", "remove:", "remove:incomes", "remove:incomes-x", "remove:incomes-99",
    "remove:incomes--1", "remove:total_months-0", "remove:incomes-0-category", "back:x",
    "add:incomes" * 50, "\x00", "é:ü"])
def test_a_garbage_action_does_no_harm(app: Flask, action: str) -> None:
    portal, who = signed_in(app)
    page = portal.submit(to_income(portal), button="add:incomes")
    sid = sid_of(page)
    data = {**income_fields([("salary", "1000", "6")], "6"), "action": action}
    answer = portal.submit(page, data, follow=False)
    assert answer.status < 500, show(answer)
    if answer.status == 200:  # the page redrawn, what was typed kept
        assert sent(answer)["incomes-0-amount"] == "1000"
    if action.split(":")[0] not in ("open", "add", "remove", "continue", "back"):
        assert answer.status == 200  # an unknown action only redraws the page
        assert stored(app, who, sid)["data"].get("income_declarant") is None
    state = stored(app, who, sid)
    assert state["status"] == "draft"
    assert state["step"] in ("income_declarant", "observations")
    assert state["data"].get("income_declarant") in (None, {
        "incomes": [{"category": "salary", "amount": "1000", "months": 6}], "total_months": 6})


def test_back_on_the_first_step_is_refused_without_harm(app: Flask) -> None:
    portal, who = signed_in(app)
    page = start(portal)
    sid = sid_of(page)
    page = portal.submit(page, {"action": "back"})
    at_step(page, "terms")
    assert page.soup.select(".notice--error"), show(page)
    assert stored(app, who, sid)["step"] == "terms"


# -- 14. one code path with the API --------------------------------------------------------------


def as_fields(data: Mapping[str, Any]) -> dict[str, str]:
    """JSON answers of the income step as the page's fields (an absent answer left empty)."""
    fields = {"total_months": str(data.get("total_months", ""))}
    for i, income in enumerate(data.get("incomes", [])):
        for key in ("category", "amount", "months"):
            fields[f"incomes-{i}-{key}"] = str(income.get(key, ""))
    return fields


def api_errors(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.json
    return [("#" + e["path"].lstrip("/").replace("/", "-"), e["message"])
            for e in response.json["errors"]]


BAD_INCOMES = [
    {"incomes": [{"category": "salary", "amount": "12,345.6.7", "months": 13}],
     "total_months": 12},
    {"incomes": [{"amount": "1000", "months": 0}], "total_months": 13},
    {"incomes": [{"category": "salary", "amount": "01000", "months": 12}], "total_months": 12},
    {"incomes": [{"category": "salary", "amount": "1000", "months": 12}], "total_months": 5},
    {"incomes": [{"category": "salary", "amount": "1000", "months": 6},
                 {"category": "alimony", "amount": "20", "months": 2}], "total_months": 9},
    {"incomes": [], "total_months": "douze"},
    {"incomes": [{"category": "salary", "amount": "", "months": ""}]},
]


def test_the_page_and_the_api_give_the_same_messages_for_the_same_data(app: Flask) -> None:
    portal, who = signed_in(app)
    page = start(portal)
    sid = sid_of(page)
    client = api(app, who)
    wrong = portal.submit(page, {"accepted": "y"}, button="continue")
    assert summary_links(wrong) == api_errors(client.answer(sid, "terms", {"accepted": True}))
    page = choose(portal, accept_terms(portal, portal.get(step_url(sid, "terms"))), "none")
    at_step(page, "income_declarant")
    for data in BAD_INCOMES:
        page = portal.get(step_url(sid, "income_declarant"))
        while len(items(page)) < len(data["incomes"]):
            page = portal.submit(page, button="add:incomes")
        wrong = portal.submit(page, as_fields(data), button="continue")
        assert wrong.status == 422, (data, show(wrong))
        expected = api_errors(client.answer(sid, "income_declarant", {
            **data, "incomes": [{k: v for k, v in income.items() if v != ""}
                                for income in data["incomes"]]}))
        assert summary_links(wrong) == expected, data
        for anchor, message in expected:
            assert message in wrong.soup.find(id=f"{anchor[1:]}-error").get_text(" "), anchor
    english = Api(client.client, client.token, lang="en")
    portal.get("/language/en?next=/")
    wrong = portal.submit(portal.get(step_url(sid, "income_declarant")),
                          as_fields(BAD_INCOMES[0]), button="continue")
    expected = api_errors(english.answer(sid, "income_declarant", BAD_INCOMES[0]))
    assert summary_links(wrong) == expected
    assert ("#incomes-0-months", INCOME["incomes"]["items"]["months"]["errors"]["range"]["en"]) \
        in expected
    assert "income_declarant" not in stored(app, who, sid)["data"]


# -- 15. security --------------------------------------------------------------------------------


def visited_urls(pages: Iterable[Page]) -> set[str]:
    """Every URL the member went to or could go to from these pages."""
    urls: set[str] = set()
    for page in pages:
        urls.add(page.url)
        urls.update(location for _code, location in page.history)
        for element in page.soup.select("[href], [action], [formaction]"):
            for attribute in ("href", "action", "formaction"):
                if element.has_attr(attribute):
                    urls.add(str(element[attribute]))
    return urls


def test_pages_are_not_cached_and_urls_hold_no_personal_data(app: Flask) -> None:
    portal, who = signed_in(app, spouse=True, children_section=True)
    pages: list[Page] = []
    original = portal._seen

    def record(response: Any) -> Page:
        page = original(response)
        pages.append(page)
        return page

    portal._seen = record  # type: ignore[method-assign]
    page = fill_incomes(portal, to_income(portal), PENSIONS, "12")
    page = portal.submit(at_step(page, "income_spouse"), {"total_months": "0"},
                         button="continue")
    page = portal.submit(at_step(page, "observations"), {"text": "Rien à signaler"},
                         button="continue")
    page = portal.submit(at_step(page, "children"), {"count": "1"}, button="add:children")
    page = portal.submit(page, {"children-0-first_name": "Léa",
                                "children-0-birth_date": "01/03/2012",
                                "children-0-regime": "csm"}, button="continue")
    sid = sid_of(at_step(page, "summary"))
    portal.get(f"/submissions/{sid}/cancel")
    page = submit(portal, portal.get(step_url(sid, "summary")))
    portal.get(f"/submissions/{sid}/documents/cgu")
    portal.get("/")
    assert len(pages) > 15
    for seen in pages:
        assert seen.status == 200, seen
        assert "no-store" in seen.headers.get("Cache-Control", ""), seen
    receipt = portal.client.get(f"/submissions/{sid}/receipt.pdf")
    assert receipt.status_code == 200
    assert "no-store" in receipt.headers.get("Cache-Control", "")
    urls = visited_urls(pages)
    allowed = re.compile(rf"/submissions/{sid}(/steps/\w+|/documents/\w+|/cancel|/submit|/amend"
                         r"|/receipt\.pdf)?(#confirmation)?")
    own = [url for url in urls if url.startswith("/submissions/")]
    assert len(own) > 5
    for url in own:
        assert allowed.fullmatch(url), url
    steps = {m.group(1) for url in own if (m := re.search(r"/steps/(\w+)", url))}
    assert steps <= set(WORKFLOW["steps"])
    registration = who.identifier.split("-")[0]
    personal = [who.identifier, registration, "Dupont", "Alain", "Léa", "L%C3%A9a", "18000",
                "6250", "2012", "Rien", "none", "csm"]
    for url in (u.replace(sid, "<id>") for u in urls):
        assert "?" not in url or url.startswith(("/language/", "/login")), url
        for secret in personal:
            assert secret not in url, (secret, url)


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(app: Flask) -> None:
    portal, who = signed_in(app)
    page = start(portal)
    sid = sid_of(page)
    before = stored(app, who, sid)
    for button, data in (("open:cgu", {}), ("continue", {"accepted": "y"})):
        refused = portal.submit(page, {**data, "csrf_token": None}, button=button)
        assert refused.status == 400, (button, refused)
        assert refused.headers["Content-Type"].startswith("text/html")
    assert stored(app, who, sid) == before
    page = accept_terms(portal, portal.get(step_url(sid, "terms")))
    page = at_step(choose(portal, page, "other_scheme"), "summary")
    before = stored(app, who, sid)
    refused = portal.submit(page, {"csrf_token": None}, form="#submit-form")
    assert refused.status == 400
    forged = portal.client.post(f"/submissions/{sid}/cancel", data={"revision": "1"})
    assert forged.status_code == 400
    forged = portal.client.post(START, data={"key": "forged"})
    assert forged.status_code == 400
    foreign = Portal(app.test_client()).get("/login").csrf_token()  # another session's token
    forged = portal.client.post(f"/submissions/{sid}/submit", data={"csrf_token": foreign})
    assert forged.status_code == 400
    assert stored(app, who, sid) == before
    assert submissions_of(app, who) == [(sid, "draft")]
    submitted = submit(portal, portal.get(step_url(sid, "summary")))
    assert submitted.soup.select_one("#confirmation") is not None
    forged = portal.client.post(f"/submissions/{sid}/amend", data={})
    assert forged.status_code == 400
    assert stored(app, who, sid)["editing"] is False
