"""D2, victim information: relatives call about someone who may be a victim, and the FPS Public Health's staff
record each enquiry on the activation's D2 line; each agent sees the enquiries they recorded, a coordinator
all of the activation's, and nobody else any."""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Api, RunningStack, activation_body, authority_body, http


def _issue(api: Api, admin: str, role: str, label: str) -> str:
    answer = api.post("/credentials", admin, {"role": role, "label": label})
    assert answer.status == 201, answer.body
    return str(answer.body["token"])


# ---------------------------------------------------------------------- the D2 roles
@pytest.mark.parametrize("role", ["d2_agent", "d2_coordinator"])
def test_admin_issues_a_d2_credential_that_says_whose_it_is(api: Api, admin: str, role: str) -> None:
    token = _issue(api, admin, role, "Els Janssens, FPS Public Health")
    me = api.get("/me", token)
    assert me.status == 200, me.body
    assert me.body["role"] == role
    assert me.body["label"] == "Els Janssens, FPS Public Health"


@pytest.mark.parametrize("role", ["d2_agent", "d2_coordinator"])
def test_a_d2_credential_without_the_person_it_belongs_to_is_refused(
    api: Api, admin: str, role: str, snapshot: Any
) -> None:
    before = snapshot()
    answer = api.post("/credentials", admin, {"role": role})
    assert answer.status == 422
    assert [f["field"] for f in answer.body["error"]["details"]["fields"]] == ["label"]
    assert snapshot() == before


# ---------------------------------------------------------------------- a live line with a D2 line
PHONE = "+32470998877"


def enquiry_body(**changes: Any) -> dict[str, Any]:
    return {
        "sought": {
            "given_names": "Marie",
            "family_name": "Van den Broeck",
            "birth_date": "1987-03",
            "sex": "f",
            "municipality": "Gent",
            "last_seen": "Korenmarkt, Saturday 22:00",
        },
        "enquirer": {
            "name": "Jan Van den Broeck",
            "phone": PHONE,
            "relationship": "brother",
            "language": "nl",
            "callback_consent": True,
        },
        **changes,
    }


@dataclass
class Line:
    api: Api
    admin: str
    gent: str
    activation_id: str
    agent: str
    other_agent: str
    coordinator: str
    finance: str
    operator: str


def _open(api: Api, token: str, **changes: Any) -> str:
    answer = api.post("/activations", token, activation_body(**changes))
    assert answer.status == 201, answer.body
    return str(answer.body["id"])


@pytest.fixture
def line(api: Api, admin: str, gent: str, add_numbers: Any) -> Line:
    add_numbers("+3280012345", "+3280012346")
    return Line(
        api,
        admin,
        gent,
        _open(api, gent),
        _issue(api, admin, "d2_agent", "Els Janssens"),
        _issue(api, admin, "d2_agent", "Sophie Dubois"),
        _issue(api, admin, "d2_coordinator", "Karel Peeters"),
        _issue(api, admin, "finance", "Finance team"),
        _issue(api, admin, "operator", "Call center"),
    )


def _record(line: Line, token: str | None = None, **changes: Any) -> dict[str, Any]:
    answer = line.api.post(f"/activations/{line.activation_id}/enquiries", token or line.agent, enquiry_body(**changes))
    assert answer.status == 201, answer.body
    return answer.body  # type: ignore[no-any-return]


def test_an_agent_records_an_enquiry_and_reads_it_back_by_its_reference(line: Line) -> None:
    recorded = _record(line)
    assert re.fullmatch(r"[34679ACDEFGHJKMNPQRTWXY]{4}-[34679ACDEFGHJKMNPQRTWXY]{3}", recorded["reference"])
    assert recorded["status"] == "open"
    assert recorded["person_id"] and recorded["id"]
    typed = recorded["reference"].lower().replace("-", " ")
    read = line.api.get(f"/activations/{line.activation_id}/enquiries/{typed.replace(' ', '%20')}", line.agent)
    assert read.status == 200, read.body
    assert read.body["id"] == recorded["id"]
    assert read.body["sought"]["family_name"] == "Van den Broeck"
    assert read.body["enquirer"]["phone"] == PHONE
    assert read.body["recorded_by"]["label"] == "Els Janssens"


