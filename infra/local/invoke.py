"""`python -m infra.local.invoke`: invoke a function of the running local stack (`make run`) by its logical id
with an event file, as `aws lambda invoke` would, without the AWS CLI, a region or credentials; prints its answer.

    .venv/bin/python -m infra.local.invoke RouteFunction --event tests/events/connect-lambda-event.json \\
        --number +3280012345

`--number` sets the dialled number (`SystemEndpoint.Address`) of an Amazon Connect event."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def connect_event(event: dict[str, Any], number: str) -> dict[str, Any]:
    """The Connect event dialling `number` instead of the number it carries."""
    contact = event["Details"]["ContactData"]
    return {
        **event,
        "Details": {
            **event["Details"],
            "ContactData": {
                **contact,
                "SystemEndpoint": {
                    **(contact.get("SystemEndpoint") or {}),
                    "Address": number,
                    "Type": "TELEPHONE_NUMBER",
                },
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.invoke", description=__doc__.split("\n")[0])
    parser.add_argument("function", help="the function's logical id in template.yaml, e.g. RouteFunction")
    parser.add_argument("--event", required=True, type=Path, help="a JSON file: the event to invoke it with")
    parser.add_argument("--number", help="for a Connect event: the dialled number (a pool number)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("CRISISLINE_LAMBDA_PORT", "3001")),
        help="the local stack's Lambda port (CRISISLINE_LAMBDA_PORT, else 3001)",
    )
    args = parser.parse_args(argv)
    try:
        event = json.loads(args.event.read_text(encoding="utf-8"))
        if args.number:
            event = connect_event(event, args.number)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"{args.event}: not an event this command can send ({type(error).__name__}: {error})", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{args.port}/2015-03-31/functions/{args.function}/invocations"
    request = urllib.request.Request(
        url, data=json.dumps(event).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - a local http URL
            payload, failed = answer.read(), answer.headers.get("X-Amz-Function-Error")
    except urllib.error.HTTPError as error:
        print(f"{args.function}: {error.code} {error.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    except OSError as error:
        print(
            f"no local stack answers on 127.0.0.1:{args.port} ({error}); start it with `make run`, "
            "or give its CRISISLINE_LAMBDA_PORT",
            file=sys.stderr,
        )
        return 1
    answered = json.loads(payload) if payload else None
    print(json.dumps(answered, indent=2, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
