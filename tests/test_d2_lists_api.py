"""D2 lists: a coordinator uploads a hospital's, a reception centre's or the police's list of victims and
survivors; its rows are stored (a later list of the same source updates them by source_ref) and scored at once
against the open enquiries, so an enquiry's candidates are there when a coordinator looks."""

from __future__ import annotations  # noqa: I001

import json
import secrets
import urllib.error
import urllib.request
from typing import Any

import pytest

from d2 import matches
from infra.local.stack import LambdaContext
from tests.conftest import Api, RunningStack, activation_body, authority_body, http
from tests.test_d2_enquiries import PHONE, Line, _issue, _record, enquiry_body
from tests.test_d2_enquiries import line  # noqa: F401  (the fixture)
from tests.test_d2_lists import xlsx_body

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = "source_ref;given_names;family_name;birth_date;sex;status;location"


def csv_body(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def upload(line: Line, body: bytes, source: str = "UZ Brussel", media_type: str = CSV, token: str | None = None) -> Any:  # noqa: F811
    return line.api.call(
        "POST",
        f"/activations/{line.activation_id}/lists?source={source.replace(' ', '%20')}",
        token or line.coordinator,
        raw=body,
        headers={"Content-Type": media_type},
    )


def candidates(line: Line, reference: str, token: str | None = None) -> Any:  # noqa: F811
    return line.api.get(
        f"/activations/{line.activation_id}/enquiries/{reference}/candidates", token or line.coordinator
    )


def audit_actions(line: Line) -> list[dict[str, Any]]:  # noqa: F811
    from crisisline.aws import client
    from d2.d2_store import D2Store, d2_settings

    return D2Store(client("dynamodb"), d2_settings()).audit_entries(line.activation_id)


MARIE = "UZB-1;Marie;Vandenbroeck;1987-03-14;F;hospitalised;UZ Brussel, ward 4"
OTHER = "UZB-2;Pieter;Janssens;1950-01-01;M;reception_centre;Sporthal"


def test_a_coordinator_uploads_a_csv_list_and_an_earlier_enquiry_finds_its_person_spelled_differently(
    line: Line,  # noqa: F811
) -> None:
    recorded = _record(line)  # "Marie Van den Broeck", born 1987-03
    answer = upload(line, csv_body(MARIE, OTHER))
    assert answer.status == 201, answer.body
    assert answer.body["rows"] == 2 and answer.body["rejected"] == [] and answer.body["scoring"] == "done"
    found = candidates(line, recorded["reference"])
    assert found.status == 200, found.body
    items = found.body["items"]
    assert [item["source_ref"] for item in items] == ["UZB-1"]
    assert items[0]["grade"] in ("A", "B") and 0 < items[0]["score"] <= 1
    assert items[0]["status"] == "hospitalised" and items[0]["location"] == "UZ Brussel, ward 4"
    assert items[0]["source"] == "UZ Brussel"


def test_an_enquiry_recorded_after_the_list_finds_its_candidates_at_once(line: Line) -> None:  # noqa: F811
    assert upload(line, csv_body(MARIE, OTHER)).status == 201
    recorded = _record(line)
    items = candidates(line, recorded["reference"]).body["items"]
    assert [item["source_ref"] for item in items] == ["UZB-1"]


def test_an_excel_list_is_read_as_a_csv_is(line: Line) -> None:  # noqa: F811
    body = xlsx_body(
        [
            HEADER.split(";"),
            ["X-7", "Marie", "Van Den Broeck", "1987-03-14", "f", "reception_centre", "Heizel"],
            ["X-8", "", "", "", "", "", ""],
        ]
    )
    recorded = _record(line)
    answer = upload(line, body, source="Croix-Rouge accueil", media_type=XLSX)
    assert answer.status == 201, answer.body
    assert answer.body["rows"] == 1
    assert [reject["line"] for reject in answer.body["rejected"]] == [3]
    assert [item["source_ref"] for item in candidates(line, recorded["reference"]).body["items"]] == ["X-7"]


def test_rejected_rows_are_reported_by_line_and_the_rest_taken(line: Line) -> None:  # noqa: F811
    answer = upload(line, csv_body(MARIE, "UZB-3;Jan;Peeters;31/02/1970;M;hospitalised;", "UZB-4;;;;;;"))
    assert answer.status == 201, answer.body
    assert answer.body["rows"] == 1
    assert [reject["line"] for reject in answer.body["rejected"]] == [3, 4]
    assert all(reject["reason"] for reject in answer.body["rejected"])


def test_a_later_list_from_the_same_source_updates_its_rows_by_source_ref(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    first = upload(line, csv_body(MARIE))
    before = candidates(line, recorded["reference"]).body["items"]
    moved = "UZB-1;Marie;Vandenbroeck;1987-03-14;F;left;Home"
    second = upload(line, csv_body(moved), source="uz  brussel")
    assert second.status == 201 and first.body["list_id"] != second.body["list_id"]
    after = candidates(line, recorded["reference"]).body["items"]
    assert [item["entry_id"] for item in after] == [before[0]["entry_id"]]
    assert (after[0]["status"], after[0]["location"]) == ("left", "Home")


def test_the_same_reference_from_another_source_is_another_row(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    upload(line, csv_body(MARIE))
    upload(line, csv_body(MARIE), source="Politie Gent")
    assert {item["source"] for item in candidates(line, recorded["reference"]).body["items"]} == {
        "UZ Brussel",
        "Politie Gent",
    }


@pytest.mark.parametrize(
    ("body", "media_type"),
    [(b"not;a;list\n1;2;3\n", CSV), (b"PK\x03\x04 broken", XLSX), (b"{}", "application/json"), (b"", CSV)],
)
def test_a_file_that_is_not_a_list_is_refused_and_writes_nothing(
    line: Line,  # noqa: F811
    snapshot: Any,
    body: bytes,
    media_type: str,
) -> None:
    before = snapshot()
    answer = upload(line, body, media_type=media_type)
    assert answer.status == 422, answer.body
    assert answer.error_code == "invalid_list"
    assert snapshot() == before


def test_a_list_without_its_source_is_refused(line: Line, snapshot: Any) -> None:  # noqa: F811
    before = snapshot()
    answer = line.api.call(
        "POST",
        f"/activations/{line.activation_id}/lists",
        line.coordinator,
        raw=csv_body(MARIE),
        headers={"Content-Type": CSV},
    )
    assert answer.status == 422
    assert snapshot() == before


def test_no_list_is_taken_without_a_d2_line(api: Api, admin: str, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345")
    opened = api.post("/activations", gent, activation_body(victim_information=False))
    assert opened.status == 201, opened.body
    coordinator = _issue(api, admin, "d2_coordinator", "Karel Peeters")
    answer = api.call(
        "POST",
        f"/activations/{opened.body['id']}/lists?source=UZ",
        coordinator,
        raw=csv_body(MARIE),
        headers={"Content-Type": CSV},
    )
    assert answer.status == 409 and answer.error_code == "no_d2_line"


@pytest.mark.parametrize("who", ["agent", "finance", "operator", "gent", "admin"])
def test_only_a_coordinator_uploads_lists_and_reads_candidates(line: Line, who: str) -> None:  # noqa: F811
    token = getattr(line, who)
    recorded = _record(line)
    assert upload(line, csv_body(MARIE), token=token).status == 403
    assert candidates(line, recorded["reference"], token).status == 403


def test_an_upload_and_a_candidates_read_are_audited_with_ids_only(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    uploaded = upload(line, csv_body(MARIE, OTHER)).body
    items = candidates(line, recorded["reference"]).body["items"]
    entries = audit_actions(line)
    by_action = {entry["action"]: entry for entry in entries}
    assert by_action["list.upload"]["items"][0] == uploaded["list_id"]
    assert len(by_action["list.upload"]["items"]) == 3
    assert by_action["candidates.read"]["items"] == [recorded["id"], items[0]["entry_id"]]
    assert by_action["list.upload"]["who"]["label"] == "Karel Peeters"
    text = json.dumps(entries)
    assert PHONE not in text and "Vandenbroeck" not in text
    assert line.api.get(f"/activations/{line.activation_id}/d2/audit/verify", line.coordinator).body["intact"]


def test_a_large_list_answers_at_once_and_is_scored_in_an_invocation_of_its_own(
    line: Line,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from d2 import app as d2_app  # its import reads the function's environment

    later: list[dict[str, Any]] = []
    monkeypatch.setattr(d2_app, "score_later", later.append)
    monkeypatch.setattr(matches, "INLINE_ROWS", 1)
    recorded = _record(line)
    answer = upload(line, csv_body(MARIE, OTHER))
    assert answer.status == 201 and answer.body["scoring"] == "pending"
    assert candidates(line, recorded["reference"]).body["items"] == []
    assert later == [{"d2_rescore": {"activation_id": line.activation_id, "list_id": answer.body["list_id"]}}]
    assert d2_app.lambda_handler(later[0], LambdaContext("D2Function")) == {"candidates": 1}  # type: ignore[arg-type]
    assert [item["source_ref"] for item in candidates(line, recorded["reference"]).body["items"]] == ["UZB-1"]


# ---------------------------------------------------------------------- over HTTP, on the local stack
def test_a_coordinator_uploads_a_csv_over_http_on_the_local_stack(local_stack: RunningStack) -> None:
    api, admin = local_stack.api_url, local_stack.admin_token
    nis = f"{secrets.randbelow(90000) + 10000}"
    number = f"+32800{secrets.randbelow(90000) + 10000}"
    status, _, enrolled = http("POST", f"{api}/authorities", admin, authority_body(nis, f"Gemeente {nis}"))
    assert status == 201, enrolled
    assert http("POST", f"{api}/numbers", admin, {"number": number, "kind": "toll_free"})[0] == 201
    status, _, opened = http("POST", f"{api}/activations", enrolled["token"], activation_body(number_kind="toll_free"))
    assert status == 201, opened
    agent = http("POST", f"{api}/credentials", admin, {"role": "d2_agent", "label": "Els Janssens"})[2]["token"]
    coordinator = http("POST", f"{api}/credentials", admin, {"role": "d2_coordinator", "label": "Karel"})[2]["token"]
    base = f"{api}/activations/{opened['id']}"
    status, _, recorded = http("POST", f"{base}/enquiries", agent, enquiry_body())
    assert status == 201, recorded
    # Windows-1252, as Excel saves a CSV in Belgium: not UTF-8, so it travels base64-encoded.
    body = csv_body("UZB-9;Marie;Vandenbroeck;1987-03-14;F;hospitalised;Salle Émile").decode().encode("cp1252")
    request = urllib.request.Request(f"{base}/lists?source=UZ%20Brussel", method="POST", data=body)
    request.add_header("Authorization", f"Bearer {coordinator}")
    request.add_header("Content-Type", "text/csv; charset=windows-1252")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, uploaded = answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        status, uploaded = error.code, error.read()
    assert status == 201, uploaded
    assert uploaded["rows"] == 1 and uploaded["scoring"] == "done"
    status, _, found = http("GET", f"{base}/enquiries/{recorded['reference']}/candidates", coordinator)
    assert status == 200, found
    assert [(item["source_ref"], item["location"]) for item in found["items"]] == [("UZB-9", "Salle Émile")]
    assert http("GET", f"{base}/enquiries/{recorded['reference']}/candidates", agent)[0] == 403
    assert http("POST", f"{base}/close", enrolled["token"])[0] == 200
    # The number goes out of the pool again: the other tests on this stack expect the pool it was started with.
    assert http("DELETE", f"{api}/numbers/{number}", admin)[0] == 200
