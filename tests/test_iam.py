"""Least privilege: each function's role grants exactly the DynamoDB, S3, SSM, KMS and Kinesis actions, on
exactly the resources, that its code uses.

What is used is recorded, not listed by hand: every botocore call is noted with the function making it
(`BaseClient._make_api_call`, and presigned URLs, which the function's role signs) while each function's
handlers run through representative paths: every route of the template's API (a route without a request here
fails the check), routing's three questions, a metering batch with every kind of record, month close. A call
becomes the IAM actions it needs: a transaction's items each their own (Put → dynamodb:PutItem, …), a query of an
index the index's ARN, an S3 upload to a bucket encrypted with a KMS key also kms:GenerateDataKey on that key, a
download kms:Decrypt. What Lambda itself does with the role is read from the template: a Kinesis trigger reads
its stream. What is granted is the template after the SAM transform (SAM's policy templates expanded), every
intrinsic resolved to the names the local stack uses.

Granted but unused and used but not granted must both be 0 (reliability part 7 records them)."""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.client
import botocore.signers
import pytest
from moto import mock_aws

from infra.local import seed, template
from infra.local.stack import Functions, LambdaContext, forget_cached_state
from tests.billing_support import put_activation, put_usage
from tests.conftest import TOKEN_KEY, Answer, Api, activation_body, authority_body, sam_transformed
from tests.reliability import figures
from tests.route_support import connect_event

SERVICES = ("dynamodb", "s3", "ssm", "kms", "kinesis")
PARTITION, REGION, ACCOUNT = "aws", template.LOCAL_REGION, template.LOCAL_ACCOUNT
# AWS managed policies a role may carry, with what they grant in the services checked here. Logs and X-Ray
# (which has no resource-level permissions) are outside this check; any other managed policy fails it.
MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole": [
        (action, "*")
        for action in (
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:ListStreams",
            "kinesis:SubscribeToShard",
        )
    ],
}
# What Lambda's poller does with the function's role for a Kinesis trigger (no enhanced fan-out consumer).
KINESIS_TRIGGER = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
)
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_running = threading.local()


# ---------------------------------------------------------------------- names: intrinsics and calls as ARNs
def _deployed() -> dict[str, Any]:
    return sam_transformed()["Resources"]  # type: ignore[no-any-return]


def _known_refs() -> dict[str, str]:
    return {
        **template.refs(),
        "AWS::Partition": PARTITION,
        "ConnectInstanceArn": f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/00000000-0000-4000-8000-000000000000",
    }


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def _attribute(resources: dict[str, Any], logical_id: str, attribute: str) -> str:
    kind = resources[logical_id]["Type"]
    if kind == "AWS::DynamoDB::Table":
        return table_arn(template.physical_table_name(logical_id))
    if kind == "AWS::S3::Bucket":
        return f"arn:aws:s3:::{template.physical_bucket_name(logical_id)}"
    if kind == "AWS::KMS::Key":
        return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{logical_id}"
    if kind == "AWS::Kinesis::Stream":
        return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{logical_id}"
    if kind == "AWS::SQS::Queue":
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}"
    if kind == "AWS::Connect::ContactFlow":
        return f"{_known_refs()['ConnectInstanceArn']}/contact-flow/{logical_id}"
    return f"arn:aws:{kind.split('::')[1].lower()}:{REGION}:{ACCOUNT}:{logical_id}.{attribute}"


def resolve(value: Any, resources: dict[str, Any], local: dict[str, str] | None = None) -> str:
    """An IAM Resource value as the ARN it names locally (wildcards kept)."""
    known = {**_known_refs(), **(local or {})}
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return known[value["Ref"]]
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return _attribute(resources, logical_id, attribute)
    if "Fn::Sub" in value:
        text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
        local_vars = {name: resolve(inner, resources) for name, inner in variables.items()}

        def substitute(found: re.Match[str]) -> str:
            name = found.group(1)
            if name in local_vars:
                return local_vars[name]
            if "." in name and not name.startswith("AWS::"):
                return _attribute(resources, *name.split(".", 1))
            return known[name]

        return re.sub(r"\$\{([^}]+)\}", substitute, text)
    raise AssertionError(f"cannot resolve {value!r}")


def short(arn: str) -> str:
    """An ARN as a reader of the template names it: NumbersTable, ActivationsTable/index/by-number, …"""
    for logical_id in template.resources("AWS::DynamoDB::Table"):
        arn = arn.replace(table_arn(template.physical_table_name(logical_id)), logical_id)
    for logical_id in template.resources("AWS::S3::Bucket"):
        arn = arn.replace(f"arn:aws:s3:::{template.physical_bucket_name(logical_id)}", logical_id)
    return re.sub(r"^arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:", "", arn)


