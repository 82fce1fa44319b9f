"""Who may do what: bearer tokens, roles, one authority never seeing another's line, rotation and revocation."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from tests.billing_support import finance_env
from tests.conftest import Api, activation_body, authority_body, table_items, table_names

__all__ = ["finance_env"]  # fixtures

UNKNOWN_TOKEN = "A" * 43  # well-formed, never issued


@pytest.fixture
def finance(api: Api, admin: str) -> str:
    return str(api.post("/credentials", admin, {"role": "finance", "label": "Finance team"}).body["token"])


@pytest.fixture
def gents_line(api: Api, gent: str, add_numbers: Any) -> dict[str, Any]:
    add_numbers("+3280012345", "+3280012346")
    answer = api.post("/activations", gent, activation_body())
    assert answer.status == 201
    return answer.body  # type: ignore[no-any-return]


EVERY_PROTECTED_ROUTE = [
    ("POST", "/authorities", authority_body()),
    ("GET", "/authorities", None),
    ("GET", "/authorities/44021", None),
    ("POST", "/authorities/44021/token", None),
    ("POST", "/authorities/44021/revoke", None),
    ("POST", "/credentials", {"role": "finance", "label": "Finance team"}),
    ("GET", "/credentials", None),
    ("POST", "/credentials/x/revoke", None),
    ("POST", "/numbers", {"number": "+3280099999", "kind": "toll_free"}),
    ("GET", "/numbers", None),
    ("PATCH", "/numbers/+3280099999", {"kind": "toll_free"}),
    ("DELETE", "/numbers/+3280099999", None),
    ("POST", "/activations", activation_body()),
    ("GET", "/activations", None),
    ("GET", "/activations/x", None),
    ("PATCH", "/activations/x", {"operators": 2}),
    ("POST", "/activations/x/close", None),
    ("GET", "/activations/x/audit", None),
]


# ---------------------------------------------------------------------- 401
@pytest.mark.parametrize(("method", "path", "body"), EVERY_PROTECTED_ROUTE)
def test_every_route_but_health_and_docs_needs_a_token(
    api: Api, snapshot: Any, method: str, path: str, body: Any
) -> None:
    before = snapshot()
    answer = api.call(method, path, None, body)
    assert answer.status == 401
    assert answer.error_code == "unauthorized"
    assert snapshot() == before


@pytest.mark.parametrize(
    "header",
    [
        f"Bearer {UNKNOWN_TOKEN}",
        UNKNOWN_TOKEN,
        f"Basic {UNKNOWN_TOKEN}",
        "Bearer short",
        "Bearer " + "A" * 201,
        "Bearer abc def ghi jkl mno pqr",
    ],
)
def test_a_bad_token_is_refused_with_401(api: Api, admin: str, snapshot: Any, header: str) -> None:
    before = snapshot()
    answer = api.post("/authorities", body=authority_body(), headers={"Authorization": header})
    assert answer.status == 401
    assert answer.error_code == "unauthorized"
    assert snapshot() == before


def test_a_valid_token_with_a_typo_is_refused(api: Api, admin: str) -> None:
    typo = admin[:-1] + ("B" if admin[-1] != "B" else "C")
    assert api.get("/numbers", typo).status == 401
    assert api.get("/numbers", admin).status == 200


# ---------------------------------------------------------------------- 403
AUTHORITY_MAY_NOT = [
    ("POST", "/authorities", authority_body("11002")),
    ("POST", "/authorities/44021/token", None),
    ("POST", "/authorities/44021/revoke", None),
    ("POST", "/credentials", {"role": "admin", "label": "Duty officer"}),
    ("POST", "/numbers", {"number": "+3280099999", "kind": "toll_free"}),
    ("GET", "/numbers", None),
]
FINANCE_MAY_NOT = [
    ("POST", "/authorities", authority_body("11002")),
    ("POST", "/authorities/44021/token", None),
    ("POST", "/authorities/44021/revoke", None),
    ("POST", "/credentials", {"role": "admin", "label": "Duty officer"}),
    ("POST", "/numbers", {"number": "+3280099999", "kind": "toll_free"}),
    ("GET", "/numbers", None),
    ("POST", "/activations", activation_body()),
    ("GET", "/activations", None),
]


@pytest.mark.parametrize(("method", "path", "body"), AUTHORITY_MAY_NOT)
def test_an_authority_may_not_do_crisis_center_work(
    api: Api, gent: str, snapshot: Any, method: str, path: str, body: Any
) -> None:
    before = snapshot()
    answer = api.call(method, path, gent, body)
    assert answer.status == 403
    assert answer.error_code == "forbidden"
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), FINANCE_MAY_NOT)
def test_finance_may_only_read_authorities(
    api: Api, finance: str, enrol: Any, add_numbers: Any, snapshot: Any, method: str, path: str, body: Any
) -> None:
    enrol("44021", "Stad Gent")
    add_numbers("+3280012345")
    before = snapshot()
    answer = api.call(method, path, finance, body)
    assert answer.status == 403
    assert answer.error_code == "forbidden"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("GET", "", None), ("PATCH", "", {"operators": 1}), ("POST", "/close", None), ("GET", "/audit", None)],
)
def test_finance_may_not_touch_a_line(
    api: Api, finance: str, gents_line: dict[str, Any], snapshot: Any, method: str, suffix: str, body: Any
) -> None:
    before = snapshot()
    answer = api.call(method, f"/activations/{gents_line['id']}{suffix}", finance, body)
    assert answer.status == 403
    assert snapshot() == before


def test_only_an_authority_opens_a_line(api: Api, admin: str, add_numbers: Any, snapshot: Any) -> None:
    add_numbers("+3280012345")
    before = snapshot()
    answer = api.post("/activations", admin, activation_body())
    assert answer.status == 403
    assert answer.body["error"]["details"]["allowed_roles"] == ["authority"]
    assert snapshot() == before


# ---------------------------------------------------------------------- cross-tenant: 404, never 403
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("GET", "", None), ("PATCH", "", {"operators": 50}), ("POST", "/close", None), ("GET", "/audit", None)],
)
def test_another_authoritys_line_does_not_exist_for_me(
    api: Api, enrol: Any, gents_line: dict[str, Any], snapshot: Any, method: str, suffix: str, body: Any
) -> None:
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    before = snapshot()
    theirs = api.call(method, f"/activations/{gents_line['id']}{suffix}", antwerpen, body)
    missing = api.call(method, f"/activations/00000000-0000-0000-0000-000000000000{suffix}", antwerpen, body)
    assert theirs.status == 404
    assert theirs.body == missing.body  # the answer does not reveal that the line exists
    assert snapshot() == before


def test_another_authoritys_line_is_not_in_my_list(api: Api, enrol: Any, gents_line: dict[str, Any]) -> None:
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    assert api.get("/activations", antwerpen).body["activations"] == []
    assert api.get("/activations?status=live", antwerpen).body["activations"] == []


def test_another_authority_does_not_exist_for_me(api: Api, enrol: Any) -> None:
    _, gent = enrol("44021", "Stad Gent")
    enrol("11002", "Stad Antwerpen")
    theirs = api.get("/authorities/11002", gent)
    missing = api.get("/authorities/99999", gent)
    assert theirs.status == 404
    assert theirs.body == missing.body


# ---------------------------------------------------------------------- rotation
def test_after_rotation_the_new_token_works_and_the_old_one_stops(api: Api, admin: str, enrol: Any) -> None:
    _, old = enrol("44021", "Stad Gent")
    answer = api.post("/authorities/44021/token", admin)
    assert answer.status == 201
    new = answer.body["token"]
    assert new != old
    assert api.get("/authorities/44021", new).status == 200
    assert api.get("/authorities/44021", old).status == 401


def test_a_rotated_token_keeps_working_only_until_the_authorizer_cache_expires(aws: None, admin: str) -> None:
    seconds = [100.0]  # the gateway's clock, moved by the test
    cached = Api(cache_seconds=1, clock=lambda: seconds[0])
    old = cached.post("/authorities", admin, authority_body()).body["token"]
    assert cached.get("/authorities/44021", old).status == 200  # the authorizer's answer is now cached
    new = cached.post("/authorities/44021/token", admin).body["token"]
    seconds[0] += 0.5
    assert cached.get("/authorities/44021", old).status == 200  # inside the TTL: API Gateway's cached answer
    assert cached.get("/authorities/44021", new).status == 200  # the new token works at once
    seconds[0] += 0.5  # one second after the answer was cached
    assert cached.get("/authorities/44021", old).status == 401
    assert cached.get("/authorities/44021", new).status == 200


def test_the_templates_cache_keeps_a_rotated_token_for_at_most_its_ttl(aws: None, admin: str) -> None:
    cached = Api(cache_seconds=30)
    old = cached.post("/authorities", admin, authority_body()).body["token"]
    assert cached.get("/authorities/44021", old).status == 200
    cached.post("/authorities/44021/token", admin)
    assert cached.get("/authorities/44021", old).status == 200
    assert Api(cache_seconds=0).get("/authorities/44021", old).status == 401  # a gateway without the cached answer


def test_rotation_leaves_the_live_line_in_the_authoritys_hands(
    api: Api, admin: str, gents_line: dict[str, Any]
) -> None:
    new = api.post("/authorities/44021/token", admin).body["token"]
    assert api.get(f"/activations/{gents_line['id']}", new).status == 200
    assert api.post(f"/activations/{gents_line['id']}/close", new).body["status"] == "closed"


def test_rotating_an_unknown_authority_is_404(api: Api, admin: str, snapshot: Any) -> None:
    before = snapshot()
    assert api.post("/authorities/99999/token", admin).status == 404
    assert snapshot() == before


# ---------------------------------------------------------------------- revocation
def test_a_revoked_authoritys_token_is_refused(api: Api, admin: str, enrol: Any) -> None:
    _, token = enrol("44021", "Stad Gent")
    answer = api.post("/authorities/44021/revoke", admin)
    assert answer.status == 200
    assert answer.body["revoked_at"].endswith("Z")
    assert api.get("/authorities/44021", token).status == 401
    assert api.post("/activations", token, activation_body()).status == 401
    assert api.get("/authorities/44021", admin).body["revoked_at"] == answer.body["revoked_at"]


def test_a_revoked_authority_cannot_activate_even_with_a_cached_token(
    aws: None, admin: str, add_numbers: Any, snapshot: Any
) -> None:
    cached = Api(cache_seconds=30)
    token = cached.post("/authorities", admin, authority_body()).body["token"]
    assert cached.get("/authorities/44021", token).status == 200  # cached as a valid authority
    assert cached.post("/numbers", admin, {"number": "+3280012345", "kind": "toll_free"}).status == 201
    assert cached.post("/authorities/44021/revoke", admin).status == 200
    before = snapshot()
    answer = cached.post("/activations", token, activation_body())
    assert answer.status == 401  # a write re-reads the credential; the cached answer is not enough
    assert answer.error_code == "unauthorized"
    assert snapshot() == before


def test_an_authority_with_a_live_line_cannot_be_revoked(
    api: Api, admin: str, gent: str, gents_line: dict[str, Any], snapshot: Any
) -> None:
    before = snapshot()
    answer = api.post("/authorities/44021/revoke", admin)
    assert answer.status == 409
    assert answer.error_code == "activation_already_live"
    assert answer.body["error"]["details"]["activation_id"] == gents_line["id"]
    assert snapshot() == before
    assert api.get("/activations", gent).status == 200


def test_a_revoked_authority_cannot_be_revoked_or_rotated_again(
    api: Api, admin: str, enrol: Any, snapshot: Any
) -> None:
    enrol("44021", "Stad Gent")
    api.post("/authorities/44021/revoke", admin)
    before = snapshot()
    assert api.post("/authorities/44021/revoke", admin).error_code == "authority_revoked"
    assert api.post("/authorities/44021/token", admin).error_code == "authority_revoked"
    assert snapshot() == before


def test_a_revoked_authority_is_not_enrolled_again_under_the_same_id(api: Api, admin: str, enrol: Any) -> None:
    enrol("44021", "Stad Gent")
    api.post("/authorities/44021/revoke", admin)
    assert api.post("/authorities", admin, authority_body()).error_code == "authority_exists"


# ---------------------------------------------------------------------- tokens at rest and in logs
def _every_token(api: Api, admin: str, enrol: Any) -> list[str]:
    _, gent = enrol("44021", "Stad Gent")
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    finance = api.post("/credentials", admin, {"role": "finance", "label": "Finance team"}).body["token"]
    second_admin = api.post("/credentials", admin, {"role": "admin", "label": "Duty officer"}).body["token"]
    rotated = api.post("/authorities/11002/token", admin).body["token"]
    return [admin, gent, antwerpen, finance, second_admin, rotated]


def test_tokens_are_never_stored_in_clear(api: Api, admin: str, enrol: Any, add_numbers: Any) -> None:
    issued = _every_token(api, admin, enrol)
    gent = issued[1]
    add_numbers("+3280012345")
    api.post("/activations", gent, activation_body(), headers={"Idempotency-Key": "night-1"})
    credentials = table_items("CredentialsTable")
    live = [item for item in credentials if not item["token_hash"]["S"].startswith("revoked#")]
    assert len(live) == 5  # admin, gent, finance, second admin, antwerpen's rotated token
    assert all(len(item["token_hash"]["S"]) == 64 for item in live)  # an HMAC-SHA256, hex
    # antwerpen's token before rotation, kept in the credential list as revoked, without its hash
    assert [item["token_hash"]["S"][:8] for item in credentials if item not in live] == ["revoked#"]
    for logical_id in table_names():
        stored = json.dumps(table_items(logical_id))
        assert not any(token in stored for token in issued), logical_id


def test_tokens_never_appear_in_the_logs(
    api: Api,
    admin: str,
    enrol: Any,
    add_numbers: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    issued = _every_token(api, admin, enrol)
    add_numbers("+3280012345")
    api.post("/activations", issued[1], activation_body())
    api.get("/numbers", UNKNOWN_TOKEN)
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "token refused" in logged or "token accepted" in logged  # the authorizer did log
    assert not any(token in logged for token in [*issued, UNKNOWN_TOKEN])


def test_every_token_is_new_and_long(api: Api, admin: str, enrol: Any) -> None:
    issued = _every_token(api, admin, enrol)
    assert len(set(issued)) == len(issued)
    assert all(len(token) >= 43 for token in issued)  # 256 bits, url-safe base64


# ---------------------------------------------------------------------- the authorizer's reading of the header
def _authorize(header: Any) -> dict[str, Any]:
    from activate import authorizer
    from infra.local.stack import LambdaContext

    return authorizer.lambda_handler(
        {
            "type": "TOKEN",
            "authorizationToken": header,
            "methodArn": "arn:aws:execute-api:eu-central-1:1:api/local/GET/numbers",
        },
        LambdaContext("AuthorizerFunction"),
    )  # type: ignore[arg-type]


def test_the_authorizer_accepts_exactly_bearer_and_the_token(admin: str) -> None:
    assert _authorize(f"Bearer {admin}")["context"]["role"] == "admin"


def _near_misses(token: str) -> list[Any]:
    return [
        f"Bearer {token}\u2003",
        f"Bearer {token}\u00a0",
        f"Bearer\u00a0{token}",
        f"Bearer \u3000{token}",
        f"Bearer {token}\n",
        f"Bearer {token}\r\n",
        f"Bearer {token} ",
        f"Bearer  {token}",
        f" Bearer {token}",
        f"Bearer {token}\t",
        f"Bearer {token}\u200b",
        f"\ufeffBearer {token}",
        f"bearer {token}",
        f"BEARER {token}",
        f"Bearer {token[:-1]}\ud800",
        f"Bearer {token}\ud800",
        "Bearer \udfff" * 3,
        f"Bearer {token}\x00",
        f"Bearer {token[:-1]}",
        f"Bearer {token}A",
        f"Bearer {token[:-1]}=",
        f"Bearer {token[:-1]}\uff21",
        f"Bearer {token[:-1]}é",
        f"Bearer {token[:-1]}+",
        f"Bearer {token[:-1]}/",
        token,
        f"Bearer {token},x",
        "Bearer ",
        "Bearer",
        "",
        None,
        12345,
        ["Bearer", token],
        {"Bearer": token},
    ]


def test_anything_but_bearer_and_the_token_is_unauthorized_never_another_error(admin: str) -> None:
    for header in _near_misses(admin):
        with pytest.raises(Exception) as refused:
            _authorize(header)
        assert type(refused.value) is Exception and str(refused.value) == "Unauthorized", repr(header)


def test_the_token_format_is_what_tokens_issue_and_what_the_gateway_checks() -> None:
    import re

    from crisisline import tokens
    from infra.local import template

    _, validation, _ = template.authorizer()
    for _ in range(200):
        token = tokens.new_token()
        assert tokens.bearer_token(f"Bearer {token}") == token
        assert re.match(validation, f"Bearer {token}")
    for header in ["Bearer " + "A" * 42, "Bearer " + "A" * 44, "Bearer " + "A" * 200]:
        assert tokens.bearer_token(header) is None
        assert not re.match(validation, header)


# ---------------------------------------------------------------------- who may call, before what they sent
WRONG_ROLE_BAD_BODY = [
    ("authority", "POST", "/authorities", {"id": "1"}),
    ("finance", "POST", "/authorities", {}),
    ("authority", "POST", "/credentials", {"role": "root"}),
    ("authority", "POST", "/numbers", {"number": 1}),
    ("finance", "POST", "/activations", {"operators": "many"}),
    ("admin", "POST", "/activations", {}),
    ("finance", "PATCH", "/activations/x", {"colour": "red"}),
    ("authority", "PUT", "/tariffs", {}),
    ("finance", "PUT", "/tariffs", {"currency": "USD"}),
    ("authority", "POST", "/authorities/1/token", None),
    ("finance", "GET", "/activations?status=maybe", None),
    ("authority", "GET", "/exports/not-a-month", None),
    ("authority", "GET", "/unattributed", None),
]


@pytest.mark.parametrize(("role", "method", "path", "body"), WRONG_ROLE_BAD_BODY)
def test_the_wrong_role_is_told_so_before_anything_about_its_body(
    api: Api,
    admin: str,
    gent: str,
    finance: str,
    finance_env: None,
    snapshot: Any,
    role: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    token = {"admin": admin, "authority": gent, "finance": finance}[role]
    before = snapshot()
    answer = api.call(method, path, token, body)
    assert answer.status == 403, answer.body
    assert answer.error_code == "forbidden"
    assert role not in answer.body["error"]["details"]["allowed_roles"]
    assert snapshot() == before


def _route_function(method: str, path: str, function: str) -> Any:
    """The function that serves a template route in its resolver."""
    import importlib

    from infra.local.stack import Functions

    module = importlib.import_module(Functions().specs[function].handler.rpartition(".")[0])
    sample = re.sub(r"\{[^}]+\}", "x", path)
    for route in [*module.app._static_routes, *module.app._dynamic_routes]:
        if route.method == method and route.rule.match(sample):
            return route.func
    raise AssertionError(f"{method} {path} is in the template but in no resolver of {function}")


def test_every_route_of_the_template_declares_who_may_call_it(finance_env: None) -> None:
    from api import rest
    from infra.local import template

    undeclared = [
        f"{route.method} {route.path}"
        for route in template.api_routes()
        if rest.declared_roles(_route_function(route.method, route.path, route.function)) is None
    ]
    assert undeclared == [], "declare each route's roles with @rest.roles(...) or @rest.anonymous"


def test_only_the_template_s_public_routes_are_declared_anonymous(finance_env: None) -> None:
    from api import rest
    from infra.local import template

    for route in template.api_routes():
        declared = rest.declared_roles(_route_function(route.method, route.path, route.function))
        assert (declared == rest.ANONYMOUS) == (not route.authorized), (route.method, route.path)


def test_a_route_without_a_declaration_lets_nobody_in(aws: None) -> None:
    from api import rest

    app = rest.new_resolver()

    @app.get("/undeclared")
    def undeclared() -> dict[str, str]:
        return {"status": "reached"}

    event = {
        "httpMethod": "GET",
        "path": "/undeclared",
        "resource": "/undeclared",
        "headers": {},
        "requestContext": {"authorizer": {"role": "admin", "credential_id": "c"}},
        "body": None,
    }
    answer = app.resolve(event, None)  # type: ignore[arg-type]
    assert answer["statusCode"] == 403, answer
    assert "reached" not in answer["body"]


# ---------------------------------------------------------------------- writes re-check the credential
def test_a_rotated_token_cannot_write_through_the_cached_authorizer_answer_but_still_reads(
    aws: None, admin: str, add_numbers: Any, snapshot: Any
) -> None:
    cached = Api(cache_seconds=30)
    old = cached.post("/authorities", admin, authority_body()).body["token"]
    add_numbers("+3280012345")
    line = cached.post("/activations", old, activation_body())  # the authorizer's answer is now cached
    assert line.status == 201
    new = cached.post("/authorities/44021/token", admin).body["token"]
    before = snapshot()
    patched = cached.patch(f"/activations/{line.body['id']}", old, {"operators": 9})
    assert patched.status == 401, patched.body
    assert patched.error_code == "unauthorized"
    assert cached.post(f"/activations/{line.body['id']}/close", old).status == 401
    assert snapshot() == before
    assert cached.get(f"/activations/{line.body['id']}", old).status == 200  # reads keep the cached answer
    assert cached.patch(f"/activations/{line.body['id']}", new, {"operators": 9}).body["operators"] == 9


def test_a_credential_gone_from_the_table_cannot_change_tariffs_through_the_cache(
    aws: None, finance_env: None, snapshot: Any
) -> None:
    import boto3

    from infra.local import seed

    cached = Api(cache_seconds=30)
    admin = seed.admin_credential()
    assert cached.get("/tariffs", admin).status == 200  # cached as a valid admin
    credentials = table_names()["CredentialsTable"]
    for item in table_items("CredentialsTable"):
        boto3.client("dynamodb").delete_item(TableName=credentials, Key={"token_hash": item["token_hash"]})
    before = snapshot()
    answer = cached.call("PUT", "/tariffs", admin, {"currency": "EUR"})
    assert answer.status == 401, answer.body
    assert snapshot() == before
    assert cached.get("/tariffs", admin).status == 200


# ---------------------------------------------------------------------- operators: the briefing and nothing else
@pytest.fixture
def operator(api: Api, admin: str) -> str:
    answer = api.post("/credentials", admin, {"role": "operator", "label": "Call center, night shift"})
    assert answer.status == 201, answer.body
    assert answer.body["role"] == "operator"
    return str(answer.body["token"])


OPERATOR_MAY_NOT = [
    *EVERY_PROTECTED_ROUTE,
    ("GET", "/activations?status=live", None),
    ("PUT", "/activations/x/briefing", {"items": {}}),
    ("GET", "/exports/2026-10", None),
    ("GET", "/tariffs", None),
    ("PUT", "/tariffs", {"currency": "EUR"}),
    ("GET", "/unattributed?month=2026-10", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OPERATOR_MAY_NOT)
def test_an_operator_may_do_nothing_but_read_who_they_are_and_a_live_lines_briefing(
    api: Api,
    operator: str,
    gents_line: dict[str, Any],
    finance_env: None,
    snapshot: Any,
    method: str,
    path: str,
    body: Any,
) -> None:
    before = snapshot()
    answer = api.call(method, path.replace("/x", f"/{gents_line['id']}"), operator, body)
    assert answer.status == 403, answer.body
    assert answer.error_code == "forbidden"
    assert "operator" not in answer.body["error"]["details"]["allowed_roles"]
    assert set(answer.body) == {"error"}  # nothing of the line, its billing, audit or tokens
    assert snapshot() == before


def test_an_operator_reads_who_they_are(api: Api, operator: str) -> None:
    me = api.get("/me", operator)
    assert me.status == 200
    assert me.body["role"] == "operator"
    assert me.body["label"] == "Call center, night shift"


def test_an_operator_reads_a_live_lines_briefing_without_billing_audit_or_tokens(
    api: Api, operator: str, gents_line: dict[str, Any]
) -> None:
    answer = api.get(f"/activations/{gents_line['id']}/briefing", operator)
    assert answer.status == 200, answer.body
    assert answer.body["activation_id"] == gents_line["id"]
    shown = json.dumps(answer.body)
    for hidden in ("billing", "agreement", "token", "credential", "idempotency", "operator_timeline", "number_kind"):
        assert hidden not in shown


def test_a_closed_line_has_no_briefing_for_an_operator(
    api: Api, operator: str, gent: str, gents_line: dict[str, Any]
) -> None:
    assert api.post(f"/activations/{gents_line['id']}/close", gent).status == 200
    closed = api.get(f"/activations/{gents_line['id']}/briefing", operator)
    missing = api.get("/activations/00000000-0000-0000-0000-000000000000/briefing", operator)
    assert closed.status == 404
    assert closed.body == missing.body  # as for a line one may not see
    assert api.get(f"/activations/{gents_line['id']}/briefing", gent).status == 200  # its authority still reads it


class _Credentials:
    """Credentials by their token's keyed hash, as the authorities store answers them."""

    def __init__(self, *credentials: dict[str, Any]) -> None:
        self.by_hash = {credential["token_hash"]: credential for credential in credentials}
        self.asked: list[str] = []

    def credential(self, token_hash: str) -> dict[str, Any] | None:
        self.asked.append(token_hash)
        return self.by_hash.get(token_hash)


def test_the_authorizer_resolves_a_token_through_the_credentials_store_it_is_given(aws: None) -> None:
    from activate import authorizer
    from crisisline import settings, tokens

    token = tokens.new_token()
    digest = tokens.token_hash(token, tokens.hashing_key(settings.authorizer().token_key_parameter))
    credentials = _Credentials({"token_hash": digest, "credential_id": "c-9", "role": "finance", "label": "Finance"})
    event = {"type": "TOKEN", "methodArn": "arn:aws:execute-api:eu-central-1:1:api/local/GET/numbers"}
    store: Any = credentials  # what the authorizer reads of the authorities store: credential(token_hash)
    answer = authorizer.authorize({**event, "authorizationToken": f"Bearer {token}"}, store)
    assert answer["context"] == {"role": "finance", "credential_id": "c-9", "label": "Finance"}
    with pytest.raises(Exception, match="Unauthorized"):
        authorizer.authorize({**event, "authorizationToken": f"Bearer {tokens.new_token()}"}, store)
    assert credentials.asked[0] == digest
    assert len(credentials.asked) == 2
