"""A municipality opens its crisis line over HTTPS, changes it while the crisis lasts, and closes it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from crisisline.clock import parse_iso
from crisisline.observability import metrics
from infra import openapi
from tests.conftest import Api, activation_body, table_names


@pytest.fixture
def opened(api: Api, gent: str, add_numbers: Any) -> dict[str, Any]:
    """Stad Gent's live activation on the only pool number."""
    add_numbers("+3280012345")
    answer = api.post("/activations", gent, activation_body())
    assert answer.status == 201, answer.body
    return answer.body  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- opening
def test_an_authority_opens_its_line_on_a_free_pool_number(api: Api, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345")
    answer = api.post("/activations", gent, activation_body(operators=6))
    assert answer.status == 201
    opened = answer.body
    assert opened["status"] == "live"
    assert opened["authority_id"] == "44021"
    assert opened["authority_name"] == "Stad Gent"
    assert opened["number"] == "+3280012345"
    assert opened["operators"] == 6
    assert opened["languages"] == ["nl", "en"]
    assert opened["message"]["nl"] == "Blijf binnen en sluit ramen en deuren."
    assert opened["victim_information"] is True
    assert parse_iso(opened["requested_at"]) <= parse_iso(opened["opened_at"])
    assert opened["operator_timeline"] == [{"at": opened["opened_at"], "operators": 6}]


def test_the_claimed_number_shows_the_activation_holding_it(api: Api, admin: str, opened: dict[str, Any]) -> None:
    numbers = api.get("/numbers", admin).body["numbers"]
    assert numbers == [
        {
            "number": "+3280012345",
            "kind": "toll_free",
            "state": "live",
            "activation_id": opened["id"],
            "authority_id": "44021",
        }
    ]


def test_the_authority_shows_its_live_activation(api: Api, gent: str, opened: dict[str, Any]) -> None:
    assert api.get("/authorities/44021", gent).body["live_activation_id"] == opened["id"]


def test_a_line_opened_without_victim_information_has_no_d2_line(api: Api, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345")
    body = activation_body()
    del body["victim_information"]
    answer = api.post("/activations", gent, body)
    assert answer.status == 201
    assert answer.body["victim_information"] is False


def test_with_no_free_number_the_activation_is_refused_and_nothing_is_written(
    api: Api, gent: str, snapshot: Any
) -> None:
    before = snapshot()
    answer = api.post("/activations", gent, activation_body())
    assert answer.status == 409
    assert answer.error_code == "no_number_available"
    assert snapshot() == before


def test_second_activation_for_the_last_number_is_refused(
    api: Api, enrol: Any, add_numbers: Any, snapshot: Any
) -> None:
    add_numbers("+3280012345")
    _, gent = enrol("44021", "Stad Gent")
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    assert api.post("/activations", gent, activation_body()).status == 201
    before = snapshot()
    answer = api.post("/activations", antwerpen, activation_body())
    assert answer.status == 409
    assert answer.error_code == "no_number_available"
    assert snapshot() == before
    assert api.get("/activations", antwerpen).body["activations"] == []


def test_an_authority_with_a_live_line_is_told_which_one(
    api: Api, gent: str, add_numbers: Any, opened: dict[str, Any], snapshot: Any
) -> None:
    add_numbers("+3280012346")  # a number is free: the refusal is about the authority, not the pool
    before = snapshot()
    answer = api.post("/activations", gent, activation_body())
    assert answer.status == 409
    assert answer.error_code == "activation_already_live"
    assert answer.body["error"]["details"]["activation_id"] == opened["id"]
    assert opened["id"] in answer.body["error"]["message"]
    assert snapshot() == before


def test_an_authority_with_a_live_line_is_told_which_one_even_when_the_pool_is_empty(
    api: Api, gent: str, opened: dict[str, Any]
) -> None:
    answer = api.post("/activations", gent, activation_body())
    assert answer.status == 409
    assert answer.error_code == "activation_already_live"
    assert answer.body["error"]["details"]["activation_id"] == opened["id"]


# ---------------------------------------------------------------------- a replayed open
def _open_with_key(api: Api, token: str, key: str = "gent-night-1") -> Any:
    return api.post("/activations", token, activation_body(), headers={"Idempotency-Key": key})


def test_a_first_open_with_an_idempotency_key_is_not_marked_as_replayed(api: Api, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345")
    answer = _open_with_key(api, gent)
    assert answer.status == 201
    assert "Idempotent-Replayed" not in answer.headers


def test_a_replayed_open_answers_the_line_as_it_is_now(api: Api, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345")
    first = _open_with_key(api, gent).body
    assert api.patch(f"/activations/{first['id']}", gent, {"operators": 9}).status == 200
    again = _open_with_key(api, gent)
    assert again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.body == api.get(f"/activations/{first['id']}", gent).body
    assert again.body["operators"] == 9


def test_a_replayed_open_after_close_says_the_key_opened_a_line_that_has_since_closed(
    api: Api, gent: str, add_numbers: Any, snapshot: Any
) -> None:
    add_numbers("+3280012345")
    first = _open_with_key(api, gent).body
    closed = api.post(f"/activations/{first['id']}/close", gent).body
    before = snapshot()
    again = _open_with_key(api, gent)
    assert again.status == 409
    assert again.error_code == "idempotency_key_used"
    assert again.headers["Idempotent-Replayed"] == "true"
    error = again.body["error"]
    assert error["details"] == {"activation_id": first["id"], "closed_at": closed["closed_at"]}
    assert first["id"] in error["message"] and "closed" in error["message"] and "new key" in error["message"]
    assert "live" not in again.raw.decode()
    assert snapshot() == before
    fresh = _open_with_key(api, gent, "gent-night-2")  # as the message says: a new key opens a new line
    assert fresh.status == 201
    assert fresh.body["id"] != first["id"]


def test_a_replay_is_not_counted_as_another_line_opened(
    api: Api, gent: str, add_numbers: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_numbers("+3280012345")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.clear_metrics()  # while disabled, earlier tests' metrics were kept, never flushed
    capsys.readouterr()
    _open_with_key(api, gent)
    _open_with_key(api, gent)
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert sum("ActivationsOpened" in line for line in emitted) == 1  # one EMF line per invocation


def test_the_api_document_says_what_a_replayed_open_answers() -> None:
    operation = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))["paths"]["/activations"]["post"]
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
    assert "idempotency_key_used" in operation["responses"]["409"]["description"]
    assert "new key" in operation["description"]


# ---------------------------------------------------------------------- refused requests write nothing
def _refused(
    api: Api, token: str, snapshot: Any, body: Any = None, raw: bytes | None = None, status: int = 422
) -> dict[str, Any]:
    before = snapshot()
    answer = api.post("/activations", token, body, raw=raw)
    assert answer.status == status, answer.body
    assert snapshot() == before
    return answer.body  # type: ignore[no-any-return]


def _fields(error: dict[str, Any]) -> list[str]:
    assert error["error"]["code"] == "validation_error"
    return sorted({field["field"] for field in error["error"]["details"]["fields"]})


@pytest.fixture
def pool(add_numbers: Any) -> list[str]:
    return add_numbers("+3280012345")  # type: ignore[no-any-return]


def test_an_activation_that_is_not_json_is_400(api: Api, gent: str, pool: list[str], snapshot: Any) -> None:
    error = _refused(api, gent, snapshot, raw=b'{"reason": "fire", ', status=400)
    assert error["error"]["code"] == "malformed_json"


def test_an_activation_body_over_64_kib_is_413(api: Api, gent: str, pool: list[str], snapshot: Any) -> None:
    body = activation_body(reason="x" * (65 * 1024))
    error = _refused(api, gent, snapshot, raw=json.dumps(body).encode(), status=413)
    assert error["error"]["code"] == "payload_too_large"
    assert error["error"]["details"]["limit_bytes"] == 64 * 1024


def test_an_activation_body_just_under_64_kib_is_not_413(api: Api, gent: str, pool: list[str]) -> None:
    raw = json.dumps(activation_body()).encode()
    padded = raw[:-1] + b" " * (64 * 1024 - len(raw)) + b"}"
    assert len(padded) == 64 * 1024
    assert api.post("/activations", gent, raw=padded).status == 201


def test_an_activation_in_an_unknown_language_is_refused(api: Api, gent: str, pool: list[str], snapshot: Any) -> None:
    body = activation_body(languages=["nl", "es"], message={"nl": "Blijf binnen.", "es": "Quédese en casa."})
    assert "languages.1" in _fields(_refused(api, gent, snapshot, body))


def test_a_message_missing_for_an_offered_language_is_refused(
    api: Api, gent: str, pool: list[str], snapshot: Any
) -> None:
    body = activation_body(languages=["nl", "fr"])
    assert _fields(_refused(api, gent, snapshot, body)) == ["message"]


def test_a_message_in_a_language_the_line_does_not_offer_is_refused(
    api: Api, gent: str, pool: list[str], snapshot: Any
) -> None:
    body = activation_body(languages=["nl"])
    assert _fields(_refused(api, gent, snapshot, body)) == ["message"]


def test_a_message_over_2000_characters_is_refused(api: Api, gent: str, pool: list[str], snapshot: Any) -> None:
    body = activation_body(message={"nl": "x" * 2001, "en": "Stay inside."})
    assert _fields(_refused(api, gent, snapshot, body)) == ["message.nl"]


@pytest.mark.parametrize("operators", [0, 201, -1])
def test_operators_outside_1_to_200_are_refused(
    api: Api, gent: str, pool: list[str], snapshot: Any, operators: int
) -> None:
    assert _fields(_refused(api, gent, snapshot, activation_body(operators=operators))) == ["operators"]


@pytest.mark.parametrize("operators", [1, 200])
def test_operators_at_the_limits_are_accepted(api: Api, gent: str, pool: list[str], operators: int) -> None:
    assert api.post("/activations", gent, activation_body(operators=operators)).status == 201


def test_a_reason_over_500_characters_is_refused(api: Api, gent: str, pool: list[str], snapshot: Any) -> None:
    assert _fields(_refused(api, gent, snapshot, activation_body(reason="r" * 501))) == ["reason"]


def test_an_empty_reason_is_refused(api: Api, gent: str, pool: list[str], snapshot: Any) -> None:
    assert _fields(_refused(api, gent, snapshot, activation_body(reason="   "))) == ["reason"]


def test_an_activation_without_operators_is_refused(api: Api, gent: str, pool: list[str], snapshot: Any) -> None:
    body = activation_body()
    del body["operators"]
    assert _fields(_refused(api, gent, snapshot, body)) == ["operators"]


def test_an_activation_body_that_is_a_list_is_refused(api: Api, gent: str, pool: list[str], snapshot: Any) -> None:
    error = _refused(api, gent, snapshot, [activation_body()])
    assert error["error"]["code"] == "validation_error"


# ---------------------------------------------------------------------- reading
def test_an_authority_lists_its_activations_newest_first(api: Api, gent: str, opened: dict[str, Any]) -> None:
    assert api.post(f"/activations/{opened['id']}/close", gent).status == 200
    second = api.post("/activations", gent, activation_body(reason="Flooding along the Leie")).body
    listed = api.get("/activations", gent)
    assert listed.status == 200
    assert [a["id"] for a in listed.body["activations"]] == [second["id"], opened["id"]]


def test_activations_are_filtered_by_status(api: Api, gent: str, opened: dict[str, Any]) -> None:
    api.post(f"/activations/{opened['id']}/close", gent)
    second = api.post("/activations", gent, activation_body()).body
    live = api.get("/activations?status=live", gent).body["activations"]
    closed = api.get("/activations?status=closed", gent).body["activations"]
    assert [a["id"] for a in live] == [second["id"]]
    assert [a["id"] for a in closed] == [opened["id"]]


def test_an_unknown_status_filter_is_refused(api: Api, gent: str) -> None:
    answer = api.get("/activations?status=open", gent)
    assert answer.status == 422
    assert _fields(answer.body) == ["status"]


def test_admin_lists_every_authoritys_activations(api: Api, admin: str, enrol: Any, add_numbers: Any) -> None:
    add_numbers("+3280012345", "+3280012346")
    _, gent = enrol("44021", "Stad Gent")
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    ids = {api.post("/activations", token, activation_body()).body["id"] for token in (gent, antwerpen)}
    listed = api.get("/activations", admin).body["activations"]
    assert {a["id"] for a in listed} == ids
    assert {a["authority_id"] for a in listed} == {"44021", "11002"}


def test_an_authority_reads_its_activation(api: Api, gent: str, opened: dict[str, Any]) -> None:
    answer = api.get(f"/activations/{opened['id']}", gent)
    assert answer.status == 200
    assert answer.body == opened


def test_an_unknown_activation_is_404(api: Api, gent: str) -> None:
    answer = api.get("/activations/does-not-exist", gent)
    assert answer.status == 404
    assert answer.error_code == "not_found"


# ---------------------------------------------------------------------- changing a live line
def test_operator_changes_are_kept_in_the_timeline_with_their_times(
    api: Api, gent: str, opened: dict[str, Any]
) -> None:
    path = f"/activations/{opened['id']}"
    assert api.patch(path, gent, {"operators": 12}).status == 200
    changed = api.patch(path, gent, {"operators": 3}).body
    assert changed["operators"] == 3
    timeline = changed["operator_timeline"]
    assert [entry["operators"] for entry in timeline] == [4, 12, 3]
    assert timeline[0]["at"] == opened["opened_at"]
    instants = [parse_iso(entry["at"]) for entry in timeline]
    assert instants == sorted(instants)


def test_a_change_of_message_only_leaves_the_operator_timeline_alone(
    api: Api, gent: str, opened: dict[str, Any]
) -> None:
    message = {"nl": "Het gevaar is voorbij.", "en": "The danger has passed."}
    changed = api.patch(f"/activations/{opened['id']}", gent, {"message": message}).body
    assert changed["message"] == message
    assert changed["operator_timeline"] == opened["operator_timeline"]


def test_a_change_of_languages_with_their_messages_is_accepted(
    api: Api, admin: str, gent: str, opened: dict[str, Any]
) -> None:
    patch = {"languages": ["nl", "fr"], "message": {"nl": "Blijf binnen.", "fr": "Restez à l'intérieur."}}
    changed = api.patch(f"/activations/{opened['id']}", gent, patch)
    assert changed.status == 200
    assert changed.body["languages"] == ["nl", "fr"]
    assert changed.body["message"] == patch["message"]
    # routing reads the number's copy: it changed in the same transaction
    assert api.get("/numbers", admin).body["numbers"][0]["activation_id"] == opened["id"]


def test_admin_changes_an_authoritys_line(api: Api, admin: str, opened: dict[str, Any]) -> None:
    changed = api.patch(f"/activations/{opened['id']}", admin, {"victim_information": False})
    assert changed.status == 200
    assert changed.body["victim_information"] is False


def _refused_patch(
    api: Api, token: str, activation_id: str, body: Any, snapshot: Any, status: int = 422
) -> dict[str, Any]:
    before = snapshot()
    answer = api.patch(f"/activations/{activation_id}", token, body)
    assert answer.status == status, answer.body
    assert snapshot() == before
    return answer.body  # type: ignore[no-any-return]


def test_a_language_without_its_message_is_refused_on_change(
    api: Api, gent: str, opened: dict[str, Any], snapshot: Any
) -> None:
    error = _refused_patch(api, gent, opened["id"], {"languages": ["nl", "en", "fr"]}, snapshot)
    assert _fields(error) == ["message"]


def test_a_message_for_a_language_not_offered_is_refused_on_change(
    api: Api, gent: str, opened: dict[str, Any], snapshot: Any
) -> None:
    message = {"nl": "Blijf binnen.", "en": "Stay inside.", "de": "Bleiben Sie drinnen."}
    error = _refused_patch(api, gent, opened["id"], {"message": message}, snapshot)
    assert _fields(error) == ["message"]


def test_an_empty_change_is_refused(api: Api, gent: str, opened: dict[str, Any], snapshot: Any) -> None:
    assert _refused_patch(api, gent, opened["id"], {}, snapshot)["error"]["code"] == "validation_error"


@pytest.mark.parametrize("field", ["operators", "languages", "message", "victim_information"])
def test_a_change_to_null_is_refused(api: Api, gent: str, opened: dict[str, Any], snapshot: Any, field: str) -> None:
    assert _fields(_refused_patch(api, gent, opened["id"], {field: None}, snapshot)) == [field]


@pytest.mark.parametrize("operators", [0, 201])
def test_a_change_of_operators_outside_1_to_200_is_refused(
    api: Api, gent: str, opened: dict[str, Any], snapshot: Any, operators: int
) -> None:
    assert _fields(_refused_patch(api, gent, opened["id"], {"operators": operators}, snapshot)) == ["operators"]


def test_the_reason_cannot_be_changed(api: Api, gent: str, opened: dict[str, Any], snapshot: Any) -> None:
    assert _fields(_refused_patch(api, gent, opened["id"], {"reason": "other"}, snapshot)) == ["reason"]


def test_a_closed_line_cannot_change(api: Api, gent: str, opened: dict[str, Any], snapshot: Any) -> None:
    api.post(f"/activations/{opened['id']}/close", gent)
    error = _refused_patch(api, gent, opened["id"], {"operators": 9}, snapshot, status=409)
    assert error["error"]["code"] == "activation_closed"


def test_a_change_that_is_not_json_is_400(api: Api, gent: str, opened: dict[str, Any], snapshot: Any) -> None:
    before = snapshot()
    answer = api.patch(f"/activations/{opened['id']}", gent, raw=b"{operators: 5}")
    assert answer.status == 400
    assert answer.error_code == "malformed_json"
    assert snapshot() == before


# ---------------------------------------------------------------------- revisions: ETag and If-Match
def test_a_read_and_a_change_carry_the_revision_as_their_etag(api: Api, gent: str, opened: dict[str, Any]) -> None:
    path = f"/activations/{opened['id']}"
    assert api.get(path, gent).headers["ETag"] == '"0"'
    changed = api.patch(path, gent, {"operators": 9})
    assert changed.body["revision"] == 1
    assert changed.headers["ETag"] == '"1"'
    assert api.get(path, gent).headers["ETag"] == '"1"'


def test_a_change_sent_back_with_the_etag_it_read_is_made(api: Api, gent: str, opened: dict[str, Any]) -> None:
    path = f"/activations/{opened['id']}"
    etag = api.get(path, gent).headers["ETag"]
    changed = api.patch(path, gent, {"operators": 9}, headers={"If-Match": etag})
    assert changed.status == 200
    assert changed.body["operators"] == 9


@pytest.mark.parametrize("if_match", ['"1"', "1", 'W/"1"', '"0", "1"', "*"])
def test_if_match_takes_the_revision_quoted_bare_or_weak(
    api: Api, gent: str, opened: dict[str, Any], if_match: str
) -> None:
    path = f"/activations/{opened['id']}"
    assert api.patch(path, gent, {"operators": 9}).status == 200
    changed = api.patch(path, gent, {"operators": 12}, headers={"If-Match": if_match})
    assert changed.status == 200, changed.body
    assert changed.body["revision"] == 2


def test_a_change_made_against_a_revision_someone_else_changed_is_refused_and_changes_nothing(
    api: Api, admin: str, gent: str, opened: dict[str, Any], snapshot: Any
) -> None:
    path = f"/activations/{opened['id']}"
    read = api.get(path, gent).headers["ETag"]
    assert api.patch(path, admin, {"operators": 20}).status == 200  # the crisis center, meanwhile
    before = snapshot()
    answer = api.patch(path, gent, {"operators": 6}, headers={"If-Match": read})
    assert answer.status == 412
    assert answer.error_code == "precondition_failed"
    assert answer.body["error"]["details"] == {"current_revision": 1}
    assert "someone else changed" in answer.body["error"]["message"]
    assert snapshot() == before
    assert api.get(path, gent).body["operators"] == 20


@pytest.mark.parametrize("if_match", ["abc", '"1', "W/1x", ""])
def test_an_if_match_that_is_no_revision_is_refused(
    api: Api, gent: str, opened: dict[str, Any], snapshot: Any, if_match: str
) -> None:
    before = snapshot()
    answer = api.patch(f"/activations/{opened['id']}", gent, {"operators": 6}, headers={"If-Match": if_match})
    assert answer.status == 422
    assert "if-match" in answer.body["error"]["message"].lower()
    assert snapshot() == before


def test_a_closed_line_with_the_revision_it_had_is_told_it_is_closed(
    api: Api, gent: str, opened: dict[str, Any], snapshot: Any
) -> None:
    api.post(f"/activations/{opened['id']}/close", gent)
    before = snapshot()
    answer = api.patch(f"/activations/{opened['id']}", gent, {"operators": 6}, headers={"If-Match": '"0"'})
    assert answer.status == 409
    assert answer.error_code == "activation_closed"
    assert snapshot() == before


def test_the_api_document_describes_etag_and_if_match() -> None:
    paths = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))["paths"]["/activations/{activation_id}"]
    assert "ETag" in paths["get"]["responses"]["200"]["headers"]
    assert "ETag" in paths["patch"]["responses"]["200"]["headers"]
    assert "412" in paths["patch"]["responses"]
    assert "if-match" in [parameter["name"] for parameter in paths["patch"]["parameters"]]


# ---------------------------------------------------------------------- closing
def test_closing_returns_the_number_to_the_pool(api: Api, admin: str, gent: str, opened: dict[str, Any]) -> None:
    answer = api.post(f"/activations/{opened['id']}/close", gent)
    assert answer.status == 200
    closed = answer.body
    assert closed["status"] == "closed"
    assert parse_iso(closed["closed_at"]) >= parse_iso(closed["opened_at"])
    numbers = api.get("/numbers", admin).body["numbers"]
    assert numbers == [
        {"number": "+3280012345", "kind": "toll_free", "state": "free", "activation_id": None, "authority_id": None}
    ]
    assert "live_activation_id" not in api.get("/authorities/44021", gent).body


def test_a_closed_number_can_be_claimed_by_the_next_activation(
    api: Api, enrol: Any, gent: str, opened: dict[str, Any]
) -> None:
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    assert api.post("/activations", antwerpen, activation_body()).error_code == "no_number_available"
    api.post(f"/activations/{opened['id']}/close", gent)
    answer = api.post("/activations", antwerpen, activation_body())
    assert answer.status == 201
    assert answer.body["number"] == opened["number"]


def test_closing_bumps_the_revision(api: Api, gent: str, opened: dict[str, Any]) -> None:
    changed = api.patch(f"/activations/{opened['id']}", gent, {"operators": 9}).body
    closed = api.post(f"/activations/{opened['id']}/close", gent).body
    assert closed["revision"] == changed["revision"] + 1 == 2
    read = api.get(f"/activations/{opened['id']}", gent)
    assert read.body["revision"] == 2
    assert read.headers["ETag"] == '"2"'


def test_a_line_opened_before_revisions_existed_closes_at_revision_1(
    api: Api, gent: str, opened: dict[str, Any]
) -> None:
    boto3.client("dynamodb").update_item(
        TableName=table_names()["ActivationsTable"], Key={"id": {"S": opened["id"]}}, UpdateExpression="REMOVE revision"
    )
    path = f"/activations/{opened['id']}"
    assert api.get(path, gent).headers["ETag"] == '"0"'
    assert api.post(f"{path}/close", gent).body["revision"] == 1
    assert api.get(path, gent).body["revision"] == 1


def test_closing_twice_is_harmless(api: Api, gent: str, opened: dict[str, Any], snapshot: Any) -> None:
    first = api.post(f"/activations/{opened['id']}/close", gent).body
    before = snapshot()
    again = api.post(f"/activations/{opened['id']}/close", gent)
    assert again.status == 200
    assert again.body == first
    assert snapshot() == before


def test_closing_a_line_once_another_claimed_its_number_leaves_that_line_alone(
    api: Api, admin: str, enrol: Any, gent: str, opened: dict[str, Any]
) -> None:
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    api.post(f"/activations/{opened['id']}/close", gent)
    theirs = api.post("/activations", antwerpen, activation_body()).body
    assert api.post(f"/activations/{opened['id']}/close", gent).status == 200
    assert api.get("/numbers", admin).body["numbers"][0]["activation_id"] == theirs["id"]
    assert api.get(f"/activations/{theirs['id']}", antwerpen).body["status"] == "live"


def test_admin_closes_an_authoritys_line(api: Api, admin: str, opened: dict[str, Any]) -> None:
    answer = api.post(f"/activations/{opened['id']}/close", admin)
    assert answer.status == 200
    assert answer.body["status"] == "closed"


# ---------------------------------------------------------------------- audit trail
def test_the_audit_trail_says_who_changed_what_and_when(
    api: Api, admin: str, gent: str, opened: dict[str, Any]
) -> None:
    path = f"/activations/{opened['id']}"
    api.patch(path, gent, {"operators": 10})
    api.patch(path, admin, {"victim_information": False})
    closed = api.post(f"{path}/close", gent).body
    api.post(f"{path}/close", gent)  # harmless, and not audited as a second close
    answer = api.get(f"{path}/audit", gent)
    assert answer.status == 200
    entries = answer.body["entries"]
    assert [e["action"] for e in entries] == ["open", "update", "update", "close"]
    assert [e["actor"]["role"] for e in entries] == ["authority", "authority", "admin", "authority"]
    assert entries[0]["actor"]["authority_id"] == "44021"
    assert entries[1]["changes"] == {"operators": {"before": 4, "after": 10}}
    assert entries[2]["changes"] == {"victim_information": {"before": True, "after": False}}
    assert entries[3]["changes"] == {"closed_at": closed["closed_at"], "number": "+3280012345"}
    assert all(e["actor"]["credential_id"] for e in entries)
    instants = [parse_iso(e["at"]) for e in entries]
    assert instants == sorted(instants)
    assert entries[0]["at"] == opened["requested_at"]


def test_admin_reads_the_audit_trail(api: Api, admin: str, opened: dict[str, Any]) -> None:
    answer = api.get(f"/activations/{opened['id']}/audit", admin)
    assert answer.status == 200
    assert [e["action"] for e in answer.body["entries"]] == ["open"]


def test_the_audit_trail_keeps_the_line_as_it_was_opened(api: Api, gent: str, opened: dict[str, Any]) -> None:
    entry = api.get(f"/activations/{opened['id']}/audit", gent).body["entries"][0]
    body = activation_body()
    assert entry["changes"] == {
        "reason": body["reason"],
        "languages": body["languages"],
        "message": body["message"],
        "victim_information": body["victim_information"],
        "operators": body["operators"],
        "number": opened["number"],
        "number_kind": "toll_free",
    }


def test_the_audit_trail_still_holds_the_first_message_callers_heard(
    api: Api, gent: str, opened: dict[str, Any]
) -> None:
    first = opened["message"]
    reworded = {"nl": "Het gevaar is voorbij.", "en": "The danger has passed."}
    assert api.patch(f"/activations/{opened['id']}", gent, {"message": reworded}).status == 200
    entries = api.get(f"/activations/{opened['id']}/audit", gent).body["entries"]
    assert [e["action"] for e in entries] == ["open", "update"]
    assert entries[0]["changes"]["message"] == first
    assert entries[1]["changes"] == {"message": {"before": first, "after": reworded}}


def test_the_audit_trail_records_what_a_change_of_languages_replaced(
    api: Api, gent: str, opened: dict[str, Any]
) -> None:
    patch = {"languages": ["nl", "fr"], "message": {"nl": "Blijf binnen.", "fr": "Restez à l'intérieur."}}
    assert api.patch(f"/activations/{opened['id']}", gent, patch).status == 200
    update = api.get(f"/activations/{opened['id']}/audit", gent).body["entries"][1]
    assert update["changes"] == {
        "languages": {"before": ["nl", "en"], "after": ["nl", "fr"]},
        "message": {"before": opened["message"], "after": patch["message"]},
    }
