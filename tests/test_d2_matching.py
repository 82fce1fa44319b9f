"""D2 victim information: a relative's enquiry finds the person on the lists that hospitals, reception centres and
the police send, however the names are written; a lookalike stays a possibility at most."""

from __future__ import annotations

from datetime import date

import pytest

from bench import d2_matching as bench
from d2.matching import EnquiryIndex, Index, InvalidBirthDate, ListEntry, Sought
from d2.names import edit_distance, family_name, fold, jaro_winkler, phonetic

EVENT = date(2026, 11, 29)


def entry(ref: str, given: str, family: str, born: str | None = "1956-03-07", sex: str = "m", **more: object):
    return ListEntry("UZ Gent", ref, given, family, born, sex, **more)  # type: ignore[arg-type]


def listed(*entries: ListEntry) -> Index:
    index = Index(EVENT)
    for one in entries:
        index.add(one)
    return index


def grade_of(index: Index, sought: Sought, ref: str) -> str:
    return next((c.grade for c in index.candidates(sought) if c.source_ref == ref), "")


@pytest.mark.parametrize(
    ("written", "listed_as"),
    [
        ("Vandenbroeck", "Van den Broeck"),
        ("VAN DEN BROECK", "Van den Broeck"),
        ("van den broeck", "Vandenbroeck"),
        ("de Smet", "Desmet"),
        ("De Smedt", "Desmet"),
        ("Le Clercq", "Leclercq"),
    ],
)
def test_a_family_name_with_particles_is_found_however_the_particles_are_written(written, listed_as) -> None:
    index = listed(entry("1", "Jan", listed_as))
    assert grade_of(index, Sought("Jan", written, "1956-03-07", sex="m"), "1") == "A"


def test_a_name_in_the_dutch_sort_order_with_its_particles_after_the_given_name_is_found() -> None:
    index = listed(entry("1", "Jan van den", "Broeck"))
    assert grade_of(index, Sought("Jan", "Vandenbroeck", "1956-03-07"), "1") == "A"


@pytest.mark.parametrize(("written", "listed_as"), [("Helene", "Hélène"), ("Hélène", "HELENE")])
def test_a_given_name_without_its_accents_is_the_same_name(written, listed_as) -> None:
    index = listed(entry("1", listed_as, "Dubois", sex="f"))
    assert grade_of(index, Sought(written, "Dubois", "1956-03-07", sex="f"), "1") == "A"


def test_mueller_is_mueller_with_or_without_the_umlaut() -> None:
    assert family_name("Müller").whole == family_name("Mueller").whole == family_name("MULLER").whole
    index = listed(entry("1", "Hans", "Müller"))
    assert grade_of(index, Sought("Hans", "Mueller", "1956-03-07"), "1") == "A"


@pytest.mark.parametrize(
    ("written", "listed_as"),
    [
        ("Maas", "Maes"),
        ("Huismans", "Huysmans"),
        ("Hendrikx", "Hendrickx"),
        ("Filips", "Philips"),
        ("Ruijs", "Ruys"),
        ("Tys", "Thys"),
        ("Verhaege", "Verhaeghe"),
        ("Bos", "Bosch"),
    ],
)
def test_an_old_spelling_of_a_family_name_is_the_same_name(written, listed_as) -> None:
    index = listed(entry("1", "Jan", listed_as))
    assert grade_of(index, Sought("Jan", written, "1956-03-07"), "1") == "A"


def test_a_double_name_is_found_by_either_part_and_the_whole_by_one_part() -> None:
    index = listed(entry("1", "Claire", "Dupont-Martin", sex="f"), entry("2", "Luc", "Martin"))
    assert grade_of(index, Sought("Claire", "Dupont", "1956-03-07", sex="f"), "1") == "A"
    assert grade_of(index, Sought("Claire", "Martin", "1956-03-07", sex="f"), "1") == "A"
    assert grade_of(index, Sought("Luc", "Martin-Dupont", "1956-03-07", sex="m"), "2") == "A"


