"""The activation API's data access, one store per aggregate: activations with their audit trail and operator
timeline (`activations`), authorities with their credentials (`authorities`), the people allowed to activate
each authority's line (`activators`), the pool of numbers (`numbers`),
the operators' questions-and-answers sheet of each line (`briefings`), what a live line's calls this hour are
measured against (`capacity`, read only), what a line's figures are computed from (`figures`, read only) and
its D2 line's figures for its after-action report (`d2`, read only).
Only these modules speak DynamoDB for them; every change that touches several items is one transaction, so an
error leaves nothing half-written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crisisline.aws import client
from crisisline.settings import ActivationSettings, ApiSettings
from crisisline.stores.activations import ActivationStore
from crisisline.stores.activators import ActivatorStore
from crisisline.stores.authorities import AuthorityStore
from crisisline.stores.briefings import BriefingStore
from crisisline.stores.capacity import CapacityStore
from crisisline.stores.d2_figures import D2FiguresStore
from crisisline.stores.figures import FiguresStore
from crisisline.stores.numbers import NumberStore

__all__ = [
    "ActivationStore",
    "ActivatorStore",
    "AuthorityStore",
    "BriefingStore",
    "CapacityStore",
    "D2FiguresStore",
    "FiguresStore",
    "NumberStore",
    "Stores",
]


@dataclass(frozen=True)
class Stores:
    """The stores the activation API works with, on one DynamoDB client."""

    activations: ActivationStore
    authorities: AuthorityStore
    numbers: NumberStore
    briefings: BriefingStore
    capacity: CapacityStore
    figures: FiguresStore
    activators: ActivatorStore
    # None where the function may not read the D2 tables (the phone activation): only the report reads them.
    d2: D2FiguresStore | None

    @classmethod
    def from_settings(cls, settings: ActivationSettings, dynamodb: Any = None) -> Stores:
        """Each store on the tables `settings` names; `dynamodb` defaults to the shared client."""
        ddb = dynamodb or client("dynamodb")
        return cls(
            activations=ActivationStore(
                ddb, activations_table=settings.activations_table, audit_table=settings.audit_table
            ),
            authorities=AuthorityStore(
                ddb,
                authorities_table=settings.authorities_table,
                credentials_table=settings.credentials_table,
                audit_table=settings.audit_table,
            ),
            numbers=NumberStore(ddb, numbers_table=settings.numbers_table, audit_table=settings.audit_table),
            briefings=BriefingStore(
                ddb,
                briefings_table=settings.briefings_table,
                activations_table=settings.activations_table,
                audit_table=settings.audit_table,
            ),
            capacity=CapacityStore(
                ddb, call_counters_table=settings.call_counters_table, tariffs_table=settings.tariffs_table
            ),
            figures=FiguresStore(
                ddb,
                contacts_table=settings.contacts_table,
                call_counters_table=settings.call_counters_table,
                usage_table=settings.usage_table,
            ),
            activators=ActivatorStore(
                ddb,
                activators_table=settings.activators_table,
                credentials_table=settings.credentials_table,
                audit_table=settings.audit_table,
            ),
            d2=D2FiguresStore(ddb, d2_table=settings.d2_table, d2_archive_table=settings.d2_archive_table)
            if isinstance(settings, ApiSettings)
            else None,
        )