def test_each_enquiry_has_its_own_sought_person_even_for_the_same_name(line: Line) -> None:
    first, second = _record(line), _record(line)
    assert first["person_id"] != second["person_id"]
    assert first["reference"] != second["reference"]


def test_an_agent_sees_only_the_enquiries_they_recorded_and_a_coordinator_sees_all(line: Line) -> None:
    mine = _record(line)
    theirs = _record(line, line.other_agent)
    path = f"/activations/{line.activation_id}/enquiries"
    assert [e["id"] for e in line.api.get(path, line.agent).body["enquiries"]] == [mine["id"]]
    assert [e["id"] for e in line.api.get(path, line.other_agent).body["enquiries"]] == [theirs["id"]]
    assert {e["id"] for e in line.api.get(path, line.coordinator).body["enquiries"]} == {mine["id"], theirs["id"]}
    other = line.api.get(f"{path}/{theirs['reference']}", line.agent)
    assert other.status == 404
    assert line.api.get(f"{path}/{theirs['reference']}", line.coordinator).status == 200


def test_the_list_is_filtered_by_status_and_an_unknown_status_is_refused(line: Line) -> None:
    _record(line)
    path = f"/activations/{line.activation_id}/enquiries"
    assert len(line.api.get(f"{path}?status=open", line.coordinator).body["enquiries"]) == 1
    assert line.api.get(f"{path}?status=matched", line.coordinator).body["enquiries"] == []
    refused = line.api.get(f"{path}?status=lost", line.coordinator)
    assert refused.status == 422
    assert refused.body["error"]["details"]["fields"][0]["field"] == "status"


@pytest.mark.parametrize("role", ["admin", "authority", "finance", "operator"])
def test_no_role_outside_the_d2_line_reads_or_records_enquiries(line: Line, role: str) -> None:
    token = {"admin": line.admin, "authority": line.gent, "finance": line.finance, "operator": line.operator}[role]
    recorded = _record(line)
    path = f"/activations/{line.activation_id}/enquiries"
    assert line.api.get(path, token).status == 403
    assert line.api.get(f"{path}/{recorded['reference']}", token).status == 403
    assert line.api.post(path, token, enquiry_body()).status == 403


def test_a_mistyped_reference_is_a_check_not_an_unknown_enquiry(line: Line) -> None:
    recorded = _record(line)
    compact = recorded["reference"].replace("-", "")
    typo = ("3" if compact[2] != "3" else "4").join([compact[:2], compact[3:]])
    swapped = compact[:3] + compact[4] + compact[3] + compact[5:] if compact[3] != compact[4] else None
    path = f"/activations/{line.activation_id}/enquiries"
    for mistyped in filter(None, (typo, swapped, "K7MD-4QX")):
        answer = line.api.get(f"{path}/{mistyped}", line.agent)
        assert answer.status == 422, (mistyped, answer.body)
        assert answer.error_code == "reference_mistyped"
        assert "check the reference" in answer.body["error"]["message"]


def test_every_single_typo_and_every_transposition_fails_the_check() -> None:
    from d2 import references

    for _ in range(200):
        compact = references.new_reference().replace("-", "")
        assert references.normalised(compact.lower()) == references.written(compact)
        for position in range(len(compact)):
            for char in references.ALPHABET:
                if char != compact[position]:
                    typo = compact[:position] + char + compact[position + 1 :]
                    with pytest.raises(references.Mistyped):
                        references.normalised(typo)
            for other in range(position + 1, len(compact)):
                if compact[other] != compact[position]:
                    chars = list(compact)
                    chars[position], chars[other] = chars[other], chars[position]
                    with pytest.raises(references.Mistyped):
                        references.normalised("".join(chars))


