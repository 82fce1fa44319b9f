"""The API's Lambda TOKEN authorizer: `Authorization: Bearer <token>` → the caller's role and scope.

The policy it returns allows every method of the API, because API Gateway caches the answer per token for
`AuthorizerCacheSeconds` and reuses it on other paths; what each role may do is checked by the API itself."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from crisisline import settings, tokens
from crisisline.aws import client
from crisisline.observability import count_event, count_failure, logger, metrics
from crisisline.stores.authorities import AuthorityStore

settings.authorizer()  # fail the cold start, not the first token, when the environment is incomplete


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        config = settings.authorizer()
        return authorize(event, AuthorityStore(client("dynamodb"), credentials_table=config.credentials_table))
    finally:
        metrics.flush_metrics(raise_on_empty_metrics=False)


def authorize(event: dict[str, Any], credentials: AuthorityStore) -> dict[str, Any]:
    """The policy and context of the event's token, resolved through `credentials`; `Unauthorized` (API Gateway's
    401) when it resolves to none."""
    token = tokens.bearer_token(event.get("authorizationToken"))
    try:
        key_parameter = settings.authorizer().token_key_parameter
        credential = tokens.credential(token, key_parameter, credentials.credential) if token else None
    except Exception as error:
        # Neither allowed nor refused: API Gateway answers 503 (AUTHORIZER_FAILURE) with Retry-After.
        logger.warning("token not checked", extra={"problem": type(error).__name__})
        count_failure("AuthorizerErrors")
        raise
    if credential is None:
        count_event("AuthFailures")
        logger.info("token refused")
        # API Gateway answers 401 for exactly this message.
        raise Exception("Unauthorized")
    context = {"role": credential["role"], "credential_id": credential["credential_id"]}
    for key in ("authority_id", "authority_name", "number_kind", "label", "activator_id"):
        if credential.get(key):
            context[key] = credential[key]
    logger.info("token accepted", extra={"role": credential["role"], "credential_id": credential["credential_id"]})
    return {
        "principalId": credential["credential_id"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _whole_api(event["methodArn"])}
            ],
        },
        "context": context,
    }


def _whole_api(method_arn: str) -> str:
    """arn:aws:execute-api:region:account:api-id/stage/VERB/path → arn:...:api-id/stage/*"""
    arn, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0]
    return f"{arn}/{stage}/*"
