"""`make run` end to end: the local stack in its own process, driven over real HTTP as a user would."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import boto3
import pytest
from botocore.config import Config

from tests.conftest import Api, RunningStack, activation_body, env_without_aws, http


def test_the_printed_curl_examples_name_the_running_ports_and_tokens(local_stack: RunningStack) -> None:
    assert f"curl -s {local_stack.api_url}/health" in local_stack.output
    assert local_stack.admin_token in local_stack.output
    assert local_stack.numbers, "the demo pool numbers are listed"


def test_an_authority_opens_and_closes_its_line_over_http(local_stack: RunningStack) -> None:
    api, token = local_stack.api_url, local_stack.authority_token
    assert http("GET", f"{api}/health")[0] == 200

    body = activation_body(languages=["fr", "nl"], message={"fr": "Restez chez vous.", "nl": "Blijf binnen."})
    status, _, opened = http("POST", f"{api}/activations", token, body, {"Idempotency-Key": "e2e-1"})
    assert status == 201, opened
    assert opened["status"] == "live" and opened["authority_id"] == local_stack.authority_id
    assert opened["number"] in local_stack.numbers

    again = http("POST", f"{api}/activations", token, body, {"Idempotency-Key": "e2e-1"})
    assert again[0] == 201 and again[2]["id"] == opened["id"]
    assert again[1].get("Idempotent-Replayed") == "true"  # the header crosses the HTTP server

    status, _, numbers = http("GET", f"{api}/numbers", local_stack.admin_token)
    holding = [n for n in numbers["numbers"] if n["activation_id"] == opened["id"]]
    assert status == 200 and [n["number"] for n in holding] == [opened["number"]]

    status, _, closed = http("POST", f"{api}/activations/{opened['id']}/close", token)
    assert status == 200 and closed["status"] == "closed" and closed["closed_at"] >= opened["opened_at"]


def test_requests_without_a_valid_token_are_refused_over_http(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    status, _, body = http("GET", f"{api}/activations")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert http("GET", f"{api}/activations", "not-a-real-token-but-long-enough")[0] == 401
    status, _, body = http(
        "POST", f"{api}/numbers", local_stack.authority_token, {"number": "+3225559999", "kind": "did"}
    )
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_swagger_ui_and_unknown_paths(local_stack: RunningStack) -> None:
    status, _, page = http("GET", f"{local_stack.api_url}/docs")
    assert status == 200 and b"swagger" in page.lower()
    status, _, body = http("GET", f"{local_stack.api_url}/nowhere")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_swagger_uis_try_it_out_reaches_the_local_api(local_stack: RunningStack) -> None:
    docs = f"{local_stack.api_url}/docs"
    status, headers, document = http("GET", f"{docs}?format=json")
    assert status == 200
    [server] = document["servers"]
    # As Swagger UI does: the server URL resolved against the page's, then the operation's path.
    base = urljoin(docs, server["url"]).rstrip("/")
    assert http("GET", f"{base}/health")[0] == 200
    assert headers["Cache-Control"] == "public, max-age=3600"
    assert http("GET", docs)[1]["Cache-Control"] == "public, max-age=3600"


def test_the_docs_are_built_once_per_environment_not_on_every_request(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from activate import app

    app.forget_docs()
    first_page, first_json = api.get("/docs"), api.get("/docs?format=json")
    assert first_page.status == first_json.status == 200
    monkeypatch.setattr(app, "OPENAPI_DOCUMENT", Path("/nonexistent/openapi.json"))  # read again: it would fail
    again_page, again_json = api.get("/docs"), api.get("/docs?format=json")
    assert (again_page.status, again_page.raw) == (200, first_page.raw)
    assert (again_json.status, again_json.raw) == (200, first_json.raw)
    app.forget_docs()


def test_the_lambda_endpoint_invokes_template_functions_by_logical_id(local_stack: RunningStack) -> None:
    client = boto3.client(
        "lambda",
        endpoint_url=local_stack.lambda_url,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )
    answer = client.invoke(
        FunctionName="AuthorizerFunction",
        Payload=json.dumps(
            {
                "type": "TOKEN",
                "authorizationToken": f"Bearer {local_stack.admin_token}",
                "methodArn": "arn:aws:execute-api:eu-central-1:123456789012:local/local/GET/numbers",
            }
        ).encode(),
    )
    policy = json.loads(answer["Payload"].read())
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert policy["context"]["role"] == "admin"

    refused = client.invoke(
        FunctionName="AuthorizerFunction",
        Payload=json.dumps(
            {
                "type": "TOKEN",
                "authorizationToken": "Bearer wrong-token-wrong-token-wrong",
                "methodArn": "arn:aws:execute-api:eu-central-1:123456789012:local/local/GET/numbers",
            }
        ).encode(),
    )
    assert refused["FunctionError"] == "Unhandled"
    assert json.loads(refused["Payload"].read())["errorMessage"] == "Unauthorized"

    try:
        client.invoke(FunctionName="NoSuchFunction", Payload=b"{}")
    except client.exceptions.ResourceNotFoundException:
        pass
    else:
        raise AssertionError("an unknown function must be refused")


def test_authorities_racing_over_http_never_share_a_number(local_stack: RunningStack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import authority_body

    api, admin = local_stack.api_url, local_stack.admin_token
    for n in range(2):
        added = http("POST", f"{api}/numbers", admin, {"number": f"+3280057{n:03d}", "kind": "toll_free"})
        assert added[0] in (201, 409)
    # Authorities without a preference get a toll-free number: those are the ones they race for.
    free = [
        n["number"]
        for n in http("GET", f"{api}/numbers", admin)[2]["numbers"]
        if n["state"] == "free" and n["kind"] == "toll_free"
    ]
    tokens = []
    for n in range(len(free) + 8):
        status, _, enrolled = http("POST", f"{api}/authorities", admin, authority_body(f"{93000 + n:05d}", f"R{n}"))
        assert status == 201, enrolled
        tokens.append(enrolled["token"])

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        answers = list(pool.map(lambda token: http("POST", f"{api}/activations", token, activation_body()), tokens))

    opened = [body for status, _, body in answers if status == 201]
    refused = [body for status, _, body in answers if status == 409]
    assert len(opened) == len(free) and len(refused) == 8
    assert sorted(body["number"] for body in opened) == sorted(free)
    assert {body["error"]["code"] for body in refused} == {"no_number_available"}
    for body in opened:  # give the numbers back for the other tests on this stack
        assert http("POST", f"{api}/activations/{body['id']}/close", admin)[0] == 200


# ---------------------------------------------------------------------- a fresh clone
ROOT = Path(__file__).resolve().parents[1]
NOT_THE_REPOSITORY = {
    ".git",
    ".venv",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    ".reliability",
    ".aws-sam",
    "__pycache__",
}


def repository_files() -> list[Path]:
    """Every file of the checkout, without the venv, caches and git's own."""
    return [
        path
        for path in ROOT.rglob("*")
        if path.is_file() and not NOT_THE_REPOSITORY & set(path.relative_to(ROOT).parts)
    ]


