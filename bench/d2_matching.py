"""D2 matching figures on a synthetic population built from Belgian name statistics: how well enquiries find their
person on a list (grade A precision, recall), and how the cost grows with the open enquiries.

The names: about 150 common family names of Flanders, Wallonia and Brussels and about 100 given names per sex,
each with a weight roughly following its frequency in Statbel's tables (Peeters and Janssens first, Dubois and
Lambert the first of Wallonia). The common names cover a large share of the people here (much more than in
Belgium, where the 150 first names cover about a tenth), so lookalikes are much commoner than in life; the rest
are names made of Flemish and French stems, particles and endings.

Each enquiry about someone on the list carries one or two of the variations that real lists and relatives
write: particles glued or capitalised, diacritics dropped, old spellings, a double or married name, given and
family name swapped, one or two typos, a year of birth only, day and month swapped, an age instead of the date.
Each list also holds lookalikes: same family name, another given name and birth year."""

from __future__ import annotations

import random
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bench.common import aim

EVENT = date(2026, 11, 29)

# (family name, weight): weights roughly per 10,000 Belgians (Statbel), Flanders, Wallonia and Brussels mixed.
FAMILY = [
    *[("Peeters", 60), ("Janssens", 55), ("Maes", 45), ("Jacobs", 38), ("Mertens", 37), ("Willems", 36)],
    *[("Claes", 33), ("Goossens", 32), ("Wouters", 31), ("De Smet", 30), ("Dubois", 30), ("Lambert", 28)],
    *[("Dupont", 26), ("Martin", 25), ("Hermans", 25), ("Vermeulen", 24), ("Pauwels", 24), ("Aerts", 23)],
    *[("Van den Broeck", 23), ("Michiels", 22), ("Desmet", 22), ("Wuyts", 21), ("Simon", 21), ("Leclercq", 20)],
    *[("Dumont", 20), ("Van Damme", 20), ("De Clercq", 19), ("Claeys", 19), ("Stevens", 19), ("Smets", 19)],
    *[("De Backer", 18), ("Laurent", 18), ("Martens", 18), ("Verstraete", 17), ("Segers", 17), ("Coppens", 17)],
    *[("Renard", 16), ("Hendrickx", 16), ("Mathieu", 16), ("Lemaire", 16), ("Dumoulin", 15), ("Francois", 15)],
    *[("Van de Velde", 15), ("De Meyer", 15), ("Vandenberghe", 15), ("Cools", 14), ("Declercq", 14)],
    *[("Lenaerts", 14), ("Thys", 14), ("Verhoeven", 14), ("Van Dyck", 14), ("Baert", 13), ("Smet", 13)],
    *[("Denis", 13), ("Bertrand", 13), ("Mahieu", 13), ("Leroy", 13), ("Lejeune", 13), ("Vos", 12)],
    *[("De Vos", 12), ("Geerts", 12), ("Verbruggen", 12), ("Moens", 12), ("Van Acker", 12), ("Dewilde", 12)],
    *[("Hendrikx", 11), ("Huysmans", 11), ("Bogaert", 11), ("Verschueren", 11), ("Nijs", 11), ("Gerard", 11)],
    *[("Fontaine", 11), ("Collard", 10), ("Poncelet", 10), ("Lemmens", 10), ("Van Hecke", 10), ("Cornelis", 10)],
    *[("De Wilde", 10), ("Vandamme", 10), ("Vanhove", 10), ("Bosmans", 10), ("Schepens", 10), ("Gielen", 10)],
    *[("Herman", 9), ("Charlier", 9), ("Henry", 9), ("Dujardin", 9), ("Marchal", 9), ("Andre", 9)],
    *[("Maertens", 9), ("Verbeke", 9), ("De Cock", 9), ("Van Hoof", 9), ("Vanhoutte", 9), ("Vervoort", 9)],
    *[("Verlinden", 8), ("Van Laere", 8), ("Leroux", 8), ("Noel", 8), ("Lefebvre", 8), ("Pirard", 8)],
    *[("Gilson", 8), ("Delvaux", 8), ("Thomas", 8), ("Leonard", 8), ("Jansen", 8), ("Van Roy", 8)],
    *[("De Schepper", 7), ("Van Gucht", 7), ("Van der Linden", 7), ("Verhaegen", 7), ("Pieters", 7)],
    *[("Roels", 7), ("Bauwens", 7), ("Beckers", 7), ("Coenen", 7), ("Dierickx", 7), ("Mortier", 7)],
    *[("Le Clercq", 6), ("Gillet", 6), ("Jacquet", 6), ("Piette", 6), ("Hubert", 6), ("Masson", 6)],
    *[("Müller", 6), ("El Amrani", 6), ("Benali", 6), ("Yilmaz", 6), ("Rossi", 6), ("Kaya", 6)],
    *[("Nguyen", 5), ("Diallo", 5), ("Haesaerts", 5), ("Ruys", 5), ("Vanderschueren", 5), ("Timmermans", 5)],
    *[("Van Hoeck", 5), ("De Ridder", 5), ("Vranckx", 5), ("Daems", 5), ("Philips", 5), ("Theunis", 5)],
    *[("Hellemans", 5), ("Van Gorp", 5), ("Verheyen", 5), ("Crabbé", 5), ("Deprez", 5), ("Lecomte", 5)],
    *[("Gosselin", 4), ("Hennion", 4), ("Baudoux", 4), ("Wathelet", 4), ("Rousseau", 4), ("Dethier", 4)],
    *[("Ghijs", 4), ("Van Aelst", 4), ("Schoofs", 4), ("Vanhaecke", 4), ("Thijs", 4), ("Ceulemans", 4)],
]

