"""Crisis-center staff keep the pool of numbers: they remove numbers and correct their kind, the kind fits the
number's Belgian form, each authority gets the kind of number it chose, and a released number waits before
another authority gets it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.local import template
from tests.conftest import Api, activation_body, authority_body
from tests.route_support import connect_event


def _audit(subject: str) -> list[dict[str, Any]]:
    from activate import logic

    return logic.default_store().activations.audit_entries(subject)


def _numbers(api: Api, admin: str) -> dict[str, dict[str, Any]]:
    answer = api.get("/numbers", admin)
    assert answer.status == 200
    return {n["number"]: n for n in answer.body["numbers"]}


def _problems(answer: Any) -> dict[str, str]:
    return {field["field"]: field["problem"] for field in answer.body["error"]["details"]["fields"]}


# ---------------------------------------------------------------------- removing and correcting numbers
def test_admin_removes_a_free_number_from_the_pool(api: Api, admin: str, add_numbers: Any) -> None:
    add_numbers("+3280012345", "+3280012346")
    answer = api.call("DELETE", "/numbers/+3280012345", admin)
    assert answer.status == 200, answer.body
    assert answer.body["number"] == "+3280012345"
    assert list(_numbers(api, admin)) == ["+3280012346"]
    [entry] = _audit("number#+3280012345")[1:]
    assert entry["action"] == "remove"
    assert entry["changes"] == {"before": {"kind": "toll_free"}}  # after: nothing (None is not stored)
    assert entry["actor"]["role"] == "admin"


def test_a_number_held_by_a_live_activation_cannot_be_removed(
    api: Api, admin: str, gent: str, add_numbers: Any, snapshot: Any
) -> None:
    add_numbers("+3280012345")
    line = api.post("/activations", gent, activation_body()).body
    before = snapshot()
    answer = api.call("DELETE", "/numbers/+3280012345", admin)
    assert answer.status == 409
    assert answer.error_code == "number_in_use"
    assert answer.body["error"]["details"]["activation_id"] == line["id"]
    assert snapshot() == before


def test_a_number_not_in_the_pool_cannot_be_removed(api: Api, admin: str) -> None:
    answer = api.call("DELETE", "/numbers/+3280012345", admin)
    assert answer.status == 404
    assert answer.error_code == "not_found"


def test_only_an_admin_removes_or_corrects_numbers(api: Api, gent: str, add_numbers: Any, snapshot: Any) -> None:
    add_numbers("+3280012345")
    before = snapshot()
    assert api.call("DELETE", "/numbers/+3280012345", gent).status == 403
    assert api.patch("/numbers/+3280012345", gent, {"kind": "toll_free"}).status == 403
    assert snapshot() == before


def test_admin_corrects_the_kind_of_a_free_number(api: Api, admin: str, add_numbers: Any) -> None:
    add_numbers("+3278150000", kind="did")  # 078: national rate, its form does not settle its kind
    answer = api.patch("/numbers/+3278150000", admin, {"kind": "toll_free"})
    assert answer.status == 200, answer.body
    assert answer.body["kind"] == "toll_free"
    assert _numbers(api, admin)["+3278150000"]["kind"] == "toll_free"
    [entry] = _audit("number#+3278150000")[1:]
    assert entry["action"] == "change"
    assert entry["changes"] == {"before": {"kind": "did"}, "after": {"kind": "toll_free"}}


def test_the_kind_of_a_held_number_cannot_change(
    api: Api, admin: str, gent: str, add_numbers: Any, snapshot: Any
) -> None:
    add_numbers("+3278150000", kind="toll_free")
    assert api.post("/activations", gent, activation_body()).status == 201
    before = snapshot()
    answer = api.patch("/numbers/+3278150000", admin, {"kind": "did"})
    assert answer.status == 409
    assert answer.error_code == "number_in_use"
    assert snapshot() == before


def test_a_kind_that_contradicts_the_numbers_form_is_refused_on_correction(
    api: Api, admin: str, add_numbers: Any, snapshot: Any
) -> None:
    add_numbers("+3280012345")
    before = snapshot()
    answer = api.patch("/numbers/+3280012345", admin, {"kind": "did"})
    assert answer.status == 422
    assert "toll-free" in _problems(answer)["kind"]
    assert snapshot() == before


# ---------------------------------------------------------------------- the kind fits the Belgian form
def test_a_belgian_toll_free_number_cannot_be_added_as_geographic(api: Api, admin: str, snapshot: Any) -> None:
    before = snapshot()
    answer = api.post("/numbers", admin, {"number": "+3280012345", "kind": "did"})
    assert answer.status == 422
    assert (
        "+3280012345 is a Belgian toll-free number (0800), so its kind is toll_free, not did"
        in _problems(answer)["kind"]
    )
    assert snapshot() == before


@pytest.mark.parametrize("number", ["+3292345678", "+3242123456", "+3280123456", "+3225551001"])
def test_a_belgian_geographic_number_cannot_be_added_as_toll_free(
    api: Api, admin: str, snapshot: Any, number: str
) -> None:
    # Gent (09), Liège (04, eight digits: not a mobile), Stavelot (080, not 0800), Brussels (02).
    before = snapshot()
    answer = api.post("/numbers", admin, {"number": number, "kind": "toll_free"})
    assert answer.status == 422
    assert "geographic" in _problems(answer)["kind"]
    assert snapshot() == before
    assert api.post("/numbers", admin, {"number": number, "kind": "did"}).status == 201


@pytest.mark.parametrize(("number", "why"), [("+3290012345", "premium-rate"), ("+32470123456", "mobile")])
def test_premium_and_mobile_numbers_are_refused_as_pool_numbers(
    api: Api, admin: str, snapshot: Any, number: str, why: str
) -> None:
    before = snapshot()
    for kind in ("did", "toll_free"):
        answer = api.post("/numbers", admin, {"number": number, "kind": kind})
        assert answer.status == 422
        assert why in _problems(answer)["number"]
    assert snapshot() == before


@pytest.mark.parametrize("number", ["+31800123456", "+3270123456", "+3278123456"])
def test_where_the_form_does_not_settle_it_the_kind_is_taken_as_given(api: Api, admin: str, number: str) -> None:
    assert api.post("/numbers", admin, {"number": number, "kind": "did"}).status == 201
    assert api.patch(f"/numbers/{number}", admin, {"kind": "toll_free"}).status == 200


# ---------------------------------------------------------------------- the authority chooses its kind of number
def test_an_authority_asks_for_a_geographic_number_and_gets_one(api: Api, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345")
    add_numbers("+3292345678", kind="did")
    answer = api.post("/activations", gent, activation_body(number_kind="did"))
    assert answer.status == 201, answer.body
    assert (answer.body["number"], answer.body["number_kind"]) == ("+3292345678", "did")


def test_without_a_choice_the_line_is_toll_free(api: Api, gent: str, add_numbers: Any) -> None:
    add_numbers("+3292345678", kind="did")
    add_numbers("+3280012345")
    for _ in range(3):  # never left to chance: the geographic number is never taken
        opened = api.post("/activations", gent, activation_body()).body
        assert (opened["number"], opened["number_kind"]) == ("+3280012345", "toll_free")
        assert api.post(f"/activations/{opened['id']}/close", gent).status == 200


def test_the_enrolment_preference_applies_when_the_activation_does_not_choose(
    api: Api, admin: str, add_numbers: Any
) -> None:
    enrolled = api.post("/authorities", admin, authority_body(number_kind="did")).body
    assert enrolled["number_kind"] == "did"
    assert api.get("/authorities/44021", admin).body["number_kind"] == "did"
    add_numbers("+3280012345")
    add_numbers("+3292345678", kind="did")
    opened = api.post("/activations", enrolled["token"], activation_body()).body
    assert opened["number_kind"] == "did"
    api.post(f"/activations/{opened['id']}/close", enrolled["token"])
    chosen = api.post("/activations", enrolled["token"], activation_body(number_kind="toll_free")).body
    assert chosen["number_kind"] == "toll_free"  # the activation's own choice comes first


def test_the_preference_survives_a_token_rotation(api: Api, admin: str, add_numbers: Any) -> None:
    api.post("/authorities", admin, authority_body(number_kind="did"))
    token = api.post("/authorities/44021/token", admin).body["token"]
    add_numbers("+3280012345")
    add_numbers("+3292345678", kind="did")
    assert api.post("/activations", token, activation_body()).body["number_kind"] == "did"


def test_an_unknown_number_kind_is_refused(api: Api, gent: str, admin: str, snapshot: Any) -> None:
    before = snapshot()
    answer = api.post("/activations", gent, activation_body(number_kind="mobile"))
    assert answer.status == 422
    assert "number_kind" in _problems(answer)
    assert api.post("/authorities", admin, authority_body("11002", number_kind="premium")).status == 422
    assert snapshot() == before


def test_when_no_number_of_that_kind_is_free_the_refusal_says_which_and_what_else_is_free(
    api: Api, gent: str, add_numbers: Any, snapshot: Any
) -> None:
    add_numbers("+3280012345")
    before = snapshot()
    answer = api.post("/activations", gent, activation_body(number_kind="did"))
    assert answer.status == 409
    assert answer.error_code == "no_number_available"
    message = answer.body["error"]["message"]
    assert "No geographic (did) pool number is free" in message
    assert "1 toll-free (toll_free) numbers are free" in message
    assert answer.body["error"]["details"]["number_kind"] == "did"
    assert answer.body["error"]["details"]["other_kind_free"] == 1
    assert snapshot() == before


def test_when_neither_kind_is_free_the_refusal_says_so(api: Api, gent: str) -> None:
    answer = api.post("/activations", gent, activation_body())
    assert answer.status == 409
    assert "No toll-free (toll_free) pool number is free" in answer.body["error"]["message"]
    assert "No geographic (did) number is free either" in answer.body["error"]["message"]


# ---------------------------------------------------------------------- cool-down after a release
class Clock:
    """The API's clock (crisisline.clock.utc_now as the logic uses it), set by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
        self.now = now
        monkeypatch.setattr("activate.logic.utc_now", lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, datetime(2026, 11, 13, 21, 0, tzinfo=UTC))


