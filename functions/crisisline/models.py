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

    _unique = field_validator("languages")(_unique_languages)


class CredentialIn(_Body):
    role: Literal["finance", "admin"]


class NumberIn(_Body):
    number: E164 = Field(description="E.164 phone number already claimed in Amazon Connect")
    kind: NumberKind


class ActivationIn(_Body):
    """What an authority asks for when it opens its line."""

    reason: Reason
    languages: list[Language] = Field(min_length=1, max_length=4)
    message: dict[Language, Message]
    victim_information: bool = Field(default=False, description="open a D2 line for victims' relatives")
    operators: int = Field(ge=1, le=200)

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
