"""The routing function through `make run`'s Lambda Invoke endpoint, as `aws lambda invoke` reaches it."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import RunningStack, activation_body, load_event
from tests.route_support import SAMPLE, connect_event
from tests.test_local_stack import http


def invoke(stack: RunningStack, event: dict[str, Any]) -> dict[str, str]:
    client = boto3.client(
        "lambda",
        endpoint_url=stack.lambda_url,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )
    answer = client.invoke(FunctionName="RouteFunction", Payload=json.dumps(event).encode())
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    return json.loads(answer["Payload"].read())  # type: ignore[no-any-return]


def test_the_connect_sample_event_reaches_the_routing_function_by_its_logical_id(local_stack: RunningStack) -> None:
    answer = invoke(local_stack, load_event(SAMPLE))
    assert answer["status"] == "inactive"
    assert answer["fallback"] == "false"


def test_a_line_opened_over_http_is_live_for_the_next_caller(local_stack: RunningStack) -> None:
    token = local_stack.authority_token
    status, _, opened = http("POST", f"{local_stack.api_url}/activations", token, activation_body())
    assert status == 201, opened
    try:
        answer = invoke(local_stack, connect_event(opened["number"], language="en", choice="2"))
        assert (answer["status"], answer["activationId"], answer["queue"], answer["overflow"]) == (
            "live",
            opened["id"],
            "D2",
            "false",
        )
        assert answer["message"] == "Stay inside; close windows and doors."
    finally:
        closed = http("POST", f"{local_stack.api_url}/activations/{opened['id']}/close", token)
        assert closed[0] == 200
    assert invoke(local_stack, connect_event(opened["number"]))["status"] == "inactive"
