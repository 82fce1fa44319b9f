"""The domain's shapes: what the API accepts, and who is calling."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import (
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from crisisline import facts, staffing

# The languages of crisisline.facts, spelt out for the type checker and the API's document.
Language = Literal["nl", "fr", "de", "en"]
LANGUAGES = cast(tuple[Language, ...], facts.LANGUAGES)
if get_args(Language) != LANGUAGES:
    raise ImportError("Language must name crisisline.facts.LANGUAGES, in their order")
Channel = Literal["api", "console", "phone"]
Role = Literal["admin", "authority", "finance", "operator", "d2_agent", "d2_coordinator"]
NumberKind = Literal["did", "toll_free"]

NisCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]

# Characters that change the direction of the text around them (overrides, embeddings, isolates, marks): they
# can make a name or a message read differently on a screen than it is stored.
_DIRECTION_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters by their category that show nothing (Hangul fillers, the braille blank).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_SPOKEN_BREAKS = re.compile(r"\s*[\t\n\r\v\f\u2028\u2029][\s]*")


def _visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_LETTERS


def visible_text(text: str) -> str:
    """Text a person can read as stored: no control character (C0, DEL, C1), no direction control, no other
    invisible character (zero-width spaces and joiners, U+FEFF, soft hyphens, surrogates), and at least one
    visible character. Each refusal is its own error type, which the API turns into a sentence."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc":
            raise PydanticCustomError(
                "text_control_character", "contains a control character", {"character": f"U+{ord(char):04X}"}
            )
        if char in _DIRECTION_CONTROLS:
            raise PydanticCustomError(
                "text_direction_control",
                "contains a character that changes the direction of the text",
                {"character": f"U+{ord(char):04X}"},
            )
    if not any(_visible(char) for char in text):
        raise PydanticCustomError("text_not_visible", "has no visible text")
    for char in text:
        if unicodedata.category(char) in ("Cf", "Cs", "Co", "Cn") or char in _BLANK_LETTERS:
            raise PydanticCustomError(
                "text_invisible_character", "contains an invisible character", {"character": f"U+{ord(char):04X}"}
            )
    return text


def spoken_text(text: str) -> str:
    """A message is read out to callers: a line break or tab carries nothing they hear, so each run of them
    (with the spaces around it) becomes one space; then the text is checked as any other."""
    return visible_text(_SPOKEN_BREAKS.sub(" ", text))


_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _email_form(text: str) -> str:
    if not re.match(_EMAIL, text):
        raise PydanticCustomError("string_pattern_mismatch", "is not an e-mail address", {"pattern": _EMAIL})
    return text


