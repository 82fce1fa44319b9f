"""The local stack: an embedded moto server as the AWS backend, the REST API on one port (API Gateway's proxy
integration and token authorizer, emulated), and the Lambda Invoke API on another (the twin of
`sam local start-lambda`). The handlers that answer are the ones `sam deploy` ships."""

from __future__ import annotations

import base64
import errno
import importlib
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local import atomic_moto, console, template

LOCAL_STAGE = "local"


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that the handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = (
            f"arn:aws:lambda:{template.LOCAL_REGION}:{template.LOCAL_ACCOUNT}:function:{self.function_name}"
        )
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# Lambda hands each execution environment one event at a time, and its handlers may keep per-event state in
# the process (Powertools keeps the current request on a class every API function's resolver shares, and the
# correlation id on one Logger). This process runs every function: it invokes them one event at a time too.
_ONE_EVENT_AT_A_TIME = threading.RLock()


class Functions:
    """The template's functions, imported on first use, invoked in this process one event at a time."""

    def __init__(self) -> None:
        self.specs = template.functions()
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()

    def handler(self, logical_id: str) -> Callable[..., Any]:
        with self._lock:
            if logical_id not in self._handlers:
                module_name, _, attribute = self.specs[logical_id].handler.rpartition(".")
                self._handlers[logical_id] = getattr(importlib.import_module(module_name), attribute)
            return self._handlers[logical_id]

    def invoke(self, logical_id: str, event: Any) -> Any:
        handler = self.handler(logical_id)
        with _ONE_EVENT_AT_A_TIME:
            return handler(event, LambdaContext(logical_id))


def configure_environment(endpoint_url: str) -> None:
    """Point boto3 at the local backend and give the functions the template's environment."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": template.LOCAL_REGION,
            "AWS_REGION": template.LOCAL_REGION,
            "POWERTOOLS_SERVICE_NAME": "crisisline",
            "POWERTOOLS_METRICS_NAMESPACE": "crisisline",
            **template.environment(),
        }
    )


def forget_cached_state() -> None:
    """Drop the per-process caches (clients, settings, stores, hashing key) that Lambda keeps between
    invocations, so the next invocation reads the environment afresh, as a new execution environment would."""
    from activate import logic
    from crisisline import aws, environment, status_store, tokens

    aws.reset_clients()
    status_store.forget_client()
    environment.forget_settings()
    logic.forget_default_stores()
    tokens.forget_key()
    activation_api = sys.modules.get("activate.app")  # only once imported: its import needs the environment
    if activation_api is not None:
        activation_api.forget_idempotency_records()
    routing = sys.modules.get("route.store")
    if routing is not None:
        routing.forget_default_store()
    metering = sys.modules.get("ingest.app")  # only once imported: its import needs the tables' environment
    if metering is not None:
        metering.default_store.cache_clear()


# ---------------------------------------------------------------------- API Gateway, emulated
class ApiGateway:
    """Turns HTTP requests into API Gateway REST proxy events: route match, token authorizer with its
    validation expression and cache, then the route's function."""

    def __init__(
        self, functions: Functions, cache_seconds: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`clock` (seconds, monotonic) ages the authorizer's cached answers."""
        self.functions = functions
        self.clock = clock
        self.routes = template.api_routes()
        self.authorizer_id, validation, ttl = template.authorizer()
        self.validation = re.compile(validation)
        self.cache_seconds = ttl if cache_seconds is None else cache_seconds
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str = "127.0.0.1"
    ) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                break
        else:
            return _json_error(404, "not_found", "No such resource.")
        context: dict[str, Any] = {}
        if route.authorized:
            outcome = self._authorize(headers, method, path)
            if isinstance(outcome, tuple):
                return outcome
            context = outcome
        event = self._event(route, method, path, split.query, headers, body, params, context, source_ip)
        try:
            answer = self.functions.invoke(route.function, event)
        except Exception:  # noqa: BLE001 - API Gateway turns a crashed integration into a 502
            traceback.print_exc()
            return _json_error(502, "bad_gateway", "The function failed.")
        payload = answer.get("body") or ""
        data = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
        out_headers = {
            **(answer.get("headers") or {}),
            **{k: v[-1] for k, v in (answer.get("multiValueHeaders") or {}).items() if v},
        }
        return int(answer.get("statusCode", 200)), out_headers, data

    def _authorize(
        self, headers: dict[str, str], method: str, path: str
    ) -> dict[str, Any] | tuple[int, dict[str, str], bytes]:
        token = _header(headers, "authorization")
        if not token or not self.validation.match(token):
            return _json_error(401, "unauthorized", "A valid bearer token is required.")
        now = self.clock()
        with self._lock:
            cached = self._cache.get(token)
        if cached and now - cached[0] < self.cache_seconds:
            return cached[1]
        method_arn = (
            f"arn:aws:execute-api:{template.LOCAL_REGION}:{template.LOCAL_ACCOUNT}:local/{LOCAL_STAGE}/{method}{path}"
        )
        try:
            policy = self.functions.invoke(
                self.authorizer_id, {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
            )
        except Exception as error:  # noqa: BLE001
            if str(error) == "Unauthorized":
                return _json_error(401, "unauthorized", "A valid bearer token is required.")
            status, headers, body = _json_error(503, "unavailable", "Tokens cannot be checked now; retry shortly.")
            return status, {**headers, "Retry-After": "2"}, body
        statements = policy.get("policyDocument", {}).get("Statement", [])
        if not any(s.get("Effect") == "Allow" for s in statements):
            return _json_error(403, "forbidden", "This token may not do that.")
        context = {"principalId": policy.get("principalId"), **(policy.get("context") or {})}
        if self.cache_seconds > 0:
            with self._lock:
                self._cache[token] = (now, context)
        return context

    def _event(
        self,
        route: template.ApiRoute,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        params: dict[str, str],
        authorizer: dict[str, Any],
        source_ip: str,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        multi_query = parse_qs(query, keep_blank_values=True) if query else {}
        try:
            text, encoded = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
        request_id = str(uuid.uuid4())
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": dict(headers) or None,
            "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": "local",
                "resourcePath": route.path,
                "httpMethod": method,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                # As behind a custom domain: the stage is not part of the URL (http://127.0.0.1:3000/health).
                "path": path,
                "accountId": template.LOCAL_ACCOUNT,
                "protocol": "HTTP/1.1",
                "stage": LOCAL_STAGE,
                "domainPrefix": "localhost",
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "requestId": request_id,
                "domainName": "localhost",
                "apiId": "local",
                "identity": {"sourceIp": source_ip, "userAgent": _header(headers, "user-agent")},
                "authorizer": authorizer or None,
            },
            "body": text or None,
            "isBase64Encoded": encoded,
        }


