"""The first admin token of a deployed stack: issued once, stored hashed, accepted by the authorizer."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from infra.admin_token import issue_admin_token, stack_settings
from infra.local import template
from tests.conftest import Api


def test_the_first_admin_token_opens_the_admin_api(aws: None) -> None:
    dynamodb, ssm = boto3.client("dynamodb"), boto3.client("ssm")
    token = issue_admin_token(
        template.physical_table_name("CredentialsTable"), "/crisisline/token-hash-key", dynamodb, ssm
    )
    stored = dynamodb.scan(TableName=template.physical_table_name("CredentialsTable"))["Items"]
    assert len(stored) == 1 and token not in str(stored)
    assert Api().get("/numbers", token).status == 200


def test_the_stack_names_its_credentials_table_and_key_parameter() -> None:
    cloudformation = boto3.client("cloudformation", region_name=template.LOCAL_REGION)
    with Stubber(cloudformation) as stub:
        stub.add_response(
            "describe_stack_resource",
            {
                "StackResourceDetail": {
                    "LogicalResourceId": "CredentialsTable",
                    "PhysicalResourceId": "crisisline-CredentialsTable-ABC123",
                    "ResourceType": "AWS::DynamoDB::Table",
                    "LastUpdatedTimestamp": "2026-11-28T10:00:00Z",
                    "ResourceStatus": "CREATE_COMPLETE",
                }
            },
            {"StackName": "crisisline", "LogicalResourceId": "CredentialsTable"},
        )
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "crisisline",
                        "CreationTime": "2026-11-28T10:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Parameters": [{"ParameterKey": "TokenKeyParameterName", "ParameterValue": "ops/crisis-key"}],
                    }
                ]
            },
            {"StackName": "crisisline"},
        )
        assert stack_settings("crisisline", cloudformation) == ("crisisline-CredentialsTable-ABC123", "/ops/crisis-key")