# Checked for hidden characters before its form, so that the caller learns about the character they cannot see.
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(visible_text),
    AfterValidator(_email_form),
    WithJsonSchema({"type": "string", "maxLength": 254, "pattern": _EMAIL}),
]
# Free text is checked as sent (its length), then for what a person cannot see, then trimmed: a check after
# trimming would accept what the API's document says is too long.
Reference = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(visible_text), AfterValidator(str.strip)
]
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(visible_text), AfterValidator(str.strip)
]
Reason = Annotated[
    str, StringConstraints(min_length=1, max_length=500), AfterValidator(visible_text), AfterValidator(str.strip)
]
Message = Annotated[
    str, StringConstraints(min_length=1, max_length=2000), AfterValidator(spoken_text), AfterValidator(str.strip)
]


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the authorizer established it."""

    role: Role
    credential_id: str
    authority_id: str | None = None
    authority_name: str | None = None
    number_kind: NumberKind | None = None  # an authority's enrolment preference, carried by its credential
    label: str | None = None  # who holds the credential, as the crisis center named them
    activator_id: str | None = None  # the named person of the authority's annex whose own token this is
    channel: Channel = "api"  # how the request came: the API, the console, later the phone


class _Body(BaseModel):
    # Strict: a JSON number is not a date, "4" is not a number of operators, "yes" is not a boolean; the API's
    # document says which JSON type each field takes, and the API accepts only that.
    model_config = ConfigDict(extra="forbid", str_max_length=10_000, strict=True)


def _iso_date(value: Any) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise PydanticCustomError("date_text", "is a date written as text, YYYY-MM-DD")
    return date.fromisoformat(value)


# A date as JSON carries it: text, YYYY-MM-DD (strict models take no other form).
IsoDate = Annotated[date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]


def _unique_languages(languages: list[Language]) -> list[Language]:
    if len(set(languages)) != len(languages):
        raise PydanticCustomError("languages_repeated", "names a language twice")
    return languages


class Agreement(_Body):
    reference: Reference
    signed_on: IsoDate

    @field_validator("signed_on")
    @classmethod
    def _signed_already(cls, signed_on: date) -> date:
        if signed_on > date.today():
            raise PydanticCustomError("agreement_not_signed_yet", "is in the future")
        return signed_on


class Billing(_Body):
    reference: Reference
    email: Email


Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,8}$")]


class ActivatorIn(_Body):
    """A person the authority's agreement names as allowed to activate its line."""

    name: Name = Field(description="the person's name, as the agreement's annex writes it")
    function: Name = Field(description="their function: mayor, emergency-planning officer, deputy, ...")
    phone: E164 = Field(description="their phone number in E.164, e.g. +32475123456")
    language: Language = Field(description="the language they are spoken to in")


class ActivatorPatch(_Body):
    """What changes of an activator; a field left out stays as it is."""

    name: Name | None = None
    function: Name | None = None
    phone: E164 | None = None
    language: Language | None = None

    @field_validator("name", "function", "phone", "language")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # None is only the default of a field left out; an explicit null would erase the field.
        if value is None:
            raise PydanticCustomError("null_in_change", "may not be null")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ActivatorPatch:
        if not self.model_fields_set:
            raise ValueError(
                "The change names nothing to change: give at least one of name, function, phone, language."
            )
        return self


class PinIn(_Body):
    """An activator's PIN for the phone, set by the crisis center."""

    pin: Pin = Field(description="6 to 8 digits, not a trivial one such as 123456 or 000000")


class MyPinIn(_Body):
    """An activator's own change of their PIN."""

    current_pin: Pin = Field(description="the PIN as it is now")
    new_pin: Pin = Field(description="6 to 8 digits, not a trivial one such as 123456 or 000000")


class AuthorityIn(_Body):
    """An authority to enrol: a municipality or province with a signed agreement."""

    id: NisCode = Field(description="NIS code of the municipality or province")
    name: Name
    languages: list[Language] = Field(min_length=1, max_length=4)
    agreement: Agreement
    billing: Billing
    number_kind: NumberKind | None = Field(
        default=None,
        description="the kind of number its activations get unless they ask otherwise: toll_free "
        "(citizens call free, the authority pays more per minute) or did (geographic); "
        "toll_free when not given",
    )
    activators: list[ActivatorIn] | None = Field(
        default=None, max_length=20, description="the people its agreement's annex names as allowed to activate"
    )

    _unique = field_validator("languages")(_unique_languages)


class CredentialIn(_Body):
    role: Literal["finance", "admin", "operator", "d2_agent", "d2_coordinator"] = Field(
        description="operator: the call center's staff who answer calls; they read a live line's briefing only. "
        "d2_agent: FPS Public Health staff who record relatives' enquiries on a D2 line and see their own; "
        "d2_coordinator: FPS Public Health staff who see every enquiry of an activation"
    )
    label: Name = Field(description="who holds the token: a person or team, to recognise it in the list")