# ---------------------------------------------------------------------- what each role grants
@dataclass(frozen=True)
class Grant:
    function: str
    action: str
    resource: str  # an ARN pattern

    def covers(self, use: Use) -> bool:
        return (
            use.function == self.function
            and fnmatch.fnmatchcase(use.action.lower(), self.action.lower())
            and fnmatch.fnmatchcase(use.resource, self.resource)
        )

    def __str__(self) -> str:
        return f"{self.function}: {self.action} on {short(self.resource)}"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(resources: dict[str, Any] | None = None) -> tuple[list[Grant], list[str]]:
    """Every Allow of every function's role in the checked services, and the managed policies not known here."""
    resources = resources or _deployed()
    found: list[Grant] = []
    unknown: list[str] = []
    for function, body in resources.items():
        if body["Type"] != "AWS::Lambda::Function":
            continue
        role_id = body["Properties"]["Role"]["Fn::GetAtt"][0]
        role = resources[role_id]["Properties"]
        for arn in role.get("ManagedPolicyArns", []):
            arn = resolve(arn, resources)
            if arn not in MANAGED:
                unknown.append(f"{function}: managed policy {arn}")
            found += [Grant(function, action, resource) for action, resource in MANAGED.get(arn, [])]
        documents = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
        documents += [
            policy["Properties"]["PolicyDocument"]
            for policy in resources.values()
            if policy["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
            and {"Ref": role_id} in policy["Properties"].get("Roles", [])
        ]
        for document in documents:
            for statement in _listed(document["Statement"]):
                if statement.get("Effect") != "Allow":
                    continue
                for action in _listed(statement["Action"]):
                    if action.split(":")[0] in SERVICES:
                        found += [
                            Grant(function, action, resolve(resource, resources))
                            for resource in _listed(statement["Resource"])
                        ]
    return found, unknown


# ---------------------------------------------------------------------- what each function uses
@dataclass(frozen=True)
class Use:
    function: str
    action: str
    resource: str  # an ARN

    def __str__(self) -> str:
        return f"{self.function}: {self.action} on {short(self.resource)}"


@dataclass
class Recorder:
    """Notes every AWS call made while a function of the template runs (calls of the test itself are not)."""

    uses: dict[Use, str] = field(default_factory=dict)  # → the path that first made it
    calls: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)  # function, service, op, params
    path: str = ""

    def note(self, service: str, operation: str, params: dict[str, Any]) -> None:
        function = getattr(_running, "name", None)
        if function is None:
            return
        self.calls.append((function, service, operation, params))
        for action, resource in needs(service, operation, params):
            self.uses.setdefault(Use(function, action, resource), self.path)


def _bucket_keys() -> dict[str, str]:
    """Bucket name → ARN of the KMS key it encrypts with by default."""
    resources = template.load()["Resources"]
    found = {}
    for logical_id, body in template.resources("AWS::S3::Bucket").items():
        for rule in body["Properties"].get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", []):
            key = rule["ServerSideEncryptionByDefault"].get("KMSMasterKeyID")
            if key is not None:
                found[template.physical_bucket_name(logical_id)] = resolve(key, resources)
    return found


def needs(service: str, operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The IAM actions and resources one call needs."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                yield f"dynamodb:{TRANSACT_ACTIONS[kind]}", table_arn(body["TableName"])
        elif operation in ("BatchGetItem", "BatchWriteItem"):
            for name in params["RequestItems"]:
                yield f"dynamodb:{operation}", table_arn(name)
        else:
            index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
            yield f"dynamodb:{operation}", table_arn(params["TableName"]) + index
    elif service == "s3":
        bucket, key = params.get("Bucket", ""), params.get("Key")
        yield f"s3:{operation}", f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
        bucket_key = _bucket_keys().get(bucket)
        if bucket_key and operation == "PutObject":
            yield "kms:GenerateDataKey", bucket_key
        if bucket_key and operation == "GetObject":
            yield "kms:Decrypt", bucket_key
    elif service == "ssm":
        for name in [params["Name"]] if "Name" in params else params.get("Names", []):
            yield f"ssm:{operation}", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}"
    elif service == "kms" and "KeyId" in params:
        yield f"kms:{operation}", _kms_key(params["KeyId"])
    elif service in SERVICES:
        yield f"{service}:{operation}", "*"


def _kms_key(key_id: str) -> str:
    """The ARN of the template's key that a KeyId names through one of the template's aliases."""
    resources = _deployed()
    for body in resources.values():
        if body["Type"] == "AWS::KMS::Alias" and resolve(body["Properties"]["AliasName"], resources) == key_id:
            return _attribute(resources, body["Properties"]["TargetKeyId"]["Ref"], "Arn")
    return "*"


def trigger_uses(resources: dict[str, Any]) -> list[Use]:
    """What Lambda does with a function's role for its triggers: a Kinesis trigger reads its stream."""
    found = []
    for body in resources.values():
        props = body["Properties"] if body["Type"] == "AWS::Lambda::EventSourceMapping" else None
        if props is None or resources[props["EventSourceArn"]["Fn::GetAtt"][0]]["Type"] != "AWS::Kinesis::Stream":
            continue
        function = props["FunctionName"]["Ref"]
        found += [Use(function, action, resolve(props["EventSourceArn"], resources)) for action in KINESIS_TRIGGER]
    return found