# ---------------------------------------------------------------------- the web bucket, as CloudFront serves it
_STATUS_PATH = re.compile(r"^/status/(?P<authority_id>[0-9]{5})(?:/|/index\.html)?$")


def status_page(method: str, raw_path: str) -> tuple[int, dict[str, str], bytes] | None:
    """An authority's public page or the pages' stylesheet, read from the status bucket with the headers the
    deployed site sends (the object's own, then infra/web_headers.py's); None for any other path. An authority
    whose page was never written gets the "no crisis line is open" page: a published address never fails."""
    from crisisline import settings, status_page
    from crisisline.clock import utc_now
    from infra.web_headers import SECURITY_HEADERS

    path = urlsplit(raw_path).path
    found = _STATUS_PATH.match(path)
    if method != "GET" or (found is None and path != "/" + status_page.STYLESHEET_KEY):
        return None
    key = status_page.page_key(found.group("authority_id")) if found else status_page.STYLESHEET_KEY
    try:
        stored = _s3().get_object(Bucket=settings.api().status_bucket, Key=key)
        body, content_type, cache = stored["Body"].read(), stored["ContentType"], stored.get("CacheControl", "")
    except _s3().exceptions.NoSuchKey:
        if found is None:
            body, content_type, cache = (
                status_page.STYLESHEET.encode(),
                status_page.STYLESHEET_CONTENT_TYPE,
                status_page.STYLESHEET_CACHE_CONTROL,
            )
        else:
            html = status_page.render(found.group("authority_id"), None, None, utc_now())
            body, content_type, cache = html.encode(), status_page.PAGE_CONTENT_TYPE, status_page.PAGE_CACHE_CONTROL
    headers = {"Content-Type": content_type, "Cache-Control": cache, **SECURITY_HEADERS}
    return 200, headers, body


def _s3() -> Any:
    from crisisline.aws import client

    return client("s3")


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _json_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    return status, {"Content-Type": "application/json"}, body


def _starting() -> tuple[int, dict[str, str], bytes]:
    status, headers, body = _json_error(503, "starting", "The local stack is still starting; retry shortly.")
    return status, {**headers, "Retry-After": "1"}, body