def belgian_number_form(number: str) -> str | None:
    """What Belgian numbering makes certain about an E.164 number: `toll_free` (0800), `premium` (090x),
    `mobile` (04xx with nine digits), `geographic` (a zone number), or None (not Belgian, or not certain, such
    as 070 and 078)."""
    if not number.startswith("+32"):
        return None
    national = number[3:]
    if national.startswith("800"):
        return "toll_free"
    if national.startswith("90"):
        return "premium"
    if national.startswith("4") and len(national) == 9:
        return "mobile"
    if national.startswith(("70", "78")) or national[:1] in ("", "0"):
        return None
    return "geographic"  # a zone digit 1-9: Liège's 04 has eight digits, Stavelot's 080 is not 0800


def check_pool_number(number: str) -> None:
    """A number the pool may hold: never premium-rate nor mobile (ValueError saying why)."""
    form = belgian_number_form(number)
    if form == "premium":
        raise ValueError(
            f"{number} is a Belgian premium-rate number (090x): citizens would pay to call the "
            "crisis line; use a toll-free (0800) or geographic number"
        )
    if form == "mobile":
        raise ValueError(
            f"{number} is a Belgian mobile number (04xx): the pool holds toll-free (0800) or geographic numbers"
        )


def check_number_kind(number: str, kind: str) -> None:
    """The kind must match the number's form where Belgian numbering makes it certain (ValueError saying why);
    elsewhere the kind is taken as given."""
    form = belgian_number_form(number)
    if form == "toll_free" and kind != "toll_free":
        raise ValueError(f"{number} is a Belgian toll-free number (0800), so its kind is toll_free, not {kind}")
    if form == "geographic" and kind == "toll_free":
        raise ValueError(
            f"{number} is a Belgian geographic number, which callers pay for: its kind is did, not toll_free"
        )


class NumberIn(_Body):
    number: E164 = Field(
        description="E.164 phone number already claimed in Amazon Connect; Belgian premium-rate "
        "(+3290) and mobile (+324, nine digits) numbers are refused"
    )
    kind: NumberKind = Field(
        description="toll_free or did (geographic); must match a Belgian number's form "
        "(+32800 is toll_free, a zone number is did)"
    )

    @field_validator("number")
    @classmethod
    def _poolable(cls, number: str) -> str:
        check_pool_number(number)
        return number

    @field_validator("kind")
    @classmethod
    def _kind_matches_number(cls, kind: str, info: ValidationInfo) -> str:
        # A field validator, so that the 422 names `kind`; an invalid number is reported on its own instead.
        if "number" in info.data:
            check_number_kind(info.data["number"], kind)
        return kind


class NumberPatch(_Body):
    """A correction to a free pool number."""

    kind: NumberKind


class ActivationIn(_Body):
    """What an authority asks for when it opens its line."""

    reason: Reason
    languages: list[Language] = Field(min_length=1, max_length=4)
    message: dict[Language, Message]
    victim_information: bool = Field(default=False, description="open a D2 line for victims' relatives")
    operators: int = Field(ge=1, le=200)
    number_kind: NumberKind | None = Field(
        default=None,
        description="toll_free (citizens call free, the authority pays more per minute) or did "
        "(geographic); when not given, the authority's enrolment preference, else "
        "toll_free",
    )

    _unique = field_validator("languages")(_unique_languages)

    @field_validator("message")
    @classmethod
    def _one_message_per_language(cls, message: dict[Language, str], info: ValidationInfo) -> dict[Language, str]:
        # A field validator, not a model validator, so that the 422 names `message` rather than the whole body.
        # When the languages themselves are invalid they are missing here, and that error is reported instead.
        if "languages" in info.data:
            check_messages(info.data["languages"], message)
        return message


class DefaultMessageIn(_Body):
    """The message an authority keeps ready, per language, for a line opened without one typed (by phone at
    night); each text is checked and folded as an activation's message is."""

    message: dict[Language, Message] = Field(
        min_length=1,
        max_length=4,
        description="1 to 4 of nl, fr, de, en; when the line is opened by phone, its languages are these keys",
    )


