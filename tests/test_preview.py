"""Before opening (or while live), an authority hears in the console exactly what a caller will: the preview is
the contact flow played for a caller who picks each language, with the line's own message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.connect.simulator import QueueState, simulate_call
from tests.conftest import Api

VOICES = {"Lisa": "nl", "Isabelle": "fr", "Vicki": "de", "Amy": "en"}
MESSAGES = {"nl": "Blijf binnen.", "fr": "Restez chez vous.", "de": "Bleiben Sie drinnen.", "en": "Stay in."}


class OneLine:
    """The routing function's data: the drafted line live on every number (no DynamoDB)."""

    def __init__(self, languages: list[str], victim_information: bool) -> None:
        from route.models import LiveLine

        self.line = LiveLine(
            "act-1", "Gent", tuple(languages), {c: MESSAGES[c] for c in languages}, victim_information, 4
        )

    def live_line(self, number: str, deadline: float) -> Any:
        return self.line

    def count_call(self, activation_id: str, now: Any, deadline: float) -> int:
        return 1


@pytest.fixture
def routing(function_environment: Callable[..., None]) -> Callable[[list[str], bool], Any]:
    function_environment("RouteFunction")
    from route import app, settings

    def invoker(languages: list[str], victim_information: bool) -> Any:
        data = OneLine(languages, victim_information)
        return lambda function, event: app.answer(event, data, settings.route().calls_per_operator_hour)

    return invoker


def _draft(languages: list[str], victim_information: bool) -> dict[str, Any]:
    return {
        "languages": languages,
        "message": {code: MESSAGES[code] for code in languages},
        "victim_information": victim_information,
    }


@pytest.mark.parametrize(("languages", "d2"), [(["nl", "fr", "de", "en"], True), (["fr", "en"], False)])
def test_the_preview_is_what_the_caller_simulator_hears_for_each_language(
    api: Api, gent: str, routing: Callable[[list[str], bool], Any], languages: list[str], d2: bool
) -> None:
    answer = api.post("/preview", gent, _draft(languages, d2))
    assert answer.status == 200, answer.body
    assert list(answer.body["languages"]) == languages
    for language in languages:
        parts = answer.body["languages"][language]
        previewed = [(part["language"], part["text"]) for part in parts]
        through = simulate_call("+3280012345", language=language, press="1", invoker=routing(languages, d2))
        assert [(VOICES[u.voice], u.text) for u in through.heard] == previewed[:-1]
        busy = simulate_call(
            "+3280012345",
            language=language,
            press="1",
            invoker=routing(languages, d2),
            queues={"D5": QueueState(at_capacity=True)},
        )
        assert [(VOICES[u.voice], u.text) for u in busy.heard][: len(previewed)] == previewed
        assert [part["part"] for part in parts][-3 if d2 else -2 :] == (
            ["ask-queue", "hold-on", "offer-callback"] if d2 else ["hold-on", "offer-callback"]
        )
        assert {"part": "message", "language": language, "text": MESSAGES[language]} in parts


def test_an_authority_learns_how_many_calls_one_operator_answers_by_the_tariff_in_force(
    api: Api, gent: str, admin: str
) -> None:
    import boto3

    from crisisline import facts
    from tests.conftest import table_names

    assert api.get("/me", gent).body["calls_per_operator_hour"] == facts.default_calls_per_operator_hour()
    boto3.client("dynamodb").put_item(  # a version finance added, in force since 2020
        TableName=table_names()["TariffsTable"],
        Item={"effective_from": {"S": "2020-01-01T00:00:00Z"}, "calls_per_operator_hour": {"N": "7"}},
    )
    assert api.get("/me", gent).body["calls_per_operator_hour"] == 7
    assert "calls_per_operator_hour" not in api.get("/me", admin).body


def test_a_draft_missing_a_message_is_refused_as_an_opening_would_be(api: Api, gent: str) -> None:
    answer = api.post("/preview", gent, {"languages": ["nl", "fr"], "message": {"nl": "Blijf binnen."}})
    assert answer.status == 422
    assert answer.body["error"]["code"] == "validation_error"
    assert "French (fr)" in str(answer.body["error"])


def test_finance_may_not_preview_a_line(api: Api, admin: str) -> None:
    issued = api.post("/credentials", admin, {"role": "finance", "label": "Boekhouding"})
    assert api.post("/preview", issued.body["token"], _draft(["nl"], False)).status == 403
