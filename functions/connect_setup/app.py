"""The `Custom::PoolNumbers` handler: CloudFormation's custom resource event in, a response PUT to its
pre-signed URL out. It always answers, success or failure, so a stack never waits an hour for a silent
resource."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable
from typing import Any

from connect_setup.connect import BotoConnect, ConnectNumbers
from connect_setup.pool import PoolRequest, ensure_pool
from crisisline.observability import count_failure, publish_failures

logger = logging.getLogger(__name__)
Responder = Callable[[str, dict[str, Any]], None]


def _put(url: str, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - CloudFormation's https URL
        url,
        data=data,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(data))},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        answer.read()


def _request(properties: dict[str, Any]) -> PoolRequest:
    return PoolRequest(
        instance_arn=properties["InstanceArn"],
        flow_arn=properties["ContactFlowArn"],
        country=properties["CountryCode"],
        number_type=properties.get("NumberType", "TOLL_FREE"),
        count=int(properties["Count"]),
    )


def lambda_handler(
    event: dict[str, Any], context: Any, connect: ConnectNumbers | None = None, respond: Responder = _put
) -> None:
    """Create and Update keep the pool; Delete leaves the numbers claimed (see connect_setup.pool)."""
    body: dict[str, Any] = {
        "Status": "SUCCESS",
        "Reason": "",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "PhysicalResourceId": event.get("PhysicalResourceId") or f"{event['LogicalResourceId']}-pool",
        "Data": {},
    }
    try:
        if event["RequestType"] in ("Create", "Update"):
            numbers = ensure_pool(_request(event["ResourceProperties"]), connect or BotoConnect())
            body["Data"] = {"Numbers": ",".join(numbers), "Count": str(len(numbers))}
    except Exception as error:  # any failure must reach CloudFormation as FAILED
        logger.exception("pool numbers failed")
        count_failure("PoolNumbersFailures")
        publish_failures()
        body.update(Status="FAILED", Reason=f"{type(error).__name__}: {error}"[:500])
    respond(event["ResponseURL"], body)
