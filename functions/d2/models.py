"""What the D2 line accepts: an enquiry as the FPS Public Health's staff record it during a relative's call."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from crisisline.models import E164, Language, Name, Reason, visible_text

EnquiryStatus = Literal["open", "matched", "closed", "deceased"]
Sex = Literal["f", "m", "x"]

_BIRTH_DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


def _real_birth_date(text: str) -> str:
    """A year, a year and month, or a whole date, each as it exists (no month 13, no 30 February)."""
    year, month, day = [*map(int, text.split("-")), 1, 1][:3]
    try:
        born = date(year, month, day)
    except ValueError:
        raise PydanticCustomError("birth_date_invalid", "is not a date that exists") from None
    if born > date.today() or year < 1880:
        raise PydanticCustomError("birth_date_invalid", "is not a date that exists")
    return text


def _text(max_length: int) -> object:
    return Annotated[
        str,
        StringConstraints(min_length=1, max_length=max_length),
        AfterValidator(visible_text),
        AfterValidator(str.strip),
    ]


Text200 = _text(200)
Text1000 = _text(1000)
BirthDate = Annotated[str, StringConstraints(pattern=_BIRTH_DATE), AfterValidator(_real_birth_date)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2000, strict=True)


class SoughtPerson(_Body):
    """The person a relative asks about, as far as they know."""

    given_names: Name
    family_name: Name
    birth_date: BirthDate | None = Field(default=None, description="YYYY, YYYY-MM or YYYY-MM-DD")
    age: int | None = Field(default=None, ge=0, le=120, description="in years, when the birth date is unknown")
    sex: Sex | None = None
    municipality: Text200 | None = None  # type: ignore[valid-type]
    nationality: Text200 | None = None  # type: ignore[valid-type]
    description: Text1000 | None = Field(default=None, description="clothing, marks, what they carried")  # type: ignore[valid-type]
    last_seen: Text1000 | None = Field(default=None, description="where and when")  # type: ignore[valid-type]


class Enquirer(_Body):
    """The relative who calls: who they are, how to call them back and in which language."""

    name: Name
    # repr=False: a debug log of the request's arguments (Powertools logs them at DEBUG) shows no phone number.
    phone: E164 = Field(description="E.164, e.g. +32470123456; shown to D2 staff only, never logged", repr=False)
    relationship: Text200  # type: ignore[valid-type]
    language: Language
    callback_consent: bool


class EnquiryIn(_Body):
    """One relative's enquiry about one person."""

    sought: SoughtPerson
    enquirer: Enquirer
    contact_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9-]+$",
        description="Amazon Connect's ContactId of the call; a retry with the same contact and body records "
        "nothing new",
    )


STATUS_PATTERN = re.compile(r"^(open|matched|closed|deceased)$")


class RetentionIn(_Body):
    """A longer retention of an activation's D2 data: days after the activation closes, and why."""

    days: int = Field(ge=1, le=3650, description="days after the activation closes; more than it is kept now")
    reason: Reason = Field(description="why the data is kept longer, e.g. a judicial inquiry")


# ---------------------------------------------------------------------- links, callbacks and disclosure
class LinkIn(_Body):
    """A coordinator says the person of another enquiry is the same person."""

    person_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="the other person")


class CallbackDoneIn(_Body):
    """How a callback went: `no_answer` keeps the task due."""

    outcome: Literal["reached", "no_answer", "wrong_number"]
    note: Text1000 | None = None  # type: ignore[valid-type]


class DisclosureIn(_Body):
    """Whether the found person refused that their whereabouts be told to those who ask (the ICRC rule)."""

    refused: bool


class MatchIn(_Body):
    """A coordinator's proposal that a list row is an enquiry's sought person."""

    reference: str = Field(
        min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 -]+$", description="the enquiry's reference, e.g. K7MD-4QX"
    )
    entry_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$", description="the list row's id")
