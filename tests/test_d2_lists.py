"""D2 lists: a coordinator of the FPS Public Health uploads the list a hospital, a reception centre or the police
sent, as CSV or as an Excel workbook, however it was saved; every row is read or rejected with its line and a
reason, and a file that cannot be read as a whole is refused with what is allowed."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisisline.errors import InvalidList
from d2.lists import MAX_BYTES, MAX_ROWS, XLSX, ListRow, Rejected, read_list

HEADER = "source_ref;given_names;family_name;birth_date;sex;status;location"


def csv_body(*lines: str, header: str = HEADER, newline: str = "\r\n", encoding: str = "utf-8") -> bytes:
    return newline.join([header, *lines]).encode(encoding) + newline.encode()


def xlsx_body(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(ref: str = "UZG-1", given: str | None = "Jan", family: str = "Peeters", **more: Any) -> ListRow:
    values: dict[str, Any] = {
        "source_ref": ref,
        "given_names": given,
        "family_name": family,
        "birth_date": None,
        "sex": None,
        "status": "hospitalised",
        "location": None,
    }
    return ListRow(**{**values, **more})


# --- CSV: encodings, delimiters, line ends -------------------------------------------------------------------


def test_a_utf8_list_with_semicolons_is_read_row_by_row() -> None:
    read = read_list(
        csv_body(
            "UZG-1;Jan;Peeters;1956-03-07;M;hospitalised;UZ Gent",
            "UZG-2;Élodie;Müller-Lefèvre;;F;reception_centre;Opvangcentrum Gent",
        ),
        "text/csv",
    )
    assert read.rejected == []
    assert read.rows == [
        row("UZG-1", birth_date="1956-03-07", sex="m", location="UZ Gent"),
        row("UZG-2", "Élodie", "Müller-Lefèvre", sex="f", status="reception_centre", location="Opvangcentrum Gent"),
    ]


def test_a_utf8_list_saved_by_excel_with_a_byte_order_mark_reads_its_first_column() -> None:
    read = read_list(b"\xef\xbb\xbf" + csv_body("UZG-1;Jan;Peeters;;;hospitalised;"), "text/csv")
    assert read.rows == [row()]


def test_a_windows_1252_list_is_recognised_without_a_charset() -> None:
    body = csv_body("UZG-1;François;Lefèvre;;;left;Hôpital", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    read = read_list(body, "text/csv")
    assert read.rows == [row(given="François", family="Lefèvre", status="left", location="Hôpital")]


def test_an_explicit_charset_is_honoured() -> None:
    body = csv_body("UZG-1;Zoë;Dœns;;;unknown;", encoding="cp1252")
    assert read_list(body, "text/csv; charset=windows-1252").rows == [row(given="Zoë", family="Dœns", status="unknown")]
    latin = csv_body("UZG-1;Zoë;Dens;;;unknown;", encoding="latin-1")
    assert read_list(latin, 'text/csv; charset="ISO-8859-1"').rows[0].given_names == "Zoë"


def test_a_list_that_is_not_in_the_charset_it_claims_is_refused() -> None:
    body = csv_body("UZG-1;François;Lefèvre;;;left;", encoding="cp1252")
    with pytest.raises(InvalidList, match="UTF-8"):
        read_list(body, "text/csv; charset=utf-8")


def test_a_charset_other_than_utf8_or_western_european_is_refused() -> None:
    with pytest.raises(InvalidList, match="charset"):
        read_list(csv_body("UZG-1;Jan;Peeters;;;left;"), "text/csv; charset=utf-16")


def test_a_list_in_neither_utf8_nor_windows_1252_is_refused() -> None:
    body = csv_body("UZG-1;Jan;Peeters;;;left;") + b"\x81\x8d"
    with pytest.raises(InvalidList, match="UTF-8 or Windows-1252"):
        read_list(body, "text/csv")


def test_commas_quotes_and_line_feeds_are_read_as_excel_writes_them() -> None:
    header = HEADER.replace(";", ",")
    body = csv_body(
        '"UZG-1","Jan, Pieter","Peeters",,,"hospitalised","UZ Gent, ""C"" wing"',
        'UZG-2,Marie,"Dubois\nDupont",,,left,',
        "UZG-3,Ann,Claes,,,deceased,",
        header=header,
        newline="\n",
    )
    read = read_list(body, "text/csv")
    assert read.rows[0] == row(given="Jan, Pieter", location='UZ Gent, "C" wing')
    assert read.rows[1].family_name == "Dubois\nDupont"
    assert read.rows[2] == row("UZG-3", "Ann", "Claes", status="deceased")


def test_the_delimiter_comes_from_the_header_even_when_rows_hold_the_other_one() -> None:
    read = read_list(csv_body("UZG-1;Jan, Pieter;Peeters;;;left;Gent, UZ"), "text/csv")
    assert read.rows == [row(given="Jan, Pieter", status="left", location="Gent, UZ")]


def test_headers_are_matched_whatever_their_case_spaces_and_order() -> None:
    body = csv_body(
        "left;Peeters;UZG-1;1956;Jan;v;Gent", header=" STATUS ;Family Name;Source_Ref;Geboortedatum;Voornaam;Sexe;Lieu"
    )
    assert read_list(body, "text/csv").rows == [row(status="left", birth_date="1956", sex="f", location="Gent")]


def test_columns_the_list_adds_are_ignored_and_missing_optional_columns_are_empty() -> None:
    body = csv_body("UZG-1;Peeters;left;bed 12", header="source_ref;family_name;status;remarks")
    assert read_list(body, "text/csv").rows == [row(given=None, status="left")]


def test_blank_lines_and_rows_of_empty_cells_are_skipped_without_a_rejection() -> None:
    read = read_list(csv_body("", "UZG-1;Jan;Peeters;;;left;", ";;;;;;", "  ;;"), "text/csv")
    assert read.rows == [row(status="left")]
    assert read.rejected == []


# --- rows: values, rejections with their line ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("1956", "1956"),
        ("1956-03", "1956-03"),
        ("1956-03-07", "1956-03-07"),
        ("07/03/1956", "1956-03-07"),
        ("7/3/1956", "1956-03-07"),
        ("07-03-1956", "1956-03-07"),
        ("07.03.1956", "1956-03-07"),
        ("29/02/2000", "2000-02-29"),
    ],
)
def test_birth_dates_are_read_as_written_in_belgium_and_kept_as_precise_as_given(written: str, iso: str) -> None:
    read = read_list(csv_body(f"UZG-1;Jan;Peeters;{written};;left;"), "text/csv")
    assert read.rows[0].birth_date == iso


@pytest.mark.parametrize(
    ("written", "sex"),
    [
        *[(said, "f") for said in ("f", "F", "V", "vrouw", "femme", "W", "female")],
        *[(said, "m") for said in ("m", "M", "man", "H", "homme", "male", "männlich")],
        *[(said, "x") for said in ("x", "X")],
        ("", None),
    ],
)
def test_sex_is_read_in_any_national_language_when_it_cannot_be_mistaken(written: str, sex: str | None) -> None:
    assert read_list(csv_body(f"UZG-1;Jan;Peeters;;{written};left;"), "text/csv").rows[0].sex == sex


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("Hospitalised", "hospitalised"),
        ("hospitalized", "hospitalised"),
        ("opgenomen", "hospitalised"),
        ("hospitalisé", "hospitalised"),
        ("RECEPTION_CENTRE", "reception_centre"),
        ("reception centre", "reception_centre"),
        ("opvangcentrum", "reception_centre"),
        ("centre d'accueil", "reception_centre"),
        ("left", "left"),
        ("vertrokken", "left"),
        ("parti", "left"),
        ("deceased", "deceased"),
        ("overleden", "deceased"),
        ("Décédée", "deceased"),
        ("unknown", "unknown"),
        ("onbekend", "unknown"),
        ("inconnu", "unknown"),
    ],
)
def test_status_is_read_with_its_obvious_dutch_and_french_words(written: str, status: str) -> None:
    assert read_list(csv_body(f"UZG-1;Jan;Peeters;;;{written};"), "text/csv").rows[0].status == status


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        (";Jan;Peeters;;;left;", "source_ref", "empty"),
        ("UZG-1;Jan;;;;left;", "family_name", "empty"),
        ("UZG-1;Jan;Peeters;;;;", "status", "empty"),
        ("UZG-1;Jan;Peeters;;;missing;", "status", "hospitalised, reception_centre, left, deceased, unknown"),
        ("UZG-1;Jan;Peeters;;;dood?;", "status", "'dood?'"),
        ("UZG-1;Jan;Peeters;31/02/1956;;left;", "birth_date", "not a date"),
        ("UZG-1;Jan;Peeters;1956-3-7;;left;", "birth_date", "DD/MM/YYYY"),
        ("UZG-1;Jan;Peeters;03/1956;;left;", "birth_date", "YYYY-MM"),
        ("UZG-1;Jan;Peeters;1856;;left;", "birth_date", "not a date"),
        ("UZG-1;Jan;Peeters;;q;left;", "sex", "f, m or x"),
        ("UZG-1;Jan;Peeters;;mf;left;", "sex", "f, m or x"),
        ("UZG-1;Jan;" + "P" * 201 + ";;;left;", "family_name", "200 characters"),
    ],
)
def test_a_row_that_cannot_be_taken_is_rejected_with_its_line_and_the_column_at_fault(
    line: str, column: str, words: str
) -> None:
    read = read_list(csv_body("UZG-0;Ann;Claes;;;left;", line), "text/csv")
    assert [one.source_ref for one in read.rows] == ["UZG-0"]
    [rejected] = read.rejected
    assert rejected.line == 3
    assert column in rejected.reason
    assert words in rejected.reason
    assert rejected.reason.endswith(".")


def test_a_row_with_several_faults_names_each_column() -> None:
    [rejected] = read_list(csv_body("UZG-1;Jan;;1956-13;z;;"), "text/csv").rejected
    for column in ("family_name", "birth_date", "sex", "status"):
        assert column in rejected.reason


def test_a_reference_that_appears_twice_rejects_the_later_row_and_keeps_the_first() -> None:
    read = read_list(
        csv_body("UZG-1;Jan;Peeters;;;left;", "UZG-2;Ann;Claes;;;left;", "UZG-1;Piet;Janssens;;;deceased;"),
        "text/csv",
    )
    assert [(one.source_ref, one.family_name) for one in read.rows] == [("UZG-1", "Peeters"), ("UZG-2", "Claes")]
    assert read.rejected == [
        Rejected(4, "Column source_ref has 'UZG-1', which appears twice in the file (first on line 2).")
    ]


def test_line_numbers_are_the_files_own_even_after_a_name_spanning_two_lines() -> None:
    read = read_list(csv_body('UZG-1;Jan;"Peeters\nJanssens";;;left;', "", "UZG-2;Ann;Claes;;;gone;"), "text/csv")
    assert read.rejected[0].line == 5


def test_a_name_that_starts_like_a_formula_is_kept_as_the_text_it_is() -> None:
    names = ['=HYPERLINK("http://x")', "+32 475", "-Dupont", "@SUM(A1)"]
    body = csv_body(*(f"R{i};{name};{name};;;left;{name}" for i, name in enumerate(names)))
    read = read_list(body, "text/csv")
    assert [(one.given_names, one.family_name, one.location) for one in read.rows] == [(n, n, n) for n in names]


def test_cells_are_trimmed_and_empty_optional_cells_are_none() -> None:
    read = read_list(csv_body("  UZG-1 ;  Jan  ; Peeters ;  ; ; left ;   "), "text/csv")
    assert read.rows == [row(status="left")]


# --- the file as a whole ------------------------------------------------------------------------------------


def test_a_header_without_a_required_column_refuses_the_whole_file_naming_it() -> None:
    with pytest.raises(InvalidList) as refused:
        read_list(csv_body("UZG-1;Jan;;left", header="source_ref;given_names;birth_date;status"), "text/csv")
    assert "family_name" in refused.value.message
    assert refused.value.details["missing"] == ["family_name"]
    assert "source_ref, given_names, family_name, birth_date, sex, status, location" in refused.value.message


def test_a_column_named_twice_in_the_header_refuses_the_file() -> None:
    with pytest.raises(InvalidList, match=r"family_name.*twice"):
        read_list(csv_body("1;a;b;left", header="source_ref;family_name;achternaam;status"), "text/csv")


@pytest.mark.parametrize("body", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b" ;;\n"])
def test_an_empty_file_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidList, match="empty"):
        read_list(body, "text/csv")


def test_a_file_with_a_header_and_no_rows_reads_as_an_empty_list() -> None:
    assert read_list(csv_body(), "text/csv").rows == []


@pytest.mark.parametrize("content_type", ["application/pdf", "text/plain", "", "application/json"])
def test_a_file_that_is_neither_csv_nor_xlsx_is_refused_saying_what_is_allowed(content_type: str) -> None:
    with pytest.raises(InvalidList) as refused:
        read_list(csv_body("UZG-1;Jan;Peeters;;;left;"), content_type)
    assert "text/csv" in refused.value.message
    assert XLSX in refused.value.message


def test_a_workbook_sent_as_csv_is_refused_with_the_type_to_use() -> None:
    with pytest.raises(InvalidList, match="spreadsheetml"):
        read_list(xlsx_body([HEADER.split(";")]), "text/csv")


def test_a_file_over_five_megabytes_is_refused() -> None:
    assert MAX_BYTES == 5 * 1024 * 1024
    body = csv_body(*["UZG-1;Jan;Peeters;;;left;" + "x" * 1000] * 5300)
    assert len(body) > MAX_BYTES
    with pytest.raises(InvalidList, match="5 MB"):
        read_list(body, "text/csv")


def test_a_list_over_twenty_thousand_rows_is_refused_and_one_at_the_limit_is_read() -> None:
    assert MAX_ROWS == 20_000
    lines = [f"R{i};;P;;;left;" for i in range(MAX_ROWS)]
    assert len(read_list(csv_body(*lines), "text/csv").rows) == MAX_ROWS
    with pytest.raises(InvalidList, match="20,000"):
        read_list(csv_body(*lines, "R-last;;P;;;left;"), "text/csv")


# --- XLSX ---------------------------------------------------------------------------------------------------


def test_an_excel_workbook_is_read_from_its_first_sheet_with_dates_and_numbers_as_excel_keeps_them() -> None:
    read = read_list(
        xlsx_body(
            [
                ["Source_ref", "Given_names", "Family_name", "Birth_date", "Sex", "Status", "Location"],
                [12, "Jan", "Peeters", datetime(1956, 3, 7), "M", "Hospitalised", "UZ Gent"],
                [13.0, "Ann", "Claes", "07/03/1956", "V", "left", None],
                ["UZG-14", " Piet ", "Janssens", 1956, None, "unknown", 3.5],
                [None, None, None, None, None, None, None],
                ["UZG-15", "Marc", None, date(1970, 1, 2), "x", "left", None],
            ]
        ),
        XLSX,
    )
    assert read.rows == [
        row("12", birth_date="1956-03-07", sex="m", location="UZ Gent"),
        row("13", "Ann", "Claes", birth_date="1956-03-07", sex="f", status="left"),
        row("UZG-14", "Piet", "Janssens", birth_date="1956", status="unknown", location="3.5"),
    ]
    assert read.rejected == [Rejected(6, "Column family_name is empty; every row needs a family name.")]


def test_a_workbook_cell_typed_as_a_formula_is_kept_as_its_text_never_computed() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["source_ref", "family_name", "status"])
    sheet.append(["R1", "=1+1", "left"])
    sheet["B2"].data_type = "s"  # typed as text in Excel
    sheet.append(["R2", '=UPPER("peeters")', "left"])  # a real formula cell
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = read_list(buffer.getvalue(), XLSX)
    assert [one.family_name for one in read.rows] == ["=1+1", '=UPPER("peeters")']


def test_a_workbook_only_its_first_sheet_is_read() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["source_ref", "family_name", "status"])
    workbook.active.append(["R1", "Peeters", "left"])
    other = workbook.create_sheet("notes")
    other.append(["source_ref", "family_name", "status"])
    other.append(["R2", "Claes", "left"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert [one.source_ref for one in read_list(buffer.getvalue(), XLSX).rows] == ["R1"]


def test_a_workbook_without_a_required_column_is_refused() -> None:
    with pytest.raises(InvalidList, match="status"):
        read_list(xlsx_body([["source_ref", "family_name"], ["R1", "Peeters"]]), XLSX)


def test_an_empty_workbook_is_refused() -> None:
    with pytest.raises(InvalidList, match="empty"):
        read_list(xlsx_body([]), XLSX)


@pytest.mark.parametrize("body", [b"", b"not a workbook", b"PK\x03\x04broken", csv_body("R1;;P;;;left;")])
def test_a_file_sent_as_xlsx_that_is_no_workbook_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidList, match="Excel workbook"):
        read_list(body, XLSX)


def test_a_workbook_that_unpacks_to_more_than_it_may_is_refused_before_it_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * (120 * 1024 * 1024))
    assert len(buffer.getvalue()) < MAX_BYTES
    with pytest.raises(InvalidList, match="Excel workbook"):
        read_list(buffer.getvalue(), XLSX)


def test_a_workbook_over_twenty_thousand_rows_is_refused() -> None:
    rows: list[list[Any]] = [["source_ref", "family_name", "status"]]
    rows += [[f"R{i}", "P", "left"] for i in range(MAX_ROWS + 1)]
    with pytest.raises(InvalidList, match="20,000"):
        read_list(xlsx_body(rows), XLSX)


# --- anything at all -----------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(lambda text: (HEADER + "\n" + text).encode()),
        st.lists(st.text(alphabet=';,"\r\n =+-@abc1/.é\x00', max_size=12), max_size=30).map(
            lambda cells: (HEADER.replace(";", ",") + "\n" + ";".join(cells)).encode("cp1252", "replace")
        ),
    ),
    content_type=st.sampled_from(["text/csv", "text/csv; charset=utf-8", "text/csv; charset=windows-1252", XLSX]),
)
def test_any_bytes_at_all_are_read_or_refused_with_the_domain_error_and_nothing_else(
    body: bytes, content_type: str
) -> None:
    try:
        read = read_list(body, content_type)
    except InvalidList as refused:
        assert refused.message
        return
    for one in read.rows:
        assert one.source_ref and one.family_name and one.status
    assert all(one.line >= 2 and one.reason for one in read.rejected)
