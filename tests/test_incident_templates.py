"""An authority opening its line at night starts from a ready message for its kind of incident, in every
language its line speaks, and each one is a message the API accepts as it is."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

EXPECTED = ["shelter_in_place", "evacuation", "flood", "explosion", "drinking_water", "power_cut"]
LANGUAGES = {"nl", "fr", "de", "en"}


def _templates(api: Api, token: str) -> list[dict[str, Any]]:
    answer = api.get("/incident-templates", token)
    assert answer.status == 200, answer.body
    return answer.body["templates"]  # type: ignore[no-any-return]


def test_an_authority_gets_the_common_incidents_numbered_in_four_languages(api: Api, gent: str) -> None:
    templates = _templates(api, gent)
    assert [t["id"] for t in templates] == EXPECTED
    assert [t["number"] for t in templates] == list(range(1, len(EXPECTED) + 1))
    for template in templates:
        assert set(template["title"]) == LANGUAGES
        assert set(template["message"]) == LANGUAGES
        assert len({template["message"][lang] for lang in LANGUAGES}) == 4  # translated, not copied


def test_every_ready_message_opens_a_line_as_it_is(api: Api, gent: str, add_numbers: Any) -> None:
    templates = _templates(api, gent)
    add_numbers(*[f"+328001000{n}" for n in range(len(templates))])  # a released number cools down
    for template in templates:
        body = {
            "reason": f"Template {template['id']}",
            "languages": ["nl", "fr", "de", "en"],
            "message": template["message"],
            "victim_information": False,
            "operators": 2,
        }
        opened = api.post("/activations", gent, body)
        assert opened.status == 201, (template["id"], opened.body)
        assert opened.body["message"] == template["message"]  # nothing trimmed or rewritten
        closed = api.post(f"/activations/{opened.body['id']}/close", gent)
        assert closed.status == 200, closed.body


def test_finance_and_strangers_do_not_get_the_templates(api: Api, admin: str) -> None:
    issued = api.post("/credentials", admin, {"role": "finance", "label": "Finance team"})
    assert issued.status == 201, issued.body
    assert api.get("/incident-templates", issued.body["token"]).status == 403
    assert api.get("/incident-templates").status == 401
