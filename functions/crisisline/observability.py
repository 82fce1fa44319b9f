"""One Logger and one Metrics per process. No Tracer: the X-Ray SDK costs about 0.3 s of cold start and the
API's latency is dominated by DynamoDB calls that CloudWatch already times."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
# The namespace is read once, when this module is first imported; template.yaml sets it for every function, and
# the default keeps a process that imported this module before its environment was set from failing its flush.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "crisisline")

# Every failure a function logs is also counted, so that an alarm can page the duty officer (README,
# "Observability"): the metric's name and what a non-zero value means. Each is a Count.
FAILURES = {
    "StoreUnavailable": "an API request was answered 503: DynamoDB throttled or did not answer in time",
    "IdempotencyRecordsNotCompleted": "a line opened with an Idempotency-Key, but its idempotency record was "
    "not marked done",
    "AuthorizerErrors": "a token could not be checked: the credentials table or the hashing key did not answer",
    "RoutingFallbacks": "a caller was sent to D5 with the generic message: the line could not be read in time",
    "RoutingErrors": "routing failed on something no check foresaw (the caller still reached D5)",
    "MalformedConnectEvents": "the contact flow invoked routing with an event it could not read",
    "RoutingCapacityUnchecked": "a call was counted without the hour's capacity check (the counter failed open)",
    "ContactRecordsSetAside": "a contact record was set aside for review instead of being billed",
    "ContactRecordsRetried": "a contact record was not metered and is left to Lambda's retries, then the failure queue",
    "MonthCloseFailures": "month close failed; the scheduler retries it",
    "PoolNumbersFailures": "deploying the pool of numbers failed",
    "StatusPageFailures": "an authority's public page was not published after its line changed (the change stands)",
    "FrozenExportChecksumMismatches": "a frozen export no longer matches its SHA-256 checksum (it was not served)",
}

# What went right, counted where it happens: the dashboard shows them, and an alarm pages when one that is due
# is missing (a month close that did not succeed). Each is a Count.
EVENTS = {
    "ActivationsOpened": "an authority opened a line",
    "ActivationsClosed": "a line was closed",
    "AuthFailures": "the authorizer refused a token (no token, malformed, unknown, revoked)",
    "MonthsClosed": "month close froze the month before (or found it frozen already)",
}


def count_failure(name: str) -> None:
    """Count one failure of the kind `name` (a key of FAILURES) in this invocation's metrics."""
    if name not in FAILURES:
        raise ValueError(f"unknown failure metric {name!r}")
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def count_event(name: str) -> None:
    """Count one event of the kind `name` (a key of EVENTS) in this invocation's metrics."""
    if name not in EVENTS:
        raise ValueError(f"unknown event metric {name!r}")
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def publish_failures() -> None:
    """Publish what this invocation counted (one EMF line); nothing, not even a warning, when it counted
    nothing. For functions that do not flush with `@metrics.log_metrics`, such as routing on its hot path.
    Never raises: a metric that cannot be published must not fail the call it counts."""
    if not metrics.metric_set:
        return
    try:
        metrics.flush_metrics()
    except Exception:  # the failure itself is in the log line already written
        logger.warning("failure metrics not published", exc_info=True)
