"""A live line with a D2 line and its staff, for the D2 tests, and list entries and matches written in the shapes
the list and match parts write (plain put_item)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from crisisline.aws import client
from crisisline.clock import iso, utc_now
from crisisline.dynamo import to_item
from d2.d2_store import D2Store, d2_settings
from tests.conftest import Api, activation_body


def issue(api: Api, admin: str, role: str, label: str) -> str:
    answer = api.post("/credentials", admin, {"role": role, "label": label})
    assert answer.status == 201, answer.body
    return str(answer.body["token"])


def open_line(api: Api, token: str, **changes: Any) -> str:
    answer = api.post("/activations", token, activation_body(**changes))
    assert answer.status == 201, answer.body
    return str(answer.body["id"])


def enquiry(
    given: str = "Marie", family: str = "Van den Broeck", birth: str | None = "1987-03", **enquirer: Any
) -> dict[str, Any]:
    sought: dict[str, Any] = {"given_names": given, "family_name": family, "sex": "f"}
    if birth:
        sought["birth_date"] = birth
    return {
        "sought": sought,
        "enquirer": {
            "name": "Jan Van den Broeck",
            "phone": "+32470998877",
            "relationship": "brother",
            "language": "nl",
            "callback_consent": True,
            **enquirer,
        },
    }


@dataclass
class D2Line:
    api: Api
    admin: str
    gent: str
    activation_id: str
    agent: str
    other_agent: str
    coordinator: str
    finance: str
    operator: str

    @property
    def path(self) -> str:
        return f"/activations/{self.activation_id}"

    def record(self, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        answer = self.api.post(f"{self.path}/enquiries", token or self.agent, body)
        assert answer.status == 201, answer.body
        return answer.body  # type: ignore[no-any-return]

    def token(self, role: str) -> str:
        return {"admin": self.admin, "authority": self.gent, "finance": self.finance, "operator": self.operator}[role]


@pytest.fixture
def d2_line(api: Api, admin: str, gent: str, add_numbers: Any) -> D2Line:
    add_numbers("+3280012345", "+3280012346")
    return D2Line(
        api,
        admin,
        gent,
        open_line(api, gent),
        issue(api, admin, "d2_agent", "Els Janssens"),
        issue(api, admin, "d2_agent", "Sophie Dubois"),
        issue(api, admin, "d2_coordinator", "Karel Peeters"),
        issue(api, admin, "finance", "Finance team"),
        issue(api, admin, "operator", "Call center"),
    )


def d2_store() -> D2Store:
    return D2Store(client("dynamodb"), d2_settings())


def put_d2(activation_id: str, sk: str, values: dict[str, Any]) -> None:
    client("dynamodb").put_item(
        TableName=d2_settings().d2_table, Item=to_item({**values, "activation_id": activation_id, "sk": sk})
    )


def put_entry(activation_id: str, entry_id: str, status: str, location: str | None = None, **more: Any) -> None:
    put_d2(
        activation_id,
        f"ENTRY#{entry_id}",
        {
            "entry_id": entry_id,
            "list_id": "list-1",
            "source": "UZ Gent",
            "source_ref": entry_id,
            "given_names": "Marie",
            "family_name": "Van den Broeck",
            "birth_date": "1987-03-14",
            "sex": "f",
            "status": status,
            "location": location,
            "disclosure_refused": False,
            "updated_at": iso(utc_now()),
            **more,
        },
    )


def put_match(
    activation_id: str, match_id: str, found: dict[str, Any], entry_id: str, status: str = "confirmed"
) -> None:
    at = iso(utc_now())
    put_d2(
        activation_id,
        f"MATCH#{match_id}",
        {
            "match_id": match_id,
            "person_id": found["person_id"],
            "enquiry_id": found["id"],
            "reference": found["reference"],
            "entry_id": entry_id,
            "source": "UZ Gent",
            "source_ref": entry_id,
            "status": status,
            "proposed_by": {"credential_id": "c-coordinator", "label": "Karel Peeters"},
            "proposed_at": at,
            "decided_by": {"credential_id": "c-second", "label": "An Janssens"} if status != "proposed" else None,
            "decided_at": at if status != "proposed" else None,
        },
    )
