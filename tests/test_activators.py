"""The people an authority's agreement names as allowed to activate its line: the crisis center adds, changes
and removes them (each change audited), issues each their own token and sets their PIN for the phone; the audit
trail of a line names the person and the channel that opened, changed and closed it."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activate import activators as activator_logic
from activate import logic
from crisisline import pins
from tests.billing_support import csv_rows, finance, finance_env
from tests.conftest import Answer, Api, activation_body, at_once, authority_body, table_items

__all__ = ["finance", "finance_env"]  # fixtures

MAYOR = {"name": "Mathias De Clercq", "function": "burgemeester", "phone": "+32475123456", "language": "nl"}
OFFICER = {"name": "Anne Peeters", "function": "noodplanningsambtenaar", "phone": "+32476654321", "language": "fr"}
PIN = "482915"
CONSOLE = {"X-Crisisline-Channel": "console"}


def _delete(api: Api, path: str, token: str) -> Answer:
    return api.call("DELETE", path, token)


def _put(api: Api, path: str, token: str, body: Any) -> Answer:
    return api.call("PUT", path, token, body)


def _add(api: Api, admin: str, person: dict[str, Any] = MAYOR, authority_id: str = "44021") -> dict[str, Any]:
    answer = api.post(f"/authorities/{authority_id}/activators", admin, person)
    assert answer.status == 201, answer.body
    return answer.body  # type: ignore[no-any-return]


def _token(api: Api, admin: str, activator_id: str, authority_id: str = "44021") -> str:
    answer = api.post(f"/authorities/{authority_id}/activators/{activator_id}/token", admin)
    assert answer.status == 201, answer.body
    return str(answer.body["token"])


def _authority_audit(action: str) -> list[dict[str, Any]]:
    return [item for item in table_items("AuditTable") if item["action"]["S"] == action]


# ---------------------------------------------------------------------- the list, audited
def test_admin_adds_changes_and_removes_an_activator_and_each_change_is_audited(
    api: Api, admin: str, gent: str
) -> None:
    added = _add(api, admin)
    assert {key: added[key] for key in MAYOR} == MAYOR
    assert added["pin_set"] is False and added["token_issued_at"] is None

    changed = api.patch(f"/authorities/44021/activators/{added['id']}", admin, {"phone": "+32475000111"})
    assert changed.status == 200, changed.body
    assert changed.body["phone"] == "+32475000111" and changed.body["name"] == MAYOR["name"]
    listed = api.get("/authorities/44021/activators", admin).body["activators"]
    assert [(a["id"], a["phone"]) for a in listed] == [(added["id"], "+32475000111")]

    assert _delete(api, f"/authorities/44021/activators/{added['id']}", admin).status == 200
    assert api.get("/authorities/44021/activators", admin).body["activators"] == []

    adds, changes, removals = (_authority_audit(a) for a in ("activator_add", "activator_change", "activator_remove"))
    assert [e["changes"]["M"]["name"]["S"] for e in adds] == [MAYOR["name"]]
    assert changes[0]["changes"]["M"]["phone"]["M"]["before"]["S"] == "+32475123456"
    assert changes[0]["changes"]["M"]["phone"]["M"]["after"]["S"] == "+32475000111"
    assert removals[0]["changes"]["M"]["activator_id"]["S"] == added["id"]
    assert all(e["subject"]["S"] == "authority#44021" and e["actor"]["M"]["role"]["S"] == "admin" for e in adds)
    assert all("at" in e for e in [*adds, *changes, *removals])


def test_an_enrolment_may_carry_its_activators(api: Api, admin: str) -> None:
    answer = api.post("/authorities", admin, authority_body(activators=[MAYOR, OFFICER]))
    assert answer.status == 201, answer.body
    assert [a["name"] for a in answer.body["activators"]] == [MAYOR["name"], OFFICER["name"]]
    assert [a["name"] for a in api.get("/authorities/44021/activators", admin).body["activators"]] == [
        MAYOR["name"],
        OFFICER["name"],
    ]


def test_an_activator_with_a_phone_number_not_in_international_form_is_refused_and_nothing_is_added(
    api: Api, admin: str, gent: str
) -> None:
    answer = api.post("/authorities/44021/activators", admin, {**MAYOR, "phone": "0475 12 34 56"})
    assert (answer.status, answer.error_code) == (422, "validation_error")
    assert "international form" in answer.body["error"]["message"]
    assert table_items("ActivatorsTable") == []


def test_only_admin_manages_activators(api: Api, admin: str, gent: str) -> None:
    added = _add(api, admin)
    assert api.get("/authorities/44021/activators", gent).status == 403
    assert api.post("/authorities/44021/activators", gent, OFFICER).status == 403
    assert api.post(f"/authorities/44021/activators/{added['id']}/token", gent).status == 403
    assert _put(api, f"/authorities/44021/activators/{added['id']}/pin", gent, {"pin": PIN}).status == 403


def test_an_unknown_activator_or_authority_is_404(api: Api, admin: str, gent: str) -> None:
    assert api.patch("/authorities/44021/activators/abc123", admin, {"name": "X"}).status == 404
    assert api.get("/authorities/99999/activators", admin).status == 404
    assert api.post("/authorities/99999/activators", admin, MAYOR).status == 404


# ---------------------------------------------------------------------- each activator's token
def test_an_activator_gets_a_token_of_their_own_acting_for_the_authority_and_naming_them(
    api: Api, admin: str, gent: str
) -> None:
    added = _add(api, admin)
    token = _token(api, admin, added["id"])
    me = api.get("/me", token).body
    assert (me["role"], me["authority_id"], me["label"], me["activator_id"]) == (
        "authority",
        "44021",
        MAYOR["name"],
        added["id"],
    )
    assert api.get("/authorities/44021/activators", admin).body["activators"][0]["token_issued_at"]
    assert api.get("/me", gent).body.get("activator_id") is None  # the authority's shared token still works


def test_a_new_token_for_an_activator_ends_the_one_before(api: Api, admin: str, gent: str) -> None:
    added = _add(api, admin)
    first = _token(api, admin, added["id"])
    second = _token(api, admin, added["id"])
    assert api.get("/me", first).status == 401
    assert api.get("/me", second).status == 200


def test_a_removed_activators_token_is_refused_with_401(api: Api, admin: str, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345")
    added = _add(api, admin)
    token = _token(api, admin, added["id"])
    assert _delete(api, f"/authorities/44021/activators/{added['id']}", admin).status == 200
    assert api.get("/me", token).status == 401
    assert api.post("/activations", token, activation_body()).status == 401
    revoked = [c for c in api.get("/credentials", admin).body["credentials"] if c["label"] == MAYOR["name"]]
    assert revoked and revoked[0]["revoked_at"]


# ---------------------------------------------------------------------- the audit names the person and channel
def test_the_line_s_audit_names_the_activator_and_the_channel_of_each_step(
    api: Api, admin: str, gent: str, add_numbers: Any
) -> None:
    add_numbers("+3280012345")
    mayor = _add(api, admin)
    token = _token(api, admin, mayor["id"])
    opened = api.post("/activations", token, activation_body(), headers=CONSOLE)
    assert opened.status == 201, opened.body
    line = opened.body["id"]
    assert api.patch(f"/activations/{line}", gent, {"operators": 6}).status == 200
    briefing = _put(api, f"/activations/{line}/briefing", admin, {"items": {"nl": [], "en": []}})
    assert briefing.status == 200, briefing.body
    assert api.post(f"/activations/{line}/close", token, headers={"X-Crisisline-Channel": "fax"}).status == 200

    entries = {e["action"]: e for e in api.get(f"/activations/{line}/audit", admin).body["entries"]}
    assert entries["open"]["actor"]["name"] == MAYOR["name"]
    assert entries["open"]["actor"]["activator_id"] == mayor["id"]
    assert entries["open"]["channel"] == "console"
    assert entries["update"]["actor"]["name"] == "Stad Gent"  # the authority's shared token, by its label
    assert "activator_id" not in entries["update"]["actor"]
    assert entries["update"]["channel"] == "api"
    assert entries["briefing"]["actor"]["role"] == "admin" and entries["briefing"]["channel"] == "api"
    assert entries["close"]["actor"]["activator_id"] == mayor["id"]
    assert entries["close"]["channel"] == "api"  # an unknown channel is the API


# ---------------------------------------------------------------------- access
def test_an_activator_of_one_authority_sees_no_line_of_another(
    api: Api, admin: str, enrol: Any, add_numbers: Any
) -> None:
    add_numbers("+3280012345")
    enrol("44021", "Stad Gent")
    antwerp_token = enrol("11002", "Stad Antwerpen")[1]
    gent_mayor = _token(api, admin, _add(api, admin)["id"])
    line = api.post("/activations", antwerp_token, activation_body()).body["id"]
    assert api.get(f"/activations/{line}", gent_mayor).status == 404
    assert api.patch(f"/activations/{line}", gent_mayor, {"operators": 9}).status == 404
    assert api.post(f"/activations/{line}/close", gent_mayor).status == 404
    assert api.get(f"/activations/{line}/audit", gent_mayor).status == 404
    assert api.get(f"/activations/{line}", antwerp_token).body["status"] == "live"


# ---------------------------------------------------------------------- the PIN
@pytest.mark.parametrize("trivial", ["123456", "000000", "654321", "121212", "123123", "12345678", "890123"])
def test_a_trivial_pin_is_refused(api: Api, admin: str, gent: str, trivial: str) -> None:
    added = _add(api, admin)
    answer = _put(api, f"/authorities/44021/activators/{added['id']}/pin", admin, {"pin": trivial})
    assert (answer.status, answer.error_code) == (422, "validation_error")
    assert answer.body["error"]["details"]["fields"][0]["field"] == "pin"
    assert api.get("/authorities/44021/activators", admin).body["activators"][0]["pin_set"] is False


@pytest.mark.parametrize("wrong", ["12345", "123456789", "48291a", ""])
def test_a_pin_of_other_than_6_to_8_digits_is_refused(api: Api, admin: str, gent: str, wrong: str) -> None:
    added = _add(api, admin)
    answer = _put(api, f"/authorities/44021/activators/{added['id']}/pin", admin, {"pin": wrong})
    assert answer.status == 422


def test_the_pin_is_stored_as_a_slow_salted_hash_and_never_answered_or_logged(
    api: Api, admin: str, gent: str, capfd: pytest.CaptureFixture[str]
) -> None:
    mayor, officer = _add(api, admin), _add(api, admin, OFFICER)
    answers = [
        _put(api, f"/authorities/44021/activators/{person['id']}/pin", admin, {"pin": PIN})
        for person in (mayor, officer)
    ]
    assert [a.status for a in answers] == [200, 200]
    assert all(a.body["pin_set"] is True for a in answers)
    stored = [item["pin_hash"]["S"] for item in table_items("ActivatorsTable")]
    assert len(set(stored)) == 2  # the same PIN, two salts, two hashes
    assert all(PIN not in value for value in stored)
    assert all(value.startswith("scrypt$16384$8$1$") for value in stored)
    assert all(pins.matches(PIN, value) for value in stored)
    listed = api.get("/authorities/44021/activators", admin)
    audit = table_items("AuditTable")
    out, err = capfd.readouterr()
    for text in (str([a.raw for a in answers]), str(listed.raw), str(audit), out, err):
        assert PIN not in text
        assert not any(value in text for value in stored)


def test_a_pin_hash_takes_scrypt_s_cost() -> None:
    started = time.perf_counter()
    stored = pins.pin_hash(PIN)
    took = time.perf_counter() - started
    salt = bytes.fromhex(stored.split("$")[4])
    assert stored.split("$")[5] == hashlib.scrypt(PIN.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()
    assert took > 0.005  # a fast hash (SHA-256: microseconds) would not take this


def test_an_activator_changes_their_own_pin_with_the_current_one(api: Api, admin: str, gent: str) -> None:
    mayor = _add(api, admin)
    token = _token(api, admin, mayor["id"])
    assert _put(api, f"/authorities/44021/activators/{mayor['id']}/pin", admin, {"pin": PIN}).status == 200

    wrong = _put(api, "/me/pin", token, {"current_pin": "999111", "new_pin": "736251"})
    assert (wrong.status, wrong.error_code, wrong.body["error"]["details"]["tries_left"]) == (422, "wrong_pin", 2)
    trivial = _put(api, "/me/pin", token, {"current_pin": PIN, "new_pin": "111111"})
    assert (trivial.status, trivial.error_code) == (422, "validation_error")
    changed = _put(api, "/me/pin", token, {"current_pin": PIN, "new_pin": "736251"})
    assert changed.status == 200, changed.body
    assert "736251" not in changed.raw.decode()
    store = logic.default_store()
    assert activator_logic.verify_pin("44021", mayor["id"], "736251", store).outcome == "accepted"
    assert activator_logic.verify_pin("44021", mayor["id"], PIN, store).outcome == "wrong"
    assert [e["actor"]["M"]["activator_id"]["S"] for e in _authority_audit("activator_pin_change")] == [mayor["id"]]


def test_the_authoritys_shared_token_has_no_pin_to_change(api: Api, admin: str, gent: str) -> None:
    answer = _put(api, "/me/pin", gent, {"current_pin": PIN, "new_pin": "736251"})
    assert (answer.status, answer.error_code) == (403, "forbidden")


# ---------------------------------------------------------------------- the lockout
def _with_pin(api: Api, admin: str) -> str:
    mayor = _add(api, admin)
    assert _put(api, f"/authorities/44021/activators/{mayor['id']}/pin", admin, {"pin": PIN}).status == 200
    return str(mayor["id"])


def test_three_wrong_pins_lock_the_activator_for_fifteen_minutes(api: Api, admin: str, gent: str) -> None:
    mayor = _with_pin(api, admin)
    store = logic.default_store()
    now = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
    tries = [activator_logic.verify_pin("44021", mayor, "000111", store, now) for _ in range(3)]
    assert [(t.outcome, t.tries_left) for t in tries] == [("wrong", 2), ("wrong", 1), ("locked", 0)]
    assert tries[2].locked_until == "2026-11-29T22:15:00.000Z"
    # Locked: even the right PIN is refused, and it is not compared.
    assert activator_logic.verify_pin("44021", mayor, PIN, store, now + timedelta(minutes=14)).outcome == "locked"
    shown = api.get("/authorities/44021/activators", admin).body["activators"][0]
    assert shown["pin_locked_until"] is None or shown["pin_locked_until"] == "2026-11-29T22:15:00.000Z"
    after = activator_logic.verify_pin("44021", mayor, PIN, store, now + timedelta(minutes=15, seconds=1))
    assert after.outcome == "accepted"


def test_the_right_pin_starts_the_count_again(api: Api, admin: str, gent: str) -> None:
    mayor = _with_pin(api, admin)
    store = logic.default_store()
    for pin in ("000111", "000111", PIN, "000111", "000111"):
        last = activator_logic.verify_pin("44021", mayor, pin, store)
    assert (last.outcome, last.tries_left) == ("wrong", 1)


def test_admin_setting_a_new_pin_lifts_the_lock(api: Api, admin: str, gent: str) -> None:
    mayor = _with_pin(api, admin)
    store = logic.default_store()
    for _ in range(3):
        activator_logic.verify_pin("44021", mayor, "000111", store)
    assert activator_logic.verify_pin("44021", mayor, PIN, store).outcome == "locked"
    assert _put(api, f"/authorities/44021/activators/{mayor}/pin", admin, {"pin": "736251"}).status == 200
    assert activator_logic.verify_pin("44021", mayor, "736251", store).outcome == "accepted"


def test_parallel_wrong_pins_are_counted_exactly_and_compare_no_more_than_three(
    atomic_dynamodb: None, api: Api, admin: str, gent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mayor = _with_pin(api, admin)
    store = logic.default_store()
    compared: list[str] = []
    matches = pins.matches

    def counted(pin: str, stored: str) -> bool:
        compared.append(pin)
        return matches(pin, stored)

    monkeypatch.setattr(pins, "matches", counted)
    outcomes = at_once(8, lambda _: activator_logic.verify_pin("44021", mayor, "000111", store).outcome)
    assert len(compared) == 3
    assert sorted(outcomes) == sorted(["wrong", "wrong", *["locked"] * 6])
    item = table_items("ActivatorsTable")[0]
    assert item["locked_until"]["S"] > datetime.now(UTC).isoformat()[:19]
    assert activator_logic.verify_pin("44021", mayor, PIN, store).outcome == "locked"


# ---------------------------------------------------------------------- finance's export
def test_the_export_line_names_who_opened_it_and_how(
    api: Api, admin: str, gent: str, add_numbers: Any, finance: str
) -> None:
    add_numbers("+3280012345", "+3280012346")
    mayor = _add(api, admin)
    opened = api.post("/activations", _token(api, admin, mayor["id"]), activation_body(), headers=CONSOLE).body
    month = opened["opened_at"][:7]
    export = api.get(f"/exports/{month}", finance).body
    line = next(line for line in export["lines"] if line["activation_id"] == opened["id"])
    assert (line["opened_by"], line["channel"]) == (MAYOR["name"], "console")
    assert export["columns"][-2:] == ["opened_by", "channel"]
    rows = csv_rows(api.get(f"/exports/{month}?format=csv", finance).raw)
    assert next(row for row in rows if row["activation_id"] == opened["id"])["opened_by"] == MAYOR["name"]


def test_ending_an_enrolment_ends_its_activators_tokens(api: Api, admin: str, gent: str) -> None:
    token = _token(api, admin, _add(api, admin)["id"])
    assert api.get("/me", token).status == 200
    assert api.post("/authorities/44021/revoke", admin).status == 200
    assert api.get("/me", token).status == 401