def _api_handler(gateway: ApiGateway, quiet: bool, ready: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle's algorithm the body waits for the client's delayed
        # ACK (some 40 ms) on every request of a kept-alive connection.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            static = status_page(self.command, self.path) if ready.is_set() else None
            if console.wants(self.path):  # the web console's static files, beside the API as on one domain
                status, headers, data = console.answer(self.command, self.path)
            elif static is not None:
                status, headers, data = static
            elif ready.is_set():
                status, headers, data = gateway.handle(
                    self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
                )
            else:  # tables, hashing key and tokens not stored yet: a 200 now would be followed by a 401
                status, headers, data = _starting()
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            # The request line only: never headers, which carry bearer tokens.
            if not quiet:
                sys.stderr.write(f"api {self.command} {urlsplit(self.path).path} {args[1] if len(args) > 1 else ''}\n")

    return Handler


# ---------------------------------------------------------------------- Lambda Invoke API
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


def _lambda_handler(functions: Functions, quiet: bool, ready: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if not ready.is_set():
                return self._answer(
                    503,
                    {"Type": "Service", "message": "The local stack is still starting."},
                    {"x-amzn-ErrorType": "ServiceException", "Retry-After": "1"},
                )
            found = _INVOKE_PATH.match(urlsplit(self.path).path)
            name = found.group("name").rsplit(":", 1)[-1] if found else ""
            if name not in functions.specs:
                return self._answer(
                    404,
                    {"Type": "User", "message": f"Function not found: {name}"},
                    {"x-amzn-ErrorType": "ResourceNotFoundException"},
                )
            try:
                event = json.loads(body or b"{}")
            except json.JSONDecodeError:
                return self._answer(
                    400,
                    {"Type": "User", "message": "Could not parse request body into json"},
                    {"x-amzn-ErrorType": "InvalidRequestContentException"},
                )
            if self.headers.get("X-Amz-Invocation-Type") == "Event":
                threading.Thread(target=functions.invoke, args=(name, event), daemon=True).start()
                return self._answer(202, None)
            try:
                result = functions.invoke(name, event)
            except Exception as error:  # noqa: BLE001 - reported as Lambda reports an unhandled error
                return self._answer(
                    200,
                    {
                        "errorMessage": str(error),
                        "errorType": type(error).__name__,
                        "stackTrace": traceback.format_tb(error.__traceback__),
                    },
                    {"X-Amz-Function-Error": "Unhandled"},
                )
            return self._answer(200, result)

        def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Amz-Executed-Version", "$LATEST")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            if not quiet:
                sys.stderr.write(f"lambda {urlsplit(self.path).path}\n")

    return Handler


# ---------------------------------------------------------------------- the whole stack
class _Server(ThreadingHTTPServer):
    # API Gateway takes a burst of simultaneous connections; socketserver's listen backlog of 5 would reset
    # all but the first few of fifty authorities calling at the same moment.
    request_queue_size = 128
    daemon_threads = True


class PortInUse(Exception):
    """A port the stack is to listen on cannot be had (taken, most often); `role` is `api`, `lambda` or `moto`."""

    def __init__(self, role: str, port: int, error: OSError) -> None:
        self.role, self.port = role, port
        self.reason = "is in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
        super().__init__(f"port {port} ({role}) {self.reason}")


class LocalStack:
    """Backend, API and Lambda endpoint, started together and stopped together."""

    def __init__(
        self,
        api_port: int = 3000,
        lambda_port: int = 3001,
        moto_port: int = 0,
        cache_seconds: int | None = None,
        quiet: bool = False,
    ) -> None:
        self.api_port, self.lambda_port, self.moto_port = api_port, lambda_port, moto_port
        self.cache_seconds = cache_seconds
        self.quiet = quiet
        self.ready = threading.Event()
        self._servers: list[ThreadingHTTPServer] = []
        self._moto: Any = None

    def start(self, ready: bool = True) -> LocalStack:
        """Start everything. With `ready` False the API and Lambda endpoints answer 503 (`Retry-After`) until
        `mark_ready()`: for a caller that provisions and seeds the backend first. Raises PortInUse, before
        starting anything, when a port is taken."""
        for role, port in (("api", self.api_port), ("lambda", self.lambda_port), ("moto", self.moto_port)):
            _claimable(role, port)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's own request log
        moto_port = self.moto_port or _free_port()
        self._moto = atomic_moto.server(moto_port)
        self._moto.start()
        self.backend_url = f"http://127.0.0.1:{moto_port}"
        configure_environment(self.backend_url)
        self.functions = Functions()
        forget_cached_state()
        self.gateway = ApiGateway(self.functions, self.cache_seconds)
        for role, port, handler in (
            ("api", self.api_port, _api_handler(self.gateway, self.quiet, self.ready)),
            ("lambda", self.lambda_port, _lambda_handler(self.functions, self.quiet, self.ready)),
        ):
            try:
                server = _Server(("127.0.0.1", port), handler)
            except OSError as error:  # taken between the check and now
                self.stop()
                raise PortInUse(role, port, error) from error
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
        api, invoke = self._servers
        self.api_port, self.lambda_port = api.server_address[1], invoke.server_address[1]
        # A function that invokes one (D2Function scores a large list in an asynchronous invocation of itself)
        # reaches this stack's Lambda endpoint, as in AWS.
        os.environ["AWS_ENDPOINT_URL_LAMBDA"] = f"http://127.0.0.1:{self.lambda_port}"
        forget_cached_state()
        # Lambda's Kinesis event source mappings (contact records into the metering function).
        from infra.local.streams import StreamPoller

        self.streams = StreamPoller(self.functions.invoke, quiet=self.quiet).start()
        if ready:
            self.ready.set()
        return self

    def mark_ready(self) -> None:
        """From now on the endpoints serve requests."""
        self.ready.set()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def lambda_url(self) -> str:
        return f"http://127.0.0.1:{self.lambda_port}"

    def stop(self) -> None:
        if getattr(self, "streams", None) is not None:
            self.streams.stop()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        if self._moto is not None:
            self._moto.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _claimable(role: str, port: int) -> None:
    """Raise PortInUse when something listens on `port` (0: any free port, always claimable). moto's server
    binds in a thread of its own, where a taken port would go unnoticed, so each port is tried first."""
    import socket

    if not port:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is no obstacle
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise PortInUse(role, port, error) from error


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
