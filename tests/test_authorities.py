"""Crisis-center staff enrol authorities, issue credentials and keep the pool of numbers; anyone can check the
API is up and read its documentation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.conftest import Api, at_once, authority_body


def test_health_answers_without_a_token(api: Api) -> None:
    answer = api.get("/health")
    assert answer.status == 200
    assert answer.body == {"status": "ok"}


def test_docs_serve_swagger_ui_without_a_token(api: Api) -> None:
    answer = api.get("/docs")
    assert answer.status == 200
    assert b"swagger" in answer.raw.lower()


def test_an_unknown_path_is_a_json_404(api: Api, admin: str) -> None:
    answer = api.get("/nowhere", admin)
    assert answer.status == 404
    assert answer.error_code == "not_found"


# ---------------------------------------------------------------------- enrolment
def test_admin_enrols_an_authority_and_sees_its_token_once(api: Api, admin: str) -> None:
    answer = api.post("/authorities", admin, authority_body("44021", "Stad Gent"))
    assert answer.status == 201
    enrolled = answer.body
    assert enrolled["id"] == "44021"
    assert enrolled["name"] == "Stad Gent"
    assert enrolled["languages"] == ["nl", "en"]
    assert enrolled["agreement"] == {"reference": "NCCN-44021", "signed_on": "2026-02-01"}
    assert enrolled["billing"]["email"] == "facturen@gent.example"
    assert enrolled["enrolled_at"].endswith("Z")
    assert len(enrolled["token"]) >= 22  # at least 128 random bits, url-safe
    assert "token_hash" not in enrolled

    shown_again = api.get("/authorities/44021", admin).body
    assert "token" not in shown_again
    assert "token_hash" not in shown_again
    assert shown_again["name"] == "Stad Gent"


def test_enrolled_authority_can_use_its_token_at_once(api: Api, enrol: Any) -> None:
    _, token = enrol("44021", "Stad Gent")
    answer = api.get("/authorities/44021", token)
    assert answer.status == 200
    assert answer.body["id"] == "44021"


def test_the_same_authority_enrolled_twice_is_refused_and_the_first_enrolment_stands(
    api: Api, admin: str, enrol: Any, snapshot: Any
) -> None:
    _, token = enrol("44021", "Stad Gent")
    before = snapshot()
    answer = api.post("/authorities", admin, authority_body("44021", "Someone else"))
    assert answer.status == 409
    assert answer.error_code == "authority_exists"
    assert snapshot() == before
    assert api.get("/authorities/44021", admin).body["name"] == "Stad Gent"
    assert api.get("/authorities/44021", token).status == 200  # its token was not replaced


def test_admin_lists_every_authority(api: Api, admin: str, enrol: Any) -> None:
    enrol("44021", "Stad Gent")
    enrol("11002", "Stad Antwerpen")
    answer = api.get("/authorities", admin)
    assert answer.status == 200
    assert [a["id"] for a in answer.body["authorities"]] == ["11002", "44021"]
    assert all("token" not in a and "token_hash" not in a for a in answer.body["authorities"])


def test_finance_lists_authorities_to_bill_them(api: Api, admin: str, enrol: Any) -> None:
    enrol("44021", "Stad Gent")
    finance = api.post("/credentials", admin, {"role": "finance", "label": "Finance team"}).body["token"]
    answer = api.get("/authorities", finance)
    assert answer.status == 200
    assert [a["billing"]["reference"] for a in answer.body["authorities"]] == ["FIN-44021"]
    assert api.get("/authorities/44021", finance).status == 200


def test_an_authority_sees_only_itself(api: Api, enrol: Any) -> None:
    enrol("11002", "Stad Antwerpen")
    _, gent = enrol("44021", "Stad Gent")
    answer = api.get("/authorities", gent)
    assert answer.status == 200
    assert [a["id"] for a in answer.body["authorities"]] == ["44021"]


def test_an_unknown_authority_is_404(api: Api, admin: str) -> None:
    answer = api.get("/authorities/99999", admin)
    assert answer.status == 404
    assert answer.error_code == "not_found"


# ---------------------------------------------------------------------- enrolment validation
def _refused_enrolment(api: Api, admin: str, snapshot: Any, body: Any) -> list[str]:
    before = snapshot()
    answer = api.post("/authorities", admin, body)
    assert answer.status == 422, answer.body
    assert answer.error_code == "validation_error"
    assert snapshot() == before
    return [field["field"] for field in answer.body["error"]["details"]["fields"]]


def test_an_authority_without_a_nis_code_of_five_digits_is_refused(api: Api, admin: str, snapshot: Any) -> None:
    assert _refused_enrolment(api, admin, snapshot, authority_body("4402")) == ["id"]
    assert _refused_enrolment(api, admin, snapshot, authority_body("4402A")) == ["id"]


def test_an_authority_speaking_an_unknown_language_is_refused(api: Api, admin: str, snapshot: Any) -> None:
    fields = _refused_enrolment(api, admin, snapshot, authority_body(languages=["nl", "es"]))
    assert fields == ["languages.1"]


def test_an_authority_with_no_language_is_refused(api: Api, admin: str, snapshot: Any) -> None:
    assert _refused_enrolment(api, admin, snapshot, authority_body(languages=[])) == ["languages"]


def test_no_signed_agreement_no_enrolment(api: Api, admin: str, snapshot: Any) -> None:
    body = authority_body()
    del body["agreement"]
    assert _refused_enrolment(api, admin, snapshot, body) == ["agreement"]


def test_an_agreement_signed_in_the_future_is_refused(api: Api, admin: str, snapshot: Any) -> None:
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    body = authority_body(agreement={"reference": "NCCN-X", "signed_on": tomorrow})
    assert _refused_enrolment(api, admin, snapshot, body) == ["agreement.signed_on"]


def test_an_authority_with_a_bad_billing_email_is_refused(api: Api, admin: str, snapshot: Any) -> None:
    body = authority_body(billing={"reference": "FIN", "email": "not an address"})
    assert _refused_enrolment(api, admin, snapshot, body) == ["billing.email"]


def test_an_authority_with_an_unknown_field_is_refused(api: Api, admin: str, snapshot: Any) -> None:
    assert _refused_enrolment(api, admin, snapshot, authority_body(mayor="Mathias De Clercq")) == ["mayor"]


def test_an_enrolment_that_is_not_json_is_400(api: Api, admin: str, snapshot: Any) -> None:
    before = snapshot()
    answer = api.post("/authorities", admin, raw=b'{"id": "44021",')
    assert answer.status == 400
    assert answer.error_code == "malformed_json"
    assert snapshot() == before


# ---------------------------------------------------------------------- credentials
def test_admin_issues_a_finance_token_that_works(api: Api, admin: str) -> None:
    answer = api.post("/credentials", admin, {"role": "finance", "label": "Finance team"})
    assert answer.status == 201
    assert answer.body["role"] == "finance"
    assert api.get("/authorities", answer.body["token"]).status == 200


def test_admin_issues_another_admin_token_that_works(api: Api, admin: str) -> None:
    answer = api.post("/credentials", admin, {"role": "admin", "label": "Duty officer"})
    assert answer.status == 201
    assert api.get("/numbers", answer.body["token"]).status == 200


def test_a_credential_for_the_authority_role_is_refused(api: Api, admin: str, snapshot: Any) -> None:
    before = snapshot()
    answer = api.post("/credentials", admin, {"role": "authority", "label": "Stad Gent"})
    assert answer.status == 422
    assert answer.body["error"]["details"]["fields"][0]["field"] == "role"
    assert snapshot() == before


# ---------------------------------------------------------------------- pool numbers
def test_admin_adds_numbers_to_the_pool_and_sees_them_free(api: Api, admin: str) -> None:
    assert api.post("/numbers", admin, {"number": "+3280012345", "kind": "toll_free"}).body == {
        "number": "+3280012345",
        "kind": "toll_free",
        "state": "free",
    }
    assert api.post("/numbers", admin, {"number": "+3225551001", "kind": "did"}).status == 201
    answer = api.get("/numbers", admin)
    assert answer.status == 200
    assert [(n["number"], n["kind"], n["state"]) for n in answer.body["numbers"]] == [
        ("+3225551001", "did", "free"),
        ("+3280012345", "toll_free", "free"),
    ]


def test_the_same_number_added_twice_is_refused(api: Api, admin: str, add_numbers: Any, snapshot: Any) -> None:
    add_numbers("+3280012345")
    before = snapshot()
    answer = api.post("/numbers", admin, {"number": "+3280012345", "kind": "toll_free"})
    assert answer.status == 409
    assert answer.error_code == "number_exists"
    assert snapshot() == before


def test_a_number_that_is_not_e164_is_refused(api: Api, admin: str, snapshot: Any) -> None:
    before = snapshot()
    answer = api.post("/numbers", admin, {"number": "080012345", "kind": "toll_free"})
    assert answer.status == 422
    assert answer.body["error"]["details"]["fields"][0]["field"] == "number"
    assert snapshot() == before


def test_authorities_asking_at_the_same_moment_each_read_their_own_enrolment(
    api: Api, enrol: Any, atomic_dynamodb: None
) -> None:
    # The local stack runs every function in one process, where Powertools keeps the current request on a class:
    # it hands its functions one event at a time, as Lambda does, so no request is answered with another's.
    tokens = {f"440{n:02d}": enrol(f"440{n:02d}", f"Gemeente {n}")[1] for n in range(8)}
    asked = [authority_id for authority_id in tokens for _ in range(4)]
    answers = at_once(len(asked), lambda n: api.get(f"/authorities/{asked[n]}", tokens[asked[n]]))
    assert [(answer.status, (answer.body or {}).get("id")) for answer in answers] == [(200, id_) for id_ in asked]
