"""`make smoke STACK=<stack>`: after each deploy, the crisis center checks the deployed line end to end.

It reads the stack's outputs (API URL, routing function), asks `GET /health`, enrols a test authority, opens a
line for it on a pool number, asks the routing function once what a caller of that number hears (a synthetic
Amazon Connect event: no call is placed), closes the line, checks the number answers "not active" again and
revokes the test authority. Every step prints PASS or FAIL; whatever it opened is closed and revoked even when a
step fails. Nothing billable is left: no call, no number claimed, a line live for a few seconds without a call.

Against the local stack (`make run`): `--api-url`, `--lambda-url` and `--admin-token` instead of `--stack`.
Exit 0 when every step passed, 1 when one failed, 2 for a usage error."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Test authorities take NIS codes 99000-99999, which no Belgian municipality or province has.
SMOKE_ID_FIRST = 99000
MESSAGE = "Smoke test of the crisis line after a deploy; no crisis."


@dataclass
class Target:
    api_url: str
    admin_token: str = field(repr=False)
    function_name: str = "RouteFunction"
    lambda_url: str | None = None  # the local stack's Lambda Invoke endpoint; None: AWS's
    region: str | None = None


@dataclass
class Smoke:
    target: Target
    invoke: Callable[[dict[str, Any]], dict[str, str]]
    out: Callable[[str], None] = print
    failed: bool = False
    authority_id: str | None = None
    authority_token: str | None = field(default=None, repr=False)
    activation_id: str | None = None
    number: str | None = None

    def step(self, name: str, check: Callable[[], str], cleanup: bool = False) -> bool:
        """Run one step: PASS with what it found, or FAIL with why; a failed step stops the ones after it,
        except the cleanup steps, which run whatever failed."""
        if self.failed and not cleanup:
            self.out(f"SKIP  {name}")
            return False
        try:
            found = check()
        except Exception as error:  # noqa: BLE001 - every failure is reported, none skips the cleanup
            self.failed = True
            self.out(f"FAIL  {name}: {error}")
            return False
        self.out(f"PASS  {name}: {found}")
        return True

    def api(self, method: str, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - main() accepts http(s) URLs only
            self.target.api_url.rstrip("/") + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
        )
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the stack's own URL
                raw, status = answer.read(), answer.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")[:200]

    # ------------------------------------------------------------------ the steps
    def health(self) -> str:
        status, _ = self.api("GET", "/health", None)
        expect(status == 200, f"GET /health answered {status}")
        return "GET /health 200"

    def enrol(self) -> str:
        for _ in range(5):  # another run's test authority may hold the code drawn
            candidate = str(SMOKE_ID_FIRST + secrets.randbelow(1000))
            status, body = self.api("POST", "/authorities", self.target.admin_token, authority(candidate))
            if status == 409:
                continue
            expect(status == 201, f"POST /authorities answered {status} {body}")
            self.authority_id, self.authority_token = candidate, body["token"]
            return f"test authority {candidate} enrolled"
        raise AssertionError("five test authority codes in use: revoke old smoke authorities")

    def open_line(self) -> str:
        for kind in ("toll_free", "did"):
            status, body = self.api("POST", "/activations", self.authority_token, {**LINE, "number_kind": kind})
            if status == 409 and isinstance(body, dict) and body["error"]["code"] == "no_number_available":
                continue
            expect(status == 201, f"POST /activations answered {status} {body}")
            self.activation_id, self.number = body["id"], body["number"]
            return f"line {self.activation_id} live on {self.number}"
        raise AssertionError("no free pool number of either kind")

    def route_live(self) -> str:
        answer = self.invoke(connect_event(str(self.number), language="en"))
        expect(answer.get("status") == "live", f"routing answered {answer.get('status')!r}")
        expect(answer.get("fallback") == "false", "routing answered with its fallback")
        expect(answer.get("activationId") == self.activation_id, "routing answered another line")
        expect(answer.get("message") == MESSAGE, f"routing's message is {answer.get('message')!r}")
        return "routing answers live with the line's message"

    def close_line(self) -> str:
        status, body = self.api("POST", f"/activations/{self.activation_id}/close", self.authority_token)
        expect(status == 200 and body["status"] == "closed", f"close answered {status} {body}")
        return f"line {self.activation_id} closed"

    def route_inactive(self) -> str:
        answer = self.invoke(connect_event(str(self.number)))
        expect(answer.get("status") == "inactive", f"routing still answers {answer.get('status')!r}")
        return f"{self.number} answers not active again"

    def revoke(self) -> str:
        status, body = self.api("POST", f"/authorities/{self.authority_id}/revoke", self.target.admin_token)
        expect(status == 200, f"revoke answered {status} {body}")
        # A request that changes nothing, but is not a GET: those re-check the token past the authorizer's cache.
        status, _ = self.api("POST", "/preview", self.authority_token, PREVIEW)
        expect(status == 401, f"the revoked token still answers {status}")
        return f"test authority {self.authority_id} revoked, its token refused"

    def run(self) -> bool:
        self.out(f"smoke test of {self.target.api_url} (routing: {self.target.function_name})")
        opened = False
        try:
            if self.step("health", self.health) and self.step("enrol a test authority", self.enrol):
                opened = self.step("open a line on a pool number", self.open_line)
                if opened:
                    self.step("routing answers the number live", self.route_live)
        finally:
            if opened:
                closed = self.step("close the line", self.close_line, cleanup=True)
                if closed:
                    self.step("the number is not active again", self.route_inactive, cleanup=True)
            if self.authority_id:
                self.step("revoke the test authority", self.revoke, cleanup=True)
        self.out("smoke test " + ("FAILED" if self.failed else "passed"))
        return not self.failed


LINE = {
    "reason": "Smoke test after a deploy",
    "languages": ["en"],
    "message": {"en": MESSAGE},
    "victim_information": False,
    "operators": 1,
}

PREVIEW = {key: LINE[key] for key in ("languages", "message", "victim_information")}


def authority(authority_id: str) -> dict[str, Any]:
    return {
        "id": authority_id,
        "name": f"Smoke test {authority_id}",
        "languages": ["en"],
        "agreement": {"reference": f"SMOKE-{authority_id}", "signed_on": "2026-01-01"},
        "billing": {"reference": f"SMOKE-{authority_id}", "email": "smoke@crisisline.invalid"},
    }


def connect_event(dialled: str, **parameters: str) -> dict[str, Any]:
    """The parts of Amazon Connect's invocation that routing reads; a synthetic contact, no caller's number."""
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Channel": "VOICE",
                "ContactId": f"smoke-{secrets.token_hex(8)}",
                "InitiationMethod": "INBOUND",
                "SystemEndpoint": {"Address": dialled, "Type": "TELEPHONE_NUMBER"},
                "CustomerEndpoint": {"Address": "+3220000000", "Type": "TELEPHONE_NUMBER"},
                "Attributes": {},
            },
            "Parameters": dict(parameters),
        },
    }


def expect(condition: bool, why: str) -> None:
    if not condition:
        raise AssertionError(why)


def lambda_invoker(target: Target) -> Callable[[dict[str, Any]], dict[str, str]]:
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {"config": Config(retries={"max_attempts": 1}, read_timeout=15)}
    if target.region:
        options["region_name"] = target.region
    if target.lambda_url:
        options.update(
            endpoint_url=target.lambda_url,
            region_name=target.region or "eu-central-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the local stack checks none
        )
    client = boto3.client("lambda", **options)

    def invoke(event: dict[str, Any]) -> dict[str, str]:
        answer = client.invoke(FunctionName=target.function_name, Payload=json.dumps(event).encode())
        payload = json.loads(answer["Payload"].read())
        expect("FunctionError" not in answer, f"routing failed: {payload}")
        return payload  # type: ignore[no-any-return]

    return invoke


def stack_target(stack: str, admin_token: str, region: str | None) -> Target:
    """The API URL and the routing function of a deployed stack, from its outputs."""
    import boto3

    described = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    missing = [key for key in ("ApiUrl", "RouteFunctionName") if key not in outputs]
    if missing:
        raise SystemExit(f"stack {stack} has no output {', '.join(missing)}: deploy this version first")
    return Target(outputs["ApiUrl"], admin_token, outputs["RouteFunctionName"], region=region)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", help="the deployed stack's name (its outputs give the URLs)")
    parser.add_argument("--region", help="the stack's region (else the AWS configuration's)")
    parser.add_argument("--api-url", help="the API's base URL (local stack: http://127.0.0.1:3000)")
    parser.add_argument("--lambda-url", help="a Lambda Invoke endpoint (local stack: http://127.0.0.1:3001)")
    parser.add_argument("--function-name", default="RouteFunction", help="the routing function (with --api-url)")
    parser.add_argument("--admin-token", help="an admin token (else CRISISLINE_ADMIN_TOKEN)")
    args = parser.parse_args(argv)
    token = args.admin_token or os.environ.get("CRISISLINE_ADMIN_TOKEN", "")
    if not token:
        print("Give an admin token: --admin-token or CRISISLINE_ADMIN_TOKEN", file=sys.stderr)
        return 2
    if bool(args.stack) == bool(args.api_url):
        print("Give either --stack (a deployed stack) or --api-url (and --lambda-url)", file=sys.stderr)
        return 2
    if args.api_url and not args.api_url.startswith(("http://", "https://")):
        print("--api-url is an http(s) URL", file=sys.stderr)
        return 2
    if args.stack:
        target = stack_target(args.stack, token, args.region)
    else:
        target = Target(args.api_url, token, args.function_name, args.lambda_url, args.region)
    return 0 if Smoke(target, lambda_invoker(target)).run() else 1


if __name__ == "__main__":
    sys.exit(main())
