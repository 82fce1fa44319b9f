"""Keeps the pool of numbers on the Connect instance: the numbers the center already has there (listed by ARN or
E.164), plus up to `claim_count` numbers claimed by the deploy itself; each associated with the entry flow once
Connect has finished claiming it, and entered in the pool table with its kind. A country that offers no number
leaves the pool short, which the result says, instead of rolling back the stack. Numbers are never released
here: a pool number may be printed on a municipality's leaflet, so giving one back is a deliberate act by the
center, not a side effect of a deploy."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from connect_setup.connect import ClaimedNumber, ConnectNumbers
from crisisline.models import check_number_kind, check_pool_number

POOL_DESCRIPTION = "crisisline pool"
# Connect's number types the pool knows, as the pool table's kinds.
KINDS = {"TOLL_FREE": "toll_free", "DID": "did"}
# A claim usually completes within seconds; the deploy waits at most about a minute for all of them together.
WAIT_ROUNDS = 20
WAIT_SECONDS = 3.0


class PoolTable(Protocol):
    def enter(self, number: str, kind: str) -> bool:
        """Add a free number of `kind` to the pool table; False when it is there already."""
        ...


@dataclass(frozen=True)
class PoolRequest:
    instance_arn: str
    flow_arn: str
    country: str  # ISO 3166-1 alpha-2, e.g. BE
    number_type: str  # TOLL_FREE | DID, of the numbers the deploy claims
    claim_count: int  # numbers the deploy itself keeps claimed (0: only the existing ones)
    existing: tuple[str, ...] = ()  # numbers already on the instance: phone-number ARNs or E.164 numbers
    stack_id: str = ""  # makes each claim slot's idempotency token


@dataclass
class PoolResult:
    numbers: list[str] = field(default_factory=list)  # in the pool, routed to the flow
    missing: int = 0  # claims asked for that Connect could not fill
    notes: list[str] = field(default_factory=list)


def claim_token(stack_id: str, slot: int) -> str:
    """The ClaimPhoneNumber ClientToken of one pool slot (a UUID, as Connect requires): a retried create of the
    same stack claims the slot once."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{stack_id}/pool-number/{slot}"))


def _existing(request: PoolRequest, on_instance: list[ClaimedNumber], result: PoolResult) -> list[ClaimedNumber]:
    found = []
    for wanted in request.existing:
        match = next((n for n in on_instance if wanted in (n.arn, n.number, n.id)), None)
        if match is None:
            result.notes.append(f"{wanted} is not claimed to the instance")
        else:
            found.append(match)
    return found


def _claim(request: PoolRequest, connect: ConnectNumbers, slots: range, result: PoolResult) -> list[ClaimedNumber]:
    claimed: list[ClaimedNumber] = []
    for slot in slots:
        offered = connect.available(request.instance_arn, request.country, request.number_type, 1)
        if not offered:
            result.missing = slots.stop - slot
            result.notes.append(
                f"Connect offers no {request.number_type} number in {request.country}: "
                f"{result.missing} of {len(slots)} claim(s) not made"
            )
            break
        number = connect.claim(request.instance_arn, offered[0], POOL_DESCRIPTION, claim_token(request.stack_id, slot))
        claimed.append(ClaimedNumber(number.id, number.number, POOL_DESCRIPTION, number.arn, request.number_type))
    return claimed


def _wait(
    connect: ConnectNumbers, numbers: list[ClaimedNumber], result: PoolResult, sleep: Callable[[float], None]
) -> list[ClaimedNumber]:
    """The numbers whose claim completed; bounded, so a slow claim leaves the pool short instead of the stack
    waiting on the custom resource."""
    pending, done = list(numbers), []
    for round_ in range(WAIT_ROUNDS):
        still = []
        for number in pending:
            status = connect.status(number.id)
            if status == "CLAIMED":
                done.append(number)
            elif status == "FAILED":
                result.notes.append(f"claiming {number.number} failed")
            else:
                still.append(number)
        pending = still
        if not pending:
            break
        if round_ < WAIT_ROUNDS - 1:
            sleep(WAIT_SECONDS)
    for number in pending:
        result.notes.append(f"{number.number} was still being claimed; the next deploy routes it")
    return done


def _kind(number: ClaimedNumber, result: PoolResult) -> str | None:
    kind = KINDS.get(number.number_type)
    if kind is None:
        result.notes.append(f"{number.number} is of type {number.number_type or 'unknown'}, not TOLL_FREE or DID")
        return None
    try:
        check_pool_number(number.number)
        check_number_kind(number.number, kind)
    except ValueError as error:
        result.notes.append(str(error))
        return None
    return kind


def ensure_pool(
    request: PoolRequest,
    connect: ConnectNumbers,
    table: PoolTable,
    sleep: Callable[[float], None] = time.sleep,
) -> PoolResult:
    """Gather the existing numbers, claim what is missing of the deploy's own, wait for the claims, then route
    each ready number to the flow and enter it in the pool table."""
    result = PoolResult()
    on_instance = connect.claimed(request.instance_arn)
    ours = [n for n in on_instance if n.description == POOL_DESCRIPTION]
    ready = _existing(request, on_instance, result) + ours
    ready += _wait(connect, _claim(request, connect, range(len(ours), request.claim_count), result), result, sleep)
    seen: set[str] = set()
    for number in ready:
        if number.id in seen:
            continue
        seen.add(number.id)
        kind = _kind(number, result)
        if kind is None:
            continue
        # Associating again is harmless and repairs a number someone pointed elsewhere by hand.
        connect.associate(request.instance_arn, number.id, request.flow_arn)
        table.enter(number.number, kind)
        result.numbers.append(number.number)
    result.numbers.sort()
    return result
