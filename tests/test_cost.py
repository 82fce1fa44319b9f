"""`make cost`: the stack's monthly cost with no line open, from prices that name their source and date and from
the resources the template really has; the contact record stream is the cheaper mode that carries the peak."""

from __future__ import annotations

from decimal import Decimal

from infra import cost
from infra.local import template


def test_every_price_and_assumption_names_its_source_and_the_date_is_given() -> None:
    data = cost.prices()
    assert data["checked"] and data["region"] and data["currency"] == "USD"
    for section in ("prices", "at_rest"):
        for key, entry in data[section].items():
            assert Decimal(entry["value"]) >= 0 and entry["source"].strip(), key
            assert section == "at_rest" or entry["source"].startswith("https://aws.amazon.com/"), key


def test_the_standby_cost_counts_the_templates_resources() -> None:
    items, assumptions = cost.standby()
    by_name = {item.what: item for item in items}
    alarms = template.resources("AWS::CloudWatch::Alarm")
    assert by_name["CloudWatch alarms"].basis.startswith(f"{len(alarms)} alarms on ")
    assert f"{len(template.resources('AWS::DynamoDB::Table'))} tables" in by_name["DynamoDB on-demand at rest"].basis
    assert by_name["KMS customer managed keys"].usd == len(template.resources("AWS::KMS::Key")) * Decimal("1.00")
    pool = cost.pool_size(template.parameter_defaults())
    assert pool == cost.STANDBY_POOL  # the template lists no number of its own: a full default quota is assumed
    assert by_name["Connect pool numbers"].basis.startswith(f"{pool} toll_free numbers")
    assert any("idle" in line for line in assumptions)


def test_a_metric_math_alarm_is_billed_per_metric_it_reads() -> None:
    alarms = template.resources("AWS::CloudWatch::Alarm")
    assert cost.alarm_metrics(alarms["RoutingFallbackAlarm"]) == 1
    assert cost.alarm_metrics(alarms["RoutingFailureAlarm"]) == 2  # errors and throttles
    assert cost.alarm_metrics(alarms["RefusedTokensFromOneSourceAlarm"]) == 1


def test_the_contact_record_stream_is_one_provisioned_shard_kept_a_day_the_cheapest_at_idle() -> None:
    (stream,) = template.resources("AWS::Kinesis::Stream").values()
    props = stream["Properties"]
    assert props["StreamModeDetails"] == {"StreamMode": "PROVISIONED"} and props["ShardCount"] == 1
    assert props["RetentionPeriodHours"] == 24
    data = cost.prices()
    assert cost.kinesis_month(data, "PROVISIONED", 24) < cost.kinesis_month(data, "PROVISIONED", 168)
    assert cost.kinesis_month(data, "PROVISIONED", 24) < cost.kinesis_month(data, "ON_DEMAND", 168)
    # Metering gives up on a record no older than the stream keeps it.
    meter = template.load()["Resources"]["MeterFunction"]["Properties"]["Events"]["ContactRecords"]["Properties"]
    assert meter["MaximumRecordAgeInSeconds"] <= props["RetentionPeriodHours"] * 3600


def test_one_shard_carries_seventy_times_the_2015_peak_hour() -> None:
    calls, records_per_call, bytes_per_record = 3_295, 3, 5_000  # a contact's record versions, a few KB each
    per_second = 70 * calls * records_per_call / 3600
    assert per_second < 1_000 and per_second * bytes_per_record < 1_000_000  # a shard's write limits


def test_the_report_prints_the_total_the_stream_comparison_and_the_assumptions() -> None:
    printed = "\n".join(cost.report())
    assert "standby a month" in printed and "provisioned 1 shard, 24 h retention" in printed
    assert "assumptions:" in printed and "written down" in printed
