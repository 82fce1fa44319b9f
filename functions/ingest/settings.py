"""The metering function's environment, validated once at cold start."""

from __future__ import annotations

from pydantic import Field

from crisisline import environment
from crisisline.settings import _Env, load


class MeterSettings(_Env):
    """The metering function's (MeterFunction); the finance functions read usage and contacts through it."""

    contacts_table: str = Field(min_length=3)
    usage_table: str = Field(min_length=3)
    months_table: str = Field(min_length=3)
    activations_table: str = Field(min_length=3)


@environment.settings
def meter() -> MeterSettings:
    return load(MeterSettings)