GIVEN_F = [
    *[("Maria", 60), ("Anna", 30), ("Marie", 28), ("Elisabeth", 22), ("Nathalie", 22), ("Sarah", 20)],
    *[("Martine", 20), ("Christine", 19), ("Monique", 19), ("Sandra", 18), ("Isabelle", 18), ("Linda", 17)],
    *[("Els", 17), ("Katrien", 16), ("Ann", 16), ("Hilde", 16), ("Nicole", 15), ("Laura", 15), ("Julie", 15)],
    *[("Sophie", 15), ("Hélène", 14), ("Lisa", 14), ("Emma", 14), ("Louise", 13), ("Olivia", 13), ("Mila", 12)],
    *[("Nina", 12), ("Chloé", 12), ("Camille", 12), ("Léa", 12), ("Zoë", 11), ("Lotte", 11), ("Charlotte", 11)],
    *[("Elise", 11), ("Eva", 11), ("Amélie", 10), ("Françoise", 10), ("Thérèse", 10), ("Renée", 10)],
    *[("Jeanne", 10), ("Paula", 10), ("Rita", 10), ("Godelieve", 9), ("Josée", 9), ("Mariette", 9)],
    *[("Denise", 9), ("Yvonne", 9), ("Simone", 9), ("Suzanne", 9), ("Jacqueline", 9), ("Georgette", 8)],
    *[("Liliane", 8), ("Annick", 8), ("Veerle", 8), ("Inge", 8), ("Kristel", 8), ("Sofie", 8), ("Tine", 8)],
    *[("Caroline", 8), ("Valérie", 8), ("Véronique", 8), ("Catherine", 8), ("Stéphanie", 7), ("Kelly", 7)],
    *[("Jessica", 7), ("Melissa", 7), ("Jana", 7), ("Lien", 7), ("Lore", 7), ("Marthe", 7), ("Fien", 7)],
    *[("Noor", 7), ("Amira", 6), ("Fatima", 6), ("Yasmine", 6), ("Inès", 6), ("Manon", 6), ("Margaux", 6)],
    *[("Pauline", 6), ("Alice", 6), ("Juliette", 6), ("Ella", 6), ("Lena", 6), ("Hanne", 6), ("Febe", 5)],
    *[("Ilse", 5), ("Greet", 5), ("Mia", 5), ("Jolien", 5), ("Eline", 5), ("Ellen", 5), ("An", 5)],
    *[("Joke", 5), ("Nele", 5), ("Leen", 5), ("Sara", 5), ("Céline", 5), ("Aurélie", 5), ("Émilie", 5)],
    *[("Gabrielle", 4), ("Adèle", 4), ("Noémie", 4), ("Clara", 4), ("Marleen", 4), ("Rosa", 4), ("Irène", 4)],
]

