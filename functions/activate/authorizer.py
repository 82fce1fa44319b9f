"""The API's Lambda TOKEN authorizer: `Authorization: Bearer <token>` → the caller's role and scope.

The policy it returns allows every method of the API, because API Gateway caches the answer per token for
`AuthorizerCacheSeconds` and reuses it on other paths; what each role may do is checked by the API itself."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisisline import settings, tokens
from crisisline.aws import client
from crisisline.dynamo import from_item, to_item, translated_errors
from crisisline.observability import logger, metrics

BEARER = "Bearer "

def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return _authorize(event)
    finally:
        metrics.flush_metrics(raise_on_empty_metrics=False)

def _authorize(event: dict[str, Any]) -> dict[str, Any]:
    config = settings.authorizer()
    header = str(event.get("authorizationToken") or "")
    credential = None
    if header.startswith(BEARER) and len(header) < 300:
        token = header[len(BEARER):].strip()
        digest = tokens.token_hash(token, tokens.hashing_key(config.token_key_parameter))
        credential = _credential(config.credentials_table, digest)
        if credential is not None and not tokens.same_hash(credential["token_hash"], digest):
            credential = None
    if credential is None:
        metrics.add_metric(name="AuthFailures", unit=MetricUnit.Count, value=1)
        logger.info("token refused")
        # API Gateway answers 401 for exactly this message.
        raise Exception("Unauthorized")
    context = {"role": credential["role"], "credential_id": credential["credential_id"]}
    for key in ("authority_id", "authority_name", "number_kind"):
        if credential.get(key):
            context[key] = credential[key]
    logger.info("token accepted", extra={"role": credential["role"], "credential_id": credential["credential_id"]})
    return {"principalId": credential["credential_id"],
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _whole_api(event["methodArn"])}]},
            "context": context}

def _credential(table: str, digest: str) -> dict[str, Any] | None:
    with translated_errors():
        item = client("dynamodb").get_item(TableName=table, Key=to_item({"token_hash": digest})).get("Item")
    return from_item(item) if item else None

def _whole_api(method_arn: str) -> str:
    """arn:aws:execute-api:region:account:api-id/stage/VERB/path → arn:...:api-id/stage/*"""
    arn, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0]
    return f"{arn}/{stage}/*"

