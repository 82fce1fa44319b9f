"""The site people open (template.yaml, `WebDistribution`): the console and the public status pages from a
private bucket, and the API on the same origin, every page with the strict security headers that
infra/web_headers.py writes once and the local stack sends too."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pytest

from infra.local import template
from infra.web_headers import CONTENT_SECURITY_POLICY, HSTS_SECONDS, SECURITY_HEADERS

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return template.load()["Resources"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def distribution(resources: dict[str, Any]) -> dict[str, Any]:
    (body,) = [body for body in resources.values() if body["Type"] == "AWS::CloudFront::Distribution"]
    return body["Properties"]["DistributionConfig"]  # type: ignore[no-any-return]


def _origin(distribution: dict[str, Any], path: str) -> dict[str, Any]:
    """The behaviour CloudFront picks for `path`: the first cache behaviour whose pattern matches, else the
    default (in a PathPattern, * matches any characters, / included)."""
    for behaviour in distribution.get("CacheBehaviors", []):
        if fnmatch.fnmatchcase(path, behaviour["PathPattern"]):
            return behaviour  # type: ignore[no-any-return]
    return distribution["DefaultCacheBehavior"]  # type: ignore[no-any-return]


def _headers_policy(resources: dict[str, Any], behaviour: dict[str, Any]) -> dict[str, Any]:
    return resources[behaviour["ResponseHeadersPolicyId"]["Ref"]]["Properties"]["ResponseHeadersPolicyConfig"]  # type: ignore[no-any-return]


def test_every_route_of_the_api_reaches_the_api_on_the_same_origin_uncached_with_the_viewers_headers(
    distribution: dict[str, Any],
) -> None:
    origins = {origin["Id"]: origin for origin in distribution["Origins"]}
    uncovered = []
    for route in template.api_routes():
        path = re.sub(r"\{[^}]+\}", "44021", route.path)
        behaviour = _origin(distribution, path)
        if behaviour["TargetOriginId"] != "api" or route.method not in behaviour["AllowedMethods"]:
            uncovered.append(f"{route.method} {route.path}")
            continue
        assert behaviour["CachePolicyId"] == CACHING_DISABLED, path
        assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST, path
        assert behaviour["ViewerProtocolPolicy"] in ("https-only", "redirect-to-https")
    assert uncovered == [], "routes CloudFront sends to the bucket instead of the API"
    api = origins["api"]
    assert api["OriginPath"] == {"Fn::Sub": "/${Stage}"}
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


@pytest.mark.parametrize("path", ["/status/44021", "/status/status.css", "/console/", "/console/app.js", "/"])
def test_the_console_and_status_pages_come_from_the_private_bucket_over_https(
    distribution: dict[str, Any], resources: dict[str, Any], path: str
) -> None:
    behaviour = _origin(distribution, path)
    assert behaviour["TargetOriginId"] == "web"
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    (web,) = [origin for origin in distribution["Origins"] if origin["Id"] == "web"]
    assert web["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert distribution["DefaultRootObject"].startswith("console/")
    bucket = resources[web["DomainName"]["Fn::GetAtt"][0]]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]


def test_every_page_but_swagger_ui_has_the_strict_csp_that_the_local_stack_sends_too(
    distribution: dict[str, Any], resources: dict[str, Any]
) -> None:
    behaviours = [distribution["DefaultCacheBehavior"], *distribution["CacheBehaviors"]]
    for behaviour in behaviours:
        security = _headers_policy(resources, behaviour)["SecurityHeadersConfig"]
        assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == HSTS_SECONDS
        assert security["StrictTransportSecurity"]["IncludeSubdomains"] is True
        assert "ContentTypeOptions" in security
        assert security["ReferrerPolicy"]["ReferrerPolicy"] == SECURITY_HEADERS["Referrer-Policy"]
        assert security["FrameOptions"]["FrameOption"] == SECURITY_HEADERS["X-Frame-Options"]
        if behaviour.get("PathPattern") == "/docs":
            continue  # Swagger UI's page is inline script and style
        csp = security["ContentSecurityPolicy"]
        assert csp["ContentSecurityPolicy"] == CONTENT_SECURITY_POLICY and csp["Override"] is True
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_only_this_distribution_reads_the_web_bucket_and_the_api_writes_status_pages_only(
    resources: dict[str, Any],
) -> None:
    statements = resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert [(s["Principal"], s["Action"]) for s in allows] == [
        ({"Service": "cloudfront.amazonaws.com"}, "s3:GetObject")
    ]
    assert "WebDistribution" in allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    activate = resources["ActivateFunction"]["Properties"]
    writes = [
        statement
        for policy in activate["Policies"]
        for statement in policy["Statement"]
        if "WebBucket" in str(statement["Resource"])
    ]
    assert [(s["Action"], s["Resource"]) for s in writes] == [
        ("s3:PutObject", {"Fn::Sub": "${WebBucket.Arn}/status/*"})
    ]
    outputs = template.load()["Outputs"]
    assert outputs["ConsoleUrl"]["Value"]["Fn::Sub"].endswith("/console/")
    assert outputs["StatusPageUrlPattern"]["Value"]["Fn::Sub"].endswith("/status/{authority_id}")
