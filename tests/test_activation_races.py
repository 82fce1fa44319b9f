"""Many requests at the same moment: authorities racing for the last numbers, retries with an Idempotency-Key,
and several people changing the same line at once.

Threads share one moto backend. moto 5.2 itself is not thread-safe: without the `atomic_dynamodb` fixture two
threads both pass `pool_state = :free` on the same number and both write, and a cancelled transaction restores
a deep copy of whole tables over other threads' writes (double claims, lost activations, numbers left without
their state). Those are moto's defects, not DynamoDB's, so the race tests serialise moto's requests as DynamoDB
makes each request atomic, and test crisisline's claim logic."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer, DataRecord
from botocore.exceptions import ClientError

from activate import logic
from crisisline import errors, settings, tokens
from crisisline.aws import client
from crisisline.models import ActivationIn, ActivationPatch, Caller, check_messages
from crisisline.stores import ActivationStore, Stores
from tests.conftest import Answer, Api, activation_body, at_once, table_items

RACERS = 10


def _enrol_many(enrol: Any, count: int) -> dict[str, str]:
    """NIS code → token of `count` enrolled authorities."""
    return {f"{10000 + i}": enrol(f"{10000 + i}", f"Gemeente {i}")[1] for i in range(count)}


def _live_numbers(api: Api, admin: str) -> dict[str, str]:
    return {n["number"]: n["activation_id"] for n in api.get("/numbers", admin).body["numbers"] if n["state"] == "live"}


# ---------------------------------------------------------------------- the last numbers
def test_ten_authorities_racing_for_two_numbers_get_exactly_two_lines(
    atomic_dynamodb: None, api: Api, admin: str, enrol: Any, add_numbers: Any
) -> None:
    add_numbers("+3280012345", "+3280012346")
    tokens = list(_enrol_many(enrol, RACERS).items())
    answers = at_once(RACERS, lambda i: api.post("/activations", tokens[i][1], activation_body()))

    won = [(tokens[i][0], answer.body) for i, answer in enumerate(answers) if answer.status == 201]
    lost = [answer for answer in answers if answer.status != 201]
    assert len(won) == 2
    assert {(a.status, a.error_code) for a in lost} == {(409, "no_number_available")}
    assert all(body["authority_id"] == authority_id for authority_id, body in won)  # each its own line
    assert sorted(body["number"] for _, body in won) == ["+3280012345", "+3280012346"]  # none held twice
    assert _live_numbers(api, admin) == {body["number"]: body["id"] for _, body in won}
    assert len(table_items("ActivationsTable")) == 2
    assert sorted(
        item["subject"]["S"] for item in table_items("AuditTable") if item["action"]["S"] == "open"
    ) == sorted(f"activation#{body['id']}" for _, body in won)
    live_markers = {
        item["id"]["S"]: item["live_activation_id"]["S"]
        for item in table_items("AuthoritiesTable")
        if "live_activation_id" in item
    }
    assert live_markers == {authority_id: body["id"] for authority_id, body in won}


def test_racing_claims_in_the_store_never_hold_a_number_twice(
    atomic_dynamodb: None, enrol: Any, add_numbers: Any
) -> None:
    """The same race one layer down, without the API around it: the threads interleave inside the claim loop."""
    add_numbers("+3280012345", "+3280012346", "+3280012347")
    authorities = list(_enrol_many(enrol, RACERS))
    store, request = logic.default_store(), ActivationIn.model_validate(activation_body())

    def claim(i: int) -> dict[str, Any] | errors.DomainError:
        caller = Caller(role="authority", credential_id=f"c{i}", authority_id=authorities[i], authority_name="x")
        try:
            return logic.open_activation(caller, request, store)[0]
        except errors.DomainError as error:
            return error

    outcomes = at_once(RACERS, claim)
    opened = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if not isinstance(o, dict)]
    assert len(opened) == 3
    assert Counter(o["number"] for o in opened) == Counter({"+3280012345": 1, "+3280012346": 1, "+3280012347": 1})
    assert {(e.status, e.code) for e in refused} == {(409, "no_number_available")}
    numbers = {n["number"]: n.get("activation_id") for n in store.numbers.list_numbers()}
    assert numbers == {o["number"]: o["id"] for o in opened}


def test_one_authority_sending_the_same_activation_five_times_at_once_opens_one_line(
    atomic_dynamodb: None, api: Api, gent: str, add_numbers: Any
) -> None:
    add_numbers(*(f"+328001234{i}" for i in range(5)))
    answers = at_once(5, lambda _: api.post("/activations", gent, activation_body()))
    won = [a.body for a in answers if a.status == 201]
    assert len(won) == 1
    refused = [a for a in answers if a.status != 201]
    assert {(a.status, a.error_code) for a in refused} == {(409, "activation_already_live")}
    assert all(a.body["error"]["details"]["activation_id"] == won[0]["id"] for a in refused)
    assert len(table_items("ActivationsTable")) == 1


class _CollidingDynamoDB:
    """A DynamoDB client whose first `transact_write_items` collides with another transaction on the number,
    as DynamoDB reports it when two claims touch the same item at the same moment."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.collisions = 1

    def transact_write_items(self, **request: Any) -> Any:
        if self.collisions:
            self.collisions -= 1
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "collided"},
                    "CancellationReasons": [
                        {"Code": "None"},
                        {"Code": "TransactionConflict"},
                        {"Code": "None"},
                        {"Code": "None"},
                    ],
                },
                "TransactWriteItems",
            )
        return self.real.transact_write_items(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_claim_that_collides_with_another_moves_on_instead_of_failing(api: Api, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345", "+3280012346")
    dynamodb = _CollidingDynamoDB(client("dynamodb"))
    store = Stores.from_settings(settings.api(), dynamodb)
    caller = Caller(role="authority", credential_id="c", authority_id="44021", authority_name="Stad Gent")
    opened, _ = logic.open_activation(caller, ActivationIn.model_validate(activation_body()), store)
    assert dynamodb.collisions == 0
    assert opened["status"] == "live"
    assert store.activations.get(opened["id"])["number"] == opened["number"]
    held = [n["number"] for n in store.numbers.list_numbers() if n.get("activation_id") == opened["id"]]
    assert held == [opened["number"]]


# ---------------------------------------------------------------------- idempotent retries
def _open(api: Api, token: str, key: str, **changes: Any) -> Answer:
    return api.post("/activations", token, activation_body(**changes), headers={"Idempotency-Key": key})


def test_a_retry_with_the_same_idempotency_key_returns_the_same_activation(
    api: Api, admin: str, gent: str, add_numbers: Any
) -> None:
    add_numbers("+3280012345", "+3280012346")
    first = _open(api, gent, "gent-2026-03-14-fire")
    again = _open(api, gent, "gent-2026-03-14-fire")
    assert first.status == again.status == 201
    assert again.body["id"] == first.body["id"]
    assert again.body["number"] == first.body["number"]
    assert [a["id"] for a in api.get("/activations", gent).body["activations"]] == [first.body["id"]]
    assert list(_live_numbers(api, admin).values()) == [first.body["id"]]


def test_the_same_idempotency_key_for_a_different_request_is_refused(
    api: Api, gent: str, add_numbers: Any, snapshot: Any
) -> None:
    add_numbers("+3280012345", "+3280012346")
    first = _open(api, gent, "gent-1")
    before = snapshot()
    answer = _open(api, gent, "gent-1", operators=40)
    assert answer.status == 422
    assert answer.body["error"]["details"]["fields"][0]["field"] == "Idempotency-Key"
    assert snapshot() == before
    assert api.get(f"/activations/{first.body['id']}", gent).body["operators"] == 4


def test_idempotency_keys_belong_to_one_authority(api: Api, enrol: Any, add_numbers: Any) -> None:
    add_numbers("+3280012345", "+3280012346")
    _, gent = enrol("44021", "Stad Gent")
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    theirs = _open(api, gent, "crisis-1")
    mine = _open(api, antwerpen, "crisis-1")
    assert mine.status == 201
    assert mine.body["authority_id"] == "11002"
    assert mine.body["id"] != theirs.body["id"]
    assert mine.body["number"] != theirs.body["number"]


def test_a_refused_request_does_not_use_up_its_idempotency_key(api: Api, gent: str, add_numbers: Any) -> None:
    assert _open(api, gent, "gent-2").error_code == "no_number_available"
    assert table_items("IdempotencyTable") == []
    add_numbers("+3280012345")
    answer = _open(api, gent, "gent-2")
    assert answer.status == 201
    assert _open(api, gent, "gent-2").body["id"] == answer.body["id"]


def test_a_bad_idempotency_key_is_refused(api: Api, gent: str, add_numbers: Any, snapshot: Any) -> None:
    add_numbers("+3280012345")
    before = snapshot()
    answer = _open(api, gent, "x" * 101)
    assert answer.status == 422
    assert "idempotency-key" in answer.body["error"]["message"].lower()
    assert snapshot() == before


def test_retries_racing_with_the_same_key_open_one_line(
    atomic_dynamodb: None, api: Api, gent: str, add_numbers: Any
) -> None:
    add_numbers("+3280012345", "+3280012346")
    answers = at_once(5, lambda _: _open(api, gent, "gent-surge"))
    opened = {a.body["id"] for a in answers if a.status == 201}
    assert len(opened) == 1
    busy = [a for a in answers if a.status != 201]
    assert all(a.status == 409 and a.error_code == "request_in_progress" and a.headers.get("Retry-After") for a in busy)
    assert len(table_items("ActivationsTable")) == 1
    assert _open(api, gent, "gent-surge").body["id"] in opened  # once done, a retry gets the same line


# ---------------------------------------------------------------------- changing one line from many places
@pytest.fixture
def line(api: Api, gent: str, add_numbers: Any) -> dict[str, Any]:
    add_numbers("+3280012345")
    return api.post("/activations", gent, activation_body()).body  # type: ignore[no-any-return]


def test_operator_changes_sent_at_once_are_all_kept_in_order(
    atomic_dynamodb: None, api: Api, gent: str, line: dict[str, Any]
) -> None:
    path = f"/activations/{line['id']}"
    answers = at_once(RACERS, lambda i: api.patch(path, gent, {"operators": 10 + i}))
    assert [a.status for a in answers] == [200] * RACERS
    final = api.get(path, gent).body
    timeline = final["operator_timeline"]
    assert sorted(entry["operators"] for entry in timeline[1:]) == [10 + i for i in range(RACERS)]
    assert timeline[-1]["operators"] == final["operators"]  # the line runs with the last change
    assert [entry["at"] for entry in timeline] == sorted(entry["at"] for entry in timeline)
    audit = [
        e["changes"]["operators"] for e in api.get(f"{path}/audit", gent).body["entries"] if e["action"] == "update"
    ]
    assert sorted(change["after"] for change in audit) == [10 + i for i in range(RACERS)]
    # Each change replaced what the one before it wrote: the befores are the opening value and every after
    # but the last.
    assert Counter(change["before"] for change in audit) + Counter([final["operators"]]) == Counter(
        [4] + [change["after"] for change in audit]
    )


GENT = Caller(role="authority", credential_id="c-gent", authority_id="44021", authority_name="Stad Gent")


def test_operator_changes_made_at_the_same_moment_are_all_kept_in_time_order(
    atomic_dynamodb: None, line: dict[str, Any]
) -> None:
    """One layer below the API, the changes interleave: each reads the line, and all of them write."""
    store = logic.default_store()
    at_once(RACERS, lambda i: logic.update_activation(GENT, line["id"], ActivationPatch(operators=10 + i), store))
    final = store.activations.get(line["id"])
    assert final is not None
    timeline = final["operator_timeline"]
    assert sorted(entry["operators"] for entry in timeline[1:]) == [10 + i for i in range(RACERS)]
    assert timeline[-1]["operators"] == final["operators"]
    assert [entry["at"] for entry in timeline] == sorted(entry["at"] for entry in timeline)
    routing = store.numbers.list_numbers()[0]
    assert routing["operators"] == final["operators"]


def test_languages_and_messages_changed_at_the_same_moment_stay_consistent(
    atomic_dynamodb: None, line: dict[str, Any]
) -> None:
    """Half the changes add French with its message; the others reword Dutch and English only. Whatever the
    order, the line never ends up offering a language without its message."""
    store = logic.default_store()
    add_french = ActivationPatch(
        languages=["nl", "en", "fr"],
        message={"nl": "Blijf binnen.", "en": "Stay inside.", "fr": "Restez à l'intérieur."},
    )
    reword = ActivationPatch(message={"nl": "Sluit ramen en deuren.", "en": "Close windows and doors."})

    def change(i: int) -> dict[str, Any] | errors.DomainError:
        try:
            return logic.update_activation(GENT, line["id"], add_french if i % 2 else reword, store)
        except errors.DomainError as error:
            return error

    outcomes = at_once(8, change)
    assert {(o.status, o.code) for o in outcomes if isinstance(o, errors.DomainError)} <= {(422, "validation_error")}
    final = store.activations.get(line["id"])
    assert final is not None
    check_messages(final["languages"], final["message"])
    routing = store.numbers.list_numbers()[0]
    assert (routing["languages"], routing["message"]) == (final["languages"], final["message"])


def test_closing_at_the_same_time_from_two_places_closes_once(
    atomic_dynamodb: None, api: Api, admin: str, gent: str, line: dict[str, Any]
) -> None:
    answers = at_once(4, lambda i: api.post(f"/activations/{line['id']}/close", gent if i % 2 else admin))
    assert [a.status for a in answers] == [200] * 4
    assert {a.body["closed_at"] for a in answers} == {answers[0].body["closed_at"]}
    audit = api.get(f"/activations/{line['id']}/audit", gent).body["entries"]
    assert [e["action"] for e in audit] == ["open", "close"]
    assert _live_numbers(api, admin) == {}


def test_a_change_racing_a_close_never_reopens_the_line(
    atomic_dynamodb: None, api: Api, admin: str, gent: str, line: dict[str, Any]
) -> None:
    path = f"/activations/{line['id']}"
    answers = at_once(
        6, lambda i: api.post(f"{path}/close", gent) if i == 0 else api.patch(path, gent, {"operators": 20 + i})
    )
    assert answers[0].status == 200
    assert {a.status for a in answers[1:]} <= {200, 409}
    assert api.get(path, gent).body == answers[0].body  # the close answered the line as it closed it
    assert api.get(path, gent).body["status"] == "closed"
    assert _live_numbers(api, admin) == {}
    number = api.get("/numbers", admin).body["numbers"][0]
    assert number["state"] == "free"
    assert number["activation_id"] is None


class _ChangedBeforeClose(ActivationStore):
    """An activation store in which someone changes the line between a close's read and its write, once."""

    def close(self, activation: dict[str, Any], *rest: Any) -> bool:
        if not getattr(self, "changed", False):
            self.changed = True
            logic.update_activation(GENT, activation["id"], ActivationPatch(operators=30), logic.default_store())
        return super().close(activation, *rest)


def test_a_close_whose_line_changed_meanwhile_closes_the_line_as_it_now_is(line: dict[str, Any]) -> None:
    config = settings.api()
    activations = _ChangedBeforeClose(
        client("dynamodb"), activations_table=config.activations_table, audit_table=config.audit_table
    )
    store = dataclasses.replace(logic.default_store(), activations=activations)
    closed, closed_now = logic.close_activation(GENT, line["id"], store)
    assert closed_now
    assert closed["operators"] == 30
    assert closed["revision"] == 2  # the change, then the close
    assert closed == store.activations.get(line["id"])


# ---------------------------------------------------------------------- what the handler hands the logic
class _RecordsInMemory(BasePersistenceLayer):
    """Idempotency records kept in a dict: what the handler would keep in the idempotency table."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        if idempotency_key not in self.records:
            raise IdempotencyItemNotFoundError
        return self.records[idempotency_key]

    def _put_record(self, data_record: DataRecord) -> None:
        if data_record.idempotency_key in self.records:
            raise IdempotencyItemAlreadyExistsError
        self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)


def test_a_retried_open_is_recognised_by_the_idempotency_records_the_handler_hands_over(
    gent: str, add_numbers: Any
) -> None:
    add_numbers("+3280012345", "+3280012346")
    records = _RecordsInMemory()
    idempotency = logic.Idempotency(records, logic.idempotency_config(expires_after_seconds=3600))
    request = ActivationIn.model_validate(activation_body())
    first, first_replayed = logic.open_activation(GENT, request, logic.default_store(), "gent-night-1", idempotency)
    again, replayed = logic.open_activation(GENT, request, logic.default_store(), "gent-night-1", idempotency)
    assert (first_replayed, replayed) == (False, True)
    assert again["id"] == first["id"]
    assert len(records.records) == 1
    assert [a["id"] for a in logic.default_store().activations.list_activations("44021")] == [first["id"]]


def test_an_authoritys_token_is_hashed_under_the_key_the_handler_hands_over(aws: None) -> None:
    from crisisline.models import AuthorityIn
    from tests.conftest import authority_body

    key = b"a hashing key read by the handler"
    admin = Caller(role="admin", credential_id="c-admin")
    enrolled = logic.enrol_authority(
        admin, AuthorityIn.model_validate(authority_body("44021", "Stad Gent")), logic.default_store(), key
    )
    stored = logic.default_store().authorities.get("44021")
    assert stored is not None
    assert stored["token_hash"] == tokens.token_hash(enrolled["token"], key)