@pytest.fixture(scope="module")
def recorded() -> Iterator[Recorder]:
    """Drive every function through its paths once, recording its calls."""
    recorder = Recorder()
    original_call = botocore.client.BaseClient._make_api_call
    original_presign = botocore.signers.generate_presigned_url

    def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        recorder.note(client.meta.service_model.endpoint_prefix, operation, params)
        return original_call(client, operation, params)

    def presign(
        client: Any,
        ClientMethod: str,  # noqa: N803 - boto3's names
        Params: dict[str, Any] | None = None,  # noqa: N803 - boto3's
        **kwargs: Any,
    ) -> Any:
        operation = client.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
        recorder.note(client.meta.service_model.endpoint_prefix, operation, Params or {})
        return original_presign(client, ClientMethod, Params=Params, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_METRICS_DISABLED": "true",
            # as conftest's `environment`, which runs per test, after this, and every function's
            # own variables too (tariffs, bucket, …)
            **template.function_environment(),
        }.items():
            patch.setenv(key, value)
        patch.setattr(botocore.client.BaseClient, "_make_api_call", call)
        patch.setattr(botocore.signers, "generate_presigned_url", presign)
        with mock_aws():
            seed.provision(TOKEN_KEY)
            forget_cached_state()
            _drive_everything(recorder)
            forget_cached_state()
    yield recorder


class As:
    def __init__(self, function: str) -> None:
        self.function = function

    def __enter__(self) -> None:
        _running.name = self.function

    def __exit__(self, *_: object) -> None:
        _running.name = None


class RecordedFunctions(Functions):
    def invoke(self, logical_id: str, event: Any) -> Any:
        from crisisline import tokens

        tokens.forget_key()  # each function reads the hashing key itself, in its own execution environment
        with As(logical_id):
            return super().invoke(logical_id, event)


# ---------------------------------------------------------------------- the paths
@dataclass
class World:
    api: Api
    admin: str
    finance: str
    gent: str
    antwerp: str
    line: str  # Antwerp's live activation
    d2: str = ""  # a D2 coordinator's token
    activator_token: str = ""  # Gent's activator's own token


ENQUIRY = {
    "sought": {"given_names": "Marie", "family_name": "Peeters"},
    "enquirer": {
        "name": "Jan Peeters",
        "phone": "+32470998877",
        "relationship": "brother",
        "language": "nl",
        "callback_consent": True,
    },
    "contact_id": "c0ffee-1",
}
ACTIVATOR = {"name": "Mathias De Clercq", "function": "burgemeester", "phone": "+32475123456", "language": "nl"}
BRIEFING = {"nl": [{"question": "Mag ik naar buiten?", "answer": "Nee, blijf binnen."}]}
TARIFF = {
    "effective_from": "2999-01-01",
    "operator_hour": "50.00",
    "number_day": {"did": "0.10", "toll_free": "0.45"},
    "telephony_minute": {"did": "0.01", "toll_free": "0.04"},
    "service_minute": "0.018",
    "personnel_minimum_hours": "4",
    "calls_per_operator_hour": 12,
}

