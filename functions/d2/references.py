"""An enquiry's reference, read out on the phone to a relative and typed back later: six characters from an
alphabet without look-alikes and a check character, written `K7MD-4QX` (the check character last).

The alphabet has 23 characters, a prime: the check character makes the weighted sum of all seven values, with
the distinct weights 7, 6, ..., 1, a multiple of 23. Any single wrong character changes the sum by a non-zero
multiple of its weight, and any two characters swapped (adjacent or not) by (w_i - w_j)(a - b): neither is a
multiple of 23, so every single typo and every transposition is detected."""

from __future__ import annotations

import secrets

# No 0/O/Q-like pairs kept apart: 0, O, 1, I, L, 5, S, 2, Z, 8, B, U and V are left out.
ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
BODY_LENGTH = 6
_VALUE = {char: value for value, char in enumerate(ALPHABET)}
_MODULUS = len(ALPHABET)
_WEIGHTS = tuple(range(BODY_LENGTH + 1, 0, -1))  # 7..1; the check character's weight is 1
if _MODULUS != 23:
    raise ImportError("the check character relies on a prime alphabet size of 23")


class Mistyped(ValueError):
    """A reference that cannot be one the line issued: wrong length, a character outside the alphabet, or a
    check character that does not fit (someone misheard or mistyped it)."""


def check_character(body: str) -> str:
    """The check character of six characters of the alphabet."""
    total = sum(weight * _VALUE[char] for weight, char in zip(_WEIGHTS, body, strict=False))
    return ALPHABET[(-total) % _MODULUS]


def new_reference() -> str:
    """A new random reference in its written form, `K7MD-4QX`."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return written(body + check_character(body))


def written(compact: str) -> str:
    """Seven characters as a reference is written and read out: a group of four and one of three."""
    return f"{compact[:4]}-{compact[4:]}"


def normalised(typed: str) -> str:
    """A typed reference in its written form, tolerant of case, spaces and dashes; Mistyped when it cannot be
    one the line issued."""
    compact = "".join(char for char in typed.upper() if char not in " -\t")
    if len(compact) != BODY_LENGTH + 1 or any(char not in _VALUE for char in compact):
        raise Mistyped("A reference is seven characters such as K7MD-4QX; check the reference.")
    total = sum(weight * _VALUE[char] for weight, char in zip(_WEIGHTS, compact, strict=True))
    if total % _MODULUS:
        raise Mistyped("This reference does not check out: a character was misheard or mistyped; check the reference.")
    return written(compact)
