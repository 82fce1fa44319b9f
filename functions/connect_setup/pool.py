"""Keeps the pool of numbers on the Connect instance: at least `count` numbers of the country and type, claimed
once, each associated with the entry flow. Numbers are never released here: a pool number may be printed on a
municipality's leaflet, so giving one back is a deliberate act by the center, not a side effect of a deploy."""

from __future__ import annotations

from dataclasses import dataclass

from connect_setup.connect import ConnectNumbers

POOL_DESCRIPTION = "crisisline pool"


class PoolShortage(Exception):
    """Connect offers fewer numbers than the pool needs."""


@dataclass(frozen=True)
class PoolRequest:
    instance_arn: str
    flow_arn: str
    country: str  # ISO 3166-1 alpha-2, e.g. BE
    number_type: str  # TOLL_FREE | DID
    count: int


def ensure_pool(request: PoolRequest, connect: ConnectNumbers) -> list[str]:
    """Claim what is missing, (re)associate every pool number with the flow, and return the pool's numbers."""
    pool = [number for number in connect.claimed(request.instance_arn) if number.description == POOL_DESCRIPTION]
    missing = request.count - len(pool)
    while missing > 0:
        offered = connect.available(request.instance_arn, request.country, request.number_type, missing)
        if not offered:
            raise PoolShortage(
                f"Connect offers no more {request.number_type} numbers in {request.country}; {missing} still missing"
            )
        for candidate in offered[:missing]:
            pool.append(connect.claim(request.instance_arn, candidate, POOL_DESCRIPTION))
            missing -= 1
    for number in pool:
        # Associating again is harmless and repairs a number someone pointed elsewhere by hand.
        connect.associate(request.instance_arn, number.id, request.flow_arn)
    return sorted(number.number for number in pool)