# Each route of the template's API (method, path as the template names it) with the requests that drive its
# function through its paths. A route added to the template needs its requests here.
REQUESTS: dict[tuple[str, str], list[Callable[[World], Answer]]] = {
    ("GET", "/health"): [lambda w: w.api.get("/health")],
    ("GET", "/docs"): [lambda w: w.api.get("/docs")],
    ("GET", "/me"): [lambda w: w.api.get("/me", token=w.gent)],
    ("GET", "/incident-templates"): [lambda w: w.api.get("/incident-templates", token=w.gent)],
    ("POST", "/preview"): [
        lambda w: w.api.post("/preview", w.gent, {"languages": ["nl"], "message": {"nl": "Blijf binnen."}})
    ],
    ("GET", "/staffing"): [
        lambda w: w.api.get(
            "/staffing?calls_per_hour=3295&handle_seconds=240&answer_within_seconds=60&service_level=0.8", w.gent
        )
    ],
    ("POST", "/authorities"): [
        lambda w: w.api.post("/authorities", w.admin, authority_body("21004", "Brussel")),
        lambda w: w.api.post("/authorities", w.admin, authority_body("21004", "Brussel")),
    ],
    ("GET", "/authorities"): [lambda w: w.api.get("/authorities", w.admin)],
    ("GET", "/authorities/{authority_id}"): [lambda w: w.api.get("/authorities/44021", w.gent)],
    ("POST", "/authorities/{authority_id}/token"): [lambda w: w.api.post("/authorities/57081/token", w.admin)],
    ("POST", "/authorities/{authority_id}/revoke"): [lambda w: w.api.post("/authorities/57081/revoke", w.admin)],
    ("POST", "/credentials"): [lambda w: w.api.post("/credentials", w.admin, {"role": "finance", "label": "Audit"})],
    ("GET", "/credentials"): [lambda w: w.api.get("/credentials", w.admin)],
    ("POST", "/credentials/{credential_id}/revoke"): [
        lambda w: w.api.post(f"/credentials/{_issued(w)}/revoke", w.admin),
        lambda w: w.api.post(f"/credentials/{_admin_id(w)}/revoke", w.admin),
    ],  # the last admin: refused
    ("PUT", "/authorities/{authority_id}/default-message"): [
        lambda w: w.api.call("PUT", "/authorities/44021/default-message", w.gent, {"message": {"nl": "Blijf binnen."}}),
        lambda w: w.api.call("PUT", "/authorities/44021/default-message", w.admin, {"message": {"en": "Stay inside."}}),
    ],  # set, then changed
    ("GET", "/authorities/{authority_id}/default-message"): [
        lambda w: w.api.get("/authorities/44021/default-message", w.gent)
    ],
    ("POST", "/authorities/{authority_id}/activators"): [
        lambda w: w.api.post("/authorities/44021/activators", w.admin, ACTIVATOR),
        lambda w: w.api.post("/authorities/99999/activators", w.admin, ACTIVATOR),  # no such authority
    ],
    ("GET", "/authorities/{authority_id}/activators"): [lambda w: w.api.get("/authorities/44021/activators", w.admin)],
    ("PATCH", "/authorities/{authority_id}/activators/{activator_id}"): [
        lambda w: w.api.patch(f"/authorities/44021/activators/{_activator(w)}", w.admin, {"function": "schepen"})
    ],
    ("POST", "/authorities/{authority_id}/activators/{activator_id}/token"): [
        lambda w: w.api.post(f"/authorities/44021/activators/{_activator(w)}/token", w.admin),
        lambda w: w.api.post(f"/authorities/44021/activators/{_activator(w)}/token", w.admin),  # replaces it
    ],
    ("PUT", "/authorities/{authority_id}/activators/{activator_id}/pin"): [
        lambda w: w.api.call("PUT", f"/authorities/44021/activators/{_activator(w)}/pin", w.admin, {"pin": "482915"})
    ],
    ("PUT", "/me/pin"): [
        lambda w: w.api.call("PUT", "/me/pin", _activator_token(w), {"current_pin": "482915", "new_pin": "736251"}),
        # wrong, wrong, wrong: locked
        *[
            lambda w: w.api.call("PUT", "/me/pin", w.activator_token, {"current_pin": "111000", "new_pin": "736252"})
            for _ in range(4)
        ],
    ],
    ("DELETE", "/authorities/{authority_id}/activators/{activator_id}"): [
        lambda w: w.api.call("DELETE", f"/authorities/44021/activators/{_activator(w)}", w.admin)
    ],
    ("POST", "/numbers"): [
        lambda w: w.api.post("/numbers", w.admin, {"number": "+3225550199", "kind": "did"}),
        lambda w: w.api.post("/numbers", w.admin, {"number": "+3225550199", "kind": "did"}),
    ],
    ("GET", "/numbers"): [lambda w: w.api.get("/numbers", w.admin)],
    ("PATCH", "/numbers/{number}"): [lambda w: w.api.patch("/numbers/+442071234567", w.admin, {"kind": "toll_free"})],
    ("DELETE", "/numbers/{number}"): [lambda w: w.api.call("DELETE", "/numbers/+442071234567", w.admin)],
    ("POST", "/activations"): [
        lambda w: w.api.post("/activations", w.gent, activation_body(), headers={"Idempotency-Key": "gent-1"}),
        lambda w: w.api.post("/activations", w.gent, activation_body(), headers={"Idempotency-Key": "gent-1"}),
        lambda w: w.api.post("/activations", w.gent, activation_body()),  # already live
        lambda w: w.api.post("/activations", w.gent, activation_body(), headers={"Idempotency-Key": "gent-2"}),
    ],
    ("GET", "/activations"): [
        lambda w: w.api.get("/activations", w.antwerp),
        lambda w: w.api.get("/activations", w.admin),
    ],
    ("GET", "/activations/{activation_id}"): [lambda w: w.api.get(f"/activations/{w.line}", w.antwerp)],
    ("PATCH", "/activations/{activation_id}"): [
        lambda w: w.api.patch(f"/activations/{w.line}", w.antwerp, {"operators": 9})
    ],
    ("GET", "/activations/{activation_id}/audit"): [lambda w: w.api.get(f"/activations/{w.line}/audit", w.antwerp)],
    ("PUT", "/activations/{activation_id}/briefing"): [
        lambda w: w.api.call("PUT", f"/activations/{w.line}/briefing", w.antwerp, {"items": BRIEFING}),
        lambda w: w.api.call(
            "PUT", f"/activations/{w.line}/briefing", w.antwerp, {"items": BRIEFING}, headers={"If-Match": '"1"'}
        ),
    ],
    ("GET", "/activations/{activation_id}/briefing"): [
        lambda w: w.api.get(f"/activations/{w.line}/briefing", w.antwerp)
    ],
    ("GET", "/activations/{activation_id}/figures"): [lambda w: w.api.get(f"/activations/{w.line}/figures", w.antwerp)],
    ("GET", "/activations/{activation_id}/advice"): [lambda w: w.api.get(f"/activations/{w.line}/advice", w.antwerp)],
    ("POST", "/activations/{activation_id}/enquiries"): [
        lambda w: w.api.post(f"/activations/{w.line}/enquiries", w.d2, ENQUIRY),
        lambda w: w.api.post(f"/activations/{w.line}/enquiries", w.d2, ENQUIRY),  # a retry: replayed
    ],
    ("GET", "/activations/{activation_id}/enquiries"): [lambda w: w.api.get(f"/activations/{w.line}/enquiries", w.d2)],
    ("GET", "/activations/{activation_id}/enquiries/similar"): [
        lambda w: w.api.get(f"/activations/{w.line}/enquiries/similar?given_names=Marie&family_name=Peeters", w.d2)
    ],
    ("GET", "/activations/{activation_id}/enquiries/{reference}"): [
        lambda w: w.api.get(f"/activations/{w.line}/enquiries/{_reference(w)}", w.d2)
    ],
    ("GET", "/activations/{activation_id}/d2/audit/verify"): [
        lambda w: w.api.get(f"/activations/{w.line}/d2/audit/verify", w.d2)
    ],
    ("GET", "/activations/{activation_id}/report"): [
        lambda w: w.api.get(f"/activations/{w.line}/report", w.antwerp),
        lambda w: w.api.get(f"/activations/{w.line}/report?format=html", w.antwerp),
    ],
    ("GET", "/activations/{activation_id}/d2/figures"): [
        lambda w: w.api.get(f"/activations/{w.line}/d2/figures", w.d2)
    ],
    ("GET", "/activations/{activation_id}/d2/export"): [
        lambda w: w.api.get(f"/activations/{w.line}/d2/export?format=pfif", w.d2),
        lambda w: w.api.get(f"/activations/{w.line}/d2/export?format=csv", w.d2),
    ],
    ("GET", "/activations/{activation_id}/d2/retention"): [
        lambda w: w.api.get(f"/activations/{w.line}/d2/retention", w.d2)
    ],
    ("POST", "/activations/{activation_id}/d2/retention"): [
        lambda w: w.api.post(f"/activations/{w.line}/d2/retention", w.d2, {"days": 40, "reason": "Inquiry"}),
        lambda w: w.api.post(f"/activations/{w.line}/d2/retention", w.d2, {"days": 45, "reason": "Inquiry"}),
    ],
    ("GET", "/activations/{activation_id}/enquiries/{reference}/related"): [
        lambda w: w.api.get(f"/activations/{w.line}/enquiries/{_reference(w)}/related", w.d2)
    ],
    ("POST", "/activations/{activation_id}/persons/{person_id}/links"): [
        lambda w: w.api.post(
            f"/activations/{w.line}/persons/{_persons(w)[0]}/links", w.d2, {"person_id": _persons(w)[1]}
        )
    ],
    ("DELETE", "/activations/{activation_id}/persons/{person_id}/links/{other_person_id}"): [
        lambda w: w.api.call("DELETE", f"/activations/{w.line}/persons/{_persons(w)[0]}/links/{_persons(w)[1]}", w.d2),
        lambda w: w.api.call("DELETE", f"/activations/{w.line}/persons/{_persons(w)[0]}/links/{_persons(w)[1]}", w.d2),
    ],  # the second: not linked
    ("POST", "/activations/{activation_id}/entries/{entry_id}/disclosure"): [
        lambda w: w.api.post(f"/activations/{w.line}/entries/{_entry(w)}/disclosure", w.d2, {"refused": True}),
        lambda w: w.api.post(f"/activations/{w.line}/entries/nope/disclosure", w.d2, {"refused": True}),
    ],
    ("GET", "/activations/{activation_id}/callbacks"): [
        lambda w: w.api.get(f"/activations/{w.line}/callbacks?status=due", w.d2),
        lambda w: w.api.get(f"/activations/{w.line}/callbacks?status=done", w.d2),
    ],
    ("POST", "/activations/{activation_id}/callbacks/{callback_id}/done"): [
        lambda w: w.api.post(f"/activations/{w.line}/callbacks/{_callback(w)}/done", w.d2, {"outcome": "reached"})
    ],
    ("POST", "/activations/{activation_id}/lists"): [
        lambda w: w.api.call(
            "POST", f"/activations/{w.line}/lists?source=UZ", w.d2, raw=D2_LIST, headers={"Content-Type": "text/csv"}
        ),
        lambda w: w.api.call(  # the same source again: its rows updated
            "POST", f"/activations/{w.line}/lists?source=UZ", w.d2, raw=D2_LIST, headers={"Content-Type": "text/csv"}
        ),
    ],
    ("GET", "/activations/{activation_id}/enquiries/{reference}/candidates"): [
        lambda w: w.api.get(f"/activations/{w.line}/enquiries/{_reference(w)}/candidates", w.d2)
    ],
    ("POST", "/activations/{activation_id}/matches"): [
        lambda w: _propose(w, 0),
        lambda w: _propose(w, 1),
    ],
    ("GET", "/activations/{activation_id}/matches"): [
        lambda w: w.api.get(f"/activations/{w.line}/matches?status=proposed", w.d2)
    ],
    ("POST", "/activations/{activation_id}/matches/{match_id}/confirm"): [
        lambda w: w.api.post(f"/activations/{w.line}/matches/{_match_id(w, 0)}/confirm", _second_coordinator(w))
    ],
    ("POST", "/activations/{activation_id}/matches/{match_id}/reject"): [
        lambda w: w.api.post(f"/activations/{w.line}/matches/{_match_id(w, 1)}/reject", w.d2)
    ],
    ("POST", "/activations/{activation_id}/close"): [
        lambda w: w.api.post(f"/activations/{w.line}/close", w.antwerp),
        lambda w: w.api.post(f"/activations/{w.line}/close", w.antwerp),
    ],
    ("GET", "/exports/{month}"): [
        lambda w: w.api.get("/exports/2026-10", w.finance),
        lambda w: w.api.get("/exports/2026-09", w.finance),  # frozen
        lambda w: w.api.get("/exports/2026-09?format=xlsx", w.finance),
    ],
    ("GET", "/tariffs"): [lambda w: w.api.get("/tariffs", w.finance)],
    ("PUT", "/tariffs"): [lambda w: w.api.call("PUT", "/tariffs", w.admin, TARIFF)],
    ("GET", "/unattributed"): [lambda w: w.api.get("/unattributed?month=2026-10", w.admin)],
}


