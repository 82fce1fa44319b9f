"""`python -m infra.local`: run the local stack in the foreground until Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import uuid
from typing import Any

from infra.local import seed
from infra.local.stack import LocalStack, PortInUse

DEMO_ACTIVATION = json.dumps(
    ensure_ascii=False,
    obj={
        "reason": "Chemical fire in the port area",
        "languages": ["fr", "nl"],
        "message": {"fr": "Restez chez vous, fermez portes et fenêtres.", "nl": "Blijf binnen, sluit deuren en ramen."},
        "victim_information": True,
        "operators": 4,
    },
)
# Each port, the variable that sets it, and its default; moto's is fixed so that `make call` finds the contact
# record stream.
PORTS = {
    "api": ("CRISISLINE_API_PORT", 3000),
    "lambda": ("CRISISLINE_LAMBDA_PORT", 3001),
    "moto": ("CRISISLINE_MOTO_PORT", 3002),
}
SAMPLE_EVENT = "tests/events/connect-lambda-event.json"


def banner(
    *,
    api_url: str,
    lambda_url: str,
    lambda_port: int,
    backend_url: str,
    functions: list[str],
    admin_token: str,
    demo: dict[str, Any],
) -> str:
    """What `make run` prints once the stack serves: where it listens, its tokens, commands that work as pasted.
    The Idempotency-Key is new each time, so a pasted open never replays an earlier one."""
    authority = demo["authority_token"]
    number = demo["numbers"][0]
    moto_port = int(backend_url.rsplit(":", 1)[1])
    # `make call` finds the stack on the default ports; on others it is told.
    call_env = "".join(
        f"{variable}={port} "
        for (variable, default), port in ((PORTS["lambda"], lambda_port), (PORTS["moto"], moto_port))
        if port != default
    )
    return f"""
crisisline local stack is up (no Docker, no AWS account)
  AWS backend (moto)  {backend_url}
  REST API            {api_url}        Swagger UI: {api_url}/docs
  Web console         {api_url}/console/   (sign in with a token below)
  Lambda Invoke API   {lambda_url}   functions: {", ".join(sorted(functions))}

Pool numbers: {", ".join(demo["numbers"])}

Tokens (local only; shown here once):
  admin                    {admin_token}
  authority {demo["authority_id"]} (demo)   {authority}

Try:
  curl -s {api_url}/health
  curl -s -H 'Authorization: Bearer {admin_token}' {api_url}/numbers
  curl -s -X POST -H 'Authorization: Bearer {authority}' -H 'Content-Type: application/json' \\
       -H 'Idempotency-Key: demo-{uuid.uuid4()}' {api_url}/activations \\
       -d '{DEMO_ACTIVATION}'
  curl -s -H 'Authorization: Bearer {authority}' {api_url}/activations
  {call_env}make call NUMBER={number} LANG=fr PRESS=2   # NUMBER: the "number" your activation answered
  .venv/bin/python -m infra.local.invoke RouteFunction --port {lambda_port} --event {SAMPLE_EVENT} --number {number}

Ctrl-C stops it; state lives in memory only.
"""


def _ports() -> dict[str, int] | str:
    ports = {}
    for role, (variable, default) in PORTS.items():
        text = os.environ.get(variable, str(default))
        if not text.isdigit() or int(text) > 65535:
            return f"{variable}={text} is not a port number (0 to 65535)."
        ports[role] = int(text)
    return ports


def main() -> int:
    ports = _ports()
    if isinstance(ports, str):
        print(ports, file=sys.stderr)
        return 2
    from crisisline import tokens  # importable once infra.local.seed has put functions/ on the path

    admin = os.environ.get("CRISISLINE_ADMIN_TOKEN")
    if admin is not None and tokens.bearer_token(f"Bearer {admin}") is None:
        print(
            "CRISISLINE_ADMIN_TOKEN must be 43 characters of A-Z, a-z, 0-9, _ and - (as the API issues).",
            file=sys.stderr,
        )
        return 2
    try:
        # Serving at once, but answering 503 until the tables, key, tokens and demo are in place.
        stack = LocalStack(ports["api"], ports["lambda"], ports["moto"]).start(ready=False)
    except PortInUse as busy:
        variable = PORTS[busy.role][0]
        print(
            f"Port {busy.port} {busy.reason}: stop what listens there, or choose another port with "
            f"{variable} (e.g. {variable}={busy.port + 100 if busy.port < 65000 else 3100} make run).",
            file=sys.stderr,
        )
        return 2
    cooldown = os.environ.get("CRISISLINE_NUMBER_COOLDOWN_SECONDS")  # the template's NumberCooldownSeconds
    if cooldown is not None:
        os.environ["NUMBER_COOLDOWN_SECONDS"] = cooldown
    seed.provision()
    admin_token = seed.admin_credential(admin)
    demo = seed.demo()
    stack.mark_ready()
    print(
        banner(
            api_url=stack.api_url,
            lambda_url=stack.lambda_url,
            lambda_port=stack.lambda_port,
            backend_url=stack.backend_url,
            functions=list(stack.functions.specs),
            admin_token=admin_token,
            demo=demo,
        ),
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
