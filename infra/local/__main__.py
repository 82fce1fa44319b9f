"""`python -m infra.local`: run the local stack in the foreground until Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading

from infra.local import seed
from infra.local.stack import LocalStack

DEMO_ACTIVATION = json.dumps(ensure_ascii=False, obj={
    "reason": "Chemical fire in the port area", "languages": ["fr", "nl"],
    "message": {"fr": "Restez chez vous, fermez portes et fenêtres.",
                "nl": "Blijf binnen, sluit deuren en ramen."},
    "victim_information": True, "operators": 4})


def main() -> int:
    api_port = int(os.environ.get("CRISISLINE_API_PORT", "3000"))
    lambda_port = int(os.environ.get("CRISISLINE_LAMBDA_PORT", "3001"))
    moto_port = int(os.environ.get("CRISISLINE_MOTO_PORT", "0"))
    from crisisline import tokens  # importable once infra.local.seed has put functions/ on the path

    admin = os.environ.get("CRISISLINE_ADMIN_TOKEN")
    if admin is not None and tokens.bearer_token(f"Bearer {admin}") is None:
        print("CRISISLINE_ADMIN_TOKEN must be 43 characters of A-Z, a-z, 0-9, _ and - (as the API issues).",
              file=sys.stderr)
        return 2
    stack = LocalStack(api_port, lambda_port, moto_port).start()
    seed.provision()
    admin_token = seed.admin_credential(admin)
    demo = seed.demo()
    api = stack.api_url
    print(f"""
crisisline local stack is up (no Docker, no AWS account)
  AWS backend (moto)  {stack.backend_url}
  REST API            {api}        Swagger UI: {api}/docs
  Lambda Invoke API   {stack.lambda_url}   functions: {", ".join(sorted(stack.functions.specs))}

Pool numbers: {", ".join(demo["numbers"])}

Tokens (local only; shown here once):
  admin                    {admin_token}
  authority {demo["authority_id"]} (demo)   {demo["authority_token"]}

Try:
  curl -s {api}/health
  curl -s -H 'Authorization: Bearer {admin_token}' {api}/numbers
  curl -s -X POST -H 'Authorization: Bearer {demo["authority_token"]}' -H 'Content-Type: application/json' \\
       -H 'Idempotency-Key: demo-1' {api}/activations \\
       -d '{DEMO_ACTIVATION}'
  curl -s -H 'Authorization: Bearer {demo["authority_token"]}' {api}/activations
  aws lambda invoke --endpoint-url {stack.lambda_url} --function-name RouteFunction \\
       --cli-binary-format raw-in-base64-out --payload file://../shared/samples/connect-lambda-event.json out.json

Ctrl-C stops it; state lives in memory only.
""", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