class PreviewIn(_Body):
    """A line as drafted (or as it is), to hear what callers will: checked as when it is opened."""

    languages: list[Language] = Field(min_length=1, max_length=4)
    message: dict[Language, Message]
    victim_information: bool = Field(default=False, description="the line has a D2 line for victims' relatives")

    _unique = field_validator("languages")(_unique_languages)

    @field_validator("message")
    @classmethod
    def _one_message_per_language(cls, message: dict[Language, str], info: ValidationInfo) -> dict[Language, str]:
        if "languages" in info.data:
            check_messages(info.data["languages"], message)
        return message


class ActivationPatch(_Body):
    """A change to a live activation; only the fields given change."""

    languages: list[Language] | None = Field(default=None, min_length=1, max_length=4)
    message: dict[Language, Message] | None = None
    victim_information: bool | None = None
    operators: int | None = Field(default=None, ge=1, le=200)

    _unique = field_validator("languages")(lambda cls, v: v if v is None else _unique_languages(v))

    @field_validator("languages", "message", "victim_information", "operators")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # None is only the default of a field left out; an explicit null would erase the field.
        if value is None:
            raise PydanticCustomError("null_in_change", "may not be null")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ActivationPatch:
        if not self.model_fields_set:
            raise ValueError(
                "The change names nothing to change: give at least one of languages, message, "
                "victim_information, operators."
            )
        return self


# ---------------------------------------------------------------------- the operators' briefing
BRIEFING_PAIRS_PER_LANGUAGE = 50  # a sheet an operator can scan during a call; the body's 64 KiB bounds it too
# Read on a screen by an operator while a caller waits: checked and folded as a message is (line breaks and tabs
# become single spaces), so what the operator reads is one plain paragraph.
Question = Annotated[
    str, StringConstraints(min_length=1, max_length=300), AfterValidator(spoken_text), AfterValidator(str.strip)
]
Answer = Annotated[
    str, StringConstraints(min_length=1, max_length=2000), AfterValidator(spoken_text), AfterValidator(str.strip)
]


class BriefingItem(_Body):
    question: Question
    answer: Answer


class BriefingIn(_Body):
    """The questions callers ask and the answers operators give, per language of the line; replaces the sheet."""

    items: dict[Language, Annotated[list[BriefingItem], Field(max_length=BRIEFING_PAIRS_PER_LANGUAGE)]] = Field(
        description="per language the line speaks (only those), at most "
        f"{BRIEFING_PAIRS_PER_LANGUAGE} question-and-answer pairs, in the order operators read them"
    )


LANGUAGE_NAMES: dict[str, str] = {"nl": "Dutch", "fr": "French", "de": "German", "en": "English"}


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def check_messages(languages: list[Language], message: dict[Language, str]) -> None:
    """One message for each language, and none for a language the line does not offer; else a ValueError whose
    text is the sentence the caller reads."""
    missing = [lang for lang in languages if lang not in message]
    extra = [lang for lang in message if lang not in languages]
    if not (missing or extra):
        return
    parts = []
    if missing:
        parts.append(
            f"The message needs a text in {_listed([f'{LANGUAGE_NAMES[x]} ({x})' for x in missing])}, "
            f"because the line offers {_listed([LANGUAGE_NAMES[x] for x in missing])}"
        )
    if extra:
        texts = "the text" if len(extra) == 1 else "the texts"
        which = f"{texts} in {_listed([f'{LANGUAGE_NAMES[x]} ({x})' for x in extra])}"
        parts.append(f"{'remove' if missing else 'Remove'} {which}, which the line does not offer")
    raise ValueError("; ".join(parts) + ".")


def check_briefing_languages(languages: list[Language], items: dict[Language, Any]) -> None:
    """Questions and answers only in languages the line speaks; else a ValueError whose text is the sentence the
    caller reads."""
    extra = [lang for lang in items if lang not in languages]
    if extra:
        named = _listed([f"{LANGUAGE_NAMES[x]} ({x})" for x in extra])
        spoken = _listed([LANGUAGE_NAMES[x] for x in languages])
        raise ValueError(f"Remove the questions and answers in {named}: the line speaks {spoken} only.")


