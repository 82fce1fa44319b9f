"""The operators' briefing: an authority writes the questions callers ask and the answers to give, per language
of its line; operators read them, with the line as callers hear it, while the line is live."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, activation_body

FIRE = {
    "nl": [{"question": "Mag ik naar buiten?", "answer": "Nee, blijf binnen tot de sirene stopt."}],
    "en": [{"question": "May I go outside?", "answer": "No, stay inside until the siren stops."}],
}


@pytest.fixture
def line(api: Api, gent: str, add_numbers: Any) -> str:
    add_numbers("+3280012345")
    opened = api.post("/activations", gent, activation_body())
    assert opened.status == 201, opened.body
    return f"/activations/{opened.body['id']}/briefing"


@pytest.fixture
def operator(api: Api, admin: str) -> str:
    return str(api.post("/credentials", admin, {"role": "operator", "label": "Call center"}).body["token"])


def _put(api: Api, path: str, token: str, items: Any, **headers: str) -> Any:
    return api.call("PUT", path, token, {"items": items}, headers=headers)


def test_a_new_line_has_an_empty_sheet_with_everything_an_operator_needs(api: Api, line: str, operator: str) -> None:
    sheet = api.get(line, operator)
    assert sheet.status == 200, sheet.body
    body = sheet.body
    assert body["number"] == "+3280012345"
    assert body["authority_name"] == "Stad Gent"
    assert body["languages"] == ["nl", "en"]
    assert body["message"]["en"] == "Stay inside; close windows and doors."
    assert body["d2"] is True
    assert body["operators"] == 4
    assert body["items"] == {"nl": [], "en": []}
    assert (body["revision"], body["updated_at"]) == (0, None)
    assert sheet.headers["ETag"] == '"0.0"'


def test_the_authority_writes_the_answers_and_the_operator_reads_them(
    api: Api, line: str, gent: str, operator: str
) -> None:
    written = _put(api, line, gent, FIRE)
    assert written.status == 200, written.body
    assert written.body["revision"] == 1
    assert written.headers["ETag"] == '"1.0"'
    read = api.get(line, operator)
    assert read.body["items"] == FIRE
    assert read.body["updated_at"] == written.body["updated_at"]


def test_each_change_is_in_the_lines_audit_trail_with_before_and_after(api: Api, line: str, gent: str) -> None:
    _put(api, line, gent, FIRE)
    _put(api, line, gent, {"nl": FIRE["nl"]})
    entries = api.get(line.replace("/briefing", "/audit"), gent).body["entries"]
    changes = [entry["changes"]["items"] for entry in entries if entry["action"] == "briefing"]
    assert changes == [{"before": {}, "after": FIRE}, {"before": FIRE, "after": {"nl": FIRE["nl"]}}]


def test_a_console_polling_with_the_etag_gets_304_until_something_changes(
    api: Api, line: str, gent: str, operator: str
) -> None:
    etag = api.get(line, operator).headers["ETag"]
    unchanged = api.get(line, operator, headers={"If-None-Match": etag})
    assert unchanged.status == 304
    assert unchanged.raw == b""
    assert unchanged.headers["ETag"] == etag
    assert api.patch(line.replace("/briefing", ""), gent, {"operators": 6}).status == 200  # the line changed
    changed = api.get(line, operator, headers={"If-None-Match": etag})
    assert changed.status == 200
    assert changed.body["operators"] == 6
    assert changed.headers["ETag"] != etag


def test_a_change_decided_on_an_old_sheet_is_refused_with_412(api: Api, line: str, gent: str, snapshot: Any) -> None:
    read = api.get(line, gent).headers["ETag"]
    assert _put(api, line, gent, FIRE, **{"If-Match": read}).status == 200  # someone else's change
    before = snapshot()
    late = _put(api, line, gent, {"nl": []}, **{"If-Match": read})
    assert late.status == 412
    assert late.error_code == "precondition_failed"
    assert late.body["error"]["details"]["current_revision"] == 1
    assert snapshot() == before
    assert _put(api, line, gent, {"nl": []}, **{"If-Match": "1"}).status == 200  # the briefing's revision alone


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ({"fr": [{"question": "Puis-je sortir ?", "answer": "Non."}]}, "items"),
        ({"nl": [{"question": "Mag ik\u202e buiten?", "answer": "Nee."}]}, "items.nl.0.question"),
        ({"nl": [{"question": "Mag ik buiten?", "answer": "\u200b"}]}, "items.nl.0.answer"),
        ({"nl": [{"question": "Mag ik buiten?", "answer": "N" * 2001}]}, "items.nl.0.answer"),
        ({"nl": [{"question": "Mag ik buiten?", "answer": "Nee."}] * 51}, "items.nl"),
        ({"nl": [{"question": "Mag ik buiten?"}]}, "items.nl.0.answer"),
        ({"xx": []}, "items.xx.[key]"),
    ],
)
def test_a_bad_sheet_is_refused_and_changes_nothing(
    api: Api, line: str, gent: str, snapshot: Any, items: Any, field: str
) -> None:
    before = snapshot()
    answer = _put(api, line, gent, items)
    assert answer.status == 422, answer.body
    assert field in [problem["field"] for problem in answer.body["error"]["details"]["fields"]]
    assert snapshot() == before


def test_a_closed_line_s_briefing_no_longer_changes(api: Api, line: str, gent: str, snapshot: Any) -> None:
    assert api.post(line.replace("/briefing", "/close"), gent).status == 200
    before = snapshot()
    answer = _put(api, line, gent, FIRE)
    assert answer.status == 409
    assert answer.error_code == "activation_closed"
    assert snapshot() == before


def test_another_authority_neither_reads_nor_writes_the_sheet(api: Api, line: str, enrol: Any, snapshot: Any) -> None:
    _, antwerpen = enrol("11002", "Stad Antwerpen")
    before = snapshot()
    assert api.get(line, antwerpen).status == 404
    assert _put(api, line, antwerpen, FIRE).status == 404
    assert snapshot() == before


def test_admin_writes_the_sheet_too(api: Api, line: str, admin: str) -> None:
    assert _put(api, line, admin, FIRE).status == 200
