"""The API's OpenAPI document: generated from the route signatures of both API functions, committed, served
whole at /docs, and declaring the errors each operation really answers."""

from __future__ import annotations

import json

from infra import openapi
from infra.local import template
from tests.conftest import Api


def test_the_committed_document_is_the_one_the_routes_generate() -> None:
    committed = openapi.DOCUMENT.read_text(encoding="utf-8")
    assert committed == openapi.rendered(openapi.document()), (
        "functions/activate/openapi.json is stale: run `python -m infra.openapi` and commit it")


def test_the_document_describes_every_route_of_the_templates_api() -> None:
    data = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))
    assert openapi.missing_operations(data) == []
    documented = {(method.upper(), path) for path, item in data["paths"].items() for method in item}
    routes = {(route.method, route.path) for route in template.api_routes()} - {openapi.DOCS_ROUTE}
    assert documented == routes  # and nothing the API Gateway would not route


def test_every_operation_documents_its_errors_with_the_error_body() -> None:
    data = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))
    authorized = {(route.method, route.path) for route in template.api_routes() if route.authorized}
    for path, item in data["paths"].items():
        for method, operation in item.items():
            statuses = {int(status) for status in operation["responses"]}
            errors = {status for status in statuses if status >= 400}
            assert 422 in errors, (method, path)
            if (method.upper(), path) in authorized:
                assert {401, 403, 429, 503} <= errors, (method, path)
                assert operation["security"] == [{"bearer": []}]
            for status in errors:
                schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    error = data["components"]["schemas"]["ErrorDetail"]
    assert set(error["required"]) == {"code", "message", "details"}


def test_docs_serve_the_whole_apis_document(api: Api) -> None:
    answer = api.get("/docs?format=json")
    assert answer.status == 200
    served = answer.body
    assert "/exports/{month}" in served["paths"]  # ExportFunction's routes, served by ActivateFunction
    assert served["paths"] == json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))["paths"]
    page = api.get("/docs")
    assert page.headers["Content-Type"] == "text/html"
    assert b"/exports/{month}" in page.raw