# ---------------------------------------------------------------------- what each field is called
# What an official calls each field the API takes (body, path, query, header), by its dotted name; `[]` stands
# for each item of a list, `[key]` for each key of an object. The API's 422 sentences are made from these.
FIELD_NAMES: dict[str, str] = {
    "body": "the request",
    "id": "the NIS code",
    "authority_id": "the NIS code",
    "name": "the name",
    "languages": "the list of languages",
    "languages[]": "each language",
    "agreement": "the agreement",
    "agreement.reference": "the agreement's reference",
    "agreement.signed_on": "the date the agreement was signed",
    "billing": "the billing details",
    "billing.reference": "the billing reference",
    "billing.email": "the billing e-mail address",
    "role": "the role",
    "number": "the number",
    "kind": "the kind of number",
    "reason": "the reason",
    "message": "the message",
    "message[key]": "each language of the message",
    "victim_information": "the D2 line for relatives of victims (victim_information)",
    "operators": "the number of operators",
    "activation_id": "the activation id",
    "status": "the status",
    "idempotency-key": "the Idempotency-Key header",
    "if-match": "the If-Match header (a revision, as the ETag gave it)",
    "month": "the month",
    "format": "the format",
    "effective_from": "the date the tariff takes effect",
    "currency": "the currency",
    "operator_hour": "the price of an operator hour",
    "number_day": "the price of a number per day",
    "number_day.did": "the price of a direct number per day",
    "number_day.toll_free": "the price of a toll-free number per day",
    "telephony_minute": "the price of a telephony minute",
    "telephony_minute.did": "the price of a telephony minute on a direct number",
    "telephony_minute.toll_free": "the price of a telephony minute on a toll-free number",
    "service_minute": "the price of a service minute",
    "personnel_minimum_hours": "the minimum personnel hours",
    "calls_per_operator_hour": "the number of calls per operator hour",
    "grace_minutes": "the grace period in minutes",
    "label": "the label (who holds the credential)",
    "credential_id": "the credential id",
    "number_kind": "the kind of number (toll_free or did)",
    "activators": "the list of activators",
    "activators[]": "each activator",
    "activators[].name": "the activator's name",
    "activators[].function": "the activator's function",
    "activators[].phone": "the activator's phone number",
    "activators[].language": "the activator's language",
    "function": "the function",
    "phone": "the phone number",
    "language": "the language",
    "activator_id": "the activator id",
    "pin": "the PIN",
    "current_pin": "the current PIN",
    "new_pin": "the new PIN",
}
for _code, _language in LANGUAGE_NAMES.items():
    FIELD_NAMES[f"message.{_code}"] = f"the message in {_language} ({_code})"
    FIELD_NAMES[f"items.{_code}"] = f"the questions and answers in {_language} ({_code})"
    FIELD_NAMES[f"items.{_code}[]"] = f"each question and answer in {_language} ({_code})"
    FIELD_NAMES[f"items.{_code}[].question"] = f"each question in {_language} ({_code})"
    FIELD_NAMES[f"items.{_code}[].answer"] = f"each answer in {_language} ({_code})"