def test_the_alphabet_has_no_look_alikes() -> None:
    from d2 import references

    assert set(references.ALPHABET).isdisjoint("0O1IL5S2Z8BUV")


def test_a_retried_post_of_the_same_call_records_one_enquiry(line: Line) -> None:
    first = _record(line, contact_id="7f3a-contact")
    path = f"/activations/{line.activation_id}/enquiries"
    again = line.api.post(path, line.agent, enquiry_body(contact_id="7f3a-contact"))
    assert again.status == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.body["id"] == first["id"]
    # The same call, asking about a second person: a new enquiry.
    sister = enquiry_body(contact_id="7f3a-contact")
    sister["sought"]["given_names"] = "Lotte"
    assert line.api.post(path, line.agent, sister).body["id"] != first["id"]
    assert len(line.api.get(path, line.coordinator).body["enquiries"]) == 2


def test_a_retry_with_the_same_idempotency_key_records_one_enquiry(line: Line) -> None:
    path = f"/activations/{line.activation_id}/enquiries"
    headers = {"Idempotency-Key": "enq-42"}
    first = line.api.post(path, line.agent, enquiry_body(), headers=headers)
    again = line.api.post(path, line.agent, enquiry_body(), headers=headers)
    assert (first.status, again.status) == (201, 201)
    assert again.body["id"] == first.body["id"]


def test_an_activation_without_a_d2_line_takes_no_enquiry(
    api: Api, admin: str, enrol: Any, add_numbers: Any, snapshot: Any
) -> None:
    add_numbers("+3280012345", "+3280012346")
    gent = enrol("44021", "Stad Gent")[1]
    antwerp = enrol("11002", "Stad Antwerpen")[1]
    agent = _issue(api, admin, "d2_agent", "Els Janssens")
    without = _open(api, gent, victim_information=False)
    closed = _open(api, antwerp)
    assert api.post(f"/activations/{closed}/close", antwerp).status == 200
    before = snapshot()
    for activation_id in (without, closed):
        answer = api.post(f"/activations/{activation_id}/enquiries", agent, enquiry_body())
        assert answer.status == 409, answer.body
        assert answer.error_code == "no_d2_line"
    assert api.post("/activations/nope/enquiries", agent, enquiry_body()).status == 404
    assert snapshot() == before


BAD_BODIES = {
    "no family name": lambda b: b["sought"].pop("family_name"),
    "an extra field": lambda b: b["sought"].update(eye_colour="blue"),
    "birth month 13": lambda b: b["sought"].update(birth_date="1987-13"),
    "30 February": lambda b: b["sought"].update(birth_date="1987-02-30"),
    "a birth date in another form": lambda b: b["sought"].update(birth_date="03/1987"),
    "age 130": lambda b: b["sought"].update(age=130),
    "sex unknown": lambda b: b["sought"].update(sex="u"),
    "a phone not in E.164": lambda b: b["enquirer"].update(phone="0470 99 88 77"),
    "language es": lambda b: b["enquirer"].update(language="es"),
    "consent as text": lambda b: b["enquirer"].update(callback_consent="yes"),
    "a very long description": lambda b: b["sought"].update(description="x" * 1001),
}


@pytest.mark.parametrize("problem", BAD_BODIES)
def test_a_bad_enquiry_is_refused_and_writes_nothing(line: Line, snapshot: Any, problem: str) -> None:
    body = enquiry_body()
    BAD_BODIES[problem](body)
    before = snapshot()
    answer = line.api.post(f"/activations/{line.activation_id}/enquiries", line.agent, body)
    assert answer.status == 422, answer.body
    assert answer.error_code == "validation_error"
    assert snapshot() == before


