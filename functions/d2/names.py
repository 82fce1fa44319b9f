"""Names as Belgian, Dutch and French lists really write them: folded to one spelling, split into the parts a
person may be listed under, coded by how they sound, and compared for typos.

- `fold` casefolds, strips diacritics (`Hélène` → `helene`, `Müller` → `muller`) and keeps letters only.
- `spelling` folds old and regional spellings onto one (`ae`/`aa`, `uy`/`ui`, `ij`/`y`, `ck`/`k`, `ph`/`f`,
  `th`/`t`, `gh`/`g`, `sch`/`s`, `dt`/`t`, `ue`/`u`, `c`/`k` before a, o, u, l, r, doubled letters once).
- `family_name` reads a family name into its forms: particles glued (`Van den Broeck`, `VAN DEN BROECK` and
  `Vandenbroeck` all become `vandenbroeck`), each part of a double or married name (`Dupont-Martin`,
  `Peeters épouse Janssens`), and each part without its particles.
- `phonetic` is this project's key for Dutch and French names, in the spirit of Cologne phonetics and Phonex:
  after `spelling`, letters that sound alike get one code (b p → B; d t → T; f v w → F; g k q x, ch and hard c →
  K; s z and soft c → S; l → L; m n → N; r → R; j → J), h and the vowels are dropped except a leading vowel (A),
  and a repeated code is kept once. `Peeters`, `Pieters` and `Peters` share PTRS; `Dupont` and `Dupond` share
  TPNT.
- `jaro_winkler` and `edit_distance` (optimal string alignment: one transposition counts one edit) for typos.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Particles that start a family name in Dutch, Flemish and French; glued to what follows them.
PARTICLES = frozenset(
    [
        "van",
        "vanden",
        "vander",
        "vande",
        "von",
        "der",
        "den",
        "de",
        "het",
        "t",
        "ter",
        "ten",
        "te",
        "ver",
        "le",
        "la",
        "les",
        "du",
        "des",
        "d",
        "l",
        "del",
        "della",
        "di",
        "da",
        "dos",
    ]
)
# Words that join a married or widowed woman's names in a list ("Peeters épouse Janssens", "Maes wed. Claes").
MARRIAGE_WORDS = frozenset(
    ["epouse", "ep", "epse", "veuve", "vve", "vv", "nee", "echtgenote", "echtg", "wed", "weduwe", "geb", "geboren"]
)
_OLD_SPELLINGS = (
    ("ij", "y"),
    ("uy", "ui"),
    ("ae", "aa"),
    ("ue", "u"),
    ("sch", "s"),
    ("ph", "f"),
    ("th", "t"),
    ("gh", "g"),
    ("ck", "k"),
    ("cq", "k"),
    ("qu", "k"),
    ("q", "k"),
    ("dt", "t"),
)
_HARD_C = re.compile(r"c(?=[aoulr])")
_DOUBLED = re.compile(r"(.)\1+")
_WORD = re.compile(r"[a-z]+")
_LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}


def fold(text: str) -> str:
    """Casefolded, diacritics stripped, everything but letters a-z as spaces: `'t Hooft-Müller` → `t hooft muller`."""
    lowered = "".join(_LETTERS.get(char, char) for char in text.casefold())
    bare = "".join(char for char in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(char))
    return " ".join(_WORD.findall(bare))


@lru_cache(maxsize=65536)
def spelling(word: str) -> str:
    """One folded word with old and regional spellings brought onto one: `Claes` and `Klaas` → `klas`."""
    for old, new in _OLD_SPELLINGS:
        word = word.replace(old, new)
    word = _HARD_C.sub("k", word)
    return _DOUBLED.sub(r"\1", word)


_CODES = str.maketrans(
    {
        "b": "B",
        "p": "B",
        "d": "T",
        "t": "T",
        "f": "F",
        "v": "F",
        "w": "F",
        "g": "K",
        "k": "K",
        "x": "K",
        "s": "S",
        "z": "S",
        "l": "L",
        "m": "N",
        "n": "N",
        "r": "R",
        "j": "J",
    }
)
_VOWELS = frozenset("aeiouyh")


@lru_cache(maxsize=65536)
def phonetic(word: str) -> str:
    """The sound key of one folded word (see the module's docstring); '' for an empty word."""
    word = spelling(word).replace("ch", "k")
    word = re.sub(r"c(?=[eiy])", "s", word).replace("c", "k")
    codes = []
    for index, char in enumerate(word):
        if char in _VOWELS:
            if index == 0 and char != "h":
                codes.append("A")
            continue
        codes.append(char.translate(_CODES))
    key = "".join(codes)
    return _DOUBLED.sub(r"\1", key)


@dataclass(frozen=True)
class FamilyName:
    """A family name's forms: `whole` every part glued in order, `parts` each part of a double or married name
    with its particles glued, `cores` each part without the particles written apart before it (`van den Broeck`:
    `denbroek`, `broek`)."""

    whole: str
    parts: tuple[str, ...]
    cores: tuple[str, ...]

    @property
    def forms(self) -> tuple[str, ...]:
        """Every form a list may use for this name, the whole first."""
        seen: dict[str, None] = dict.fromkeys((self.whole, *self.parts, *self.cores))
        seen.pop("", None)
        return tuple(seen)


@lru_cache(maxsize=65536)
def family_name(text: str) -> FamilyName:
    """A family name as written (`Van den Broeck`, `Dupont-Martin`, `Peeters ép. Janssens`) read into its forms."""
    lowered = text.casefold()
    for joiner in ("-", "/", "(", ")", ","):  # double names and "(née X)" split into parts
        lowered = lowered.replace(joiner, "|")
    parts: list[str] = []
    cores: list[str] = []
    for chunk in lowered.split("|"):
        current: list[str] = []
        for word in [*fold(chunk).split(), "epouse"]:  # a marriage word closes the part before it
            if word not in MARRIAGE_WORDS:
                current.append(word)
                continue
            if current:
                parts.append("".join(current))
                # "van den Broeck" without its particles; a glued "Vandenbroeck" is never cut (Dupont is no Pont)
                while len(current) > 1 and current[0] in PARTICLES:
                    current = current[1:]
                    cores.append("".join(current))
            current = []
    # A lone particle left as a part ("Van-Damme" written with a hyphen) belongs to the part after it.
    merged: list[str] = []
    for part in parts:
        if merged and merged[-1] in PARTICLES:
            merged[-1] += part
        else:
            merged.append(part)
    spelled = tuple(spelling(part) for part in merged if part)
    return FamilyName("".join(spelled), spelled, tuple(spelling(core) for core in cores if core not in PARTICLES))


@lru_cache(maxsize=65536)
def given_names(text: str) -> tuple[str, ...]:
    """Given names as folded, spelled words in order: `Jean-Pierre Hélène` → (`jean`, `piere`, `helene`)."""
    return tuple(spelling(word) for word in fold(text).split())


def split_trailing_particles(given: str, family: str) -> tuple[str, str]:
    """`Broeck, Jan van den` as Dutch lists sort it: particles at the end of the given names go before the family
    name (`Jan`, `van den Broeck`)."""
    words = given.split()
    moved: list[str] = []
    while len(words) > 1 and fold(words[-1]) in PARTICLES:
        moved.insert(0, words.pop())
    if not moved:
        return given, family
    return " ".join(words), " ".join([*moved, family])


@lru_cache(maxsize=262144)
def jaro_winkler(left: str, right: str) -> float:
    """Jaro-Winkler similarity of two strings, 0..1 (1 the same; the common prefix up to 4 letters weighs 0.1)."""
    if left == right:
        return 1.0
    if not left or not right:
        return 0.0
    window = max(0, max(len(left), len(right)) // 2 - 1)
    left_matched = [False] * len(left)
    right_matched = [False] * len(right)
    matches = 0
    for i, char in enumerate(left):
        for j in range(max(0, i - window), min(len(right), i + window + 1)):
            if not right_matched[j] and right[j] == char:
                left_matched[i] = right_matched[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    left_chars = [char for char, hit in zip(left, left_matched, strict=True) if hit]
    right_chars = [char for char, hit in zip(right, right_matched, strict=True) if hit]
    transpositions = sum(a != b for a, b in zip(left_chars, right_chars, strict=True)) / 2
    jaro = (matches / len(left) + matches / len(right) + (matches - transpositions) / matches) / 3
    prefix = 0
    for a, b in zip(left[:4], right[:4], strict=False):
        if a != b:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


@lru_cache(maxsize=262144)
def edit_distance(left: str, right: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from one string to the other."""
    if left == right:
        return 0
    previous2: list[int] = []
    previous = list(range(len(right) + 1))
    for i in range(1, len(left) + 1):
        current = [i] + [0] * len(right)
        for j in range(1, len(right) + 1):
            cost = 0 if left[i - 1] == right[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and left[i - 1] == right[j - 2] and left[i - 2] == right[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
