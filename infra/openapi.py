"""`python -m infra.openapi`: the API's one OpenAPI document, generated from the route signatures.

Two functions answer the API (ActivateFunction and ExportFunction), each with its own Powertools resolver, so
neither resolver alone knows the whole API. This merges the resolvers of every function that has API events in
template.yaml, adds the models of the answers the routes name (crisisline.responses), marks the routes behind
the token authorizer as needing a bearer token, and writes the result to
functions/activate/openapi.json, which ActivateFunction serves at `GET /docs` (Swagger UI) and
`GET /docs?format=json`. tests/test_openapi.py regenerates it and fails when the committed copy differs."""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from infra.local import template

DOCUMENT = template.FUNCTIONS_DIR / "activate" / "openapi.json"
DOCS_ROUTE = ("GET", "/docs")  # the document itself, not an operation of it
TITLE = "crisisline API"
VERSION = "1.0.0"
DESCRIPTION = "Activate a crisis information line, and read what it costs."


@contextmanager
def _function_environment(variables: dict[str, str]) -> Iterator[None]:
    """The function's template environment for its import (settings are checked at cold start), then restored."""
    before = {key: os.environ.get(key) for key in variables}
    os.environ.update({key: value for key, value in variables.items() if key not in os.environ})
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)


def resolvers() -> dict[str, Any]:
    """The resolver (`app`) of every function with API events in the template, by function logical id."""
    specs = template.functions()
    found = {}
    for logical_id in sorted({route.function for route in template.api_routes()}):
        module_name = specs[logical_id].handler.rpartition(".")[0]
        with _function_environment(specs[logical_id].environment):
            found[logical_id] = importlib.import_module(module_name).app
    return found


def document() -> dict[str, Any]:
    """The merged OpenAPI document of the whole API, as JSON data."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    merged = OpenAPIMerge(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        on_conflict="error",
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},  # type: ignore[dict-item]
    )
    for resolver in resolvers().values():
        merged.add_schema(resolver.get_openapi_schema(title=TITLE, version=VERSION))
    data: dict[str, Any] = json.loads(merged.get_openapi_json_schema())
    operations = data.get("paths", {})
    for route in template.api_routes():
        operation = operations.get(route.path, {}).get(route.method.lower())
        if operation is None:
            continue
        operation["responses"] = dict(sorted(operation["responses"].items()))
        if route.authorized:
            operation["security"] = [{"bearer": []}]
    _add_answer_schemas(data)
    _drop_unused_schemas(data)
    return data


def answer_schemas() -> dict[str, Any]:
    """The JSON schema of every model in crisisline.responses, by its name, as the routes name them
    (`rest.responses(..., model="Activation")`); nested models by reference, within the document."""
    from pydantic import BaseModel
    from pydantic.json_schema import models_json_schema

    from api import rest
    from crisisline import responses

    models = [
        value
        for name, value in vars(responses).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and not name.startswith("_")
        and value.__module__ == responses.__name__
    ]
    _, schemas = models_json_schema(
        [(model, "serialization") for model in models], ref_template=rest.SCHEMAS + "{model}"
    )
    return dict(schemas.get("$defs", {}))


def _add_answer_schemas(data: dict[str, Any]) -> None:
    """The answers' models beside the request bodies' (a name used by both for different shapes is an error),
    and an error for an answer that names no model."""
    schemas = data.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in answer_schemas().items():
        if schemas.setdefault(name, schema) != schema:
            raise ValueError(f"{name} names both a request body and an answer of another shape")
    data["components"]["schemas"] = dict(sorted(schemas.items()))
    text = json.dumps(data["paths"])
    missing = sorted({name for name in re.findall(r'"#/components/schemas/([^"]+)"', text) if name not in schemas})
    if missing:
        raise ValueError(f"No model in crisisline.responses named {', '.join(missing)}")


def _drop_unused_schemas(data: dict[str, Any]) -> None:
    """Powertools adds its own validation error shapes; every route documents crisisline's error body instead."""
    schemas = data.get("components", {}).get("schemas", {})
    while True:
        text = json.dumps({key: value for key, value in data.items() if key != "components"}) + json.dumps(schemas)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def missing_operations(data: dict[str, Any]) -> list[str]:
    """Routes of the template's API that the document does not describe."""
    return [
        f"{route.method} {route.path}"
        for route in template.api_routes()
        if (route.method, route.path) != DOCS_ROUTE
        and route.method.lower() not in data.get("paths", {}).get(route.path, {})
    ]


def rendered(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    data = document()
    missing = missing_operations(data)
    if missing:
        print(f"No route in any resolver for: {', '.join(missing)}", file=sys.stderr)
        return 1
    DOCUMENT.write_text(rendered(data), encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(template.ROOT)}: {sum(len(ops) for ops in data['paths'].values())} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
