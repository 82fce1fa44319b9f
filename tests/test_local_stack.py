"""`make run` end to end: the local stack in its own process, driven over real HTTP as a user would."""

from __future__ import annotations

import json

import boto3
from botocore.config import Config

from tests.conftest import RunningStack, activation_body, http


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
    status, _, body = http("POST", f"{api}/numbers", local_stack.authority_token,
                           {"number": "+3225559999", "kind": "did"})
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_swagger_ui_and_unknown_paths(local_stack: RunningStack) -> None:
    status, _, page = http("GET", f"{local_stack.api_url}/docs")
    assert status == 200 and b"swagger" in page.lower()
    status, _, body = http("GET", f"{local_stack.api_url}/nowhere")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_the_lambda_endpoint_invokes_template_functions_by_logical_id(local_stack: RunningStack) -> None:
    client = boto3.client("lambda", endpoint_url=local_stack.lambda_url, region_name="eu-central-1",
                          aws_access_key_id="local", aws_secret_access_key="local",
                          config=Config(retries={"max_attempts": 1}))
    answer = client.invoke(FunctionName="AuthorizerFunction", Payload=json.dumps({
        "type": "TOKEN", "authorizationToken": f"Bearer {local_stack.admin_token}",
        "methodArn": "arn:aws:execute-api:eu-central-1:123456789012:local/local/GET/numbers"}).encode())
    policy = json.loads(answer["Payload"].read())
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert policy["context"]["role"] == "admin"

    refused = client.invoke(FunctionName="AuthorizerFunction", Payload=json.dumps({
        "type": "TOKEN", "authorizationToken": "Bearer wrong-token-wrong-token-wrong",
        "methodArn": "arn:aws:execute-api:eu-central-1:123456789012:local/local/GET/numbers"}).encode())
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
        assert http("POST", f"{api}/numbers", admin, {"number": f"+3280057{n:03d}", "kind": "toll_free"})[0] \
            in (201, 409)
    # The kind an activation gets unless it asks otherwise
    free = [n["number"] for n in http("GET", f"{api}/numbers", admin)[2]["numbers"]
            if n["state"] == "free" and n["kind"] == "toll_free"]
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
