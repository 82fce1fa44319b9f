"""Reading a list of victims and survivors as a hospital, a reception centre or the police sent it to the FPS
Public Health: a CSV or an Excel workbook with a header row naming its columns.

A file is read whole or refused whole (`InvalidList`, saying what is allowed): neither CSV nor XLSX, over 5 MB or
20,000 rows, empty, unreadable, or a header without `source_ref`, `family_name` and `status`. Within a readable
file each row is taken (`ListRow`) or rejected (`Rejected`, with its line in the file, header = 1, and a sentence
naming each column at fault), so one mistyped date does not hold back the rest of the list.

CSV: UTF-8 (with or without a byte order mark) or Windows-1252, as Excel saves it in Belgium; an explicit
`charset` is honoured. The delimiter (`;` or `,`) is the one the header row uses; quoted fields may hold either,
and line breaks. XLSX: the first sheet, read-only; a cell holds what was typed, so a formula cell gives its text,
never a computed value. Text that begins like a formula (`=`, `+`, `-`, `@`) is a name like any other and is
kept as read: nothing here evaluates a cell, and exports make such text inert (crisisline.spreadsheet_text)."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from crisisline.errors import InvalidList

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_CELL = 200  # characters in one cell: a name, a reference or a place
# What a workbook may unpack to: a 5 MB zip could otherwise expand to gigabytes of XML.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_COLUMNS = 100  # a sheet may claim 16,384 columns; the list's are among its first

COLUMNS = ("source_ref", "given_names", "family_name", "birth_date", "sex", "status", "location")
REQUIRED = ("source_ref", "family_name", "status")
STATUSES = ("hospitalised", "reception_centre", "left", "deceased", "unknown")
ALLOWED = (
    f"A list is a CSV file ({CSV}, UTF-8 or Windows-1252, ';' or ',' between columns) or an Excel workbook "
    f"({XLSX}) of at most 5 MB and {MAX_ROWS:,} rows, whose first row names the columns "
    f"{', '.join(COLUMNS)} ({', '.join(REQUIRED)} required)."
)

# Header names, folded (lower case, no accents, `_` for spaces): the English column names and the Dutch, French
# and German words a hospital's export would use for them. Words that could mean a whole name ("naam", "nom")
# are left out: a full name in family_name would match no one.
_HEADER_ALIASES = {
    "source_ref": ("ref", "reference", "referentie", "kenmerk", "referenz"),
    "given_names": ("given_name", "first_name", "first_names", "voornaam", "voornamen", "prenom", "prenoms", "vorname"),
    "family_name": ("last_name", "surname", "achternaam", "familienaam", "nom_de_famille", "nachname", "familienname"),
    "birth_date": ("date_of_birth", "dob", "geboortedatum", "date_de_naissance", "date_naissance", "geburtsdatum"),
    "sex": ("gender", "geslacht", "sexe", "geschlecht"),
    "status": ("statut",),
    "location": ("locatie", "plaats", "lieu", "ort"),
}
_HEADERS = {alias: name for name, aliases in _HEADER_ALIASES.items() for alias in (name, *aliases)}

# Only words that cannot be read another way in Dutch, French, German or English: `H` is homme, `V` vrouw,
# `W` weiblich; nothing that means "unknown" is taken as `x`.
_SEXES = {
    "f": ("f", "female", "v", "vrouw", "vrouwelijk", "femme", "feminin", "w", "weiblich", "frau"),
    "m": ("m", "male", "man", "mannelijk", "h", "homme", "masculin", "mannlich", "maennlich", "mann"),
    "x": ("x", "other", "ander", "andere", "autre", "divers"),
}
_SEX = {word: sex for sex, words in _SEXES.items() for word in words}
_STATUSES_SAID = {
    "hospitalised": ("hospitalized", "opgenomen", "gehospitaliseerd", "hospitalise", "hospitalisee", "hospitalisiert"),
    "reception_centre": ("reception_center", "opvangcentrum", "centre_d_accueil", "aufnahmezentrum"),
    "left": ("vertrokken", "parti", "partie"),
    "deceased": ("overleden", "decede", "decedee", "verstorben"),
    "unknown": ("onbekend", "inconnu", "unbekannt"),
}
_STATUS = {word: status for status, words in _STATUSES_SAID.items() for word in (status, *words)}

_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_BELGIAN_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
_OLDEST_YEAR, _LATEST_YEAR = 1880, 2100
_CHARSETS = {"utf-8", "cp1252", "iso8859-1", "iso8859-15", "ascii"}  # codecs' names


@dataclass(frozen=True, slots=True)
class ListRow:
    """One person on a list, as the list gives them: text trimmed, the birth date ISO (`YYYY`, `YYYY-MM` or
    `YYYY-MM-DD`), sex `f`/`m`/`x`, status one of `STATUSES`; `None` where the list says nothing."""

    source_ref: str
    given_names: str | None
    family_name: str
    birth_date: str | None
    sex: str | None
    status: str
    location: str | None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row not taken: its line in the file (the header is line 1) and why, naming each column at fault."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ListRead:
    rows: list[ListRow]
    rejected: list[Rejected]


def read_list(body: bytes, content_type: str) -> ListRead:
    """The rows of an uploaded list (the file's bytes and its Content-Type), or `InvalidList` if the file cannot
    be read as a whole."""
    media_type, charset = _media_type(content_type)
    if len(body) > MAX_BYTES:
        raise InvalidList(f"The file is {len(body) / 1024 / 1024:.1f} MB, over the 5 MB a list may be. {ALLOWED}")
    if media_type == CSV:
        if body.startswith(b"PK\x03\x04"):
            raise InvalidList(f"The file is an Excel workbook sent as {CSV}: send it as {XLSX}. {ALLOWED}")
        return _read_rows(_csv_rows(_decode(body, charset)))
    if media_type == XLSX:
        return _read_rows(_xlsx_rows(body))
    raise InvalidList(f"A list cannot be read from a file of type {media_type or 'none'!r}. {ALLOWED}")


def _media_type(content_type: str) -> tuple[str, str | None]:
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').strip()
    return media_type.lower(), charset


def _decode(body: bytes, charset: str | None) -> str:
    if charset:
        try:
            encoding = codecs.lookup(charset).name
        except LookupError:
            encoding = ""
        if encoding not in _CHARSETS:
            raise InvalidList(f"A CSV list's charset is utf-8 or windows-1252, not {charset[:40]!r}. {ALLOWED}")
        try:
            return body.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        except UnicodeDecodeError as error:
            shown = "UTF-8" if encoding == "utf-8" else charset[:40]
            raise InvalidList(f"The file is not {shown} as it says (byte {error.start + 1}). {ALLOWED}") from None
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError as error:
        raise InvalidList(f"The file is neither UTF-8 or Windows-1252 (byte {error.start + 1}). {ALLOWED}") from None


def _csv_rows(text: str) -> Iterator[tuple[int, list[Any]]]:
    """Each record of a CSV text with the line it starts on; the header's line says the delimiter."""
    header = next((line for line in text.splitlines() if line.strip(" ;,\t")), "")
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as error:
        raise InvalidList(f"Line {start} cannot be read as CSV ({error}). {ALLOWED}") from None


def _xlsx_rows(body: bytes) -> Iterator[tuple[int, list[Any]]]:
    """Each row of the workbook's first sheet with its row number."""
    unreadable = f"The file cannot be read as an Excel workbook (.xlsx). {ALLOWED}"
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise InvalidList(unreadable) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidList(unreadable)
    from openpyxl import load_workbook  # only uploads of workbooks need it, and it is slow to import

    try:
        # openpyxl raises what its zip, XML and cell parsers raise on a damaged file: any of it means unreadable.
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=False)
        try:
            sheet = workbook.worksheets[0]
            for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                yield number, list(cells)
        finally:
            workbook.close()
    except InvalidList:
        raise
    except Exception:  # noqa: BLE001 (see above)
        raise InvalidList(unreadable) from None


