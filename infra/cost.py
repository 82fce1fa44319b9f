"""`make cost`: what the stack costs a month while no line is open (no call, no API traffic), from the prices in
`infra/standby_prices.json` (each with its source and date) and the resources counted in `template.yaml`.
Usage charges (per call, per request, per GB moved) are zero at idle and left out; every assumption is printed.
It also compares the contact record stream's modes, the largest standby item that is a choice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from infra.local import template

PRICES = Path(__file__).with_name("standby_prices.json")
TARIFFS = Path(__file__).resolve().parents[1] / "functions" / "crisisline" / "tariffs.json"
HOURS = Decimal("730")  # a month, as AWS prices it
DAYS = Decimal("30.42")


@dataclass(frozen=True)
class Item:
    what: str
    usd: Decimal
    basis: str


def prices() -> dict[str, Any]:
    return json.loads(PRICES.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def price(data: dict[str, Any], key: str) -> Decimal:
    section = data["prices"] if key in data["prices"] else data["at_rest"]
    return Decimal(section[key]["value"])


def alarm_metrics(alarm: dict[str, Any]) -> int:
    """The metrics an alarm is billed for: one for a single metric, each metric read for metric math."""
    props = alarm["Properties"]
    if "MetricName" in props:
        return 1
    read = sum(1 for query in props["Metrics"] if "MetricStat" in query)
    return read or 1  # an alarm on a Contributor Insights rule reads one


def kinesis_month(data: dict[str, Any], mode: str, retention_hours: int, shards: int = 1) -> Decimal:
    """A stream's standing charge a month at idle (no records written or read)."""
    if mode == "ON_DEMAND":
        return price(data, "kinesis_on_demand_stream_hour") * HOURS  # retention beyond 24 h is per GB held: 0
    cost = price(data, "kinesis_shard_hour") * HOURS * shards
    if retention_hours > 24:
        cost += price(data, "kinesis_extended_retention_shard_hour") * HOURS * shards
    return cost


STANDBY_POOL = 5  # Connect's default quota of phone numbers per instance: the pool a center keeps at most


def pool_size(defaults: dict[str, Any]) -> int:
    """The pool the stack keeps: the numbers listed for it plus those it claims, else a full default quota."""
    listed = [number for number in str(defaults.get("ExistingPoolNumbers") or "").split(",") if number.strip()]
    return (len(listed) + int(defaults.get("PoolClaimCount") or 0)) or STANDBY_POOL