GIVEN_M = [
    *[("Jan", 40), ("Jean", 35), ("Marc", 30), ("Luc", 28), ("Patrick", 26), ("Peter", 25), ("Michel", 25)],
    *[("Paul", 24), ("Dirk", 23), ("Philippe", 23), ("Eric", 22), ("Pierre", 22), ("Johan", 21), ("Frank", 20)],
    *[("Guy", 19), ("Willy", 19), ("André", 19), ("Jozef", 18), ("Joseph", 18), ("Daniel", 17), ("Alain", 17)],
    *[("Thomas", 16), ("Noah", 15), ("Lucas", 15), ("Louis", 15), ("Arthur", 15), ("Liam", 14), ("Adam", 14)],
    *[("Jules", 13), ("Victor", 13), ("Mohamed", 13), ("Nathan", 12), ("Maxime", 12), ("Kevin", 12)],
    *[("Tom", 12), ("Bart", 12), ("Kris", 12), ("Geert", 12), ("Wim", 11), ("Koen", 11), ("Stefaan", 11)],
    *[("Stéphane", 11), ("Frédéric", 11), ("François", 11), ("Gérard", 10), ("Roger", 10), ("Marcel", 10)],
    *[("René", 10), ("Georges", 10), ("Henri", 10), ("Jacques", 10), ("Christian", 10), ("Didier", 9)],
    *[("Thierry", 9), ("Olivier", 9), ("Nicolas", 9), ("Benoît", 9), ("Laurent", 9), ("Vincent", 9)],
    *[("Raymond", 8), ("Albert", 8), ("Gilbert", 8), ("Robert", 8), ("Freddy", 8), ("Rudi", 8), ("Hugo", 8)],
    *[("Filip", 8), ("Geert-Jan", 7), ("Jean-Pierre", 7), ("Jean-Marie", 7), ("Pieter", 7), ("Joris", 7)],
    *[("Wout", 7), ("Jonas", 7), ("Ruben", 7), ("Simon", 7), ("Matthias", 7), ("Sven", 6), ("Bram", 6)],
    *[("Senne", 6), ("Lars", 6), ("Milan", 6), ("Finn", 6), ("Vic", 6), ("Mathis", 6), ("Gabriel", 6)],
    *[("Raphaël", 6), ("Théo", 6), ("Lowie", 5), ("Samuel", 5), ("Ayoub", 5), ("Youssef", 5), ("Ibrahim", 5)],
    *[("Mehmet", 5), ("Ali", 5), ("Emre", 5), ("Dries", 5), ("Jens", 5), ("Stijn", 5), ("Tim", 5)],
    *[("Yves", 5), ("Serge", 4), ("Claude", 4), ("Noël", 4), ("Emile", 4), ("Gaston", 4), ("Achille", 4)],
]

_STEMS = [
    "bos",
    "hout",
    "berg",
    "dael",
    "wijn",
    "broek",
    "velde",
    "hove",
    "meer",
    "laer",
    "kerk",
    "hoek",
    "moer",
    "beek",
    "steen",
    "mol",
    "brugge",
    "haute",
    "val",
]
_HEADS = ["Van", "Van de", "Van den", "Vander", "De", "Ver", "Le", "Du", "Des", "", "", "", ""]
_TAILS = ["s", "e", "ens", "mans", "ier", "aert", "ijns", "eau", "ot", "in", "", ""]


