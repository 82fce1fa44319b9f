"""An activator's PIN for the phone: 6 to 8 digits, never a trivial one, stored only as a slow salted hash
(scrypt, a salt of its own per PIN) and compared in constant time. Neither a PIN nor its hash is ever logged or
answered."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import secrets

# scrypt's cost: 2^14 x 8 x 128 bytes = 16 MiB of memory and some 40 ms per try on one core, so that a stolen
# table is no list of PINs (a million 6-digit PINs then cost hours per salt, not seconds).
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
_SCHEME = "scrypt"
_DIGITS = re.compile(r"[0-9]{6,8}")


def trivial(pin: str) -> bool:
    """A PIN anyone would try first: one digit repeated (000000), a run up or down (123456, 987654) or a short
    pattern repeated (121212, 123123)."""
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if steps == {0} or steps <= {1, -9} or steps <= {-1, 9}:  # 000000; 123456 and 890123; 654321 and 321098
        return True
    return any(len(pin) % period == 0 and pin == pin[:period] * (len(pin) // period) for period in (2, 3, 4))


def problem(pin: str) -> str | None:
    """Why `pin` may not be a PIN, as a sentence, or None when it may."""
    if not _DIGITS.fullmatch(pin):
        return "The PIN is 6 to 8 digits."
    if trivial(pin):
        return (
            "This PIN is too easy to guess (a repeated digit, a run such as 123456, or a repeated pattern); "
            "choose another."
        )
    return None


def pin_hash(pin: str, salt: bytes | None = None) -> str:
    """The stored form of a PIN: `scrypt$n$r$p$salt$hash`, a fresh random salt each time."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"{_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def matches(pin: str, stored: str) -> bool:
    """Whether `pin` is the PIN `stored` was made from (constant-time comparison of the hashes)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        computed = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex().encode(), digest.encode())
