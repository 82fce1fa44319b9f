"""Bearer tokens: random, shown once, stored only as an HMAC-SHA256 under a key kept in SSM Parameter Store.
Neither a token nor the key is ever logged."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from crisisline.aws import client

TOKEN_BYTES = 32  # 256 bits of randomness, 43 url-safe characters
BEARER = "Bearer "
# Exactly what new_token issues: base64url without padding. API Gateway's validation expression says the same.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_KEY_CACHE_SECONDS = 300
_key_cache: dict[str, tuple[float, bytes]] = {}


def new_token() -> str:
    """A fresh random bearer token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def bearer_token(header: object) -> str | None:
    """The token of an `Authorization` header that is exactly `Bearer ` and a token as issued, else None: no
    other spacing, case or character, so that nothing else reaches the hash (a lone surrogate cannot even be
    encoded)."""
    if isinstance(header, str) and header.startswith(BEARER) and _TOKEN.fullmatch(header, len(BEARER)):
        return header[len(BEARER) :]
    return None


def credential(
    token: str, key_parameter: str, stored_under: Callable[[str], dict[str, Any] | None]
) -> dict[str, Any] | None:
    """The credential a token stands for, or None: `stored_under` finds a credential by the token's keyed hash
    (`AuthorityStore.credential`: one GetItem)."""
    digest = token_hash(token, hashing_key(key_parameter))
    found = stored_under(digest)
    if found is None or not same_hash(str(found.get("token_hash", "")), digest):
        return None
    return found


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
