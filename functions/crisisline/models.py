"""The domain's shapes: what the API accepts, and who is calling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

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

Language = Literal["nl", "fr", "de", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "fr", "de", "en")
Role = Literal["admin", "authority", "finance"]
NumberKind = Literal["did", "toll_free"]

NisCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
Email = Annotated[str, StringConstraints(max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
# Free text is checked as sent (its length, at least one non-space character), then trimmed: a check after
# trimming would accept what the API's document says is too long.
Reference = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S"), AfterValidator(str.strip)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S"), AfterValidator(str.strip)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"\S"), AfterValidator(str.strip)]
Message = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S"), AfterValidator(str.strip)]


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the authorizer established it."""

    role: Role
    credential_id: str
    authority_id: str | None = None
    authority_name: str | None = None
    number_kind: NumberKind | None = None  # an authority's enrolment preference, carried by its credential


class _Body(BaseModel):
    # Strict: a JSON number is not a date, "4" is not a number of operators, "yes" is not a boolean; the API's
    # document says which JSON type each field takes, and the API accepts only that.
    model_config = ConfigDict(extra="forbid", str_max_length=10_000, strict=True)


def _iso_date(value: Any) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("write the date as text, YYYY-MM-DD")
    return date.fromisoformat(value)


# A date as JSON carries it: text, YYYY-MM-DD (strict models take no other form).
IsoDate = Annotated[date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]


def _unique_languages(languages: list[Language]) -> list[Language]:
    if len(set(languages)) != len(languages):
        raise ValueError("each language may appear once")
    return languages


class Agreement(_Body):
    reference: Reference
    signed_on: IsoDate

    @field_validator("signed_on")
    @classmethod
    def _signed_already(cls, signed_on: date) -> date:
        if signed_on > date.today():
            raise ValueError("the agreement must already be signed")
        return signed_on


class Billing(_Body):
    reference: Reference
    email: Email


class AuthorityIn(_Body):
    """An authority to enrol: a municipality or province with a signed agreement."""

    id: NisCode = Field(description="NIS code of the municipality or province")
    name: Name
    languages: list[Language] = Field(min_length=1, max_length=4)
    agreement: Agreement
    billing: Billing
    number_kind: NumberKind | None = Field(
        default=None, description="the kind of number its activations get unless they ask otherwise: toll_free "
                                  "(citizens call free, the authority pays more per minute) or did (geographic); "
                                  "toll_free when not given")

    _unique = field_validator("languages")(_unique_languages)


class CredentialIn(_Body):
    role: Literal["finance", "admin"]
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
        raise ValueError(f"{number} is a Belgian premium-rate number (090x): citizens would pay to call the "
                         "crisis line; use a toll-free (0800) or geographic number")
    if form == "mobile":
        raise ValueError(f"{number} is a Belgian mobile number (04xx): the pool holds toll-free (0800) or "
                         "geographic numbers")


def check_number_kind(number: str, kind: str) -> None:
    """The kind must match the number's form where Belgian numbering makes it certain (ValueError saying why);
    elsewhere the kind is taken as given."""
    form = belgian_number_form(number)
    if form == "toll_free" and kind != "toll_free":
        raise ValueError(f"{number} is a Belgian toll-free number (0800), so its kind is toll_free, not {kind}")
    if form == "geographic" and kind == "toll_free":
        raise ValueError(f"{number} is a Belgian geographic number, which callers pay for: its kind is did, "
                         "not toll_free")


class NumberIn(_Body):
    number: E164 = Field(description="E.164 phone number already claimed in Amazon Connect; Belgian premium-rate "
                                     "(+3290) and mobile (+324, nine digits) numbers are refused")
    kind: NumberKind = Field(description="toll_free or did (geographic); must match a Belgian number's form "
                                         "(+32800 is toll_free, a zone number is did)")

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
        default=None, description="toll_free (citizens call free, the authority pays more per minute) or did "
                                  "(geographic); when not given, the authority's enrolment preference, else "
                                  "toll_free")

    _unique = field_validator("languages")(_unique_languages)

    @field_validator("message")
    @classmethod
    def _one_message_per_language(cls, message: dict[Language, str], info: ValidationInfo) -> dict[Language, str]:
        # A field validator, not a model validator, so that the 422 names `message` rather than the whole body.
        # When the languages themselves are invalid they are missing here, and that error is reported instead.
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
            raise ValueError("may not be null; leave the field out to keep it unchanged")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ActivationPatch:
        if not self.model_fields_set:
            raise ValueError("name at least one of languages, message, victim_information, operators")
        return self


def check_messages(languages: list[Language], message: dict[Language, str]) -> None:
    """One message for each language, and none for a language the line does not offer."""
    missing = [lang for lang in languages if lang not in message]
    extra = [lang for lang in message if lang not in languages]
    if missing or extra:
        raise ValueError(f"message needs exactly one text per language; missing {missing}, not offered {extra}")
