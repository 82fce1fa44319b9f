"""The metering function's environment, validated once at cold start."""

from __future__ import annotations

from functools import cache

from pydantic import Field

from crisisline.settings import _Env, load


class MeterSettings(_Env):
    contacts_table: str = Field(min_length=3)
    usage_table: str = Field(min_length=3)
    months_table: str = Field(min_length=3)
    activations_table: str = Field(min_length=3)


@cache
def meter() -> MeterSettings:
    return load(MeterSettings)
