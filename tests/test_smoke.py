"""`make smoke` after a deploy: run here against the local stack as a crisis-center engineer runs it against
a deployed one. Every step passes, and afterwards the stack shows they happened: the line was opened on a pool
number and closed (its audit), the number is free again, and the test authority is revoked."""

from __future__ import annotations

import re
from typing import Any

from infra import smoke
from tests.conftest import RunningStack, http


def test_the_smoke_test_opens_routes_and_closes_a_line_and_leaves_nothing_live(
    local_stack: RunningStack, capsys: Any
) -> None:
    code = smoke.main(
        [
            "--api-url",
            local_stack.api_url,
            "--lambda-url",
            local_stack.lambda_url,
            "--admin-token",
            local_stack.admin_token,
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    steps = re.findall(r"^(PASS|FAIL|SKIP)  ([^:\n]+)", printed, re.M)
    assert steps == [
        ("PASS", "health"),
        ("PASS", "enrol a test authority"),
        ("PASS", "open a line on a pool number"),
        ("PASS", "routing answers the number live"),
        ("PASS", "close the line"),
        ("PASS", "the number is not active again"),
        ("PASS", "revoke the test authority"),
    ]
    activation_id, number = re.search(r"line (\S+) live on (\+\d+)", printed).groups()  # type: ignore[union-attr]
    authority_id = re.search(r"test authority (\d{5}) enrolled", printed).group(1)  # type: ignore[union-attr]
    admin = local_stack.admin_token

    status, _, audit = http("GET", f"{local_stack.api_url}/activations/{activation_id}/audit", admin)
    assert status == 200
    actions = [entry["action"] for entry in audit["entries"]]
    assert actions[0] == "open" and "close" in actions, actions

    status, _, line = http("GET", f"{local_stack.api_url}/activations/{activation_id}", admin)
    assert (line["status"], line["number"], line["authority_id"]) == ("closed", number, authority_id)

    _, _, numbers = http("GET", f"{local_stack.api_url}/numbers", admin)
    (pool_number,) = [n for n in numbers["numbers"] if n["number"] == number]
    assert pool_number["state"] == "free"  # the local stack's cool-down is 0

    _, _, enrolled = http("GET", f"{local_stack.api_url}/authorities/{authority_id}", admin)
    assert enrolled.get("revoked_at"), enrolled


def test_the_smoke_test_reports_a_failed_step_and_still_cleans_up(local_stack: RunningStack, capsys: Any) -> None:
    # A routing function that does not exist: the routing step fails, the line is closed and the authority revoked.
    code = smoke.main(
        [
            "--api-url", local_stack.api_url,
            "--lambda-url", local_stack.lambda_url,
            "--admin-token", local_stack.admin_token,
            "--function-name", "NoSuchFunction",
        ]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 1
    assert re.search(r"^FAIL  routing answers the number live", printed, re.M)
    assert re.search(r"^PASS  close the line", printed, re.M)
    assert re.search(r"^PASS  revoke the test authority", printed, re.M)
    assert printed.rstrip().endswith("smoke test FAILED")


def test_the_smoke_test_needs_an_admin_token_and_one_target(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.delenv("CRISISLINE_ADMIN_TOKEN", raising=False)
    assert smoke.main(["--api-url", "http://127.0.0.1:9"]) == 2
    assert smoke.main(["--admin-token", "x"]) == 2
    assert "--stack" in capsys.readouterr().err
