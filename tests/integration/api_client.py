"""A small typed helper over the Flask test client, speaking the API as the mobile app does."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.factories import fresh_code


class Api:
    def __init__(self, client: FlaskClient, token: str | None = None, lang: str = "fr") -> None:
        self.client, self.token, self.lang = client, token, lang

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        found = {"Accept-Language": self.lang}
        if self.token:
            found["Authorization"] = f"Bearer {self.token}"
        return {**found, **(extra or {})}

    def login(self, identifier: str, password: str, code: str | None = None) -> Api:
        """A token. Staff accounts also send ``code``: by default a code their authenticator
        would show now (``tests.factories.fresh_code``)."""
        body = {"identifier": identifier, "password": password}
        code = fresh_code(self.client.application, identifier) if code is None else code
        if code is not None:
            body["code"] = code
        r = self.client.post("/api/v1/auth/token", json=body)
        assert r.status_code == 200, r.json
        return Api(self.client, r.json["token"], self.lang)

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=self.headers())

    def post(self, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(url, json=body, headers=self.headers(headers))

    def put(self, url: str, body: Any) -> Any:
        return self.client.put(url, json=body, headers=self.headers())

    def start(self, workflow: str = "resource_declaration") -> dict[str, Any]:
        r = self.post(f"/api/v1/workflows/{workflow}/submissions")
        assert r.status_code == 201, r.json
        return dict(r.json)

    def answer(self, sid: str, step: str, data: Any) -> Any:
        return self.put(f"/api/v1/submissions/{sid}/steps/{step}", {"data": data})

    def act(self, sid: str, action: str, body: Any = None) -> Any:
        return self.post(f"/api/v1/submissions/{sid}/{action}", body)
