"""Bearer tokens: random, shown once, stored only as an HMAC-SHA256 under a key kept in SSM Parameter Store.
Neither a token nor the key is ever logged."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from crisisline.aws import client

TOKEN_BYTES = 32  # 256 bits of randomness, 43 url-safe characters
_KEY_CACHE_SECONDS = 300
_key_cache: dict[str, tuple[float, bytes]] = {}


def new_token() -> str:
    """A fresh random bearer token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str, key: bytes) -> str:
    """The keyed hash under which a token is stored and looked up."""
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def same_hash(left: str, right: str) -> bool:
    """Constant-time comparison of two stored hashes."""
    return hmac.compare_digest(left.encode(), right.encode())


def hashing_key(parameter_name: str) -> bytes:
    """The hashing key from SSM Parameter Store, cached for a few minutes per process."""
    now = time.monotonic()
    cached = _key_cache.get(parameter_name)
    if cached and now - cached[0] < _KEY_CACHE_SECONDS:
        return cached[1]
    value = client("ssm").get_parameter(Name=parameter_name, WithDecryption=True)["Parameter"]["Value"]
    key = value.encode()
    _key_cache[parameter_name] = (now, key)
    return key


def forget_key() -> None:
    _key_cache.clear()