def test_an_agent_never_sees_deceased_and_a_coordinator_does() -> None:
    from crisisline.models import Caller
    from d2 import enquiries

    enquiry = {
        "id": "e1",
        "reference": "K7MD-4QXR",
        "activation_id": "a1",
        "status": "deceased",
        "person_id": "p1",
        "enquirer": {"phone": PHONE},
        "recorded_at": "2026-11-29T10:00:00.000Z",
        "recorded_by": {"credential_id": "c1", "label": "Els"},
    }
    agent = Caller(role="d2_agent", credential_id="c1")
    coordinator = Caller(role="d2_coordinator", credential_id="c2")
    assert enquiries.shaped(enquiry, {}, agent)["status"] != "deceased"
    assert enquiries.shaped(enquiry, {}, coordinator)["status"] == "deceased"


def test_the_enquirers_phone_never_reaches_a_log(
    line: Line, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # The functions log at INFO (POWERTOOLS_LOG_LEVEL in template.yaml); botocore's DEBUG lines carry whole
    # requests, of every table, and are never on in Lambda.
    caplog.set_level(logging.INFO)
    recorded = _record(line)
    path = f"/activations/{line.activation_id}/enquiries"
    assert line.api.get(path, line.coordinator).status == 200
    assert line.api.get(f"{path}/{recorded['reference']}", line.agent).status == 200
    written = capsys.readouterr()
    logged = caplog.text + written.out + written.err
    assert "token accepted" in logged  # the logs were captured
    assert PHONE not in logged and PHONE[1:] not in logged


def test_every_read_and_change_of_an_enquiry_is_audited(line: Line) -> None:
    from crisisline.aws import client
    from d2.d2_store import D2Store, d2_settings

    recorded = _record(line)
    path = f"/activations/{line.activation_id}/enquiries"
    line.api.get(path, line.coordinator)
    line.api.get(f"{path}/{recorded['reference']}", line.agent)
    entries = D2Store(client("dynamodb"), d2_settings()).audit_entries(line.activation_id)
    assert [(e["action"], e["items"][0]) for e in entries] == [
        ("enquiry.record", recorded["id"]),
        ("enquiry.list", recorded["id"]),
        ("enquiry.read", recorded["id"]),
    ]
    assert [e["who"]["label"] for e in entries] == ["Els Janssens", "Karel Peeters", "Els Janssens"]
    assert all(PHONE not in json.dumps(e) for e in entries)


# ---------------------------------------------------------------------- over HTTP, on the local stack
def test_an_agent_records_an_enquiry_over_http_on_the_local_stack(local_stack: RunningStack) -> None:
    api, admin = local_stack.api_url, local_stack.admin_token
    nis = f"{secrets.randbelow(90000) + 10000}"
    number = f"+32800{secrets.randbelow(90000) + 10000}"
    status, _, enrolled = http("POST", f"{api}/authorities", admin, authority_body(nis, f"Gemeente {nis}"))
    assert status == 201, enrolled
    assert http("POST", f"{api}/numbers", admin, {"number": number, "kind": "toll_free"})[0] == 201
    status, _, opened = http("POST", f"{api}/activations", enrolled["token"], activation_body(number_kind="toll_free"))
    assert status == 201, opened
    status, _, issued = http("POST", f"{api}/credentials", admin, {"role": "d2_agent", "label": "Els Janssens"})
    assert status == 201, issued
    agent = issued["token"]
    assert http("GET", f"{api}/me", agent)[2]["role"] == "d2_agent"

    path = f"{api}/activations/{opened['id']}/enquiries"
    status, _, recorded = http("POST", path, agent, enquiry_body(contact_id="e2e-contact-1"))
    assert status == 201, recorded
    status, _, read = http("GET", f"{path}/{recorded['reference'].lower()}", agent)
    assert status == 200, read
    assert read["id"] == recorded["id"] and read["enquirer"]["phone"] == PHONE
    assert http("POST", f"{api}/activations/{opened['id']}/close", enrolled["token"])[0] == 200
    # The number goes out of the pool again: the other tests on this stack expect the pool it was started with.
    assert http("DELETE", f"{api}/numbers/{number}", admin)[0] == 200
