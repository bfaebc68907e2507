"""``/api/v1/openapi.json``: the API described, with every step's JSON Schema."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from web.api.common import services
from web.audience import audience

bp = Blueprint("openapi", __name__)

_PROBLEM = {"type": "object", "required": ["type", "title", "status", "code", "detail"],
            "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                           "status": {"type": "integer"}, "code": {"type": "string"},
                           "detail": {"type": "string"}, "request_id": {"type": "string"},
                           "errors": {"type": "array", "items": {"$ref": "#/components/schemas/"
                                                                         "FieldError"}}}}
_CODE = ("Staff accounts only, and required for them: the current 6-digit code of their"
         " authenticator app (TOTP, enrolled on the back office). Missing, wrong or already"
         " used: 401 invalid_credentials, the answer of a wrong password.")
_FIELD_ERROR = {"type": "object", "required": ["path", "code", "message"],
                "properties": {"path": {"type": "string", "description": "JSON Pointer"},
                               "code": {"type": "string"}, "message": {"type": "string"}}}
_SUBMISSION = {"type": "object", "required": ["id", "workflow", "version", "status", "step",
                                              "data", "actions", "revision"],
               "properties": {"id": {"type": "string", "format": "uuid"},
                              "workflow": {"type": "string"}, "version": {"type": "integer"},
                              "status": {"type": "string"}, "step": {"type": ["string", "null"]},
                              "data": {"type": "object"},
                              "actions": {"type": "array", "items": {"type": "string"}},
                              "revision": {"type": "integer"},
                              "receipt": {"type": "object", "properties": {
                                  "number": {"type": "string"}, "url": {"type": "string"}}}}}


_QUEUE_PARAMS = [
    {"name": name, "in": "query", "required": False, "description": text, "schema": schema}
    for name, text, schema in [
        ("workflow", "Procedure ids, comma-separated, among those the caller's roles act on",
         {"type": "string"}),
        ("status", "Status names, comma-separated (never draft nor cancelled)",
         {"type": "string"}),
        ("scope", "Period or campaign (the procedure's one_per scope, e.g. 2025)",
         {"type": "string", "maxLength": 120}),
        ("submitted_from", "First day, Europe/Monaco, included", {"type": "string",
                                                                  "format": "date"}),
        ("submitted_to", "Last day, Europe/Monaco, included", {"type": "string",
                                                               "format": "date"}),
        ("q", "Registration number, identifier, receipt number or the start of a name",
         {"type": "string", "maxLength": 80}),
        ("sort", "Oldest submitted first (default) or newest first",
         {"type": "string", "enum": ["submitted_at", "-submitted_at"]}),
        ("cursor", "The next_cursor of the previous page", {"type": "string"}),
    ]]


def _problems(*statuses: int) -> dict[str, Any]:
    ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {str(s): {"description": "problem", "content": ref} for s in statuses}


def _ok(schema: str, status: int = 200) -> dict[str, Any]:
    return {str(status): {"description": "ok", "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


def _op(summary: str, responses: dict[str, Any], body: dict[str, Any] | None = None,
        auth: bool = True, params: list[str] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": body}}}
    if not auth:
        op["security"] = []
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True,
                             "schema": {"type": "string"}} for p in params]
    return op


def document() -> dict[str, Any]:
    catalog = services().catalog
    step_schemas: dict[str, Any] = {}
    for wf in catalog.all_current():
        for name in wf.steps:
            form = wf.form_of(name)
            if form is not None:
                step_schemas[f"{wf.id}.v{wf.version}.{name}"] = dict(form.schema)
    sid, step = ["submission_id"], ["submission_id", "step"]
    any_step = {"type": "object", "required": ["data"], "properties": {
        "data": {"oneOf": [{"$ref": f"#/components/schemas/{k}"} for k in step_schemas]},
        "revision": {"type": "integer"}}}
    paths: dict[str, Any] = {
        "/api/v1/auth/token": {
            "post": _op("Log in", {**_ok("Token"), **_problems(400, 401)},
                        {"type": "object", "required": ["identifier", "password"],
                         "properties": {"identifier": {"type": "string", "maxLength": 80},
                                        "password": {"type": "string", "maxLength": 128},
                                        "code": {"type": "string", "maxLength": 16,
                                                 "description": _CODE}}}, auth=False),
            "delete": {"summary": "Log out", "responses": {"204": {"description": "done"}}}},
        "/api/v1/workflows": {"get": _op("Procedures this account may see", {
            "200": {"description": "ok"}, **_problems(401)})},
        "/api/v1/workflows/{workflow}/submissions": {"post": _op(
            "Start a procedure (honours Idempotency-Key)",
            {**_ok("Submission", 201), **_problems(401, 403, 404, 409)}, params=["workflow"])},
        "/api/v1/submissions": {"get": _op("My submissions", {"200": {"description": "ok"}})},
        "/api/v1/submissions/{submission_id}": {"get": _op(
            "One submission", {**_ok("Submission"), **_problems(401, 404)}, params=sid)},
        "/api/v1/submissions/{submission_id}/steps/{step}": {
            "get": _op("A step: schema, UI hints, what it shows, the choices of its"
                       " dynamic-choice fields, data", {"200": {"description": "ok"},
                                                          **_problems(404)}, params=step),
            "put": _op("Answer a step", {**_ok("Submission"), **_problems(400, 404, 409, 422)},
                       any_step, params=step)},
        "/api/v1/submissions/{submission_id}/receipt.pdf": {"get": _op(
            "The acknowledgment as PDF", {"200": {"description": "PDF", "content": {
                "application/pdf": {}}}, **_problems(404)}, params=sid)},
        "/api/v1/staff/submissions": {"get": {**_op("Staff queue", {"200": {
            "description": "ok"}, **_problems(400, 401, 404)}), "parameters": _QUEUE_PARAMS}},
        "/api/v1/staff/submissions/{submission_id}/transitions": {"post": _op(
            "Staff transition", {**_ok("Submission"), **_problems(403, 404, 409, 422)},
            {"type": "object", "required": ["name", "revision"], "properties": {
                "name": {"type": "string"}, "comment": {"type": "string"},
                "revision": {"type": "integer"}}}, params=sid)},
    }
    for action in ("back", "cancel", "submit", "amend"):
        paths[f"/api/v1/submissions/{{submission_id}}/{action}"] = {"post": _op(
            action.capitalize(), {**_ok("Submission"), **_problems(404, 409, 422)}, params=sid)}
    paths["/api/v1/submissions/{submission_id}/documents/{name}"] = {"post": _op(
        "Open a document (records that it was read)", {"200": {"description": "ok"},
                                                        **_problems(404)},
        params=["submission_id", "name"])}
    paths["/api/v1/submissions/{submission_id}/documents/{name}.pdf"] = {"get": _op(
        "A document the submission's state offers (its `offers`), as PDF", {
            "200": {"description": "PDF", "content": {"application/pdf": {}}},
            **_problems(404)}, params=["submission_id", "name"])}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Caisses Sociales — services en ligne", "version": "1"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Problem": _PROBLEM, "FieldError": _FIELD_ERROR,
                        "Submission": _SUBMISSION,
                        "Token": {"type": "object", "properties": {
                            "token": {"type": "string"}, "expires_at": {"type": "string"},
                            "must_change_password": {"type": "boolean"},
                            "email_validated": {"type": "boolean"}}},
                        **step_schemas}}}


@bp.get("/openapi.json")
@audience("public")
def openapi() -> dict[str, Any]:
    return document()