D2_LIST = b"source_ref;given_names;family_name;status\nL-1;Marie;Peeters;hospitalised\nL-2;Marie;Peters;left\n"


def _entry_id(world: World, index: int) -> str:
    found = world.api.get(f"/activations/{world.line}/enquiries/{_reference(world)}/candidates", world.d2)
    return str(sorted(item["entry_id"] for item in found.body["items"])[index])


def _propose(world: World, index: int) -> Answer:
    body = {"reference": _reference(world), "entry_id": _entry_id(world, index)}
    return world.api.post(f"/activations/{world.line}/matches", world.d2, body)


def _match_id(world: World, index: int) -> str:
    listed = world.api.get(f"/activations/{world.line}/matches", world.d2).body["items"]
    entry_id = _entry_id(world, index)
    return str(next(match["id"] for match in listed if match["entry_id"] == entry_id))


def _second_coordinator(world: World) -> str:
    answer = world.api.post("/credentials", world.admin, {"role": "d2_coordinator", "label": "An Claes"})
    return str(answer.body["token"])


def _reference(world: World) -> str:
    listed = world.api.get(f"/activations/{world.line}/enquiries", world.d2).body["enquiries"]
    return str(listed[0]["reference"])


def _activator(world: World) -> str:
    listed = world.api.get("/authorities/44021/activators", world.admin).body["activators"]
    return str(listed[0]["id"])


