"""The baseline: a bare Flask endpoint storing a step's JSON with one INSERT and one commit.

Served exactly like the service (``gunicorn 'bare_app:create_app()'`` with ``--pythonpath
bench``, same workers and bind). DATABASE_URL is the same PostgreSQL URL (same schema); the
table ``bare_steps`` is created by the bench before gunicorn starts.
"""

from __future__ import annotations

import os
from typing import Any

from database import bare_steps
from flask import Flask, request
from sqlalchemy import create_engine, insert


def create_app() -> Flask:
    engine = create_engine(os.environ["DATABASE_URL"])
    app = Flask(__name__)

    @app.put("/bare/<submission_id>/steps/<step>")
    def put_step(submission_id: str, step: str) -> tuple[dict[str, Any], int]:
        body = request.get_json()
        if not isinstance(body, dict) or "data" not in body:
            return {"code": "missing_data"}, 400
        with engine.begin() as conn:  # one transaction, one commit
            new_id = conn.execute(insert(bare_steps).values(
                submission_id=submission_id, step=step, data=body["data"])
                .returning(bare_steps.c.id)).scalar_one()
        return {"id": new_id, "submission_id": submission_id, "step": step}, 200

    @app.get("/bare/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    return app
