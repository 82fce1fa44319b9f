"""The API functions' settings: each function validates its environment once, at start, with a pydantic model:
a missing table name fails the cold start with a clear message instead of the first request with a KeyError.
How every function reads its environment, and how tests make it read again: `crisisline.environment`."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from crisisline import environment

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class _Env(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ConsoleAccess(_Env):
    """Part of both API functions' settings: the web console's origin, the one origin allowed to call the API
    from a browser (template parameter ConsoleOrigin); empty, the API answers no CORS headers at all."""

    console_origin: str = Field(default="", max_length=200, pattern=r"^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)?$")


class AuthorizerSettings(_Env):
    """The token authorizer's; also what every route that changes something reads to re-check its caller."""

    credentials_table: str = Field(min_length=3)
    token_key_parameter: str = Field(min_length=2)


class ActivationSettings(ConsoleAccess):
    """What opening, changing and closing a line reads, wherever it is asked for (the API or the phone)."""

    authorities_table: str = Field(min_length=3)
    credentials_table: str = Field(min_length=3)
    activators_table: str = Field(min_length=3)
    numbers_table: str = Field(min_length=3)
    activations_table: str = Field(min_length=3)
    audit_table: str = Field(min_length=3)
    idempotency_table: str = Field(min_length=3)
    briefings_table: str = Field(min_length=3)
    # Read only, for the crisis center's view of its live lines: routing's call counters and the tariffs.
    call_counters_table: str = Field(min_length=3)
    tariffs_table: str = Field(min_length=3)
    # Read only, for a line's figures: the contacts metering counted (index by-activation).
    contacts_table: str = Field(min_length=3)
    # Read only, for a line's after-action report: its usage as metering aggregates it, priced as the export.
    usage_table: str = Field(min_length=3)
    # The crisis center's service target, which the staffing advice of a line aims at: this share of callers
    # answered within this many seconds; with a patience (mean seconds before a caller hangs up) Erlang A.
    service_level_target: float = Field(default=0.8, gt=0, lt=1)
    answer_within_seconds: int = Field(default=60, ge=0, le=3_600)
    patience_seconds: int | None = Field(default=None, gt=0, le=3_600)
    token_key_parameter: str = Field(min_length=2)
    idempotency_seconds: int = Field(default=86_400, ge=60)
    # How long a released pool number waits before another activation may claim it (template parameter
    # NumberCooldownSeconds).
    number_cooldown_seconds: int = Field(default=900, ge=0, le=86_400)
    # Where each authority's public page is published (crisisline.status_store).
    status_bucket: str = Field(min_length=3)


class ApiSettings(ActivationSettings):
    """The activation API's (ActivateFunction)."""

    # Read only, for the report's D2 counts: the line's D2 items while kept, the figures archived once purged.
    d2_table: str = Field(min_length=3)
    d2_archive_table: str = Field(min_length=3)


def load(model: type[SettingsT]) -> SettingsT:
    """Validate `model`'s fields from the environment (see `crisisline.environment.variables`)."""
    return model.model_validate(environment.values(model))


@environment.settings
def api() -> ApiSettings:
    return load(ApiSettings)


@environment.settings
def authorizer() -> AuthorizerSettings:
    return load(AuthorizerSettings)


class PhoneSettings(ActivationSettings):
    """The phone activation's (PhoneActivationFunction): the activation API's tables, through the same logic, plus
    its own table of calling numbers' tries and recognised calls, and the crisis center's alert topic."""

    phone_activation_table: str = Field(min_length=3)
    duty_officer_topic_arn: str = Field(min_length=3)
    # Tries of a PIN from one calling number in an hour, whoever they claim to be.
    phone_tries_per_hour: int = Field(default=10, ge=1, le=1_000)


@environment.settings
def phone() -> PhoneSettings:
    return load(PhoneSettings)
