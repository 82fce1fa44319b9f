"""Each function reads its environment one way (crisisline.environment): one settings model, validated at cold
start, kept, and forgotten by one call. template.yaml gives each function exactly what its model reads, and the
facts several functions rely on are written once (crisisline.facts), where the routing function can import them
without pydantic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from typing import Any

import pytest

from crisisline import environment, facts
from crisisline.settings import AuthorizerSettings
from infra.local import template

# Run in a fresh interpreter given only one function's environment: import its handler (its cold start), then
# say which settings models it read and whether pydantic came with it.
_COLD_START = """
import importlib, json, sys
from crisisline import environment
importlib.import_module(sys.argv[1])
print(json.dumps({"models": [f"{m.__module__}.{m.__qualname__}" for m in environment.models_read()],
                  "pydantic": any(name.split(".")[0] == "pydantic" for name in sys.modules)}))
"""
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _every_settings_variable() -> set[str]:
    from crisisline import settings
    from finance import billing_store
    from ingest import settings as meter_settings
    from route import settings as route_settings

    models = [
        settings.ApiSettings,
        settings.AuthorizerSettings,
        meter_settings.MeterSettings,
        billing_store.ExportSettings,
        billing_store.FinanceApiSettings,
        route_settings.RouteSettings,
    ]
    return {variable for model in models for variable in environment.variables(model).values()}


def _given(logical_id: str) -> dict[str, str]:
    """What template.yaml gives the function besides Powertools' own variables."""
    return {
        key: value
        for key, value in template.functions()[logical_id].environment.items()
        if not key.startswith("POWERTOOLS_")
    }


def _model(qualified: str) -> type:
    module, _, name = qualified.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def cold_starts() -> dict[str, dict[str, Any]]:
    """Every function's cold start, each in its own process with only its own variables from template.yaml."""
    read_by_some = _every_settings_variable()
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in read_by_some and not key.startswith(("AWS_", "POWERTOOLS_"))
    }
    base.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": template.LOCAL_REGION,
            "POWERTOOLS_METRICS_DISABLED": "true",
            "PYTHONPATH": str(template.FUNCTIONS_DIR),
        }
    )
    running = {}
    for logical_id, spec in template.functions().items():
        module = spec.handler.rpartition(".")[0]
        running[logical_id] = subprocess.Popen(
            [sys.executable, "-c", _COLD_START, module],
            env={**base, **spec.environment},
            cwd=template.FUNCTIONS_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    found = {}
    for logical_id, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{logical_id}'s cold start failed with its template environment:\n{err}"
        found[logical_id] = json.loads(out)
    return found


def test_each_function_is_given_exactly_the_variables_its_settings_read(cold_starts: dict[str, dict[str, Any]]) -> None:
    writers = {route.function for route in template.api_routes() if route.method in _WRITES}
    for logical_id, cold_start in cold_starts.items():
        models = [_model(name) for name in cold_start["models"]]
        assert len(models) <= 1, f"{logical_id} reads more than one settings model at cold start: {models}"
        # A route that changes something re-reads its caller's credential (api.rest).
        readers = models + ([AuthorizerSettings] if logical_id in writers else [])
        read = {variable for model in readers for variable in environment.variables(model).values()}
        needed = {variable for model in readers for variable in environment.required(model)}
        given = set(_given(logical_id))
        assert given - read == set(), f"{logical_id} is given variables its settings do not read"
        assert needed - given == set(), f"{logical_id} reads variables template.yaml does not give it"


def test_no_table_or_parameter_is_given_to_every_function() -> None:
    shared = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    assert {name for name in shared if not name.startswith("POWERTOOLS_")} == set()


def test_the_export_says_it_reads_contact_records_and_the_month_close_does_not() -> None:
    assert "CONTACTS_TABLE" in _given("ExportFunction")
    assert "CONTACTS_TABLE" not in _given("MonthCloseFunction")


def test_the_activation_function_reads_the_d2_tables_for_the_report_but_not_the_d2_audit_chain() -> None:
    given = _given("ActivateFunction")
    assert {"D2_TABLE", "D2_ARCHIVE_TABLE"} <= set(given)
    assert "D2_AUDIT_TABLE" not in given


def test_the_routing_function_starts_without_pydantic(cold_starts: dict[str, dict[str, Any]]) -> None:
    assert cold_starts["RouteFunction"]["pydantic"] is False
    assert cold_starts["RouteFunction"]["models"] == ["route.settings.RouteSettings"]
    assert cold_starts["ActivateFunction"]["pydantic"] is True  # the check can see pydantic where it is


def test_forgetting_settings_makes_every_function_read_its_environment_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from crisisline import settings
    from route import settings as route_settings

    before = settings.api().numbers_table, route_settings.route().numbers_table
    monkeypatch.setenv("NUMBERS_TABLE", "crisisline-OtherNumbers")
    assert (settings.api().numbers_table, route_settings.route().numbers_table) == before  # kept after cold start
    environment.forget_settings()
    assert (settings.api().numbers_table, route_settings.route().numbers_table) == ("crisisline-OtherNumbers",) * 2


def test_the_shared_facts_bring_no_dependency_onto_a_callers_line() -> None:
    check = (
        "import sys, crisisline.facts, crisisline.environment, crisisline.clock; "
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'pydantic', 'boto3', 'botocore', 'yaml'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", check],
        cwd=template.FUNCTIONS_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(template.FUNCTIONS_DIR)},
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_routing_reads_only_fields_an_activation_copies_onto_its_number() -> None:
    from route.models import LiveLine

    assert {field.name for field in fields(LiveLine)} <= set(facts.ROUTING_FIELDS)


def test_routing_without_readable_tariffs_uses_the_default_tariffs_capacity() -> None:
    from crisisline.tariffs import default_tariff
    from route.settings import RouteSettings

    given = RouteSettings.from_environment({"NUMBERS_TABLE": "numbers", "CALL_COUNTERS_TABLE": "counters"})
    assert given.calls_per_operator_hour == default_tariff().calls_per_operator_hour == 12
