"""Crisis-center staff see every credential by the person or team that holds it, and revoke the ones that
should stop: the token stops at once, and the last admin credential is never revoked."""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

import pytest

from tests.conftest import Api, at_once, authority_body


def _credentials(api: Api, admin: str) -> list[dict[str, Any]]:
    answer = api.get("/credentials", admin)
    assert answer.status == 200, answer.body
    return answer.body["credentials"]  # type: ignore[no-any-return]


def _issue(api: Api, admin: str, role: str = "finance", label: str = "Finance team, NCCN") -> dict[str, Any]:
    answer = api.post("/credentials", admin, {"role": role, "label": label})
    assert answer.status == 201, answer.body
    return answer.body  # type: ignore[no-any-return]


def _id_of(api: Api, admin: str, label: str) -> str:
    return next(c["id"] for c in _credentials(api, admin) if c["label"] == label)


# ---------------------------------------------------------------------- issuing and listing
def test_a_credential_is_issued_with_an_id_a_label_and_its_creation_time(api: Api, admin: str) -> None:
    issued = _issue(api, admin, "finance", "  Anna Peeters, finance  ")
    assert issued["role"] == "finance"
    assert issued["label"] == "Anna Peeters, finance"
    assert issued["id"] == issued["credential_id"]
    assert issued["created_at"].endswith("Z")
    assert issued["revoked_at"] is None


def test_a_credential_without_a_label_is_refused(api: Api, admin: str, snapshot: Any) -> None:
    before = snapshot()
    for body in ({"role": "finance"}, {"role": "finance", "label": "   "}):
        answer = api.post("/credentials", admin, body)
        assert answer.status == 422
        assert [f["field"] for f in answer.body["error"]["details"]["fields"]] == ["label"]
    assert snapshot() == before


def test_admin_lists_every_credential_and_never_a_token_or_its_hash(api: Api, admin: str) -> None:
    finance = _issue(api, admin, "finance", "Finance team, NCCN")
    enrolled = api.post("/authorities", admin, authority_body("44021", "Stad Gent")).body
    answer = api.get("/credentials", admin)
    listed = {c["label"]: c for c in answer.body["credentials"]}
    assert set(listed) == {"local stack admin", "Finance team, NCCN", "Stad Gent"}
    assert listed["local stack admin"]["role"] == "admin"
    assert listed["Finance team, NCCN"] == {
        "id": finance["id"],
        "role": "finance",
        "label": "Finance team, NCCN",
        "created_at": finance["created_at"],
        "authority_id": None,
        "revoked_at": None,
    }
    assert listed["Stad Gent"]["role"] == "authority"
    assert listed["Stad Gent"]["authority_id"] == "44021"
    text = answer.raw.decode()
    assert "token" not in text
    for secret in (admin, finance["token"], enrolled["token"]):
        assert secret not in text


def test_only_an_admin_lists_or_revokes_credentials(api: Api, admin: str, gent: str, snapshot: Any) -> None:
    finance = _issue(api, admin)
    before = snapshot()
    for token in (finance["token"], gent):
        assert api.get("/credentials", token).status == 403
        assert api.post(f"/credentials/{finance['id']}/revoke", token).status == 403
    assert snapshot() == before


# ---------------------------------------------------------------------- revoking
def test_a_revoked_credential_stops_at_once_and_stays_listed_as_revoked(api: Api, admin: str) -> None:
    from activate import logic

    finance = _issue(api, admin)
    assert api.get("/authorities", finance["token"]).status == 200
    answer = api.post(f"/credentials/{finance['id']}/revoke", admin)
    assert answer.status == 200, answer.body
    assert answer.body["revoked_at"].endswith("Z")
    assert api.get("/authorities", finance["token"]).status == 401
    [listed] = [c for c in _credentials(api, admin) if c["id"] == finance["id"]]
    assert listed["revoked_at"] == answer.body["revoked_at"]
    assert listed["label"] == "Finance team, NCCN"
    actions = [e["action"] for e in logic.default_store().activations.audit_entries(f"credential#{finance['id']}")]
    assert actions == ["issue", "revoke"]


def test_revoking_a_revoked_credential_changes_nothing(api: Api, admin: str, snapshot: Any) -> None:
    finance = _issue(api, admin)
    first = api.post(f"/credentials/{finance['id']}/revoke", admin).body
    before = snapshot()
    again = api.post(f"/credentials/{finance['id']}/revoke", admin)
    assert again.status == 200
    assert again.body["revoked_at"] == first["revoked_at"]
    assert snapshot() == before


def test_an_unknown_credential_is_404(api: Api, admin: str) -> None:
    answer = api.post("/credentials/no-such-credential/revoke", admin)
    assert answer.status == 404
    assert answer.error_code == "not_found"