def _tail_family(chooser: random.Random) -> str:
    """A rarer family name made of a particle, a stem and an ending (the long tail that the list above lacks)."""
    head, stem, tail = chooser.choice(_HEADS), chooser.choice(_STEMS), chooser.choice(_TAILS)
    second = chooser.choice(_STEMS) if chooser.random() < 0.5 else ""
    core = (stem + second + tail).capitalize()
    return f"{head} {core}".strip()


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    birth: date
    sex: str


def _population(chooser: random.Random, size: int) -> list[Person]:
    families, family_weights = zip(*FAMILY, strict=True)
    people = []
    for _ in range(size):
        sex = chooser.choice("fm")
        names, weights = zip(*(GIVEN_F if sex == "f" else GIVEN_M), strict=True)
        given = chooser.choices(names, weights)[0]
        family = chooser.choices(families, family_weights)[0] if chooser.random() < 0.6 else _tail_family(chooser)
        born = date(chooser.randint(1930, 2020), chooser.randint(1, 12), chooser.randint(1, 28))
        people.append(Person(given, family, born, sex))
    return people


_OLD = [("ae", "aa"), ("aa", "ae"), ("uy", "ui"), ("ui", "uy"), ("ck", "k"), ("ph", "f"), ("ij", "y"), ("y", "ij")]
_OLD += [("th", "t"), ("gh", "g"), ("sch", "s"), ("ckx", "x"), ("ey", "ei"), ("é", "e"), ("ü", "ue"), ("dt", "t")]
_PLAIN = str.maketrans("éèêëàâäçîïôöûüÉ", "eeeeaaaciioouuE")


def _typo(chooser: random.Random, text: str, edits: int) -> str:
    for _ in range(edits):
        at = chooser.randrange(1, max(2, len(text)))
        kind = chooser.choice(("substitute", "delete", "insert", "swap"))
        letter = chooser.choice(string.ascii_lowercase)
        if kind == "substitute":
            text = text[:at] + letter + text[at + 1 :]
        elif kind == "delete" and len(text) > 3:
            text = text[:at] + text[at + 1 :]
        elif kind == "insert":
            text = text[:at] + letter + text[at:]
        elif at + 1 < len(text):
            text = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    return text


def _old_spelling(chooser: random.Random, text: str) -> str:
    found = [(old, new) for old, new in _OLD if old in text]
    if not found:
        return text.translate(_PLAIN)
    old, new = chooser.choice(found)
    return text.replace(old, new, 1)


def _particles(chooser: random.Random, text: str) -> str:
    return chooser.choice((text.replace(" ", ""), text.upper(), text.lower().capitalize(), text.lower()))


@dataclass(frozen=True)
class Case:
    """An enquiry (as a relative writes it) and the list row about the same person (as a list writes it)."""

    sought: dict[str, object]
    row: dict[str, object] | None
    variations: tuple[str, ...]


def _vary(chooser: random.Random, person: Person, other: Person, variation: str, case: Case) -> Case:
    sought, row = dict(case.sought), dict(case.row or {})
    if variation == "particles":
        sought["family_name"] = _particles(chooser, person.family)
    elif variation == "diacritics":
        sought["given_names"] = person.given.translate(_PLAIN)
        sought["family_name"] = person.family.translate(_PLAIN).replace("ü", "ue")
    elif variation == "old spelling":
        sought["family_name"] = _old_spelling(chooser, person.family)
    elif variation == "double name":
        row["family_name"] = f"{person.family}-{other.family}"
    elif variation == "married name" and person.sex == "f":
        row["family_name"] = chooser.choice((f"{other.family}-{person.family}", f"{other.family} ép. {person.family}"))
    elif variation == "swapped":
        row["given_names"], row["family_name"] = row["family_name"], row["given_names"]
    elif variation == "typo":
        field = chooser.choice(("given_names", "family_name"))
        sought[field] = _typo(chooser, str(sought[field]), chooser.choice((1, 1, 2)))
    elif variation == "year only":
        sought["birth_date"] = str(person.birth.year)
    elif variation == "day and month swapped" and person.birth.day <= 12:
        sought["birth_date"] = person.birth.replace(month=person.birth.day, day=person.birth.month).isoformat()
    elif variation == "age":
        row.pop("birth_date")
        row["age"] = (
            EVENT.year - person.birth.year - ((EVENT.month, EVENT.day) < (person.birth.month, person.birth.day))
        )
    return Case(sought, row or None, (*case.variations, variation))