@pytest.mark.parametrize("listed_as", ["Peeters-Janssens", "Peeters ép. Janssens", "Peeters echtg. Janssens"])
def test_a_married_woman_listed_under_her_husbands_name_is_found_by_her_own(listed_as) -> None:
    index = listed(entry("1", "Marie", listed_as, "1960-05-04", sex="f"))
    assert grade_of(index, Sought("Marie", "Janssens", "1960-05-04", sex="f"), "1") == "A"


def test_given_and_family_name_swapped_on_the_list_is_still_a_strong_match_and_says_so() -> None:
    index = listed(entry("1", "Peeters", "Jan"))
    [candidate] = index.candidates(Sought("Jan", "Peeters", "1956-03-07", sex="m"))
    assert candidate.grade == "A"
    assert "names swapped" in candidate.differs


@pytest.mark.parametrize(
    ("given", "family", "grades"),
    [
        ("Jan", "Vermeulne", "A"),  # one edit (two letters swapped) in the family name
        ("Jan", "Vermeuln", "A"),  # one letter lost
        ("Jan", "Vermeulbn", "A"),  # one letter wrong
        ("Jan", "Vremeulne", "AB"),  # two edits
        ("Jna", "Vermeulen", "AB"),  # the given name's letters swapped
    ],
)
def test_a_typo_of_one_or_two_edits_still_finds_the_person(given, family, grades) -> None:
    index = listed(entry("1", "Jan", "Vermeulen"))
    assert grade_of(index, Sought(given, family, "1956-03-07", sex="m"), "1") in grades


@pytest.mark.parametrize(
    ("born", "grade"),
    [("1956", "A"), ("1956-03", "AB"), ("1956-07-03", "A"), ("1956-03-17", "AB"), ("1965-03-07", "AB")],
)
def test_a_partial_or_muddled_birth_date_still_agrees_field_by_field(born, grade) -> None:
    """Year only, year and month, day and month swapped, one digit wrong, two digits swapped."""
    index = listed(entry("1", "Jan", "Peeters"))
    assert grade_of(index, Sought("Jan", "Peeters", born, sex="m"), "1") in grade


def test_a_listed_age_consistent_with_the_birth_year_at_the_event_date_is_a_strong_match() -> None:
    index = listed(entry("70", "Jan", "Peeters", None, age=70), entry("71", "Jan", "Peeters", None, age=71))
    index.add(entry("40", "Jan", "Peeters", None, age=40))
    sought = Sought("Jan", "Peeters", "1956-03-07", sex="m")  # 70 on 29 November 2026
    assert grade_of(index, sought, "70") == "A"
    assert grade_of(index, sought, "71") in "AB"  # born 1955 or 1956: a year of birth listed as an age is coarse
    assert grade_of(index, sought, "40") in ("C", "")


def test_a_lookalike_with_the_same_family_name_but_another_given_name_and_birth_year_is_no_candidate() -> None:
    index = listed(entry("1", "Jan", "Peeters"), entry("2", "Marc", "Peeters", "1983-11-02"))
    assert grade_of(index, Sought("Jan", "Peeters", "1956-03-07", sex="m"), "2") == ""
    index.add(entry("3", "Jan", "Peeters", "1983-11-02"))  # a namesake, another generation
    assert grade_of(index, Sought("Jan", "Peeters", "1956-03-07", sex="m"), "3") in ("C", "")


def test_candidates_come_best_first() -> None:
    index = listed(
        entry("typo", "Jan", "Peetres"),
        entry("exact", "Jan", "Peeters"),
        entry("year", "Jan", "Peeters", "1956"),
        entry("namesake", "Jan", "Peeters", "1958-03-07"),
    )
    candidates = index.candidates(Sought("Jan", "Peeters", "1956-03-07", sex="m"))
    assert [c.source_ref for c in candidates][:3] == ["exact", "typo", "year"]
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
    assert candidates[0].agreed == ["family name", "given name", "birth date", "sex"]


def test_a_pair_said_to_be_not_this_person_is_left_out() -> None:
    index = listed(entry("1", "Jan", "Peeters"), entry("2", "Jan", "Peters"))
    candidates = index.candidates(Sought("Jan", "Peeters", "1956-03-07"), rejected={"UZ Gent/1"})
    assert [c.source_ref for c in candidates] == ["2"]