def _activator_token(world: World) -> str:
    answer = world.api.post(f"/authorities/44021/activators/{_activator(world)}/token", world.admin)
    assert answer.status == 201, answer.body
    world.activator_token = answer.body["token"]
    return world.activator_token


def _persons(world: World) -> list[str]:
    """Two sought persons of the line (a second enquiry recorded when there is one only)."""
    path = f"/activations/{world.line}/enquiries"
    listed = world.api.get(path, world.d2).body["enquiries"]
    if len(listed) < 2:
        second = {**ENQUIRY, "contact_id": "c0ffee-2"}
        assert world.api.post(path, world.d2, second).status == 201
        listed = world.api.get(path, world.d2).body["enquiries"]
    return [str(listed[0]["person_id"]), str(listed[1]["person_id"])]


def _entry(world: World) -> str:
    """A list entry confirmed as the line's first enquiry's person, written as the list and match parts do."""
    from tests.d2_support import put_entry, put_match

    first = world.api.get(f"/activations/{world.line}/enquiries", world.d2).body["enquiries"][0]
    put_entry(world.line, "uzg-1", "hospitalised", "UZ Gent")
    put_match(world.line, "m-1", first, "uzg-1")
    return "uzg-1"


def _callback(world: World) -> str:
    _entry(world)
    return str(world.api.get(f"/activations/{world.line}/callbacks", world.d2).body["items"][0]["id"])


def _issued(world: World) -> str:
    answer = world.api.post("/credentials", world.admin, {"role": "finance", "label": "Revoked at once"})
    assert answer.status == 201, answer.body
    return str(answer.body["id"])


def _admin_id(world: World) -> str:
    listed = world.api.get("/credentials", world.admin).body["credentials"]
    return str(next(credential["id"] for credential in listed if credential["role"] == "admin"))


def _world() -> World:
    api = Api()
    api.gateway.functions = RecordedFunctions()
    admin = seed.admin_credential()
    tokens = {}
    for authority_id, name in (("44021", "Stad Gent"), ("11002", "Stad Antwerpen")):
        answer = api.post("/authorities", admin, authority_body(authority_id, name))
        assert answer.status == 201, answer.body
        tokens[authority_id] = answer.body["token"]
    for number in ("+3280012345", "+3280012346"):
        assert api.post("/numbers", admin, {"number": number, "kind": "toll_free"}).status == 201
    assert api.post("/numbers", admin, {"number": "+442071234567", "kind": "did"}).status == 201
    line = api.post("/activations", tokens["11002"], activation_body())
    assert line.status == 201, line.body
    finance = api.post("/credentials", admin, {"role": "finance", "label": "Finance, NCCN"}).body["token"]
    put_activation("gent-oct", "2026-10-05T10:00", "2026-10-05T13:00", operators=2)
    put_activation("gent-sep", "2026-09-05T10:00", "2026-09-05T13:00", operators=2)
    put_usage("gent-oct", "2026-10", calls=20, answered_calls=18, abandoned_calls=2, call_seconds=3000)
    put_usage("gent-sep", "2026-09", calls=3, answered_calls=3, call_seconds=300)
    put_usage("gent-sep", "2026-10", adjusts="2026-09", calls=1, call_seconds=60)  # read by id: an adjustment
    d2 = api.post("/credentials", admin, {"role": "d2_coordinator", "label": "Karel Peeters"}).body["token"]
    return World(api, admin, finance, tokens["44021"], tokens["11002"], line.body["id"], d2)


def _month_close(recorder: Recorder, month: str, now: datetime) -> None:
    from finance.month_close import lambda_handler

    for run in ("first", "again"):  # closing twice changes nothing
        recorder.path = f"month close {month}, {run}"
        with As("MonthCloseFunction"):
            lambda_handler({"month": month}, LambdaContext("MonthCloseFunction"), now=now)  # type: ignore[arg-type]


def _pool_entry(recorder: Recorder) -> None:
    from connect_setup.app import NumbersTable

    recorder.path = "deploy: a claimed number entered in the pool"
    with As("ConnectSetupFunction"):
        assert NumbersTable().enter("+3280012398", "D5")


