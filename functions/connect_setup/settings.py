"""The pool custom resource's environment, validated once at cold start."""

from __future__ import annotations

from pydantic import Field

from crisisline import environment
from crisisline.settings import _Env, load


class PoolSettings(_Env):
    """The pool custom resource's (ConnectSetupFunction): where it enters each number, and its audit entry."""

    numbers_table: str = Field(min_length=3)
    audit_table: str = Field(min_length=3)


@environment.settings
def pool() -> PoolSettings:
    return load(PoolSettings)