FIELD_NAMES["items"] = "the questions and answers"
# D2: a relative's enquiry about someone who may be a victim, and the lists and retention around it.
FIELD_NAMES.update(
    {
        "sought": "the person sought",
        "sought.given_names": "the sought person's given names",
        "sought.family_name": "the sought person's family name",
        "sought.birth_date": "the sought person's date of birth",
        "sought.age": "the sought person's age",
        "sought.sex": "the sought person's sex",
        "sought.municipality": "the sought person's municipality",
        "sought.nationality": "the sought person's nationality",
        "sought.description": "the sought person's description",
        "sought.last_seen": "where and when the sought person was last seen",
        "enquirer": "the relative who calls",
        "enquirer.name": "the caller's name",
        "enquirer.phone": "the caller's phone number",
        "enquirer.relationship": "the caller's relationship to the person sought",
        "enquirer.language": "the caller's language",
        "enquirer.callback_consent": "the caller's consent to be called back",
        "contact_id": "the call's contact id (Amazon Connect)",
        "reference": "the enquiry's reference",
        "given_names": "the given names",
        "family_name": "the family name",
        "birth_date": "the date of birth",
        "days": "the number of days",
        "source": "the list's source (the hospital, reception centre or police service that sent it)",
        "entry_id": "the list row's id",
        "match_id": "the match's id",
        "person_id": "the sought person's id",
        "other_person_id": "the other sought person's id",
        "callback_id": "the callback's id",
        "outcome": "how the callback went",
        "note": "the note",
        "refused": "whether the found person refused to have their whereabouts shared",
    }
)
FIELD_NAMES["items[key]"] = "each language of the questions and answers"
FIELD_NAMES["if-none-match"] = "the If-None-Match header (the ETag last read)"

# What a field's text must look like, said once: the sentence for text that does not match its pattern.
FIELD_FORMATS: dict[str, str] = {
    "id": "The NIS code is five digits, for example 11002.",
    "authority_id": "The NIS code is five digits, for example 11002.",
    "number": "The number is written in international form: + and the country code, for example +3280012345.",
    "billing.email": "The billing e-mail address is written as name@domain, for example facturen@gent.be.",
    "idempotency-key": "The Idempotency-Key header is 1 to 100 visible ASCII characters, without spaces.",
    "phone": "The phone number is written in international form: + and the country code, for example +32475123456.",
    "activators[].phone": "The activator's phone number is written in international form: + and the country code, "
    "for example +32475123456.",
    "pin": "The PIN is 6 to 8 digits.",
    "current_pin": "The current PIN is 6 to 8 digits.",
    "new_pin": "The new PIN is 6 to 8 digits.",
}
for _field in (
    "operator_hour",
    "number_day.did",
    "number_day.toll_free",
    "telephony_minute.did",
    "telephony_minute.toll_free",
    "service_minute",
    "personnel_minimum_hours",
):
    FIELD_FORMATS[_field] = (
        f"{FIELD_NAMES[_field][0].upper()}{FIELD_NAMES[_field][1:]} is written as text, "
        'in euros with a dot for decimals, for example "45.00".'
    )

# The staffing advisor's figures (GET /staffing): each named as the call center speaks of it, and the range it
# takes said once, for a figure that is not a number or lies outside it.
FIELD_NAMES["calls_per_hour"] = "the number of calls in the hour"
FIELD_NAMES["handle_seconds"] = "the handling time of a call"
FIELD_NAMES["answer_within_seconds"] = "the answer time aimed at"
FIELD_NAMES["service_level"] = "the service level"
FIELD_NAMES["patience_seconds"] = "the callers' patience"
FIELD_RANGES: dict[str, str] = {
    "calls_per_hour": "The number of calls in the hour is a number from 1 to "
    f"{staffing.MAX_CALLS_PER_HOUR}, for example 3295.",
    "handle_seconds": "The handling time of a call is a number of seconds from 1 to "
    f"{staffing.MAX_HANDLE_SECONDS}, for example 240 for four minutes.",
    "answer_within_seconds": "The answer time aimed at is a number of seconds from 0 to "
    f"{staffing.MAX_ANSWER_WITHIN_SECONDS}, for example 60.",
    "service_level": "The service level is a share more than 0 and less than 1, for example 0.8 for 80% of callers.",
    "patience_seconds": "The callers' patience, how long they wait on average before hanging up, is a number of "
    f"seconds from 1 to {staffing.MAX_PATIENCE_SECONDS}, for example 120.",
}