VARIATIONS = (
    "none",
    "particles",
    "diacritics",
    "old spelling",
    "double name",
    "married name",
    "swapped",
    "typo",
    "year only",
    "day and month swapped",
    "age",
)


@dataclass
class Synthetic:
    """Enquiries (id, sought as a dict, the id of the true list row or None), the list rows, the ids of rows."""

    enquiries: list[tuple[str, dict[str, object], str | None]]
    rows: list[dict[str, object]]


def synthetic(seed: int, enquiries: int, list_rows: int, on_list: float = 0.5) -> Synthetic:
    """Open enquiries and one list: `on_list` of the enquiries are about someone on it (with variations), the rest
    about people on no list; the list also holds lookalikes of the enquiries' people and people nobody asks about."""
    chooser = random.Random(seed)
    people = _population(chooser, enquiries + list_rows)
    others = _population(chooser, enquiries)
    made: list[tuple[str, dict[str, object], str | None]] = []
    rows: list[dict[str, object]] = []

    def row_of(person: Person, ref: str) -> dict[str, object]:
        return {
            "source": chooser.choice(("UZ Gent", "CHU Liège", "Croix-Rouge", "Police")),
            "source_ref": ref,
            "given_names": person.given,
            "family_name": person.family,
            "birth_date": person.birth.isoformat(),
            "sex": person.sex,
        }

    for number in range(enquiries):
        person, other = people[number], others[number]
        sought: dict[str, object] = {
            "given_names": person.given,
            "family_name": person.family,
            "birth_date": person.birth.isoformat(),
            "sex": person.sex,
        }
        listed = chooser.random() < on_list and len(rows) < list_rows
        case = Case(sought, row_of(person, f"r{number}") if listed else None, ())
        if listed:
            # names swapped last: the other variations write the names where they belong first
            for variation in sorted(chooser.sample(VARIATIONS, chooser.choice((1, 1, 2))), key="swapped".__eq__):
                case = _vary(chooser, person, other, variation, case)
        if case.row:
            rows.append(case.row)
        if chooser.random() < 0.3 and len(rows) < list_rows:  # a lookalike: same family, other given and year
            names = [name for name, _ in (GIVEN_F if person.sex == "f" else GIVEN_M) if name != person.given]
            year = person.birth.year + chooser.choice((-1, 1)) * chooser.randint(2, 40)
            lookalike = Person(chooser.choice(names), person.family, person.birth.replace(year=year), person.sex)
            rows.append(row_of(lookalike, f"l{number}"))
        made.append((f"e{number}", case.sought, f"{case.row['source']}/{case.row['source_ref']}" if case.row else None))
    for number in range(enquiries, len(people)):
        if len(rows) >= list_rows:
            break
        rows.append(row_of(people[number], f"p{number}"))
    return Synthetic(made, rows)


@dataclass(frozen=True)
class Accuracy:
    precision_a: float
    recall_ab: float
    recall_any: float
    unlisted_with_a: float
    on_list: int
    unlisted: int


