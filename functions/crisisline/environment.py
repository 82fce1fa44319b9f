"""How every function reads its environment: one settings model per function, each field from the upper-case
environment variable of its name, validated at cold start and kept for the life of the execution environment.

The models are pydantic (`crisisline.settings`, `ingest.settings`, `finance.billing_store`), except the routing
function's, a frozen dataclass (`route.settings`), so that no validation framework weighs on a caller's line;
this module is the standard library only for that reason. A dataclass field names another variable with
`field(metadata={"variable": ...})`.

Tests and the local stack change the environment between invocations; `forget_settings()` is the one way to make
every function read it again."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

SettingsT = TypeVar("SettingsT")

_readers: list[Any] = []


def variables(model: type) -> dict[str, str]:
    """The model's fields and the environment variable each reads."""
    if dataclasses.is_dataclass(model):
        return {field.name: field.metadata.get("variable", field.name.upper()) for field in dataclasses.fields(model)}
    return {name: (field.alias or name.upper()) for name, field in model.model_fields.items()}  # type: ignore[attr-defined]


def required(model: type) -> set[str]:
    """The variables the model cannot do without (the others have a default)."""
    if dataclasses.is_dataclass(model):
        optional = {
            field.name
            for field in dataclasses.fields(model)
            if field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        }
    else:
        optional = {
            name
            for name, field in model.model_fields.items()  # type: ignore[attr-defined]
            if not field.is_required()
        }
    return {variable for name, variable in variables(model).items() if name not in optional}


def values(model: type, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The model's fields that the environment sets, as the text of their variables."""
    env = os.environ if environ is None else environ
    return {name: env[variable] for name, variable in variables(model).items() if env.get(variable) is not None}


def settings(reader: Callable[[], SettingsT]) -> Callable[[], SettingsT]:
    """Decorate a function's settings reader: it reads and validates the environment once, on first use (call it
    at import, so an incomplete environment fails the cold start), and answers the same settings afterwards."""
    cached = cache(reader)
    _readers.append(cached)
    return cached


def models_read() -> list[type]:
    """The settings models this process has read and keeps (what a function's cold start validated)."""
    return [type(reader()) for reader in _readers if reader.cache_info().currsize]


def forget_settings() -> None:
    """Forget every function's settings, so that each reads and validates the environment again on next use, as
    a new execution environment would (for tests and the local stack, which change the environment)."""
    for reader in _readers:
        reader.cache_clear()
