"""Headers and request checks of every page: SECURITY.md CONF-01, AC-04 (Fetch Metadata)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_URL
from tests.factories import member
from tests.integration.portal_client import Portal
from web import create_app
from web.db.migrate import upgrade
from web.settings import ROOT, Settings


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/static/css/portal.css",
                                  "/api/v1/openapi.json"])
def test_every_response_has_the_security_headers(client, path):
    r = client.get(path)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert "camera=()" in r.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP outside production


def test_a_cross_site_post_is_refused_even_with_a_good_token(app, client):
    who = member(app)
    portal = Portal(client)
    page = portal.get("/login")
    r = client.post("/login", data={"csrf_token": page.csrf_token(), "identifier": who.identifier,
                                    "password": who.password},
                    headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and r.mimetype == "text/html"
    assert "autre site" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in
    r = client.post("/login", data={"csrf_token": page.csrf_token(), "identifier": who.identifier,
                                    "password": who.password},
                    headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 302 and client.get("/").status_code == 200


@pytest.mark.pg
@pytest.mark.skipif(PG_URL is None, reason="production refuses SQLite: needs TEST_DATABASE_URL")
def test_production_cookie_is_host_prefixed_secure_and_pages_get_hsts():
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app(Settings(environment="production", database_url=url,
                                  secret_key=secrets.token_hex(32), definitions_dir=ROOT,
                                  mail_backend="smtp", mail_host="127.0.0.1"))
        client = app.test_client()
        r = client.get("/login", base_url="https://localhost")
        assert r.headers["Strict-Transport-Security"].startswith("max-age=63072000")
        cookie = r.headers["Set-Cookie"]
        assert cookie.startswith("__Host-csm_session=")
        for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert attribute in cookie
        assert "Domain" not in cookie
        app.extensions["csm"].engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
