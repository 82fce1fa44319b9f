"""The `Custom::PoolNumbers` handler (and `Custom::ActivationPhoneNumber`'s, which routes one claimed number to the
activation by phone flow): CloudFormation's custom resource event in, a response PUT to its
pre-signed URL out. It always answers, success or failure, so a stack never waits an hour for a silent
resource."""

from __future__ import annotations

import json
import logging
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from connect_setup import settings
from connect_setup.connect import BotoConnect, ConnectNumbers
from connect_setup.pool import PoolRequest, PoolTable, ensure_pool
from crisisline.clock import iso, utc_now
from crisisline.observability import count_failure, publish_failures

logger = logging.getLogger(__name__)
settings.pool()  # fail the cold start, not the deploy's first number, when the environment is incomplete
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


class NumbersTable:
    """The pool table (NumbersTable), each entry audited as the deploy's, as `POST /numbers` would do by hand."""

    def __init__(self) -> None:
        import boto3

        from crisisline.stores.numbers import NumberStore

        self.store = NumberStore(
            boto3.client("dynamodb"),
            numbers_table=settings.pool().numbers_table,
            audit_table=settings.pool().audit_table,
        )

    def enter(self, number: str, kind: str) -> bool:
        at = iso(utc_now())
        audit = {
            "subject": f"number#{number}",
            "entry": f"{at}#{uuid.uuid4().hex[:12]}",
            "at": at,
            "action": "add",
            "actor": {"role": "deploy"},
            "changes": {"kind": kind},
        }
        return self.store.add(number, kind, audit)


def _listed(value: Any) -> tuple[str, ...]:
    """A CommaDelimitedList parameter arrives as a list, or as one string when joined."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return tuple(item.strip() for item in items if item.strip())


def _request(event: dict[str, Any]) -> PoolRequest:
    properties = event["ResourceProperties"]
    return PoolRequest(
        instance_arn=properties["InstanceArn"],
        flow_arn=properties["ContactFlowArn"],
        country=properties["CountryCode"],
        number_type=properties.get("NumberType", "TOLL_FREE"),
        claim_count=int(properties.get("ClaimCount", 0)),
        existing=_listed(properties.get("ExistingNumbers")),
        stack_id=event["StackId"],
    )


def lambda_handler(
    event: dict[str, Any],
    context: Any,
    connect: ConnectNumbers | None = None,
    respond: Responder = _put,
    table: PoolTable | None = None,
    sleep: Callable[[float], None] | None = None,
) -> None:
    """Create and Update keep the pool; Delete leaves the numbers claimed (see connect_setup.pool). A short pool
    is a success that says so in Data (Missing, Notes), never a rollback."""
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
        properties = event.get("ResourceProperties") or {}
        if properties.get("PhoneNumberArn"):
            # Custom::ActivationPhoneNumber: the activation by phone's own number, routed to its flow.
            if event["RequestType"] in ("Create", "Update"):
                (connect or BotoConnect()).associate(
                    properties["InstanceArn"],
                    str(properties["PhoneNumberArn"]).rsplit("/", 1)[-1],
                    properties["ContactFlowArn"],
                )
            body["PhysicalResourceId"] = event.get("PhysicalResourceId") or f"{event['LogicalResourceId']}-number"
        elif event["RequestType"] in ("Create", "Update"):
            result = ensure_pool(
                _request(event),
                connect or BotoConnect(),
                table or NumbersTable(),
                **({"sleep": sleep} if sleep else {}),
            )
            body["Data"] = {
                "Numbers": ",".join(result.numbers),
                "Count": str(len(result.numbers)),
                "Missing": str(result.missing),
                "Notes": "; ".join(result.notes)[:1000] or "complete",
            }
            if result.notes:
                logger.warning("pool numbers: %s", body["Data"]["Notes"])
    except Exception as error:  # any failure must reach CloudFormation as FAILED
        logger.exception("pool numbers failed")
        count_failure("PoolNumbersFailures")
        publish_failures()
        body.update(Status="FAILED", Reason=f"{type(error).__name__}: {error}"[:500])
    respond(event["ResponseURL"], body)