def _cell_text(value: Any) -> str:
    """A cell as text: Excel's floats for whole numbers as integers (`12.0` is reference `12`), dates ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _fold(text: str) -> str:
    """A header or a word as compared: lower case, accents dropped, spaces, hyphens and apostrophes as `_`."""
    plain = unicodedata.normalize("NFKD", text.strip().casefold())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return re.sub(r"[\s\-'’_]+", "_", plain).strip("_")


def _read_rows(records: Iterable[tuple[int, Sequence[Any]]]) -> ListRead:
    header: dict[str, int] | None = None
    rows: list[ListRow] = []
    rejected: list[Rejected] = []
    first_line: dict[str, int] = {}
    taken = 0
    for line, record in records:
        cells = [_cell_text(value) for value in record]
        if not any(cells):
            continue
        if header is None:
            header = _header(cells)
            continue
        taken += 1
        if taken > MAX_ROWS:
            raise InvalidList(f"The list has more than {MAX_ROWS:,} rows. {ALLOWED}")
        values = {name: cells[index] if index < len(cells) else "" for name, index in header.items()}
        row, faults = _row(values)
        ref = values.get("source_ref", "")
        if ref in first_line:
            first = first_line[ref]
            faults.append(
                f"Column source_ref has {_shown(ref)}, which appears twice in the file (first on line {first})."
            )
        elif ref:
            first_line[ref] = line
        if faults or row is None:
            rejected.append(Rejected(line, " ".join(faults)))
        else:
            rows.append(row)
    if header is None:
        raise InvalidList(f"The file is empty. {ALLOWED}")
    return ListRead(rows, rejected)


def _header(cells: Sequence[str]) -> dict[str, int]:
    header: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = _HEADERS.get(_fold(cell))
        if name is None:
            continue
        if name in header:
            raise InvalidList(f"The header names column {name} twice ({cells[header[name]]!r} and {cell!r}). {ALLOWED}")
        header[name] = index
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InvalidList(f"The header row has no column {', '.join(missing)}. {ALLOWED}", missing=missing)
    return header


def _shown(text: str) -> str:
    """A typed value quoted in a reason, cut short."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _row(values: dict[str, str]) -> tuple[ListRow | None, list[str]]:
    faults: list[str] = []
    for name, value in values.items():
        if len(value) > MAX_CELL:
            faults.append(f"Column {name} is longer than {MAX_CELL} characters.")
    if not values["source_ref"]:
        faults.append("Column source_ref is empty; every row needs the reference the list gives the person.")
    if not values["family_name"]:
        faults.append("Column family_name is empty; every row needs a family name.")
    status = _STATUS.get(_fold(values["status"]))
    if not values["status"]:
        faults.append(f"Column status is empty; write one of {', '.join(STATUSES)}.")
    elif status is None:
        faults.append(f"Column status has {_shown(values['status'])}; write one of {', '.join(STATUSES)}.")
    birth_date, fault = _birth_date(values.get("birth_date", ""))
    if fault:
        faults.append(fault)
    said = values.get("sex", "")
    sex = _SEX.get(_fold(said)) if said else None
    if said and sex is None:
        faults.append(f"Column sex has {_shown(said)}; write f, m or x, or leave it empty.")
    if faults or status is None:
        return None, faults
    return (
        ListRow(
            source_ref=values["source_ref"],
            given_names=values.get("given_names") or None,
            family_name=values["family_name"],
            birth_date=birth_date,
            sex=sex,
            status=status,
            location=values.get("location") or None,
        ),
        faults,
    )


def _birth_date(text: str) -> tuple[str | None, str | None]:
    """The ISO form of a birth date as written, or why it is not one."""
    if not text:
        return None, None
    not_a_date = (
        f"Column birth_date has {_shown(text)}, not a date written YYYY-MM-DD, YYYY-MM, YYYY or DD/MM/YYYY "
        f"between {_OLDEST_YEAR} and {_LATEST_YEAR}."
    )
    if found := _ISO_DATE.fullmatch(text):
        year, month, day = found.groups()
    elif found := _BELGIAN_DATE.fullmatch(text):
        day, _, month, year = found.groups()
    else:
        return None, not_a_date
    if not _OLDEST_YEAR <= int(year) <= _LATEST_YEAR:
        return None, not_a_date
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None, not_a_date
    iso = "-".join(part.zfill(2) for part in (year, month, day) if part)
    return iso, None
