"""`make preflight STACK=<stack>`: checks, read-only and with the operator's own AWS credentials, what the crisis
line needs from the account around the stack before the first crisis: the Connect instance, its quotas, the pool
numbers, the token key and the contact record stream. Each check prints PASS or FAIL and, when it fails, what to
do. Nothing here writes: only Describe, Get and List calls (tests/test_preflight.py refuses any other).

The concurrent calls the line must hold follow Little's law: calls per hour × mean handle minutes / 60 (400 calls
an hour of 4 minutes keep about 27 calls going at once; Belgium's November 2015 peak hour, 3,295 calls, 220)."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Read-only operations: the only kinds of call the preflight makes.
READ_PREFIXES = ("Describe", "Get", "List")
PEAK_CALLS_PER_HOUR = 3295  # Belgium, November 2015 (make surge)
HANDLE_MINUTES = Decimal(4)
CONCURRENT_CALLS_QUOTA = "concurrent active calls per instance"
PHONE_NUMBERS_QUOTA = "phone numbers per instance"
DEFAULT_CONCURRENT_CALLS = 10  # Connect's default, when the account has applied no other value


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str
    todo: str = ""

    def lines(self) -> list[str]:
        found = [f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.detail}"]
        if not self.passed and self.todo:
            found.append(f"      to do: {self.todo}")
        return found


def concurrent_calls(calls_per_hour: int, handle_minutes: Decimal = HANDLE_MINUTES) -> int:
    """Calls in progress at once (Little's law), rounded up: 400 an hour of 4 minutes → 27."""
    return math.ceil(Decimal(calls_per_hour) * handle_minutes / 60)


@dataclass(frozen=True)
class Stack:
    parameters: dict[str, str]
    outputs: dict[str, str]

    @property
    def instance_arn(self) -> str:
        return self.parameters.get("ConnectInstanceArn", "")

    @property
    def instance_id(self) -> str:
        return self.instance_arn.rsplit("/", 1)[-1]

    @property
    def region(self) -> str:
        parts = self.instance_arn.split(":")
        return parts[3] if len(parts) > 3 else ""

    @property
    def pool(self) -> list[str]:
        return [n for n in self.outputs.get("PoolNumbers", "").split(",") if n]

    @property
    def pool_size(self) -> int:
        existing = [n for n in self.parameters.get("ExistingPoolNumbers", "").split(",") if n.strip()]
        return len(existing) + int(self.parameters.get("PoolClaimCount", "0") or 0)


def read_stack(cloudformation: Any, name: str) -> Stack:
    [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    return Stack(
        {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])},
        {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])},
    )


