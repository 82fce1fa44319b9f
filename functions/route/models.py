"""What the routing function reasons about: a caller's request, the live line behind a pool number, and the
decision that the contact flow acts on."""

from __future__ import annotations

from dataclasses import dataclass

from crisisline.facts import LANGUAGES as ALL_LANGUAGES

D5, D2 = "D5", "D2"  # D5: information for the public; D2: victim information for relatives


@dataclass(frozen=True)
class CallRequest:
    """One invocation from the contact flow. `choice` is present only once per call, after the caller picked
    D5 or D2; that invocation, and only that one, counts the call against the activation's capacity."""

    dialled_number: str
    language: str | None = None
    choice: str | None = None
    # The invocation right after the language menu: the flow sends `language` (what the caller keyed, or none)
    # without `choice`; it is told which languages the line offers when the caller's pick is not among them.
    after_language_menu: bool = False


@dataclass(frozen=True)
class LiveLine:
    """The routing copy that a live activation keeps on its pool number."""

    activation_id: str
    authority_name: str
    languages: tuple[str, ...]
    message: dict[str, str]
    victim_information: bool
    operators: int


@dataclass(frozen=True)
class Decision:
    """Where a call goes and what the caller hears. `capacity_checked` is None when the invocation does not
    count the call, False when counting failed (the call is routed without overflow)."""

    status: str  # "live" or "inactive"
    language: str
    message: str
    languages: tuple[str, ...] = ALL_LANGUAGES
    activation_id: str = ""
    authority_name: str = ""
    victim_information: bool = False
    queue: str = D5
    overflow: bool = False
    fallback: bool = False
    d2_refused: bool = False
    capacity_checked: bool | None = None
    # (language, text) of what the caller is told before the message: the line's languages, when their pick is
    # not among them; said in the language they picked, or in each of the line's languages when they picked none.
    notices: tuple[tuple[str, str], ...] = ()
