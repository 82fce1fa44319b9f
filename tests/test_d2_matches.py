"""D2 matches: a coordinator proposes that a list row is the person a relative asks about, and another
coordinator confirms it (four eyes) or rejects it. A confirmed match makes the enquiry `matched`; a rejected pair
never comes back as a candidate, not even after the source sends its list again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import at_once
from tests.test_d2_enquiries import (
    Line,
    _issue,
    _record,
    line,  # noqa: F401  (the fixture)
)
from tests.test_d2_lists_api import MARIE, OTHER, audit_actions, candidates, csv_body, upload


def _path(line: Line, tail: str = "") -> str:  # noqa: F811
    return f"/activations/{line.activation_id}/matches{tail}"


def _propose(line: Line, reference: str, entry_id: str, token: str | None = None) -> Any:  # noqa: F811
    return line.api.post(_path(line), token or line.coordinator, {"reference": reference, "entry_id": entry_id})


@pytest.fixture
def found(line: Line) -> tuple[dict[str, Any], str]:  # noqa: F811
    """An enquiry about Marie Van den Broeck and the list row that may be her."""
    recorded = _record(line)
    assert upload(line, csv_body(MARIE, OTHER)).status == 201
    items = candidates(line, recorded["reference"]).body["items"]
    return recorded, items[0]["entry_id"]


def test_a_proposed_match_is_confirmed_by_another_coordinator_and_the_enquiry_is_matched(
    line: Line,  # noqa: F811
    found: tuple[dict[str, Any], str],
) -> None:
    recorded, entry_id = found
    proposed = _propose(line, recorded["reference"], entry_id)
    assert proposed.status == 201, proposed.body
    assert proposed.body["status"] == "proposed"
    queue = line.api.get(_path(line, "?status=proposed"), line.coordinator)
    assert [item["id"] for item in queue.body["items"]] == [proposed.body["id"]]
    second = _issue(line.api, line.admin, "d2_coordinator", "An Claes")
    confirmed = line.api.post(_path(line, f"/{proposed.body['id']}/confirm"), second)
    assert confirmed.status == 200, confirmed.body
    assert confirmed.body == {**confirmed.body, "id": proposed.body["id"], "status": "confirmed"}
    assert confirmed.body["decided_by"]["label"] == "An Claes"
    read = line.api.get(f"/activations/{line.activation_id}/enquiries/{recorded['reference']}", line.agent)
    assert read.body["status"] == "matched"
    assert line.api.get(_path(line, "?status=proposed"), line.coordinator).body["items"] == []


def test_the_review_queue_names_each_matchs_list_source_and_its_reference(
    line: Line,  # noqa: F811
    found: tuple[dict[str, Any], str],
) -> None:
    recorded, entry_id = found
    proposed = _propose(line, recorded["reference"], entry_id)
    assert (proposed.body["source"], proposed.body["source_ref"]) == ("UZ Brussel", "UZB-1")
    [queued] = line.api.get(_path(line, "?status=proposed"), line.coordinator).body["items"]
    assert (queued["source"], queued["source_ref"], queued["reference"]) == (
        "UZ Brussel",
        "UZB-1",
        recorded["reference"],
    )


def test_the_coordinator_who_proposed_a_match_cannot_confirm_it(
    line: Line,  # noqa: F811
    found: tuple[dict[str, Any], str],
) -> None:
    recorded, entry_id = found
    proposed = _propose(line, recorded["reference"], entry_id).body
    answer = line.api.post(_path(line, f"/{proposed['id']}/confirm"), line.coordinator)
    assert answer.status == 403 and answer.error_code == "four_eyes_required"
    assert line.api.get(_path(line, "?status=proposed"), line.coordinator).body["items"][0]["status"] == "proposed"


def test_a_rejected_pair_is_never_a_candidate_or_a_proposal_again(
    line: Line,  # noqa: F811
    found: tuple[dict[str, Any], str],
) -> None:
    recorded, entry_id = found
    proposed = _propose(line, recorded["reference"], entry_id).body
    rejected = line.api.post(_path(line, f"/{proposed['id']}/reject"), line.coordinator)
    assert rejected.status == 200 and rejected.body["status"] == "rejected"
    assert candidates(line, recorded["reference"]).body["items"] == []
    assert upload(line, csv_body(MARIE.replace("ward 4", "ward 5"))).status == 201  # the source sends it again
    assert candidates(line, recorded["reference"]).body["items"] == []
    again = _propose(line, recorded["reference"], entry_id)
    assert again.status == 409 and again.error_code == "match_exists"
    second = _issue(line.api, line.admin, "d2_coordinator", "An Claes")
    late = line.api.post(_path(line, f"/{proposed['id']}/confirm"), second)
    assert late.status == 409 and late.error_code == "match_decided"
    assert (
        line.api.get(f"/activations/{line.activation_id}/enquiries/{recorded['reference']}", line.coordinator).body[
            "status"
        ]
        == "open"
    )


def test_a_pair_is_proposed_once(line: Line, found: tuple[dict[str, Any], str]) -> None:  # noqa: F811
    recorded, entry_id = found
    assert _propose(line, recorded["reference"], entry_id).status == 201
    again = _propose(line, recorded["reference"], entry_id)
    assert again.status == 409 and again.error_code == "match_exists"


def test_an_unknown_reference_or_row_is_not_found(line: Line, found: tuple[dict[str, Any], str]) -> None:  # noqa: F811
    recorded, entry_id = found
    from d2.references import new_reference

    assert _propose(line, recorded["reference"], "0" * 32).status == 404
    unknown = next(r for r in iter(new_reference, None) if r != recorded["reference"])
    assert _propose(line, unknown, entry_id).status == 404
    assert line.api.post(_path(line, "/abc123/confirm"), line.coordinator).status == 404


def test_two_coordinators_confirming_at_once_one_succeeds(line: Line, found: tuple[dict[str, Any], str]) -> None:  # noqa: F811
    recorded, entry_id = found
    proposed = _propose(line, recorded["reference"], entry_id).body
    others = [_issue(line.api, line.admin, "d2_coordinator", f"Coordinator {n}") for n in range(2)]
    answers = at_once(2, lambda n: line.api.post(_path(line, f"/{proposed['id']}/confirm"), others[n]))
    assert sorted(answer.status for answer in answers) == [200, 409]
    confirms = [entry for entry in audit_actions(line) if entry["action"] == "match.confirm"]
    assert len(confirms) == 1


def test_a_confirm_and_a_reject_at_once_leave_one_decision(line: Line, found: tuple[dict[str, Any], str]) -> None:  # noqa: F811
    recorded, entry_id = found
    proposed = _propose(line, recorded["reference"], entry_id).body
    other = _issue(line.api, line.admin, "d2_coordinator", "An Claes")
    answers = at_once(
        2,
        lambda n: line.api.post(_path(line, f"/{proposed['id']}/{('confirm', 'reject')[n]}"), other),
    )
    assert sorted(answer.status for answer in answers) == [200, 409]
    winner = next(answer for answer in answers if answer.status == 200).body["status"]
    listed = line.api.get(_path(line), line.coordinator).body["items"]
    assert [item["status"] for item in listed] == [winner]


@pytest.mark.parametrize("who", ["agent", "finance", "operator", "gent", "admin"])
def test_only_coordinators_propose_decide_and_read_matches(
    line: Line,  # noqa: F811
    found: tuple[dict[str, Any], str],
    who: str,
) -> None:
    recorded, entry_id = found
    token = getattr(line, who)
    assert _propose(line, recorded["reference"], entry_id, token).status == 403
    proposed = _propose(line, recorded["reference"], entry_id).body
    assert line.api.post(_path(line, f"/{proposed['id']}/confirm"), token).status == 403
    assert line.api.post(_path(line, f"/{proposed['id']}/reject"), token).status == 403
    assert line.api.get(_path(line), token).status == 403


def test_every_change_of_a_match_is_audited(line: Line, found: tuple[dict[str, Any], str]) -> None:  # noqa: F811
    recorded, entry_id = found
    proposed = _propose(line, recorded["reference"], entry_id).body
    second = _issue(line.api, line.admin, "d2_coordinator", "An Claes")
    line.api.post(_path(line, f"/{proposed['id']}/confirm"), second)
    line.api.get(_path(line), line.coordinator)
    entries = {entry["action"]: entry for entry in audit_actions(line)}
    assert entries["match.propose"]["items"] == [proposed["id"], recorded["id"], entry_id]
    assert entries["match.propose"]["who"]["label"] == "Karel Peeters"
    assert entries["match.confirm"]["items"] == [proposed["id"], recorded["id"], entry_id]
    assert entries["match.confirm"]["who"]["label"] == "An Claes"
    assert entries["match.list"]["items"] == [proposed["id"]]
