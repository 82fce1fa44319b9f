"""D2, victim information: relatives call about someone who may be a victim, and the FPS Public Health's staff
record each enquiry on the activation's D2 line; each agent sees the enquiries they recorded, a coordinator
all of the activation's, and nobody else any."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api


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