def standby(data: dict[str, Any] | None = None, tmpl: dict[str, Any] | None = None) -> tuple[list[Item], list[str]]:
    """The month's standby items and the assumptions they rest on."""
    data = data or prices()
    tmpl = tmpl or template.load()
    defaults = template.parameter_defaults(tmpl)
    items: list[Item] = []

    pool = pool_size(defaults)
    kind = {"TOLL_FREE": "toll_free", "DID": "did"}[defaults["PoolNumberType"]]
    day_eur = Decimal(json.loads(TARIFFS.read_text(encoding="utf-8"))["number_day"][kind])
    usd_per_eur = Decimal(data["usd_per_eur"]["value"])
    items.append(
        Item(
            "Connect pool numbers",
            pool * day_eur * usd_per_eur * DAYS,
            f"{pool} {kind} numbers x EUR {day_eur}/day x {DAYS} days",
        )
    )

    for name, stream in template.resources("AWS::Kinesis::Stream", tmpl).items():
        props = stream["Properties"]
        mode = props.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
        retention = int(props.get("RetentionPeriodHours", 24))
        shards = int(props.get("ShardCount", 1))
        items.append(
            Item(
                f"Kinesis {name}",
                kinesis_month(data, mode, retention, shards),
                f"{mode.lower()}, {shards if mode != 'ON_DEMAND' else 'no'} shard(s), {retention} h retention",
            )
        )

    keys = len(template.resources("AWS::KMS::Key", tmpl))
    items.append(Item("KMS customer managed keys", keys * price(data, "kms_key_month"), f"{keys} key(s)"))

    alarms = template.resources("AWS::CloudWatch::Alarm", tmpl)
    metrics = sum(alarm_metrics(alarm) for alarm in alarms.values())
    items.append(
        Item(
            "CloudWatch alarms",
            metrics * price(data, "alarm_metric_month"),
            f"{len(alarms)} alarms on {metrics} metrics",
        )
    )
    dashboards = len(template.resources("AWS::CloudWatch::Dashboard", tmpl))
    items.append(
        Item("CloudWatch dashboard", dashboards * price(data, "dashboard_month"), f"{dashboards} dashboard(s)")
    )
    rules = len(template.resources("AWS::CloudWatch::InsightRule", tmpl))
    items.append(
        Item("Contributor Insights rules", rules * price(data, "contributor_insights_rule_month"), f"{rules} rule(s)")
    )

    acls = template.resources("AWS::WAFv2::WebACL", tmpl)
    waf_rules = sum(len(acl["Properties"].get("Rules", [])) for acl in acls.values())
    items.append(
        Item(
            "WAF web ACL",
            len(acls) * price(data, "waf_web_acl_month") + waf_rules * price(data, "waf_rule_month"),
            f"{len(acls)} web ACL(s), {waf_rules} rule(s)",
        )
    )

    groups = len(template.resources("AWS::Logs::LogGroup", tmpl))
    items.append(
        Item(
            "log storage",
            price(data, "log_gb") * price(data, "log_storage_gb_month"),
            f"{groups} log groups, {price(data, 'log_gb')} GB kept",
        )
    )
    tables = len(template.resources("AWS::DynamoDB::Table", tmpl))
    items.append(
        Item(
            "DynamoDB on-demand at rest",
            price(data, "dynamodb_gb") * price(data, "dynamodb_storage_gb_month"),
            f"{tables} tables, {price(data, 'dynamodb_gb')} GB stored, no request",
        )
    )
    buckets = len(template.resources("AWS::S3::Bucket", tmpl))
    items.append(
        Item(
            "S3",
            price(data, "s3_gb") * price(data, "s3_standard_gb_month"),
            f"{buckets} buckets, {price(data, 's3_gb')} GB stored",
        )
    )

    assumptions = [
        f"prices: {data['region']}, {data['currency']}, written down {data['checked']} ({PRICES.name}); {data['note']}",
        f"USD per EUR {usd_per_eur}: {data['usd_per_eur']['source']}",
        "idle: no call, no API request, no contact record; Lambda, API Gateway, CloudFront, SQS, SNS and the "
        "functions' custom metrics cost nothing without traffic",
        f"a pool of {pool} numbers: the template's ExistingPoolNumbers and PoolClaimCount, else Connect's default "
        f"quota of {STANDBY_POOL} numbers per instance; PoolNumberType {defaults['PoolNumberType']}",
        *(f"{key.replace('_', ' ')}: {value['source']}" for key, value in data["at_rest"].items()),
        "free tiers (DynamoDB's 25 GB, CloudWatch's first 10 alarms and 3 dashboards) are left out: the account "
        "may spend them elsewhere",
    ]
    return items, assumptions


def usd(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def report() -> list[str]:
    data = prices()
    items, assumptions = standby(data)
    width = max(len(item.what) for item in items)
    lines = [f"{item.what:<{width}}  {usd(item.usd):>8}  {item.basis}" for item in items]
    total = sum((item.usd for item in items), Decimal(0))
    lines.append(f"{'standby a month':<{width}}  {usd(total):>8}")
    lines.append("contact record stream at idle, a month:")
    for label, mode, hours in (
        ("on-demand, 168 h retention", "ON_DEMAND", 168),
        ("provisioned 1 shard, 168 h retention", "PROVISIONED", 168),
        ("provisioned 1 shard, 24 h retention", "PROVISIONED", 24),
    ):
        lines.append(f"  {label:<38} {usd(kinesis_month(data, mode, hours)):>8}")
    lines.append("assumptions:")
    lines.extend(f"  - {line}" for line in assumptions)
    return lines


def main() -> int:
    print("\n".join(report()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
