"""The API's OpenAPI document: generated from the route signatures of both API functions, committed, served
whole at /docs, and declaring the errors each operation really answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from infra import openapi
from infra.local import template
from tests.billing_support import finance, finance_env
from tests.conftest import Api, activation_body, authority_body

__all__ = ["finance", "finance_env"]  # fixtures


def test_the_committed_document_is_the_one_the_routes_generate() -> None:
    committed = openapi.DOCUMENT.read_text(encoding="utf-8")
    assert committed == openapi.rendered(openapi.document()), (
        "functions/activate/openapi.json is stale: run `python -m infra.openapi` and commit it"
    )


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


# ---------------------------------------------------------------------- what the API answers on success
JSON = "application/json"


def _component(data: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref", "")
    prefix = "#/components/schemas/"
    return data["components"]["schemas"][reference[len(prefix) :]] if reference.startswith(prefix) else schema


# Answers that are a document to read, not data: each of their media types described as a string.
FILES_ONLY = {"GET /activations/{activation_id}/report", "GET /activations/{activation_id}/d2/export"}


def test_every_success_answer_is_described_field_by_field() -> None:
    data = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))
    untyped = []
    for path, item in data["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if not 200 <= int(status) < 300:
                    continue
                content = response.get("content") or {}
                if status == "204" and not content:
                    continue  # No Content: nothing to describe
                if JSON not in content and f"{method.upper()} {path}" not in FILES_ONLY:
                    untyped.append(f"{method.upper()} {path} {status}: no JSON answer described")
                for media_type, described in content.items():
                    schema = described.get("schema") or {}
                    if media_type != JSON:  # the export's CSV and XLSX: text and bytes
                        if schema.get("type") != "string":
                            untyped.append(f"{method.upper()} {path} {status} {media_type}: {schema}")
                    elif not _component(data, schema).get("properties"):
                        untyped.append(f"{method.upper()} {path} {status}: {schema or 'no schema'}")
    assert untyped == []


def _closed(schema: Any) -> Any:
    """`schema` with no property beyond those it names, wherever it names any and allows no others itself."""
    if isinstance(schema, dict):
        closed = {key: _closed(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(value) for value in schema]
    return schema


class _Described:
    """Checks each answer against what the committed document says the operation answers with its status:
    every field it holds is described, of the type described, and every required field is there."""

    def __init__(self) -> None:
        from jsonschema import Draft202012Validator

        self.validator = Draft202012Validator
        self.data = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))
        self.checked: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, answer: Any, expected: int) -> Any:
        assert answer.status == expected, (method, path, answer.body)
        response = self.data["paths"][path][method.lower()]["responses"][str(answer.status)]
        if answer.status == 204 and not response.get("content"):
            assert not answer.raw, (method, path)
            self.checked.add((method, path))
            return None
        if JSON not in response["content"]:  # a file: of a media type the document names
            assert answer.headers["Content-Type"].split(";")[0] in response["content"], (method, path)
            self.checked.add((method, path))
            return answer.raw
        schema = {**response["content"][JSON]["schema"], "components": _closed(self.data["components"])}
        problems = [
            f"{'.'.join(map(str, problem.path)) or 'body'}: {problem.message}"
            for problem in self.validator(schema).iter_errors(answer.body)
        ]
        assert problems == [], (method, path)
        self.checked.add((method, path))
        return answer.body

    def file(self, method: str, path: str, answer: Any, expected: int) -> bytes:
        """An answer that is a document: of a media type the operation describes."""
        assert answer.status == expected, (method, path, answer.raw[:200])
        content = self.data["paths"][path][method.lower()]["responses"][str(answer.status)]["content"]
        assert answer.headers["Content-Type"].split(";")[0] in content, (method, path)
        self.checked.add((method, path))
        return bytes(answer.raw)


def test_every_answer_of_a_day_at_the_crisis_center_is_what_the_document_says(
    api: Api, admin: str, finance: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.local.stack import forget_cached_state
    from tests.billing_support import put_activation, put_usage
    from tests.test_meter_ingest import Stream, record
    from tests.test_month_close import CLOSING, close, deliver_records

    monkeypatch.setenv("NUMBER_COOLDOWN_SECONDS", "900")  # a released number cools down, as deployed
    forget_cached_state()
    described = _Described()
    assert described("GET", "/health", api.get("/health"), 200) == {"status": "ok"}
    enrolled = described(
        "POST", "/authorities", api.post("/authorities", admin, authority_body(number_kind="did")), 201
    )
    gent = enrolled["token"]
    assert described("GET", "/me", api.get("/me", gent), 200)["authority_id"] == "44021"
    assert described("GET", "/incident-templates", api.get("/incident-templates", gent), 200)["templates"]
    draft = {"languages": ["nl"], "message": {"nl": "Blijf binnen."}, "victim_information": True}
    assert described("POST", "/preview", api.post("/preview", gent, draft), 200)["languages"]["nl"]
    staffing = "/staffing?calls_per_hour=36&handle_seconds=240&answer_within_seconds=600&service_level=0.5"
    assert described("GET", "/staffing", api.get(staffing, gent), 200)["one_fewer"]["stable"] is False
    patient = "/staffing?calls_per_hour=3295&handle_seconds=240&answer_within_seconds=60&service_level=0.8"
    assert described("GET", "/staffing", api.get(f"{patient}&patience_seconds=120", gent), 200)["model"] == "erlang_a"
    described("POST", "/authorities", api.post("/authorities", admin, authority_body("21004", "Brussel")), 201)
    described("GET", "/authorities", api.get("/authorities", admin), 200)
    described("GET", "/authorities/{authority_id}", api.get("/authorities/44021", gent), 200)
    staff = described("POST", "/credentials", api.post("/credentials", admin, {"role": "admin", "label": "Night"}), 201)
    described("GET", "/credentials", api.get("/credentials", admin), 200)
    mayor = {"name": "Mathias De Clercq", "function": "burgemeester", "phone": "+32475123456", "language": "nl"}
    described(
        "POST",
        "/authorities",
        api.post("/authorities", admin, authority_body("11002", "Antwerpen", activators=[mayor])),
        201,
    )
    people = "/authorities/{authority_id}/activators"
    added = described("POST", people, api.post("/authorities/44021/activators", admin, mayor), 201)
    activator = f"/authorities/44021/activators/{added['id']}"
    described("PATCH", f"{people}/{{activator_id}}", api.patch(activator, admin, {"function": "schepen"}), 200)
    described(
        "PUT", f"{people}/{{activator_id}}/pin", api.call("PUT", f"{activator}/pin", admin, {"pin": "482915"}), 200
    )
    mayor_token = described("POST", f"{people}/{{activator_id}}/token", api.post(f"{activator}/token", admin), 201)
    assert described("GET", "/me", api.get("/me", mayor_token["token"]), 200)["activator_id"] == added["id"]
    change = {"current_pin": "482915", "new_pin": "736251"}
    described("PUT", "/me/pin", api.call("PUT", "/me/pin", mayor_token["token"], change), 200)
    default = "/authorities/{authority_id}/default-message"
    assert described("GET", default, api.get("/authorities/44021/default-message", admin), 200)["message"] == {}
    kept = {"message": {"nl": "Blijf binnen.", "fr": "Restez chez vous."}}
    described("PUT", default, api.call("PUT", "/authorities/44021/default-message", mayor_token["token"], kept), 200)
    assert described("GET", default, api.get("/authorities/44021/default-message", admin), 200)["changed_at"]
    assert described("GET", people, api.get("/authorities/44021/activators", admin), 200)["activators"][0]["pin_set"]
    deputy = described("POST", people, api.post("/authorities/44021/activators", admin, {**mayor, "name": "Els"}), 201)
    deputy_path = f"/authorities/44021/activators/{deputy['id']}"
    described("DELETE", f"{people}/{{activator_id}}", api.call("DELETE", deputy_path, admin), 200)
    for number, kind in (("+3280012345", "toll_free"), ("+3225550100", "did"), ("+3225550101", "did")):
        described("POST", "/numbers", api.post("/numbers", admin, {"number": number, "kind": kind}), 201)
    described("PATCH", "/numbers/{number}", api.patch("/numbers/+3225550101", admin, {"kind": "did"}), 200)
    described("DELETE", "/numbers/{number}", api.call("DELETE", "/numbers/+3280012345", admin), 200)

    key = {"Idempotency-Key": "fire-1"}
    opened = described("POST", "/activations", api.post("/activations", gent, activation_body(), headers=key), 201)
    described("POST", "/activations", api.post("/activations", gent, activation_body(), headers=key), 201)
    line = f"/activations/{opened['id']}"
    described("GET", "/numbers", api.get("/numbers", admin), 200)  # one live, one free
    described("GET", "/activations/{activation_id}", api.get(line, gent), 200)
    described("PATCH", "/activations/{activation_id}", api.patch(line, gent, {"operators": 6}), 200)
    operator = described(
        "POST", "/credentials", api.post("/credentials", admin, {"role": "operator", "label": "Call center"}), 201
    )["token"]
    assert described("GET", "/me", api.get("/me", operator), 200)["role"] == "operator"
    sheet = {"nl": [{"question": "Mag ik naar buiten?", "answer": "Nee."}], "en": []}
    described("GET", "/activations/{activation_id}/briefing", api.get(f"{line}/briefing", operator), 200)
    described(
        "PUT", "/activations/{activation_id}/briefing", api.call("PUT", f"{line}/briefing", gent, {"items": sheet}), 200
    )
    read = described("GET", "/activations/{activation_id}/briefing", api.get(f"{line}/briefing", operator), 200)
    assert read["items"] == sheet
    described("GET", "/activations/{activation_id}/figures", api.get(f"{line}/figures", operator), 200)
    described("GET", "/activations/{activation_id}/advice", api.get(f"{line}/advice", gent), 200)
    coordinator = api.post("/credentials", admin, {"role": "d2_coordinator", "label": "Karel Peeters"}).body["token"]
    enquiry = {
        "sought": {"given_names": "Marie", "family_name": "Peeters", "birth_date": "1987", "age": 39, "sex": "f"},
        "enquirer": {
            "name": "Jan Peeters",
            "phone": "+32470998877",
            "relationship": "brother",
            "language": "nl",
            "callback_consent": True,
        },
        "contact_id": "c0ffee-1",
    }
    recorded = described(
        "POST", "/activations/{activation_id}/enquiries", api.post(f"{line}/enquiries", coordinator, enquiry), 201
    )
    described("GET", "/activations/{activation_id}/enquiries", api.get(f"{line}/enquiries", coordinator), 200)
    described(
        "GET",
        "/activations/{activation_id}/enquiries/{reference}",
        api.get(f"{line}/enquiries/{recorded['reference']}", coordinator),
        200,
    )
    similar = described(
        "GET",
        "/activations/{activation_id}/enquiries/similar",
        api.get(f"{line}/enquiries/similar?given_names=Marie&family_name=Peeters", coordinator),
        200,
    )
    assert similar["count"] == 1 and similar["items"][0]["reference"] == recorded["reference"]
    verified = described(
        "GET", "/activations/{activation_id}/d2/audit/verify", api.get(f"{line}/d2/audit/verify", admin), 200
    )
    assert verified == {"entries": 4, "intact": True, "first_broken": None}
    figures = described("GET", "/activations/{activation_id}/d2/figures", api.get(f"{line}/d2/figures", gent), 200)
    assert figures["enquiries"] == "<5"
    retention = {"days": 60, "reason": "Judicial inquiry"}
    described(
        "POST",
        "/activations/{activation_id}/d2/retention",
        api.post(f"{line}/d2/retention", coordinator, retention),
        200,
    )
    described("GET", "/activations/{activation_id}/d2/retention", api.get(f"{line}/d2/retention", coordinator), 200)
    for export_format in ("pfif", "csv"):
        exported = api.get(f"{line}/d2/export?format={export_format}", coordinator)
        described("GET", "/activations/{activation_id}/d2/export", exported, 200)
    from tests.d2_support import put_entry, put_match

    second = described(
        "POST",
        "/activations/{activation_id}/enquiries",
        api.post(f"{line}/enquiries", coordinator, {**enquiry, "contact_id": "c0ffee-2"}),
        201,
    )
    described(
        "GET",
        "/activations/{activation_id}/enquiries/{reference}/related",
        api.get(f"{line}/enquiries/{recorded['reference']}/related", coordinator),
        200,
    )
    links = f"{line}/persons/{recorded['person_id']}/links"
    described(
        "POST",
        "/activations/{activation_id}/persons/{person_id}/links",
        api.post(links, coordinator, {"person_id": second["person_id"]}),
        201,
    )
    described(
        "DELETE",
        "/activations/{activation_id}/persons/{person_id}/links/{other_person_id}",
        api.call("DELETE", f"{links}/{second['person_id']}", coordinator),
        204,
    )
    put_entry(recorded["activation_id"], "uzg-1", "hospitalised", "UZ Gent")
    put_match(recorded["activation_id"], "m-1", recorded, "uzg-1")
    described(
        "POST",
        "/activations/{activation_id}/entries/{entry_id}/disclosure",
        api.post(f"{line}/entries/uzg-1/disclosure", coordinator, {"refused": True}),
        200,
    )
    due = described("GET", "/activations/{activation_id}/callbacks", api.get(f"{line}/callbacks", coordinator), 200)
    described(
        "POST",
        "/activations/{activation_id}/callbacks/{callback_id}/done",
        api.post(f"{line}/callbacks/{due['items'][0]['id']}/done", coordinator, {"outcome": "reached"}),
        201,
    )
    described(
        "GET", "/activations/{activation_id}/callbacks", api.get(f"{line}/callbacks?status=done", coordinator), 200
    )
    d2_list = b"source_ref;given_names;family_name;birth_date;status\nL-1;Marie;Peeters;1987;hospitalised\n"
    described(
        "POST",
        "/activations/{activation_id}/lists",
        api.call("POST", f"{line}/lists?source=UZ", coordinator, raw=d2_list, headers={"Content-Type": "text/csv"}),
        201,
    )
    candidates = described(
        "GET",
        "/activations/{activation_id}/enquiries/{reference}/candidates",
        api.get(f"{line}/enquiries/{recorded['reference']}/candidates", coordinator),
        200,
    )
    proposal = {"reference": recorded["reference"], "entry_id": candidates["items"][0]["entry_id"]}
    match = described(
        "POST", "/activations/{activation_id}/matches", api.post(f"{line}/matches", coordinator, proposal), 201
    )
    described("GET", "/activations/{activation_id}/matches", api.get(f"{line}/matches", coordinator), 200)
    described(
        "POST",
        "/activations/{activation_id}/matches/{match_id}/reject",
        api.post(f"{line}/matches/{match['id']}/reject", coordinator),
        200,
    )
    described(
        "POST",
        "/activations/{activation_id}/matches/{match_id}/confirm",
        api.post(f"{line}/matches/{match['id']}/confirm", admin),
        403,
    )
    described("GET", "/activations", api.get("/activations?status=live", gent), 200)
    described("POST", "/activations/{activation_id}/close", api.post(f"{line}/close", gent), 200)
    described("POST", "/activations/{activation_id}/close", api.post(f"{line}/close", admin), 200)
    report = described.file("GET", "/activations/{activation_id}/report", api.get(f"{line}/report", gent), 200)
    assert report.startswith(b"%PDF")
    described("GET", "/activations", api.get("/activations", admin), 200)
    numbers = described("GET", "/numbers", api.get("/numbers", admin), 200)["numbers"]
    assert sorted(number["state"] for number in numbers) == ["cooling_down", "free"]
    entries = described("GET", "/activations/{activation_id}/audit", api.get(f"{line}/audit", gent), 200)
    assert [entry["action"] for entry in entries["entries"]] == ["open", "update", "briefing", "close"]

    described("POST", "/authorities/{authority_id}/token", api.post("/authorities/21004/token", admin), 201)
    described("POST", "/authorities/{authority_id}/revoke", api.post("/authorities/21004/revoke", admin), 200)
    described("POST", "/credentials/{credential_id}/revoke", api.post(f"/credentials/{staff['id']}/revoke", admin), 200)
    described("GET", "/credentials", api.get("/credentials", admin), 200)  # live and revoked ones

    described("GET", "/tariffs", api.get("/tariffs", finance), 200)
    tariff = {
        "effective_from": "2999-01-01",
        "operator_hour": "50.00",
        "number_day": {"did": "0.10", "toll_free": "0.45"},
        "telephony_minute": {"did": "0.01", "toll_free": "0.04"},
        "service_minute": "0.018",
        "personnel_minimum_hours": "4",
        "calls_per_operator_hour": 12,
    }
    described("PUT", "/tariffs", api.call("PUT", "/tariffs", admin, tariff), 201)
    described("GET", "/tariffs", api.get("/tariffs", finance), 200)  # a version added by someone

    put_activation("gent-oct", "2026-10-05T10:00", "2026-10-05T13:00", operators=2)
    put_activation("accident", "2026-10-06T10:00", "2026-10-06T10:02")  # voided: opened by accident
    put_usage("gent-oct", "2026-10", calls=20, answered_calls=18, abandoned_calls=2, call_seconds=3000)
    stream = Stream()
    assert (
        deliver_records(
            stream, record("c-1", datetime(2026, 10, 5, 8, 30, tzinfo=UTC), activation=None, number="+3299999999")
        )
        == []
    )
    described("GET", "/unattributed", api.get("/unattributed?month=2026-10", admin), 200)
    described("GET", "/exports/{month}", api.get("/exports/2026-10", finance), 200)
    close("2026-10", CLOSING)
    frozen = described("GET", "/exports/{month}", api.get("/exports/2026-10", finance), 200)
    assert frozen["frozen"] is True and set(frozen["download"]) == {"csv", "xlsx"}

    operations = {(method.upper(), path) for path, item in described.data["paths"].items() for method in item}
    assert operations - described.checked == set()  # every operation's answer was checked


def test_the_functions_serving_the_api_never_create_the_answers_models() -> None:
    # The routes name their models; creating the classes would add to every cold start for nothing.
    import os
    import subprocess
    import sys

    statement = (
        "import sys, activate.app, finance.app; "
        "print(sorted(name for name in sys.modules if name.startswith('crisisline.')))"
    )
    env = {**os.environ, **template.environment(), **template.functions()["ExportFunction"].environment}
    imported = subprocess.run(
        [sys.executable, "-c", statement],
        cwd=template.FUNCTIONS_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "crisisline.models" in imported  # what was imported is what this reads
    assert "crisisline.responses" not in imported
