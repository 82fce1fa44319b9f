"""One Logger and one Metrics per process. No Tracer: the X-Ray SDK costs about 0.3 s of cold start and the
API's latency is dominated by DynamoDB calls that CloudWatch already times."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