def test_a_fresh_clone_needs_nothing_that_lies_beside_it() -> None:
    beside = ".." + "/shared"  # spelled apart, so this file does not name it
    files = repository_files()
    assert ROOT / "tests" / "events" / "connect-lambda-event.json" in files
    naming = [
        str(path.relative_to(ROOT)) for path in files if beside in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert naming == []


# ---------------------------------------------------------------------- `make run` as a newcomer meets it
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def stack_process(tmp_path: Path, **variables: str) -> Iterator[subprocess.Popen[str]]:
    """`python -m infra.local` with these variables (free ports unless given); its output goes to files."""
    env = {
        **env_without_aws(),
        "PYTHONUNBUFFERED": "1",
        "CRISISLINE_API_PORT": str(free_port()),
        "CRISISLINE_LAMBDA_PORT": str(free_port()),
        "CRISISLINE_MOTO_PORT": str(free_port()),
        **variables,
    }
    with (tmp_path / "stdout").open("w") as out, (tmp_path / "stderr").open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=out, stderr=err, text=True
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def test_health_answers_200_only_once_the_admin_token_works(tmp_path: Path) -> None:
    from tests.reliability import log_watch

    admin = secrets.token_urlsafe(32)
    log_watch.register_token(admin)
    port = free_port()
    with stack_process(tmp_path, CRISISLINE_API_PORT=str(port), CRISISLINE_ADMIN_TOKEN=admin) as process:
        deadline = time.monotonic() + 60
        statuses: list[int] = []
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
                    statuses.append(answer.status)
                    break
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
                assert error.code == 503 and error.headers["Retry-After"]
            except OSError:
                pass  # not listening yet
            time.sleep(0.005)
        assert statuses and statuses[-1] == 200, (statuses, (tmp_path / "stderr").read_text())
        status, _, numbers = http("GET", f"http://127.0.0.1:{port}/numbers", admin)
        assert status == 200, numbers
        assert numbers["numbers"], "the demo pool is seeded"


@pytest.mark.parametrize("variable", ["CRISISLINE_API_PORT", "CRISISLINE_LAMBDA_PORT", "CRISISLINE_MOTO_PORT"])
def test_a_busy_port_is_named_with_the_variable_that_moves_it(tmp_path: Path, variable: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with stack_process(tmp_path, **{variable: str(port)}) as process:
            assert process.wait(timeout=60) == 2
    said = (tmp_path / "stderr").read_text().strip()
    assert len(said.splitlines()) == 1 and "Traceback" not in said, said
    assert str(port) in said and variable in said
    assert (tmp_path / "stdout").read_text() == ""


def test_the_banners_idempotency_key_is_new_each_time_it_is_printed() -> None:
    from infra.local.__main__ import banner

    def key() -> str:
        text = banner(
            api_url="http://127.0.0.1:3000",
            lambda_url="http://127.0.0.1:3001",
            lambda_port=3001,
            backend_url="http://127.0.0.1:3002",
            functions=["RouteFunction"],
            admin_token="a" * 43,
            demo={"authority_id": "21004", "authority_token": "b" * 43, "numbers": ["+3280012345"]},
        )
        found = re.search(r"Idempotency-Key: ([^']+)'", text)
        assert found, text
        return found.group(1)

    assert len({key() for _ in range(3)}) == 3


def test_the_printed_invoke_command_works_as_pasted(local_stack: RunningStack) -> None:
    [line] = [line.strip() for line in local_stack.output.splitlines() if "infra.local.invoke" in line]
    command = shlex.split(line)
    assert command[0] == ".venv/bin/python"
    assert [word for word in command if word in local_stack.numbers], "it dials a pool number"
    assert os.path.exists(ROOT / command[command.index("--event") + 1])
    done = subprocess.run(  # noqa: S602 - the printed line, run as a person pastes it
        line,
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env_without_aws(),
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] in ("inactive", "live") and answer["fallback"] == "false"