def accuracy(data: Synthetic) -> Accuracy:
    """Each enquiry's candidates from an index of the list: the grade its true row got, and any other A."""
    from d2.matching import Index, ListEntry, Sought

    index = Index(EVENT)
    for row in data.rows:
        index.add(ListEntry(**row))  # type: ignore[arg-type]
    a_right = a_wrong = ab = found = on_list = unlisted = unlisted_a = 0
    for _, sought, truth in data.enquiries:
        candidates = index.candidates(Sought(**sought))  # type: ignore[arg-type]
        grades = {candidate.entry_id: candidate.grade for candidate in candidates}
        a_right += sum(1 for entry, grade in grades.items() if grade == "A" and entry == truth)
        a_wrong += sum(1 for entry, grade in grades.items() if grade == "A" and entry != truth)
        if truth is None:
            unlisted += 1
            unlisted_a += "A" in grades.values()
            continue
        on_list += 1
        ab += grades.get(truth, "") in ("A", "B")
        found += truth in grades
    return Accuracy(
        a_right / max(1, a_right + a_wrong),
        ab / max(1, on_list),
        found / max(1, on_list),
        unlisted_a / max(1, unlisted),
        on_list,
        unlisted,
    )


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _rescore(data: Synthetic, enquiries: int) -> tuple[float, int]:
    """File the first `enquiries` open enquiries, then match every list row against them: seconds, comparisons."""
    from d2.matching import EnquiryIndex, ListEntry, Sought

    index = EnquiryIndex(EVENT)
    entries = [ListEntry(**row) for row in data.rows]  # type: ignore[arg-type]

    def run() -> None:
        for enquiry_id, sought, _ in data.enquiries[:enquiries]:
            index.add(enquiry_id, Sought(**sought))  # type: ignore[arg-type]
        for entry in entries:
            index.matches_for(entry)

    return _seconds(run), index.comparisons


def run() -> list[str]:
    from d2.matching import EnquiryIndex, Index, ListEntry, Sought

    lines = []
    sample = synthetic(seed=2026, enquiries=4000, list_rows=5000)
    found = accuracy(sample)
    note = f"{found.on_list:,} enquiries about someone on a 5,000-row list"
    lines += [
        f"grade A precision {found.precision_a:.3f} {aim(found.precision_a, 0.99, at_most=False, digits=3)}",
        f"recall of A+B {found.recall_ab:.3f} {aim(found.recall_ab, 0.95, at_most=False, digits=3, note=note)}",
        f"recall of any grade {found.recall_any:.3f} {aim(found.recall_any, 0.99, at_most=False, digits=3)}",
        f"enquiries about someone on no list that get an A: {found.unlisted_with_a:.2%} of {found.unlisted:,} "
        f"{aim(found.unlisted_with_a * 100, 0.5, digits=2)}",
    ]
    data = synthetic(seed=7, enquiries=20000, list_rows=5000)
    index = Index(EVENT)
    for row in data.rows:
        index.add(ListEntry(**row))  # type: ignore[arg-type]
    enquiries = EnquiryIndex(EVENT)
    for enquiry_id, sought, _ in data.enquiries:
        enquiries.add(enquiry_id, Sought(**sought))  # type: ignore[arg-type]
    one = []
    for enquiry_id, sought, _ in data.enquiries[:200]:  # as if each came in anew: its list candidates, its relatives
        started = time.perf_counter()
        person = Sought(**sought)  # type: ignore[arg-type]
        index.candidates(person)
        enquiries.related(person, enquiry_id)
        one.append((time.perf_counter() - started) * 1000)
    worst = max(one)
    lines.append(
        f"candidates of one new enquiry (5,000-row list and 20,000 open enquiries): mean {sum(one) / len(one):.2f} ms, "
        f"max {worst:.1f} ms {aim(worst, 200, digits=1)}"
    )
    small_seconds, small_comparisons = _rescore(data, 2000)
    full_seconds, full_comparisons = _rescore(data, 20000)
    lines.append(
        f"a new 5,000-row list re-scored against 20,000 open enquiries: {full_seconds:.1f} s, "
        f"{full_comparisons:,} pairs compared of {5000 * 20000:,} {aim(full_seconds, 60, digits=1)}"
    )
    ratio = full_seconds / small_seconds
    lines.append(
        f"2,000 → 20,000 open enquiries (filing them and re-scoring the list): time x{ratio:.1f}, pairs compared "
        f"x{full_comparisons / small_comparisons:.1f} {aim(ratio, 15, digits=1, note='linear 10, quadratic 100')}"
    )
    return lines


if __name__ == "__main__":
    import infra  # noqa: F401 - puts the functions' packages on the path

    print("\n".join(run()))