def test_only_the_entries_in_the_sought_persons_blocks_are_compared() -> None:
    """500 people with other names, letters and years are never scored: only the three that share a key."""
    others = [entry(f"o{n}", "Wim", f"Zz{n:03d}tel", f"{1930 + n % 20}-01-01") for n in range(500)]
    index = listed(*others, entry("1", "Jan", "Peeters"), entry("2", "Jan", "Pieters", "1970"), entry("3", "X", "Y"))
    index.add(entry("4", "Jozef", "Maes", "1956-01-01"))  # given name's key and year: a family name typo
    index.candidates(Sought("Jan", "Peeters", "1956-03-07", sex="m"))
    assert index.comparisons == 2
    index.candidates(Sought("Jozef", "Maas", "1956-01-01", sex="m"))
    assert index.comparisons == 3


def test_a_synthetic_population_is_matched_within_the_blocks_and_well() -> None:
    """The bench's generator at a small size: loose limits, fixed seed."""
    data = bench.synthetic(seed=11, enquiries=600, list_rows=900)
    found = bench.accuracy(data)
    assert found.on_list > 200 and found.unlisted > 200
    assert found.precision_a >= 0.97
    assert found.recall_ab >= 0.9
    assert found.recall_any >= 0.97
    assert found.unlisted_with_a <= 0.02
    index = Index(EVENT)
    for row in data.rows:
        index.add(ListEntry(**row))  # type: ignore[arg-type]
    for _, sought, _ in data.enquiries:
        index.candidates(Sought(**sought))  # type: ignore[arg-type]
    assert index.comparisons < 0.05 * len(data.rows) * len(data.enquiries)


def test_a_new_list_row_rescores_only_the_open_enquiries_it_blocks_with() -> None:
    enquiries = EnquiryIndex(EVENT)
    enquiries.add("e1", Sought("Hélène", "Van den Broeck", "1960-05-04", sex="f"))
    for n in range(300):
        enquiries.add(f"x{n}", Sought("Wim", f"Zz{n:03d}tel", f"{1930 + n % 20}-01-01"))
    matches = enquiries.matches_for(entry("1", "Helene", "Vandenbroeck", "1960-05-04", sex="f"))
    assert [(m.enquiry_id, m.grade) for m in matches] == [("e1", "A")]
    assert enquiries.comparisons == 1
    assert enquiries.matches_for(entry("1", "Helene", "Vandenbroeck", "1960-05-04", sex="f"), rejected={"e1"}) == []
    enquiries.close("e1")
    assert enquiries.matches_for(entry("1", "Helene", "Vandenbroeck", "1960-05-04", sex="f")) == []


def test_two_enquiries_about_the_same_person_are_related_and_an_enquiry_is_not_related_to_itself() -> None:
    enquiries = EnquiryIndex(EVENT)
    enquiries.add("mother", Sought("Jan", "Desmet", "1990-02-03", sex="m"))
    enquiries.add("sister", Sought("Jan", "De Smet", "1990", municipality="Gent"))
    enquiries.add("other", Sought("Marc", "De Smet", "1961-08-09", sex="m"))
    related = enquiries.related(Sought("Jan", "Desmet", "1990-02-03", sex="m"), enquiry_id="mother")
    assert [(m.enquiry_id, m.grade) for m in related] == [("sister", "A")]


def test_a_birth_date_written_otherwise_is_refused_with_the_forms_it_may_take() -> None:
    with pytest.raises(InvalidBirthDate, match="YYYY, YYYY-MM or YYYY-MM-DD"):
        listed().candidates(Sought("Jan", "Peeters", "07/03/1956"))


def test_names_fold_and_sound_as_documented() -> None:
    assert fold("'t Hooft-Müller") == "t hooft muller"
    assert phonetic("peeters") == phonetic("pieters") == phonetic("peters") == "BTRS"
    assert phonetic("dupont") == phonetic("dupond")
    assert family_name("Peeters épouse Janssens").parts == ("peters", "jansens")
    assert round(jaro_winkler("martha", "marhta"), 3) == 0.961
    assert round(jaro_winkler("dixon", "dicksonx"), 3) == 0.813
    assert edit_distance("vermeulen", "vermeulne") == 1
    assert edit_distance("kitten", "sitting") == 3