@pytest.fixture
def cooldown(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The API function's environment as the template gives it: NUMBER_COOLDOWN_SECONDS, default 900."""
    from infra.local.stack import forget_cached_state

    seconds = template.functions()["ActivateFunction"].environment["NUMBER_COOLDOWN_SECONDS"]
    monkeypatch.setenv("NUMBER_COOLDOWN_SECONDS", seconds)
    forget_cached_state()
    yield int(seconds)
    forget_cached_state()


def test_the_cooldown_is_a_template_parameter_of_15_minutes_by_default() -> None:
    loaded = template.load()
    assert loaded["Parameters"]["NumberCooldownSeconds"]["Default"] == 900
    variables = loaded["Resources"]["ActivateFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["NUMBER_COOLDOWN_SECONDS"] == {"Ref": "NumberCooldownSeconds"}


def test_a_released_number_waits_its_cooldown_before_another_authority_gets_it(
    api: Api, admin: str, gent: str, enrol: Any, add_numbers: Any, clock: Clock, cooldown: int
) -> None:
    add_numbers("+3280012345")
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    line = api.post("/activations", gent, activation_body()).body
    clock.advance(hours=2)
    closed = api.post(f"/activations/{line['id']}/close", gent).body
    free_from = (clock.now + timedelta(seconds=cooldown)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert closed["closed_at"] < free_from
    shown = _numbers(api, admin)["+3280012345"]
    assert (shown["state"], shown["free_from"]) == ("cooling_down", free_from)

    clock.advance(seconds=cooldown - 1)
    refused = api.post("/activations", antwerpen, activation_body())
    assert refused.status == 409
    assert refused.error_code == "no_number_available"
    assert refused.body["error"]["details"]["next_free_from"] == free_from
    assert free_from in refused.body["error"]["message"]

    clock.advance(seconds=1)
    assert _numbers(api, admin)["+3280012345"]["state"] == "free"
    opened = api.post("/activations", antwerpen, activation_body())
    assert opened.status == 201, opened.body
    assert opened.body["number"] == "+3280012345"
    assert _numbers(api, admin)["+3280012345"]["state"] == "live"


def test_the_claim_takes_a_free_number_rather_than_one_cooling_down(
    api: Api, gent: str, enrol: Any, add_numbers: Any, clock: Clock, cooldown: int
) -> None:
    add_numbers("+3280012345")
    line = api.post("/activations", gent, activation_body()).body
    add_numbers("+3280012346")
    api.post(f"/activations/{line['id']}/close", gent)
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    assert api.post("/activations", antwerpen, activation_body()).body["number"] == "+3280012346"


def test_a_number_cooling_down_is_not_active_for_late_callers(
    api: Api, gent: str, add_numbers: Any, monkeypatch: pytest.MonkeyPatch, cooldown: int
) -> None:
    for key, value in template.functions()["RouteFunction"].environment.items():
        if key != "POWERTOOLS_SERVICE_NAME":
            monkeypatch.setenv(key, value)
    from crisisline import environment
    from route import app as route
    from route import store

    environment.forget_settings()
    store.forget_default_store()
    add_numbers("+3280012345")
    line = api.post("/activations", gent, activation_body()).body
    assert route.lambda_handler(connect_event("+3280012345"), None)["status"] == "live"
    api.post(f"/activations/{line['id']}/close", gent)
    assert route.lambda_handler(connect_event("+3280012345"), None)["status"] == "inactive"
    environment.forget_settings()
    store.forget_default_store()


def test_a_number_cooling_down_can_be_removed_or_corrected(
    api: Api, admin: str, gent: str, add_numbers: Any, cooldown: int
) -> None:
    add_numbers("+3278150000", "+3278150001", kind="toll_free")
    first = api.post("/activations", gent, activation_body()).body
    api.post(f"/activations/{first['id']}/close", gent)
    second = api.post("/activations", gent, activation_body()).body
    api.post(f"/activations/{second['id']}/close", gent)
    assert {n["state"] for n in _numbers(api, admin).values()} == {"cooling_down"}
    assert api.patch(f"/numbers/{first['number']}", admin, {"kind": "did"}).body["state"] == "cooling_down"
    assert api.call("DELETE", f"/numbers/{second['number']}", admin).status == 200
