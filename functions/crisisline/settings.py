"""Each function validates its environment once, at start, with a pydantic model: a missing table name
fails the cold start with a clear message instead of the first request with a KeyError."""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class _Env(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AuthorizerSettings(_Env):
    credentials_table: str = Field(min_length=3)
    token_key_parameter: str = Field(min_length=2)


class ApiSettings(_Env):
    authorities_table: str = Field(min_length=3)
    credentials_table: str = Field(min_length=3)
    numbers_table: str = Field(min_length=3)
    activations_table: str = Field(min_length=3)
    audit_table: str = Field(min_length=3)
    idempotency_table: str = Field(min_length=3)
    token_key_parameter: str = Field(min_length=2)
    idempotency_seconds: int = Field(default=86_400, ge=60)
    # How long a released pool number waits before another activation may claim it (template parameter
    # NumberCooldownSeconds).
    number_cooldown_seconds: int = Field(default=900, ge=0, le=86_400)


def load(model: type[SettingsT]) -> SettingsT:
    """Read `model`'s fields from upper-case environment variables of the same names."""
    return model.model_validate({name: os.environ.get(name.upper()) for name in model.model_fields
                                 if os.environ.get(name.upper()) is not None})


@cache
def api() -> ApiSettings:
    return load(ApiSettings)


@cache
def authorizer() -> AuthorizerSettings:
    return load(AuthorizerSettings)
