"""Issue the first admin token of a deployed stack (after `sam deploy`): every later token is issued through
the API by an admin. Run with AWS credentials allowed to write the stack's credentials table:

    python -m infra.admin_token --stack-name crisisline [--region eu-central-1]

The token is printed once, on standard output only; the table keeps its keyed hash."""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Any

from crisisline import tokens
from crisisline.clock import iso, utc_now
from crisisline.dynamo import to_item
from infra.local import template


def issue_admin_token(credentials_table: str, key_parameter: str, dynamodb: Any, ssm: Any) -> str:
    """Store a new admin credential (only its keyed hash) and return its token."""
    key = ssm.get_parameter(Name=key_parameter, WithDecryption=True)["Parameter"]["Value"].encode()
    token = tokens.new_token()
    item = {
        "token_hash": tokens.token_hash(token, key),
        "credential_id": f"admin-{uuid.uuid4().hex[:8]}",
        "role": "admin",
        "label": "first admin (infra.admin_token)",
        "created_at": iso(utc_now()),
    }
    dynamodb.put_item(
        TableName=credentials_table, Item=to_item(item), ConditionExpression="attribute_not_exists(token_hash)"
    )
    return token


def stack_settings(stack_name: str, cloudformation: Any) -> tuple[str, str]:
    """(credentials table name, hashing key parameter name) of a deployed stack."""
    table = cloudformation.describe_stack_resource(StackName=stack_name, LogicalResourceId="CredentialsTable")
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    key_name = parameters.get("TokenKeyParameterName") or template.parameter_defaults()["TokenKeyParameterName"]
    return table["StackResourceDetail"]["PhysicalResourceId"], f"/{key_name}"


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--region")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    table, key_parameter = stack_settings(args.stack_name, session.client("cloudformation"))
    token = issue_admin_token(table, key_parameter, session.client("dynamodb"), session.client("ssm"))
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
