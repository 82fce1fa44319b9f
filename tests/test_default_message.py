"""An authority keeps a default message per language, ready for the night its line is opened by phone: it reads
and changes it itself (with its own token or an activator's), the crisis center too; each change is audited with
who, when and the message as it was and became; another authority cannot see it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, table_items

MAYOR = {"name": "Mathias De Clercq", "function": "burgemeester", "phone": "+32475123456", "language": "nl"}
DEFAULT = {"nl": "Blijf binnen en sluit ramen en deuren.", "fr": "Restez à l'intérieur; fermez portes et fenêtres."}
PATH = "/authorities/44021/default-message"


def _put(api: Api, token: str, body: Any, path: str = PATH) -> Any:
    return api.call("PUT", path, token, body)


def _changes() -> list[dict[str, Any]]:
    return [item for item in table_items("AuditTable") if item["action"]["S"] == "default_message_change"]


def test_an_authority_sets_its_default_message_and_reads_it_back(api: Api, gent: str) -> None:
    assert api.get(PATH, gent).body["message"] == {}

    answer = _put(api, gent, {"message": DEFAULT})

    assert answer.status == 200, answer.body
    assert answer.body["message"] == DEFAULT and answer.body["authority_id"] == "44021"
    read = api.get(PATH, gent)
    assert read.status == 200 and read.body["message"] == DEFAULT
    assert read.body["changed_at"] == answer.body["changed_at"]


def test_line_breaks_in_a_default_message_are_folded_as_in_an_activation(api: Api, gent: str) -> None:
    answer = _put(api, gent, {"message": {"nl": "  Blijf binnen.\n\nSluit ramen.\t "}})

    assert answer.status == 200, answer.body
    assert api.get(PATH, gent).body["message"] == {"nl": "Blijf binnen. Sluit ramen."}


def test_each_change_is_audited_with_who_when_and_the_message_before_and_after(api: Api, gent: str, admin: str) -> None:
    assert _put(api, gent, {"message": DEFAULT}).status == 200
    changed = _put(api, admin, {"message": {"en": "Stay inside."}})
    assert changed.status == 200, changed.body

    first, second = sorted(_changes(), key=lambda e: e["at"]["S"])
    assert first["subject"]["S"] == second["subject"]["S"] == "authority#44021"
    assert first["actor"]["M"]["role"]["S"] == "authority" and second["actor"]["M"]["role"]["S"] == "admin"
    assert first["changes"]["M"]["before"]["M"] == {}
    assert {k: v["S"] for k, v in first["changes"]["M"]["after"]["M"].items()} == DEFAULT
    assert {k: v["S"] for k, v in second["changes"]["M"]["before"]["M"].items()} == DEFAULT
    assert {k: v["S"] for k, v in second["changes"]["M"]["after"]["M"].items()} == {"en": "Stay inside."}
    assert second["at"]["S"] == changed.body["changed_at"]
    assert api.get(PATH, gent).body["message"] == {"en": "Stay inside."}


def test_another_authority_neither_reads_nor_changes_it(api: Api, gent: str, enrol: Any, snapshot: Any) -> None:
    assert _put(api, gent, {"message": DEFAULT}).status == 200
    _, brugge = enrol("31005", "Stad Brugge")
    before = snapshot()

    assert api.get(PATH, brugge).status == 404
    assert _put(api, brugge, {"message": {"nl": "Iets anders."}}).status == 404
    assert snapshot() == before
    assert api.get(PATH, gent).body["message"] == DEFAULT


def test_an_unknown_authority_is_not_found_for_admin(api: Api, admin: str) -> None:
    assert api.get("/authorities/99999/default-message", admin).status == 404
    assert _put(api, admin, {"message": DEFAULT}, "/authorities/99999/default-message").status == 404


def test_finance_may_not_change_it(api: Api, gent: str, admin: str) -> None:
    finance = api.post("/credentials", admin, {"role": "finance", "label": "Finance"}).body["token"]
    assert _put(api, finance, {"message": DEFAULT}).status == 403


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"es": "Quédese en casa."}, "message.es.[key]"),
        ({}, "message"),
        ({"nl": ""}, "message.nl"),
        ({"nl": "   "}, "message.nl"),
        ({"nl": "x" * 2001}, "message.nl"),
        ("Blijf binnen.", "message"),
    ],
    ids=["unknown language", "no language", "empty", "blank", "too long", "not per language"],
)
def test_a_bad_default_message_is_refused_and_changes_nothing(
    api: Api, gent: str, snapshot: Any, message: Any, field: str
) -> None:
    assert _put(api, gent, {"message": DEFAULT}).status == 200
    before = snapshot()

    answer = _put(api, gent, {"message": message})

    assert answer.status == 422, answer.body
    assert answer.body["error"]["code"] == "validation_error"
    assert [f["field"] for f in answer.body["error"]["details"]["fields"]] == [field]
    assert snapshot() == before
    assert api.get(PATH, gent).body["message"] == DEFAULT


def test_an_activator_with_their_own_token_changes_their_authoritys_default_message(
    api: Api, gent: str, admin: str
) -> None:
    added = api.post("/authorities/44021/activators", admin, MAYOR).body
    token = api.post(f"/authorities/44021/activators/{added['id']}/token", admin).body["token"]

    answer = _put(api, token, {"message": {"nl": "Blijf binnen."}})

    assert answer.status == 200, answer.body
    assert api.get(PATH, gent).body["message"] == {"nl": "Blijf binnen."}
    (entry,) = _changes()
    assert entry["actor"]["M"]["activator_id"]["S"] == added["id"]
    assert _put(api, token, {"message": DEFAULT}, "/authorities/31005/default-message").status == 404


def test_a_revoked_authority_can_no_longer_be_given_one(api: Api, gent: str, admin: str) -> None:
    assert api.post("/authorities/44021/revoke", admin).status == 200

    answer = _put(api, admin, {"message": DEFAULT})

    assert answer.status == 409 and answer.body["error"]["code"] == "authority_revoked"