def _pages(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def _quotas_in_force(quotas: Any, names: tuple[str, ...]) -> dict[str, tuple[Decimal, str]]:
    """Each named Connect quota's value in force: the account's applied value, else AWS's default."""
    found: dict[str, tuple[Decimal, str]] = {}
    for lister, source in (
        (quotas.list_service_quotas, "applied"),
        (quotas.list_aws_default_service_quotas, "default"),
    ):
        for quota in _pages(lister, "Quotas", ServiceCode="connect"):
            name = str(quota.get("QuotaName", "")).lower()
            if name in names and name not in found:
                found[name] = (Decimal(str(quota["Value"])), source)
        if len(found) == len(names):
            break
    return found


class Preflight:
    """The checks, over boto3 clients made from the operator's credentials (tests pass their own)."""

    def __init__(self, clients: dict[str, Any], connect_regions: list[str]) -> None:
        self.clients = clients
        self.connect_regions = connect_regions

    def run(self, stack_name: str, calls_per_hour: int, handle_minutes: Decimal = HANDLE_MINUTES) -> list[Check]:
        stack = read_stack(self.clients["cloudformation"], stack_name)
        found = self._instance(stack)
        if len(found) > 1:  # the instance exists: its quotas, pool and stream can be read
            found += self._quotas(stack, calls_per_hour, handle_minutes)
            found += self._pool(stack)
            found.append(self._stream(stack))
        found.append(self._token_key(stack))
        return found

    # ------------------------------------------------------------------ the Connect instance
    def _instance(self, stack: Stack) -> list[Check]:
        connect = self.clients["connect"]
        if stack.region not in self.connect_regions:
            return [
                Check(
                    "Connect region",
                    False,
                    f"{stack.region or 'no region'} has no Amazon Connect",
                    "create the instance in a region with Connect (eu-central-1, eu-west-2) and deploy there",
                )
            ]
        try:
            instance = connect.describe_instance(InstanceId=stack.instance_id)["Instance"]
        except connect.exceptions.ResourceNotFoundException:
            return [
                Check(
                    "Connect instance",
                    False,
                    f"{stack.instance_arn} does not exist",
                    "give the stack the ARN of the crisis center's instance (parameter ConnectInstanceArn)",
                )
            ]
        status = instance.get("InstanceStatus", "")
        checks = [
            Check(
                "Connect instance",
                status == "ACTIVE",
                f"{instance.get('InstanceAlias', stack.instance_id)} in {stack.region} is {status}",
                "wait until the instance is ACTIVE, or recreate it if its creation failed",
            ),
            Check(
                "inbound calls",
                bool(instance.get("InboundCallsEnabled")),
                "on" if instance.get("InboundCallsEnabled") else "off",
                "Connect console, the instance, Telephony: allow incoming calls",
            ),
            Check(
                "outbound calls",
                bool(instance.get("OutboundCallsEnabled")),
                "on" if instance.get("OutboundCallsEnabled") else "off (callbacks cannot dial)",
                "Connect console, the instance, Telephony: allow outgoing calls (callbacks need them)",
            ),
        ]
        logs = connect.describe_instance_attribute(InstanceId=stack.instance_id, AttributeType="CONTACTFLOW_LOGS")
        enabled = logs["Attribute"].get("Value") == "true"
        checks.append(
            Check(
                "contact flow logs",
                enabled,
                "on" if enabled else "off",
                "Connect console, the instance, Flows: enable flow logs (CloudWatch), to follow a caller's path",
            )
        )
        return checks

    # ------------------------------------------------------------------ quotas
    def _quotas(self, stack: Stack, calls_per_hour: int, handle_minutes: Decimal) -> list[Check]:
        quotas = self.clients["service-quotas"]
        needed = concurrent_calls(calls_per_hour, handle_minutes)
        found = _quotas_in_force(quotas, (CONCURRENT_CALLS_QUOTA, PHONE_NUMBERS_QUOTA))
        calls, source = found.get(CONCURRENT_CALLS_QUOTA, (None, "not found"))
        in_force = calls if calls is not None else Decimal(DEFAULT_CONCURRENT_CALLS)
        checks = [
            Check(
                "concurrent active calls",
                in_force >= needed,
                f"{calls_per_hour:,} calls/hour × {handle_minutes} min / 60 = {needed} at once; "
                f"quota in force {in_force:.0f} ({source if calls is not None else 'Connect default, not listed'})",
                f"Service Quotas, Amazon Connect, 'Concurrent active calls per instance': request {needed} or more "
                "(allow days; larger increases take up to weeks)",
            )
        ]
        numbers, source = found.get(PHONE_NUMBERS_QUOTA, (None, "not found"))
        if numbers is None:
            checks.append(
                Check(
                    "phone numbers per instance",
                    False,
                    "quota not found",
                    "Service Quotas, Amazon Connect: look up 'Phone numbers per instance'",
                )
            )
        else:
            checks.append(
                Check(
                    "phone numbers per instance",
                    numbers >= stack.pool_size,
                    f"pool of {stack.pool_size}; quota in force {numbers:.0f} ({source})",
                    f"request 'Phone numbers per instance' of {stack.pool_size} or more",
                )
            )
        return checks

    # ------------------------------------------------------------------ the pool
    def _pool(self, stack: Stack) -> list[Check]:
        connect = self.clients["connect"]
        flow_id = stack.outputs.get("CrisisLineFlowArn", "").rsplit("/", 1)[-1]
        on_instance = {
            item["PhoneNumber"]: item["PhoneNumberId"]
            for item in _pages(
                connect.list_phone_numbers_v2, "ListPhoneNumbersSummaryList", TargetArn=stack.instance_arn
            )
        }
        flows = {
            item["ResourceId"]: item["FlowId"]
            for item in _pages(
                connect.list_flow_associations,
                "FlowAssociationSummaryList",
                InstanceId=stack.instance_id,
                ResourceType="VOICE_PHONE_NUMBER",
            )
        }
        pool = stack.pool
        missing = [n for n in pool if n not in on_instance]
        elsewhere = [
            n for n in pool if n in on_instance and flows.get(on_instance[n], "").rsplit("/", 1)[-1] != flow_id
        ]
        return [
            Check(
                "pool numbers",
                bool(pool) and not missing and not elsewhere,
                (
                    f"{len(pool)} number(s), all on the instance and routed to the crisis flow"
                    if pool and not missing and not elsewhere
                    else f"{len(pool)} in the pool; not on the instance: {', '.join(missing) or 'none'}; "
                    f"routed elsewhere: {', '.join(elsewhere) or 'none'}"
                ),
                "deploy again (the PoolNumbers resource routes each number to the crisis flow); an empty pool: "
                "give ExistingPoolNumbers or PoolClaimCount, and read the stack output PoolNumbersStatus",
            )
        ]

    # ------------------------------------------------------------------ the contact record stream
    def _stream(self, stack: Stack) -> Check:
        connect = self.clients["connect"]
        expected = stack.outputs.get("ContactRecordStreamArn", "")
        configs = list(
            _pages(
                connect.list_instance_storage_configs,
                "StorageConfigs",
                InstanceId=stack.instance_id,
                ResourceType="CONTACT_TRACE_RECORDS",
            )
        )
        streams = [c.get("KinesisStreamConfig", {}).get("StreamArn", "") for c in configs]
        return Check(
            "contact record stream",
            expected in streams,
            "the stack's Kinesis stream" if expected in streams else f"{', '.join(s for s in streams if s) or 'none'}",
            f"Connect console, the instance, Data streaming: contact trace records to {expected} "
            "(metering reads only that stream)",
        )

    # ------------------------------------------------------------------ the token key
    def _token_key(self, stack: Stack) -> Check:
        name = "/" + stack.parameters.get("TokenKeyParameterName", "crisisline/token-hash-key")
        found = self.clients["ssm"].describe_parameters(
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}]
        )["Parameters"]
        kind = found[0].get("Type") if found else None
        return Check(
            "token hashing key",
            kind == "SecureString",
            f"{name} is {kind}" if kind else f"{name} does not exist",
            f'aws ssm put-parameter --name {name} --type SecureString --value "$(openssl rand -hex 32)"'
            if not kind
            else f"delete {name} and create it again as a SecureString (tokens issued so far stop working)",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--calls-per-hour", type=int, default=PEAK_CALLS_PER_HOUR)
    parser.add_argument("--handle-minutes", type=Decimal, default=HANDLE_MINUTES)
    args = parser.parse_args(argv)

    import boto3

    session = boto3.Session()
    cloudformation = session.client("cloudformation")
    stack = read_stack(cloudformation, args.stack_name)
    region = stack.region or session.region_name
    clients = {
        "cloudformation": cloudformation,
        "connect": session.client("connect", region_name=region),
        "service-quotas": session.client("service-quotas", region_name=region),
        "ssm": session.client("ssm"),
    }
    checks = Preflight(clients, session.get_available_regions("connect")).run(
        args.stack_name, args.calls_per_hour, args.handle_minutes
    )
    for check in checks:
        print("\n".join(check.lines()))
    failed = sum(not check.passed for check in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
