"""Reads template.yaml, the one source of the tables, functions, API routes and environment, so the local
stack and the tests build exactly what `sam deploy` would."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
FUNCTIONS_DIR = ROOT / "functions"
LOCAL_ACCOUNT = "123456789012"
LOCAL_REGION = "eu-central-1"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags (!Ref, !Sub, !GetAtt …) as their long form."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml as plain data (intrinsics in their long form)."""
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def resources(kind: str, template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    template = template or load()
    return {name: body for name, body in template["Resources"].items() if body["Type"] == kind}


def physical_table_name(logical_id: str) -> str:
    return f"crisisline-{logical_id}"


def physical_bucket_name(logical_id: str) -> str:
    """S3 bucket names are lower case."""
    return f"crisisline-{logical_id.lower()}"


def topic_arn(logical_id: str) -> str:
    """An SNS topic's ARN on the local stack's backend (`!Ref` of a topic is its ARN)."""
    return f"arn:aws:sns:{LOCAL_REGION}:{LOCAL_ACCOUNT}:crisisline-{logical_id}"


def create_topics(sns: Any, template: dict[str, Any] | None = None) -> None:
    """Every AWS::SNS::Topic of the template, named for the local stack (no subscriptions)."""
    for logical_id in resources("AWS::SNS::Topic", template):
        sns.create_topic(Name=f"crisisline-{logical_id}")


def parameter_defaults(template: dict[str, Any] | None = None) -> dict[str, str]:
    template = template or load()
    return {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}


def refs(template: dict[str, Any] | None = None) -> dict[str, str]:
    """What `!Ref X` resolves to locally: parameters' defaults, tables' and buckets' local names."""
    template = template or load()
    names = {name: physical_table_name(name) for name in resources("AWS::DynamoDB::Table", template)}
    names.update({name: physical_bucket_name(name) for name in resources("AWS::S3::Bucket", template)})
    names.update({name: topic_arn(name) for name in resources("AWS::SNS::Topic", template)})
    return {**parameter_defaults(template), **names, "AWS::Region": LOCAL_REGION, "AWS::AccountId": LOCAL_ACCOUNT}


def resolve(value: Any, known: dict[str, str]) -> Any:
    """Resolve the intrinsics the template uses in environment variables: Ref and Sub."""
    if isinstance(value, dict) and "Ref" in value:
        return known[value["Ref"]]
    if isinstance(value, dict) and "Fn::Sub" in value:
        return re.sub(r"\$\{([^}]+)\}", lambda m: known[m.group(1)], value["Fn::Sub"])
    return value


def create_table_requests(template: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """CreateTable requests for every AWS::DynamoDB::Table of the template, named for the local stack."""
    requests = []
    for logical_id, table in resources("AWS::DynamoDB::Table", template).items():
        props = table["Properties"]
        request: dict[str, Any] = {
            "TableName": physical_table_name(logical_id),
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        requests.append(request)
    return requests


def create_tables(dynamodb: Any, template: dict[str, Any] | None = None) -> None:
    existing = set(dynamodb.list_tables().get("TableNames", []))
    for request in create_table_requests(template):
        if request["TableName"] not in existing:
            dynamodb.create_table(**request)


def create_buckets(s3: Any, template: dict[str, Any] | None = None) -> None:
    """Every AWS::S3::Bucket of the template, named for the local stack, with its Object Lock (moto: no KMS
    key, no policy)."""
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for logical_id, body in resources("AWS::S3::Bucket", template).items():
        name = physical_bucket_name(logical_id)
        if name in existing:
            continue
        props = body.get("Properties", {})
        locked = props.get("ObjectLockEnabled") is True
        s3.create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": LOCAL_REGION},
            ObjectLockEnabledForBucket=locked,
        )
        if locked and "ObjectLockConfiguration" in props:
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=props["ObjectLockConfiguration"])


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str
    environment: dict[str, str] = field(default_factory=dict)


def functions(template: dict[str, Any] | None = None) -> dict[str, Function]:
    """Every AWS::Serverless::Function with its handler and resolved environment (Globals first)."""
    template = template or load()
    known = refs(template)
    global_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    found = {}
    for logical_id, body in resources("AWS::Serverless::Function", template).items():
        props = body["Properties"]
        env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
        found[logical_id] = Function(
            logical_id, props["Handler"], {key: str(resolve(value, known)) for key, value in env.items()}
        )
    return found


def environment(template: dict[str, Any] | None = None) -> dict[str, str]:
    """Every function's variables together (each its own POWERTOOLS_SERVICE_NAME aside), resolved for the local
    stack, which runs them all in one process. A variable two functions are given has the same value in both."""
    merged: dict[str, str] = {}
    for spec in functions(template).values():
        merged.update({key: value for key, value in spec.environment.items() if key != "POWERTOOLS_SERVICE_NAME"})
    return merged


def function_environment(*logical_ids: str, template: dict[str, Any] | None = None) -> dict[str, str]:
    """The environment of the named functions (every function when none is named) as one process that runs
    them all sees it: Globals, then each one's own variables (they do not conflict), without the service name
    that each function's loggers set for themselves."""
    specs = functions(template)
    merged = environment(template)
    for logical_id in logical_ids or tuple(specs):
        merged.update(specs[logical_id].environment)
    merged.pop("POWERTOOLS_SERVICE_NAME", None)
    return merged


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str  # with {param} placeholders, as API Gateway's `resource`
    function: str
    authorized: bool

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        pattern = "^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


def api_routes(template: dict[str, Any] | None = None) -> list[ApiRoute]:
    routes = []
    for logical_id, body in resources("AWS::Serverless::Function", template).items():
        for event in body["Properties"].get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            props = event["Properties"]
            authorized = props.get("Auth", {}).get("Authorizer") != "NONE"
            routes.append(ApiRoute(props["Method"].upper(), props["Path"], logical_id, authorized))
    return routes


def authorizer(template: dict[str, Any] | None = None) -> tuple[str, str, int]:
    """(function logical id, identity validation regex, cache seconds) of the API's token authorizer."""
    template = template or load()
    api = next(iter(resources("AWS::Serverless::Api", template).values()))["Properties"]
    auth = api["Auth"]
    spec = auth["Authorizers"][auth["DefaultAuthorizer"]]
    function = spec["FunctionArn"]["Fn::GetAtt"][0]
    identity = spec["Identity"]
    ttl = resolve(identity.get("ReauthorizeEvery", 300), parameter_defaults(template))
    return function, identity.get("ValidationExpression", ".*"), int(ttl)
