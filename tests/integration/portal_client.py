"""A small test browser over the Flask test client, for the portal's HTML pages.

It reads the forms the way a browser does (hidden fields, the CSRF token included), so the tests
go through the real pages with CSRF protection on: nothing is posted that the page did not offer,
except what a test overrides on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

FormValue = str | Sequence[str] | None
_NEVER_SENT = {"submit", "button", "reset", "image", "file"}


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Page:
    """One answer as the member would see it (after any redirects)."""

    def __init__(self, response: TestResponse) -> None:
        self.response = response
        self.status: int = response.status_code
        self.headers = response.headers
        request = response.request
        self.path: str = request.path
        query = request.query_string.decode("latin-1") if request.query_string else ""
        self.url: str = f"{request.path}?{query}" if query else request.path
        self.history: list[tuple[int, str]] = [
            (r.status_code, r.headers.get("Location", "")) for r in response.history]
        self.html: str = response.get_data(as_text=True)
        self.soup = BeautifulSoup(self.html, "html.parser")

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.url}>"

    @property
    def text(self) -> str:
        """The visible text of the body, whitespace collapsed."""
        root = self.soup.body or self.soup
        return _collapse(root.get_text(" "))

    @property
    def h1(self) -> str:
        found = self.soup.find("h1")
        return _collapse(found.get_text(" ")) if found is not None else ""

    @property
    def lang(self) -> str | None:
        html = self.soup.find("html")
        value = html.get("lang") if isinstance(html, Tag) else None
        return str(value) if value is not None else None

    def form(self, selector: str = "form.form") -> Tag:
        found = self.soup.select_one(selector)
        assert found is not None, f"no form {selector!r} on {self!r}:\n{self.text}"
        return found

    def attr(self, selector: str, name: str) -> str | None:
        """An attribute of the first element matching ``selector`` (None if absent)."""
        found = self.soup.select_one(selector)
        assert found is not None, f"nothing matches {selector!r} on {self!r}"
        value = found.get(name)
        if value is None:
            return None
        return " ".join(value) if isinstance(value, list) else str(value)

    def errors(self) -> list[str]:
        """The messages of the error summary: its items, else its paragraphs."""
        items = self.soup.select(".error-summary li")
        if not items:
            items = self.soup.select(".error-summary p")
        return [_collapse(item.get_text(" ")) for item in items]

    def csrf_token(self) -> str:
        found = self.soup.select_one("input[name=csrf_token]")
        assert found is not None, f"no CSRF token on {self!r}"
        return str(found.get("value", ""))


def form_values(form: Tag) -> list[tuple[str, str]]:
    """What a browser would send for this form before any button is pressed."""
    values: list[tuple[str, str]] = []
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or element.has_attr("disabled"):
            continue
        name = str(name)
        if element.name == "input":
            kind = str(element.get("type", "text")).lower()
            if kind in ("checkbox", "radio"):
                if element.has_attr("checked"):
                    values.append((name, str(element.get("value", "on"))))
            elif kind not in _NEVER_SENT:  # hidden, text, number, date, email, password...
                values.append((name, str(element.get("value", ""))))
        elif element.name == "select":
            options = element.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")]
            if element.has_attr("multiple"):
                picked = chosen
            else:
                picked = chosen[-1:] or options[:1]
            for option in picked:
                value = option.get("value")
                values.append((name, str(value) if value is not None
                               else _collapse(option.get_text(" "))))
        else:  # textarea
            text = element.get_text()  # a browser drops the line break after <textarea>
            values.append((name, text.removeprefix("\r\n").removeprefix("\n")))
    return values


def _find_button(form: Tag, button: str) -> Tag:
    buttons = form.find_all("button") + form.find_all(
        "input", attrs={"type": re.compile("^(submit|image)$", re.I)})
    for candidate in buttons:
        if candidate.get("value") == button:
            return candidate
    for candidate in buttons:
        label = candidate.get("value") if candidate.name == "input" else candidate.get_text(" ")
        if label is not None and _collapse(str(label)) == _collapse(button):
            return candidate
    for candidate in buttons:  # visible text without the visually hidden part
        if candidate.name == "button" and _collapse(
                "".join(s for s in candidate.find_all(string=True, recursive=False))) == button:
            return candidate
    known = [_collapse(b.get_text(" ")) or b.get("value") for b in buttons]
    raise AssertionError(f"no button {button!r} in the form; buttons: {known}")


class Portal:
    """A member's browser: one cookie jar, the last page seen."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.page: Page | None = None

    def _seen(self, response: TestResponse) -> Page:
        self.page = Page(response)
        return self.page

    def get(self, path: str, follow: bool = True) -> Page:
        return self._seen(self.client.get(path, follow_redirects=follow))

    def submit(self, page: Page, data: Mapping[str, FormValue] | None = None,
               button: str | None = None, form: str = "form.form",
               follow: bool = True) -> Page:
        element = page.form(form)
        pairs = form_values(element)
        for name, value in (data or {}).items():
            pairs = [(n, v) for n, v in pairs if n != name]
            if value is None:
                continue
            if isinstance(value, str):
                pairs.append((name, value))
            else:
                pairs.extend((name, str(v)) for v in value)
        action = str(element.get("action") or page.url)
        method = str(element.get("method", "get")).lower()
        if button is not None:
            pressed = _find_button(element, button)
            if pressed.get("name"):
                pairs.append((str(pressed["name"]), str(pressed.get("value", ""))))
            action = str(pressed.get("formaction") or action)
            method = str(pressed.get("formmethod") or method).lower()
        target = urlsplit(action)
        assert not target.netloc, f"form posts to another site: {action}"
        if method == "post":
            response = self.client.post(action, data=_multi(pairs), follow_redirects=follow,
                                        content_type="application/x-www-form-urlencoded")
        else:
            response = self.client.get(target.path, query_string=_multi(pairs),
                                       follow_redirects=follow)
        return self._seen(response)

    def login(self, identifier: str, password: str) -> Page:
        page = self.get("/login")
        return self.submit(page, {"identifier": identifier, "password": password})

    def post(self, path: str, data: Mapping[str, FormValue] | None = None,
             follow: bool = True) -> Page:
        """A POST outside the page's main form, with the CSRF token of the last page seen."""
        assert self.page is not None, "no page seen yet: GET one first"
        fields: dict[str, FormValue] = {"csrf_token": self.page.csrf_token()}
        fields.update(data or {})
        pairs: list[tuple[str, str]] = []
        for name, value in fields.items():
            if value is None:
                continue
            if isinstance(value, str):
                pairs.append((name, value))
            else:
                pairs.extend((name, str(v)) for v in value)
        return self._seen(self.client.post(path, data=_multi(pairs), follow_redirects=follow))

    def logout(self) -> Page:
        """Press the header's log out button."""
        assert self.page is not None, "no page seen yet: GET one first"
        return self.submit(self.page, form="form[action='/logout']")

    def cookie(self, name: str = "csm_session") -> Any:
        return self.client.get_cookie(name)


def _multi(pairs: list[tuple[str, str]]) -> MultiDict[str, str]:
    return MultiDict(pairs)