def _d2_purge(recorder: Recorder, world: World) -> None:
    """The daily purge, once the line has closed and its retention ended, twice (the second finds nothing);
    then the figures and the after-action report's D2 counts read from the archive."""
    from d2.purge import lambda_handler

    for run in ("first", "again"):
        recorder.path = f"D2 purge, {run}"
        with As("D2PurgeFunction"):
            lambda_handler({"schedule": "D2PurgeDaily"}, None, now=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    recorder.path = "GET /activations/{activation_id}/d2/figures after the purge"
    assert world.api.get(f"/activations/{world.line}/d2/figures", world.d2).body["purged"] is True
    recorder.path = "GET /activations/{activation_id}/report after the purge: the D2 counts from the archive"
    assert world.api.get(f"/activations/{world.line}/report?format=html", world.antwerp).status == 200


def _routing(recorder: Recorder, world: World) -> None:
    from route import app

    lines = world.api.get("/activations?status=live", world.admin).body
    live = next(line["number"] for line in lines["activations"])
    for name, event in {
        "greeting": connect_event(live),
        "language": connect_event(live, language="en"),
        "choice": connect_event(live, language="en", choice="2"),
        "inactive number": connect_event("+3280012399", language="nl"),
    }.items():
        recorder.path = f"routing, {name}"
        with As("RouteFunction"):
            answer = app.lambda_handler(event, None)
        assert answer["fallback"] == "false", (name, answer)


def _phone_activation(recorder: Recorder, world: World) -> None:
    """An activator of a newly enrolled authority through every step of the activation by phone: recognised by
    number, three wrong PINs by NIS code and activator number (locked), a new PIN, then open, operators, close."""
    from activate import phone
    from crisisline import tokens

    person = {**ACTIVATOR, "phone": "+32475999000"}
    assert (
        world.api.post("/authorities", world.admin, authority_body("57081", "Doornik", activators=[person])).status
        == 201
    )
    assert world.api.post("/numbers", world.admin, {"number": "+3280012397", "kind": "toll_free"}).status == 201
    [listed] = world.api.get("/authorities/57081/activators", world.admin).body["activators"]
    pin_path = f"/authorities/57081/activators/{listed['id']}/pin"
    assert world.api.call("PUT", pin_path, world.admin, {"pin": "482915"}).status == 200

    def step(name: str, **parameters: str) -> dict[str, str]:
        event = connect_event("+3225550100", person["phone"], step=name, **parameters)
        event["Details"]["ContactData"]["ContactId"] = "phone-contact-1"
        recorder.path = f"phone activation, {name}"
        with As("PhoneActivationFunction"):
            return phone.lambda_handler(event, None)

    assert step("identify")["result"] == "recognised"
    tokens.forget_key()  # the function reads the hashing key itself, in its own execution environment
    for wrong in ("111000", "111001", "111002"):
        step("pin", nis="57081", activatorNumber="1", pin=wrong)
    assert world.api.call("PUT", pin_path, world.admin, {"pin": "482915"}).status == 200  # lifts the lock
    ids = {"authorityId": "57081", "activatorId": listed["id"]}
    assert step("pin", **ids, pin="482915")["result"] == "accepted"
    for name, parameters in (("template", {"template": "1"}), ("operators", {"operators": "5"}), ("close", {})):
        assert step(name, **parameters)["result"] == "done", name


def _metering(recorder: Recorder) -> None:
    from ingest import app
    from ingest.usage_store import Refused, UsageStore
    from tests.test_meter_ingest import START, Stream, freeze, record
    from tests.test_meter_ingest import put_activation as put_live

    app.default_store.cache_clear()
    put_live("act-gent", "+3280012345", START - timedelta(days=60))
    freeze("2026-10")
    stream = Stream()
    callback = record("c-callback", START + timedelta(minutes=4), method="CALLBACK", number=None)  # type: ignore[arg-type]
    callback["InitialContactId"] = "c-0"  # no dialled number: checked against its origin inside the booking
    batch = [
        record("c-0"),
        record("c-new", START + timedelta(minutes=1)),
        record("c-by-number", START + timedelta(minutes=2), activation=None),
        record("c-0", talk_seconds=500, updated_after=60),
        record("c-unknown", START + timedelta(minutes=3), activation="act-gone"),
        record("c-late", START - timedelta(days=40)),
        callback,
    ]
    recorder.path = "metering, a batch of every kind of record"
    with As("MeterFunction"):
        answer = app.lambda_handler(stream.event(*batch), LambdaContext("MeterFunction"))
    assert answer["batchItemFailures"] == []

    class StoredItemNotReturned(UsageStore):
        """A booking refused because the contact changed, without the stored version in the cancellation
        reasons: metering reads it itself."""

        refused = False

        def book(self, booking: Any) -> None:
            if not self.refused:
                self.refused = True
                raise Refused(contact_changed=True)
            super().book(booking)

    recorder.path = "metering, a changed contact whose stored version is read"
    with As("MeterFunction"):
        answer = app.lambda_handler(
            stream.event(record("c-0", talk_seconds=600, updated_after=90)),
            LambdaContext("MeterFunction"),
            store=StoredItemNotReturned(),
        )
    assert answer["batchItemFailures"] == []


def _drive_everything(recorder: Recorder) -> None:
    from crisisline import tokens

    recorder.path = "setting up: enrolments, numbers, a live line"
    world = _world()
    tokens.forget_key()  # read again by the function that needs it, not left over from setting up
    _month_close(recorder, "2026-09", datetime(2026, 10, 1, 4, tzinfo=UTC))
    for (method, path), requests in REQUESTS.items():
        for request in requests:
            recorder.path = f"{method} {path}"
            answer = request(world)
            assert answer.status < 500, (method, path, answer.status, answer.body)
    _d2_purge(recorder, world)
    _routing(recorder, world)
    _phone_activation(recorder, world)
    _pool_entry(recorder)
    _metering(recorder)
    _month_close(recorder, "2026-10", datetime(2026, 11, 1, 5, tzinfo=UTC))  # with an adjustment line


# ---------------------------------------------------------------------- the checks
def compare(recorder: Recorder) -> tuple[list[str], list[str], list[str]]:
    """(granted but unused, used but not granted, managed policies not known here), each a readable line."""
    resources = _deployed()
    given, unknown = grants(resources)
    used = dict(recorder.uses)
    used.update({use: "its trigger" for use in trigger_uses(resources)})
    unused = [
        f"{grant} granted but unused" + (" (every resource)" if grant.resource == "*" else "")
        for grant in given
        if grant.resource == "*" or not any(grant.covers(use) for use in used)
    ]
    missing = [
        f"{use} used but not granted (on {path})"
        for use, path in used.items()
        if not any(grant.covers(use) for grant in given)
    ]
    return sorted(set(unused)), sorted(missing), unknown


def test_every_route_of_the_api_is_driven_here() -> None:
    routes = {(route.method, route.path) for route in template.api_routes()}
    assert sorted(routes - set(REQUESTS)) == [], "routes without a request in tests/test_iam.py's REQUESTS"


def test_each_function_is_granted_exactly_the_calls_its_code_makes(recorded: Recorder) -> None:
    unused, missing, unknown = compare(recorded)
    functions = {use.function for use in recorded.uses}
    figures.record(
        "7",
        f"least privilege: {len(recorded.uses)} action×resource uses of {len(functions)} functions "
        f"recorded; granted but unused {len(unused)}, used but not granted {len(missing)}",
        ok=not unused and not missing and not unknown,
    )
    assert missing == [], "\n".join(missing)
    assert unused == [], "\n".join(unused)
    assert unknown == [], "\n".join(unknown)


def test_the_audit_trail_is_append_only(recorded: Recorder) -> None:
    audit = template.physical_table_name("AuditTable")
    given, _ = grants()
    writes = {
        f"{grant.function}: {grant.action}"
        for grant in given
        if fnmatch.fnmatchcase(table_arn(audit), grant.resource)
        and grant.action not in ("dynamodb:PutItem", "dynamodb:Query")
    }
    assert writes == set(), "only new audit entries (PutItem) and reading them (Query) are granted"
    puts = [
        item["Put"]
        for _, service, operation, params in recorded.calls
        if service == "dynamodb" and operation == "TransactWriteItems"
        for item in params["TransactItems"]
        if "Put" in item and item["Put"]["TableName"] == audit
    ]
    puts += [
        params
        for _, service, operation, params in recorded.calls
        if service == "dynamodb" and operation == "PutItem" and params["TableName"] == audit
    ]
    assert puts, "no audit entry was written on the recorded paths"
    assert all(put.get("ConditionExpression") == "attribute_not_exists(entry)" for put in puts), (
        "an audit entry written without the condition that it is new would overwrite an existing one"
    )


def test_the_d2_audit_chain_is_append_only(recorded: Recorder) -> None:
    chain = template.physical_table_name("D2AuditTable")
    given, _ = grants()
    writes = {
        f"{grant.function}: {grant.action}"
        for grant in given
        if fnmatch.fnmatchcase(table_arn(chain), grant.resource)
        and grant.action not in ("dynamodb:PutItem", "dynamodb:Query")
        and (grant.function, grant.action) != ("D2PurgeFunction", "dynamodb:BatchWriteItem")
    }
    assert writes == set(), (
        "only new entries of the D2 chain (PutItem), reading them (Query) and the purge's erasure are granted"
    )
    puts = [
        item["Put"]
        for _, service, operation, params in recorded.calls
        if service == "dynamodb" and operation == "TransactWriteItems"
        for item in params["TransactItems"]
        if "Put" in item and item["Put"]["TableName"] == chain
    ]
    puts += [
        params
        for _, service, operation, params in recorded.calls
        if service == "dynamodb" and operation == "PutItem" and params["TableName"] == chain
    ]
    assert len(puts) >= 4, "every D2 route driven here adds an entry"
    assert all(put.get("ConditionExpression") == "attribute_not_exists(seq)" for put in puts)


def test_no_role_grants_a_checked_service_or_connect_on_every_resource() -> None:
    resources = _deployed()
    wide = []
    for name, body in resources.items():
        if body["Type"] != "AWS::IAM::Role":
            continue
        for policy in body["Properties"].get("Policies", []):
            for statement in _listed(policy["PolicyDocument"]["Statement"]):
                services = {action.split(":")[0] for action in _listed(statement["Action"])}
                if services & {*SERVICES, "connect"} and "*" in _listed(statement["Resource"]):
                    wide.append(f"{name}: {statement['Action']}")
    assert wide == []
