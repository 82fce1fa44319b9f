"""Matching a sought person (a relative's enquiry) against list entries (victims and survivors from hospitals,
reception centres and the police), and a new list entry against the open enquiries.

Candidates come from blocking keys, never from comparing every pair. A person is filed under
- `fg:` the sound key of each form of the family name (whole, each part of a double or married name, each part
  without particles) with the first letter of the given name's sound key;
- `fy:` each family form's sound key with each possible birth year (a listed age gives two years);
- `gy:` each given name's sound key with each possible birth year (finds a family name typo);
and a sought person is also looked up with given and family names swapped.

A pair is scored field by field in the manner of Fellegi and Sunter: each field's level of agreement adds a
weight, about log2(m/u) (how much likelier that level is for the same person than for two people), and a
disagreement subtracts one. The weights, in bits:

- family name: the same +7; one part of a double or married name the same +6; the same sound or one edit +5;
  two edits (long names) +2.5; else -5.
- given name: the first the same +6; another the same +4; the same sound or one edit +4.5; two edits +2;
  initial only +1; else -5.
- birth: the date the same +7; day and month swapped +5; one digit wrong or two swapped +3; the year the same
  where one side gives only the year +4; a listed age consistent with the birth year at the event date +4;
  year and month +2; the year only +1; an age one year off +1; the year one off -2; else -6 (missing: 0).
- sex: the same +0.5; different -4 (x or missing: 0).
- names swapped: -1.

Grades: A (strong) from 17 bits with the birth agreeing, B (probable) from 11, C (possible) from 6; nothing
below. The score is 1 / (1 + 2^-((bits - 11) / 1.5)): 0.5 at the threshold of B.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from d2.names import (
    FamilyName,
    edit_distance,
    family_name,
    given_names,
    jaro_winkler,
    phonetic,
    split_trailing_particles,
)

GRADE_A, GRADE_B, GRADE_C = 17.0, 11.0, 6.0
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class InvalidBirthDate(ValueError):
    """A birth date not written YYYY, YYYY-MM or YYYY-MM-DD."""


@dataclass(frozen=True)
class Sought:
    """The person a relative asks about."""

    given_names: str
    family_name: str
    birth_date: str | None = None
    age: int | None = None
    sex: str | None = None
    municipality: str | None = None
    nationality: str | None = None


@dataclass(frozen=True)
class ListEntry:
    """One row of a list of victims or survivors; a list may give an age instead of a birth date."""

    source: str
    source_ref: str
    given_names: str
    family_name: str
    birth_date: str | None = None
    sex: str | None = None
    status: str | None = None
    location: str | None = None
    age: int | None = None

    @property
    def entry_id(self) -> str:
        return f"{self.source}/{self.source_ref}"


@dataclass(frozen=True)
class Candidate:
    """A list entry that may be the sought person: grade A strong, B probable, C possible."""

    entry_id: str
    source: str
    source_ref: str
    grade: str
    score: float
    agreed: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EnquiryMatch:
    """An open enquiry that a list entry (or another enquiry) may be about."""

    enquiry_id: str
    grade: str
    score: float
    agreed: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Person:
    """A person read once for comparing: folded names, their sound keys, the possible birth years."""

    given: tuple[str, ...]
    family: FamilyName
    year: int | None
    month: int | None
    day: int | None
    age: int | None
    years: tuple[int, ...]
    sex: str | None

    @property
    def given_codes(self) -> tuple[str, ...]:
        return tuple(phonetic(word) for word in self.given)

    @property
    def family_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(phonetic(form) for form in self.family.forms))


def _birth(text: str | None) -> tuple[int | None, int | None, int | None]:
    if not text:
        return None, None, None
    found = _DATE.match(text.strip())
    if not found:
        raise InvalidBirthDate(f"birth date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(part) if part else None for part in found.groups())
    if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
        raise InvalidBirthDate(f"birth date {text!r} has no such month or day")
    return year, month, day


def _person(given: str, family: str, birth_date: str | None, age: int | None, sex: str | None, event: date) -> _Person:
    given, family = split_trailing_particles(given, family)
    year, month, day = _birth(birth_date)
    # Someone aged N on the event date was born in the event's year minus N, or the year before.
    years = (year,) if year else (event.year - age, event.year - age - 1) if age is not None else ()
    sex = sex.casefold() if sex else None
    return _Person(given_names(given), family_name(family), year, month, day, age, years, sex)


def _keys(person: _Person, *, probe: bool) -> set[str]:
    given_codes = person.given_codes
    family_codes = person.family_codes
    initial = given_codes[0][:1] if given_codes else ""
    keys = {f"fg:{code}|{initial}" for code in family_codes}
    for year in person.years:
        keys.update(f"fy:{code}|{year}" for code in family_codes)
        keys.update(f"gy:{code}|{year}" for code in given_codes)
    if probe:  # the names swapped: the family name filed as given and the other way round
        whole = phonetic(person.family.whole)
        keys.update(f"fg:{code}|{whole[:1]}" for code in given_codes)
        keys.update(f"gy:{whole}|{year}" for year in person.years)
        keys.update(f"fy:{code}|{year}" for code in given_codes for year in person.years)
    return keys


def _close(left: str, right: str) -> int:
    """2 close (same sound, one edit, Jaro-Winkler >= 0.94), 1 near (two edits in long names, >= 0.88), else 0."""
    if phonetic(left) == phonetic(right):
        return 2
    shortest = min(len(left), len(right))
    edits = edit_distance(left, right)
    similarity = jaro_winkler(left, right)
    if (edits <= 1 and shortest >= 3) or similarity >= 0.94:
        return 2
    if (edits <= 2 and shortest >= 6) or similarity >= 0.88:
        return 1
    return 0


def _family_weight(left: FamilyName, right: FamilyName) -> tuple[float, str]:
    if not left.whole or not right.whole:
        return 0.0, ""
    if left.whole == right.whole:
        return 7.0, "family name"
    left_forms, right_forms = left.forms, right.forms
    if set(left_forms) & set(right_forms):
        return 6.0, "family name (one part)"
    level = max(_close(a, b) for a in left_forms for b in right_forms)
    return {2: (5.0, "family name (spelling)"), 1: (2.5, "family name (near)"), 0: (-5.0, "family name")}[level]


def _given_weight(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[float, str]:
    if not left or not right:
        return 0.0, ""
    if left[0] == right[0] or "".join(left) == "".join(right):
        return 6.0, "given name"
    if set(left) & set(right):
        return 4.0, "given name (another)"
    if len(left[0]) == 1 or len(right[0]) == 1:
        return (1.0, "given name (initial)") if left[0][0] == right[0][0] else (-5.0, "given name")
    level = max(_close(a, b) for a in left for b in right)
    return {2: (4.5, "given name (spelling)"), 1: (2.0, "given name (near)"), 0: (-5.0, "given name")}[level]


def _digits(person: _Person) -> str:
    return f"{person.year:04d}{person.month:02d}{person.day:02d}"


def _birth_weight(left: _Person, right: _Person) -> tuple[float, str]:
    if left.year and right.year:
        return _dates_weight(left, right)
    if left.years and right.years:  # an age on one side at least
        if left.age is not None and right.age is not None:
            gap = abs(left.age - right.age)
        else:
            gap = min(abs(a - b) for a in left.years for b in right.years)
        if gap == 0:
            return 4.0, "age at the event"
        if gap == 1:
            return 1.0, "age (one year off)"
        return -6.0, "age"
    return 0.0, ""


def _dates_weight(left: _Person, right: _Person) -> tuple[float, str]:
    assert left.year is not None and right.year is not None
    full = None not in (left.month, left.day, right.month, right.day)
    if full and (left.month, left.day) == (right.month, right.day) and left.year == right.year:
        return 7.0, "birth date"
    if full and left.year == right.year and (left.month, left.day) == (right.day, right.month):
        return 5.0, "birth date (day and month swapped)"
    if full and edit_distance(_digits(left), _digits(right)) == 1:  # one digit wrong, or two neighbours swapped
        return 3.0, "birth date (one digit off)"
    if left.year == right.year:
        if left.month is None or right.month is None:
            return 4.0, "birth year"
        if left.month == right.month:
            return 2.0, "birth year and month"
    if left.year == right.year:
        return 1.0, "birth year"
    if abs(left.year - right.year) == 1:
        return -2.0, "birth year (one off)"
    return -6.0, "birth year"


@dataclass(frozen=True)
class _Verdict:
    grade: str
    score: float
    agreed: list[str]
    differs: list[str]


def _compare(left: _Person, right: _Person) -> _Verdict | None:
    """The grade of two people being one, or None below C; the better of the names as given and swapped."""
    best: tuple[float, float, list[str], list[str]] | None = None
    swapped_left = _Person(left.family.parts, family_name(" ".join(left.given)), *_rest(left))
    for person, penalty in ((left, 0.0), (swapped_left, -1.0)):
        weights = [
            _family_weight(person.family, right.family),
            _given_weight(person.given, right.given),
            _birth_weight(person, right),
            _sex_weight(person, right),
        ]
        total = sum(weight for weight, _ in weights) + penalty
        agreed = [label for weight, label in weights if label and weight > 0]
        differs = [label for weight, label in weights if label and weight <= 0]
        if penalty:
            differs.append("names swapped")
        if best is None or total > best[0]:
            best = (total, weights[2][0], agreed, differs)
        if total >= GRADE_A:
            break  # the names as given already make A: swapping could not do better
    assert best is not None
    total, birth, agreed, differs = best
    grade = "A" if total >= GRADE_A and birth > 0 else "B" if total >= GRADE_B else "C" if total >= GRADE_C else ""
    if not grade:
        return None
    return _Verdict(grade, round(1 / (1 + 2 ** (-(total - GRADE_B) / 1.5)), 3), agreed, differs)


def _rest(person: _Person) -> tuple[int | None, int | None, int | None, int | None, tuple[int, ...], str | None]:
    return person.year, person.month, person.day, person.age, person.years, person.sex


def _sex_weight(left: _Person, right: _Person) -> tuple[float, str]:
    if left.sex in ("f", "m") and right.sex in ("f", "m"):
        return (0.5, "sex") if left.sex == right.sex else (-4.0, "sex")
    return 0.0, ""


class _Blocked:
    """People by blocking key; `comparisons` counts the pairs scored since it was made."""

    def __init__(self, event_date: date | None) -> None:
        self.event_date = event_date or datetime.now(UTC).date()
        self._people: dict[str, _Person] = {}
        self._keys: dict[str, set[str]] = {}
        self._blocks: defaultdict[str, set[str]] = defaultdict(set)
        self.comparisons = 0

    def __len__(self) -> int:
        return len(self._people)

    def _put(self, key_id: str, person: _Person) -> None:
        self._drop(key_id)
        self._people[key_id] = person
        self._keys[key_id] = _keys(person, probe=False)
        for key in self._keys[key_id]:
            self._blocks[key].add(key_id)

    def _drop(self, key_id: str) -> None:
        for key in self._keys.pop(key_id, ()):
            self._blocks[key].discard(key_id)
            if not self._blocks[key]:
                del self._blocks[key]
        self._people.pop(key_id, None)

    def _graded(self, person: _Person, rejected: Collection[str], exclude: str | None = None) -> Iterable[tuple]:
        blocked: set[str] = set()
        for key in _keys(person, probe=True):
            blocked |= self._blocks.get(key, set())
        blocked.difference_update(rejected)
        blocked.discard(exclude or "")
        found = []
        for other_id in blocked:
            self.comparisons += 1
            verdict = _compare(person, self._people[other_id])
            if verdict:
                found.append((other_id, verdict))
        found.sort(key=lambda pair: (-pair[1].score, pair[0]))
        return found


class Index:
    """List entries by blocking key; `candidates` grades only the entries a sought person blocks with."""

    def __init__(self, event_date: date | None = None) -> None:
        """`event_date`: the day of the event, for a listed age (today when not given)."""
        self._blocked = _Blocked(event_date)
        self._entries: dict[str, ListEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def comparisons(self) -> int:
        """Pairs scored since the index was made."""
        return self._blocked.comparisons

    def add(self, entry: ListEntry) -> str:
        """File one list entry (again, if its source sends the row anew); its id."""
        self._entries[entry.entry_id] = entry
        person = _person(
            entry.given_names, entry.family_name, entry.birth_date, entry.age, entry.sex, self._blocked.event_date
        )
        self._blocked._put(entry.entry_id, person)
        return entry.entry_id

    def candidates(self, sought: Sought, rejected: Collection[str] = ()) -> list[Candidate]:
        """The entries that may be the sought person, best first, none below C; `rejected`: entry ids a person
        already said are not them."""
        person = _sought_person(sought, self._blocked.event_date)
        return [
            Candidate(
                entry_id,
                self._entries[entry_id].source,
                self._entries[entry_id].source_ref,
                verdict.grade,
                verdict.score,
                verdict.agreed,
                verdict.differs,
            )
            for entry_id, verdict in self._blocked._graded(person, rejected)
        ]


class EnquiryIndex:
    """Open enquiries by blocking key: a new list row re-scores only the enquiries it blocks with."""

    def __init__(self, event_date: date | None = None) -> None:
        self._blocked = _Blocked(event_date)

    def __len__(self) -> int:
        return len(self._blocked)

    @property
    def comparisons(self) -> int:
        return self._blocked.comparisons

    def add(self, enquiry_id: str, sought: Sought) -> None:
        """File an open enquiry (or its corrected version)."""
        self._blocked._put(enquiry_id, _sought_person(sought, self._blocked.event_date))

    def close(self, enquiry_id: str) -> None:
        """An enquiry answered or withdrawn: no longer matched."""
        self._blocked._drop(enquiry_id)

    def matches_for(self, entry: ListEntry, rejected: Collection[str] = ()) -> list[EnquiryMatch]:
        """The open enquiries a new list row may answer, best first; `rejected`: enquiry ids already said not to be
        about this row's person."""
        person = _person(
            entry.given_names, entry.family_name, entry.birth_date, entry.age, entry.sex, self._blocked.event_date
        )
        return _matches(self._blocked._graded(person, rejected))

    def related(
        self, sought: Sought, enquiry_id: str | None = None, rejected: Collection[str] = ()
    ) -> list[EnquiryMatch]:
        """Other open enquiries about the same person (two relatives asking), best first; `enquiry_id` is left out."""
        person = _sought_person(sought, self._blocked.event_date)
        return _matches(self._blocked._graded(person, rejected, exclude=enquiry_id))


def entry_keys(entry: ListEntry, event_date: date | None = None) -> set[str]:
    """The blocking keys a list entry is filed under: a store that keeps them lets a sought person read only the
    entries of its blocks (`sought_keys`) and find the candidates `Index` would find among all of them."""
    event = event_date or datetime.now(UTC).date()
    return _keys(
        _person(entry.given_names, entry.family_name, entry.birth_date, entry.age, entry.sex, event), probe=False
    )


def sought_keys(sought: Sought, event_date: date | None = None) -> set[str]:
    """The blocking keys a sought person is looked up by (the names swapped too)."""
    return _keys(_sought_person(sought, event_date or datetime.now(UTC).date()), probe=True)


def _sought_person(sought: Sought, event: date) -> _Person:
    return _person(sought.given_names, sought.family_name, sought.birth_date, sought.age, sought.sex, event)


def _matches(graded: Iterable[tuple]) -> list[EnquiryMatch]:
    return [
        EnquiryMatch(enquiry_id, verdict.grade, verdict.score, verdict.agreed, verdict.differs)
        for enquiry_id, verdict in graded
    ]