def test_an_admin_revokes_another_admin_while_one_remains(api: Api, admin: str) -> None:
    second = _issue(api, admin, "admin", "Duty officer, night shift")
    assert api.post(f"/credentials/{second['id']}/revoke", admin).status == 200
    assert api.get("/numbers", second["token"]).status == 401
    assert api.get("/numbers", admin).status == 200


def test_the_last_admin_credential_cannot_be_revoked(api: Api, admin: str, snapshot: Any) -> None:
    before = snapshot()
    answer = api.post(f"/credentials/{_id_of(api, admin, 'local stack admin')}/revoke", admin)
    assert answer.status == 409
    assert answer.error_code == "last_admin"
    assert snapshot() == before
    assert api.get("/numbers", admin).status == 200


def test_two_admins_revoking_each_other_at_once_leave_one_admin(api: Api, admin: str, atomic_dynamodb: None) -> None:
    from activate import logic
    from crisisline import errors, settings
    from crisisline.aws import client
    from crisisline.models import Caller
    from crisisline.stores import AuthorityStore, Stores

    second = _issue(api, admin, "admin", "Duty officer, night shift")
    first_id = _id_of(api, admin, "local stack admin")
    both_read = threading.Barrier(2)
    seen = threading.local()

    class BothReadFirst(AuthorityStore):
        """Each revocation reads the live admins before either writes: the race a read-then-write loses."""

        def live_admin_hashes(self) -> list[str]:
            found = super().live_admin_hashes()
            if not getattr(seen, "once", False):
                seen.once = True
                both_read.wait(timeout=10)
            return found

    config = settings.api()
    authorities = BothReadFirst(
        client("dynamodb"),
        credentials_table=config.credentials_table,
        authorities_table=config.authorities_table,
        audit_table=config.audit_table,
    )
    store = dataclasses.replace(Stores.from_settings(config), authorities=authorities)
    revocations = [
        (Caller(role="admin", credential_id=first_id), second["id"]),
        (Caller(role="admin", credential_id=second["id"]), first_id),
    ]

    def revoke(i: int) -> str:
        try:
            logic.revoke_credential(revocations[i][0], revocations[i][1], store)
        except errors.LastAdmin:
            return "last_admin"
        return "revoked"

    assert sorted(at_once(2, revoke)) == ["last_admin", "revoked"]
    assert len(Stores.from_settings(settings.api()).authorities.live_admin_hashes()) == 1
    assert [api.get("/numbers", token).status for token in (admin, second["token"])].count(200) == 1


def test_an_authoritys_credential_is_ended_through_its_enrolment(
    api: Api, admin: str, gent: str, snapshot: Any
) -> None:
    before = snapshot()
    answer = api.post(f"/credentials/{_id_of(api, admin, 'Stad Gent')}/revoke", admin)
    assert answer.status == 409
    assert answer.error_code == "authority_credential"
    assert "POST /authorities/44021/revoke" in answer.body["error"]["message"]
    assert "POST /authorities/44021/token" in answer.body["error"]["message"]
    assert snapshot() == before
    assert api.get("/authorities/44021", gent).status == 200


@pytest.mark.parametrize("action", ["token", "revoke"])
def test_an_authority_token_replaced_or_ended_is_listed_as_revoked(
    api: Api, admin: str, gent: str, action: str
) -> None:
    old_id = _id_of(api, admin, "Stad Gent")
    assert api.post(f"/authorities/44021/{action}", admin).status in (200, 201)
    gents = {c["id"]: c for c in _credentials(api, admin) if c["authority_id"] == "44021"}
    assert gents[old_id]["revoked_at"] is not None
    assert all(c["label"] == "Stad Gent" for c in gents.values())
    assert len(gents) == (2 if action == "token" else 1)
    assert api.get("/authorities/44021", gent).status == 401


def test_credentials_in_the_table_keep_only_a_hash(api: Api, admin: str) -> None:
    from tests.conftest import table_items

    finance = _issue(api, admin)
    api.post(f"/credentials/{finance['id']}/revoke", admin)
    stored = json.dumps(table_items("CredentialsTable"))
    assert finance["token"] not in stored and admin not in stored


# ---------------------------------------------------------------------- who am I
def test_me_says_who_holds_the_token_its_role_and_its_authority(api: Api, admin: str, gent: str) -> None:
    issued = _issue(api, admin, "finance", "Anna Peeters, finance")
    finance = api.get("/me", issued["token"])
    assert finance.status == 200, finance.body
    assert finance.body == {"role": "finance", "credential_id": issued["id"], "label": "Anna Peeters, finance"}

    authority = api.get("/me", gent)
    assert authority.status == 200, authority.body
    assert authority.body["role"] == "authority"
    assert authority.body["authority_id"] == "44021"
    assert authority.body["authority_name"]
    assert "token" not in json.dumps(authority.body)


def test_me_without_a_valid_token_is_refused(api: Api) -> None:
    assert api.get("/me").status == 401
    assert api.get("/me", "Bearer " + "x" * 43).status == 401
