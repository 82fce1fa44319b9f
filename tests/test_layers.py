"""The layers of the activation API as the README draws them: HTTP in `api`, rules in the logic, DynamoDB in the
stores. Read from the source, so a shortcut through a layer fails here before review."""

from __future__ import annotations

import ast
import pathlib

FUNCTIONS = pathlib.Path(__file__).parents[1] / "functions"
_DYNAMODB_CALLS = {"get_item", "put_item", "query", "scan", "transact_write_items", "update_item", "batch_get_item"}
_DYNAMO_HELPERS = {"pages", "get", "transact"}


def _imports(path: pathlib.Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.update([node.module, *(f"{node.module}.{alias.name}" for alias in node.names)])
    return found


def _speaks_dynamodb(path: pathlib.Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Making a client to hand to a store is the edge's job; calling DynamoDB's API, itself or through
    # `crisisline.dynamo`'s readers and writers (`dynamo.pages`, `dynamo.get`, `dynamo.transact`), is the stores' alone.
    return any(
        isinstance(node, ast.Attribute)
        and (
            node.attr in _DYNAMODB_CALLS
            or (isinstance(node.value, ast.Name) and node.value.id == "dynamo" and node.attr in _DYNAMO_HELPERS)
        )
        for node in ast.walk(tree)
    )


def test_the_domain_package_speaks_no_http() -> None:
    offending = [
        str(path.relative_to(FUNCTIONS))
        for path in sorted((FUNCTIONS / "crisisline").rglob("*.py"))
        if any(name.startswith("aws_lambda_powertools.event_handler") or name == "api" for name in _imports(path))
    ]
    assert offending == []


def test_the_api_handlers_share_one_rest_module_outside_the_domain_package() -> None:
    assert "api.rest" in _imports(FUNCTIONS / "activate" / "app.py")
    assert not (FUNCTIONS / "crisisline" / "rest.py").exists()


def test_only_the_stores_speak_dynamodb_for_the_activation_api() -> None:
    # Every module of the activation function (handler, logic, briefing, preview, authorizer) and the tokens.
    sources = [*sorted((FUNCTIONS / "activate").glob("*.py")), FUNCTIONS / "crisisline" / "tokens.py"]
    assert [str(path.relative_to(FUNCTIONS)) for path in sources if _speaks_dynamodb(path)] == []
    assert all(_speaks_dynamodb(path) for path in (FUNCTIONS / "crisisline" / "stores").glob("[!_]*.py"))


def test_the_activation_logic_reads_no_parameter_and_builds_no_idempotency_layer() -> None:
    logic = (FUNCTIONS / "activate" / "logic.py").read_text(encoding="utf-8")
    assert "hashing_key(" not in logic
    assert "DynamoDBPersistenceLayer" not in logic
    assert '"ssm"' not in logic
