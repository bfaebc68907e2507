"""``/``: where the member portal will stand; for now it says where the API is."""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("home", __name__)

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Caisses Sociales — services en ligne</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Caisses Sociales — services en ligne</h1>
<p>Le portail des assurés arrive bientôt. L'API JSON est décrite dans
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<p lang="en">The member portal is coming. The JSON API is described at
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></main></body></html>
"""


@bp.get("/")
def index() -> Response:
    return Response(PAGE, mimetype="text/html")
