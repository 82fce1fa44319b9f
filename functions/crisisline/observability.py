"""One Logger and one Metrics per process. No Tracer: the X-Ray SDK costs about 0.3 s of cold start and the
API's latency is dominated by DynamoDB calls that CloudWatch already times."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
# The namespace is read once, when this module is first imported; template.yaml sets it for every function, and
# the default keeps a process that imported this module before its environment was set from failing its flush.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "crisisline")
