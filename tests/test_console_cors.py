"""The web console on an origin of its own: the API answers CORS for exactly that origin (template parameter
ConsoleOrigin), and none at all while it is not set."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local import template
from tests.billing_support import finance_env
from tests.conftest import Api

__all__ = ["finance_env"]  # fixtures

CONSOLE = "https://console.crisisline.example"


@pytest.fixture
def console_origin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Sets CONSOLE_ORIGIN and makes the API functions anew, as a cold start with that environment would."""
    import activate.app
    import finance.app
    from infra.local.stack import forget_cached_state

    def use(origin: str) -> None:
        monkeypatch.setenv("CONSOLE_ORIGIN", origin)
        forget_cached_state()
        importlib.reload(activate.app)

    yield use
    monkeypatch.setenv("CONSOLE_ORIGIN", "")
    forget_cached_state()
    importlib.reload(activate.app)
    assert finance.app.app is not None


def _cors_headers(answer: Any) -> dict[str, str]:
    return {name: value for name, value in answer.headers.items() if name.lower().startswith("access-control-")}


def test_without_a_console_origin_the_api_answers_no_cors_headers(api: Api, admin: str) -> None:
    assert template.functions()["ActivateFunction"].environment["CONSOLE_ORIGIN"] == ""
    answer = api.get("/me", admin, headers={"Origin": CONSOLE})
    assert answer.status == 200
    assert _cors_headers(answer) == {}


def test_the_consoles_origin_may_call_the_api_and_read_the_etag(api: Api, admin: str, console_origin: Any) -> None:
    console_origin(CONSOLE)
    answer = api.get("/me", admin, headers={"Origin": CONSOLE})
    assert answer.status == 200
    headers = _cors_headers(answer)
    assert headers["Access-Control-Allow-Origin"] == CONSOLE
    assert headers["Access-Control-Expose-Headers"] == "ETag"


def test_another_origin_gets_no_cors_headers(api: Api, admin: str, console_origin: Any) -> None:
    console_origin(CONSOLE)
    answer = api.get("/me", admin, headers={"Origin": "https://evil.example"})
    assert answer.status == 200
    assert "Access-Control-Allow-Origin" not in _cors_headers(answer)


def test_a_preflight_from_the_console_names_exactly_the_headers_it_sends(aws: None, console_origin: Any) -> None:
    console_origin(CONSOLE)
    import activate.app

    event = {
        "httpMethod": "OPTIONS",
        "path": "/activations/x/briefing",
        "resource": "/activations/{activation_id}/briefing",
        "headers": {"Origin": CONSOLE, "Access-Control-Request-Method": "PUT"},
        "requestContext": {},
        "body": None,
    }
    answer = activate.app.app.resolve(event, None)  # type: ignore[arg-type]
    assert answer["statusCode"] == 204
    headers = answer["multiValueHeaders"] if "multiValueHeaders" in answer else answer["headers"]
    flat = {name: (value[0] if isinstance(value, list) else value) for name, value in headers.items()}
    assert flat["Access-Control-Allow-Origin"] == CONSOLE
    allowed = {name.strip() for name in flat["Access-Control-Allow-Headers"].split(",")}
    assert {"Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key"} <= allowed


def test_the_finance_api_answers_the_console_too(monkeypatch: pytest.MonkeyPatch, finance_env: None) -> None:
    from crisisline import environment
    from finance.billing_store import finance_api_settings

    assert template.functions()["ExportFunction"].environment["CONSOLE_ORIGIN"] == ""  # the parameter's default
    monkeypatch.setenv("CONSOLE_ORIGIN", CONSOLE)
    environment.forget_settings()
    assert finance_api_settings().console_origin == CONSOLE  # what finance.app makes its resolver with
