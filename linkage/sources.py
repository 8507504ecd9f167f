"""Reading registry extracts: CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX and Parquet.

With ``encoding = "auto"`` a CSV that opens with a UTF-16 byte order mark, as Excel's
"Unicode text" export does, is read as UTF-16 too.

Every value is read as text: an ID number must never pass through a float, and a CSV
cell written as Excel's text formula (``="0123"``) is read as the text inside. A row
that cannot be read (a broken quote, the wrong number of fields) becomes a
:class:`Reject` naming file, row and reason; a file that cannot be read at all raises
:class:`~linkage.errors.SourceError`. Row numbers are those a person sees when opening
the file: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.errors import SourceError
from linkage.project import SourceSettings

logger = logging.getLogger(__name__)

_MAX_QUOTED_LINES = 20
"""How many physical lines one quoted field may span before the row counts as broken."""


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that could not be taken in, and why."""

    source: str
    file: str
    row: int
    field: str
    reason: str
    raw: str


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its row number and its values, in header order, as text."""

    number: int
    values: list[str]


@dataclass(slots=True)
class Extract:
    """A file's header and rows, streamed, with what was learnt while reading it."""

    source: SourceSettings
    header: list[str]
    encoding: str
    sha256: str
    rows: Iterator[Row | Reject]
    table: pa.Table | None = None
    """Fast path: every data row as text columns plus ``row_number``; ``rows`` then
    yields only the rejects."""


def read_header(source: SourceSettings) -> list[str]:
    """The column names of a source's file, as they appear in it."""
    return open_extract(source).header


def open_extract(source: SourceSettings) -> Extract:
    """Open a source's file for reading; raises SourceError if it cannot be read."""
    path = source.path
    if not path.is_file():
        raise SourceError(str(path), "file not found", fix="check the path")
    if path.stat().st_size == 0:
        raise SourceError(str(path), "the file is empty", fix="export it again")
    _check_content_fits_suffix(source)
    if source.format == "xlsx":
        return _open_xlsx(source)
    if source.format == "parquet":
        return _open_parquet(source)
    return _open_csv(source)


_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "xlsx", "an XLSX workbook (a zip archive)"),
    (b"PAR1", "parquet", "a Parquet file"),
    (b"\xd0\xcf\x11\xe0", "xls", "an old Excel .xls workbook"),
)
"""The first bytes of the binary formats people give the wrong file name."""


def _check_content_fits_suffix(source: SourceSettings) -> None:
    """Refuse a file whose bytes are another format than its name says.

    A workbook saved as ``.csv`` would otherwise fail as "neither UTF-8 nor
    GB18030", and a CSV renamed ``.xlsx`` as "not a zip file": neither says what to do.
    """
    with source.path.open("rb") as handle:
        head = handle.read(8)
    found = next((m for m in _MAGIC if head.startswith(m[0])), None)
    expected = source.format
    if found is not None and found[1] == expected:
        return
    name = source.path.name
    if found is not None and found[1] == "xls":
        raise SourceError(
            str(source.path),
            f"{name} is {found[2]}, a format yidang does not read",
            fix="open it in Excel and save it as .xlsx (or CSV UTF-8)",
        )
    if found is not None:
        suffix = ".xlsx" if found[1] == "xlsx" else ".parquet"
        raise SourceError(
            str(source.path),
            f"{name} is {found[2]} but its name says {expected}",
            fix=f"rename it to end in {suffix} and change path in the project file",
        )
    if expected != "csv":
        raise SourceError(
            str(source.path),
            f"{name} is not {'an XLSX workbook' if expected == 'xlsx' else 'Parquet'}"
            " (its bytes look like text, or it is damaged)",
            fix="if it is a CSV or text export, rename it to end in .csv; "
            "otherwise export it again",
        )


_HEADER_SEARCH_ROWS = 20
"""How far down a file :func:`locate_header` looks for the column names."""


def locate_header(source: SourceSettings) -> tuple[str | None, int] | None:
    """Where a header holding every mapped column is: (sheet, row), or None.

    Looks at the first rows of the file (of every sheet of a workbook, the sheet
    the source names first) so that a project whose columns are "missing" can be
    told the ``header_row`` or ``sheet`` to set. The sheet is None for a CSV.
    """
    wanted = {*source.fields.values(), *source.extra_fields.values()}
    if source.format == "parquet" or not source.path.is_file():
        return None
    if source.format == "csv":
        lines = _first_lines(source)
        rows = csv.reader(lines, delimiter=source.delimiter)
        return _row_holding(wanted, (list(row) for row in rows), None)
    book = _open_workbook(source)
    try:
        sheets = sorted(book.worksheets, key=lambda sheet: sheet.title != source.sheet)
        for sheet in sheets:
            sheet.reset_dimensions()
            rows = sheet.iter_rows(max_row=_HEADER_SEARCH_ROWS, values_only=True)
            found = _row_holding(wanted, (list(r) for r in rows), sheet.title)
            if found is not None:
                return found
        return None
    finally:
        book.close()


def _first_lines(source: SourceSettings) -> list[str]:
    """The first lines of a CSV, decoded as loading decodes it.

    Only a project check whose columns are missing asks, so reading the whole file
    again costs nothing on the path a run takes.
    """
    text, _ = decode(source.path.read_bytes(), source.encoding, str(source.path))
    lines = text.lstrip("\ufeff").split("\n", _HEADER_SEARCH_ROWS)
    return [line.rstrip("\r") for line in lines[:_HEADER_SEARCH_ROWS]]


def _row_holding(
    wanted: set[str], rows: Iterator[list[object]], sheet: str | None
) -> tuple[str | None, int] | None:
    for number, row in enumerate(rows, start=1):
        if wanted <= {xlsx_cell_text(value).strip() for value in row}:
            return sheet, number
    return None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, to tell one monthly extract from another."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# CSV -----------------------------------------------------------------------------


def decode(data: bytes, declared: str, path: str) -> tuple[str, str]:
    """Decode a file's bytes with its declared encoding, or detect it for "auto".

    Returns:
        The text and the encoding used.

    Raises:
        SourceError: Naming the row of the first byte that does not decode.
    """
    if declared == "auto":
        declared, text = _detect(data, path)
        if text is not None:
            return text, declared
    if declared == "gb18030" and _looks_like_utf8(data):
        raise SourceError(
            path,
            "the file is declared gb18030 but its bytes are UTF-8",
            fix='set encoding = "utf-8" or "auto" for this source',
        )
    codec = "utf-8-sig" if declared in {"utf-8", "utf-8-sig"} else declared
    try:
        return data.decode(codec), declared
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        other = "gb18030" if declared != "gb18030" else "utf-8"
        raise SourceError(
            path,
            f"byte 0x{data[error.start]:02x} is not valid {declared}",
            row=row,
            fix=f'the file may be {other}: set encoding = "{other}" or "auto"',
        ) from error


def _detect(data: bytes, path: str) -> tuple[str, str | None]:
    """The encoding of a file's bytes, and their text when detecting decoded it all."""
    if data.startswith(_BOM):
        return "utf-8-sig", None
    if data.startswith(_UTF16_BOMS):
        # Excel's "Unicode text" export. Neither BOM can open a UTF-8 or GB18030 file:
        # 0xFF is no lead byte in either, and 0xFF is no GB18030 trail byte.
        try:
            return "utf-16", data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise SourceError(
                path,
                "the file starts as UTF-16 but does not decode as UTF-16",
                fix="export it again as UTF-8 or GB18030",
            ) from error
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return "gb18030", data.decode("gb18030")
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        raise SourceError(
            path,
            "the file is neither UTF-8 nor GB18030",
            row=row,
            fix="export it again as UTF-8 or GB18030",
        ) from error


def _looks_like_utf8(data: bytes) -> bool:
    if data.startswith(_BOM):
        return True
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _open_csv(source: SourceSettings) -> Extract:
    path = str(source.path)
    data = source.path.read_bytes()
    text, encoding = decode(data, source.encoding, path)
    # Whole-file splits and copies cost seconds on a large extract: look, don't cut.
    # A second BOM is no line break, quote or blank, so only the header skips it.
    header_start = _line_start(text, source.header_row)
    if header_start < 0:
        raise SourceError(
            path,
            f"the file has fewer than {source.header_row} lines",
            row=source.header_row,
            fix="check header_row for this source",
        )
    header_break = text.find("\n", header_start)
    data_start = len(text) if header_break < 0 else header_break + 1
    if text.startswith("\ufeff", header_start):
        header_start += 1
    header = _parse_header(text[header_start:data_start].rstrip("\r\n"), source)
    if _HAS_DATA.search(text, data_start) is None:
        # A registry with nothing to report this month is possible; say so.
        logger.warning("%s has a header but no data rows", path)
    sha = hashlib.sha256(data).hexdigest()
    if '"' not in text and text.count("\n") + 1 > _FAST_FROM_LINES:
        body = _utf8_body(data) if encoding in _UTF8 else text.encode("utf-8")
        table, rejects = _read_unquoted(body, header, source, _blank_lines(text))
        return Extract(
            source=source,
            header=header,
            encoding=encoding,
            sha256=sha,
            rows=iter(rejects),
            table=table,
        )
    rows = _csv_rows(text.split("\n"), header, source)
    return Extract(
        source=source, header=header, encoding=encoding, sha256=sha, rows=rows
    )


def _line_start(text: str, line: int) -> int:
    """Where the 1-based ``line`` of a text starts, or -1 when it has fewer lines."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return -1
    return start


_FAST_FROM_LINES = 10_000
"""Files at least this long and free of quotes are parsed by Arrow's C++ reader."""

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8 = frozenset({"utf-8", "utf-8-sig"})

_HAS_DATA = re.compile(r"\S")
"""Any character that makes a line more than blank (``str.strip`` whitespace)."""

_BLANK_LINE = re.compile(r"\n[^\S\n]*(?=\n|\Z)")
"""A line break followed by a line that ``str.strip`` would leave empty."""


def _utf8_body(data: bytes) -> bytes:
    """A UTF-8 file's bytes as its decoded text would encode them: without BOMs.

    Decoding drops one BOM and reading drops one more, so up to two go here too.
    """
    for _ in range(2):
        data = data.removeprefix(_BOM)
    return data


def _blank_lines(text: str) -> set[int]:
    """Line numbers of the lines holding nothing but whitespace."""
    blank: set[int] = set()
    number, counted = 1, 0
    for match in _BLANK_LINE.finditer(text):
        number += text.count("\n", counted, match.start()) + 1
        counted = match.start() + 1
        blank.add(number)
    return blank


def _read_unquoted(
    body: bytes, header: list[str], source: SourceSettings, blank: set[int]
) -> tuple[pa.Table, list[Reject]]:
    """Parse a file with no quote characters at all, with Arrow's CSV reader.

    Without quotes every line is one row, so the result is the same as the line
    parser's: a line with the wrong number of fields is rejected with its line number,
    blank lines are not records, and every value stays text. ``body`` is the file's
    text encoded as UTF-8.
    """
    import pyarrow.csv as arrow_csv

    rejects: list[Reject] = []
    skipped: set[int] = set()
    path = str(source.path)

    def reject(row: arrow_csv.InvalidRow) -> str:
        skipped.add(row.number)
        if row.number in blank:
            return "skip"
        reason = f"{row.actual_columns} fields where the header has {len(header)}"
        rejects.append(Reject(source.name, path, row.number, "", reason, row.text))
        return "skip"

    names = [f"c{i}" for i in range(len(header))]
    table = arrow_csv.read_csv(
        pa.BufferReader(body),
        read_options=arrow_csv.ReadOptions(
            use_threads=False, skip_rows=source.header_row, column_names=names
        ),
        parse_options=arrow_csv.ParseOptions(
            delimiter=source.delimiter,
            quote_char=False,
            ignore_empty_lines=False,
            invalid_row_handler=reject,
        ),
        convert_options=arrow_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
        ),
    )
    numbers = _line_numbers(table.num_rows, skipped, source.header_row + 1)
    table = table.append_column("row_number", numbers)
    keep = pc.invert(pc.is_in(table["row_number"], pa.array(sorted(blank), pa.int64())))
    return table.filter(keep).rename_columns([*header, "row_number"]), rejects


def _line_numbers(count: int, skipped: set[int], first: int) -> pa.Array:
    """Line numbers of Arrow's rows, given the lines its row handler took out.

    The data starts on line ``first``; of the first ``count + len(skipped)`` lines
    from there, at most ``len(skipped)`` were taken out, so the first ``count`` left
    are the rows'.
    """
    lines = np.arange(first, first + count + len(skipped), dtype=np.int64)
    if skipped:
        lines = lines[~np.isin(lines, np.fromiter(skipped, np.int64, len(skipped)))]
    return pa.array(lines[:count], pa.int64())


def _parse_header(line: str, source: SourceSettings) -> list[str]:
    header = [
        name.strip() for name in next(csv.reader([line], delimiter=source.delimiter))
    ]
    if not any(header):
        raise SourceError(
            str(source.path),
            f"row {source.header_row} (the header) is empty",
            row=source.header_row,
            fix="set header_row to the row that holds the column names",
        )
    _check_unique(header, source)
    return header


def _check_unique(header: list[str], source: SourceSettings) -> None:
    # Trailing empty columns are common in spreadsheet exports: unnamed columns can
    # hold nothing a project maps, so only named columns must be unique.
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise SourceError(
                str(source.path),
                f"column {name!r} appears twice in the header",
                row=source.header_row,
                fix="rename one of them",
            )
        seen.add(name)


def _csv_rows(
    lines: list[str], header: list[str], source: SourceSettings
) -> Iterator[Row | Reject]:
    """Parse physical lines into rows, keeping each row's line number.

    A quoted field may span lines; a quote that never closes within a few lines is a
    broken row, rejected alone so that it cannot swallow the rest of the file.
    """
    index, width, path = source.header_row, len(header), str(source.path)
    while index < len(lines):
        number, line = index + 1, lines[index].rstrip("\r")
        index += 1
        if not line.strip():
            continue
        if line.count('"') % 2:
            joined, used = _join_quoted(lines, index, line)
            values = _split(joined, source.delimiter) if joined else []
            if len(values) != width:
                yield Reject(source.name, path, number, "", "broken quote", line)
                continue
            yield Row(number, values)
            index += used
            continue
        values = _split(line, source.delimiter)
        if len(values) != width:
            reason = f"{len(values)} fields where the header has {width}"
            yield Reject(source.name, path, number, "", reason, line)
            continue
        yield Row(number, values)


def _join_quoted(lines: list[str], start: int, line: str) -> tuple[str | None, int]:
    parts = [line]
    for used in range(1, _MAX_QUOTED_LINES + 1):
        if start + used - 1 >= len(lines):
            break
        parts.append(lines[start + used - 1].rstrip("\r"))
        if sum(part.count('"') for part in parts) % 2 == 0:
            return "\n".join(parts), used
    return None, 0


def _split(line: str, delimiter: str) -> list[str]:
    if '"' not in line:
        return line.split(delimiter)
    values = next(csv.reader([line], delimiter=delimiter))
    if '="' in line:
        values = [_unwrap_excel_text(value) for value in values]
    return values


_EXCEL_TEXT = re.compile(r'\s*="(.*)"\s*', re.DOTALL)
"""A cell written as Excel's text formula, ``="0123"``, so that Excel keeps it text."""


def _unwrap_excel_text(value: str) -> str:
    """The text inside an Excel text formula; any other value unchanged."""
    inside = _excel_text(value)
    return value if inside is None else inside


def _excel_text(formula: str) -> str | None:
    """The text an Excel text formula stands for, or None for any other value.

    Exports meant to be opened in Excel write ID numbers, phones and codes as
    ``="11010519850307001X"`` so that no digit is lost to a float; the value is
    what lies between the quotes (a doubled quote inside stands for one).
    """
    match = _EXCEL_TEXT.fullmatch(formula)
    return None if match is None else match[1].replace('""', '"')


# XLSX and Parquet -----------------------------------------------------------------


def cell_text(value: object) -> str:
    """A spreadsheet or Parquet cell as text, without inventing digits.

    A float of 15 or more digits has lost precision in Excel; it is kept in scientific
    notation so that ID standardisation sees it as unrecoverable.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value != value:  # NaN: pandas' empty cell
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value == value.to_integral()
    ):
        # Exact, unlike a float: a DECIMAL(20, 2) ID column keeps every digit.
        return f"{value.to_integral():f}"
    return str(value)


def xlsx_cell_text(value: object) -> str:
    """An XLSX cell as text: :func:`cell_text`, knowing that Excel numbers are doubles.

    A numeric cell holds a double, good for 15 significant digits, whatever the XML
    spells: an 18-digit ID number typed into Excel is stored with its last digits
    zeroed, and some writers spell that double as an integer (``110105198503070000``).
    Any integer of 16 digits or more in a numeric cell is therefore written in
    scientific notation, which ID standardisation flags as unrecoverable, instead of
    passing for a genuine (and 1 time in 11 check-valid) number.
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return repr(float(value))
    return cell_text(value)


def _open_xlsx(source: SourceSettings) -> Extract:
    book = _open_workbook(source)
    try:
        sheet, cells, header = _xlsx_header(book, source)
        values: Iterator[list[object]] = _closing(book, (list(row) for row in cells))
    except BaseException:
        book.close()
        raise
    if _has_formulas(source.path):
        values = _computed(values, _formulas(source, sheet.title), header, source)
    rows = _table_rows(
        values, header, source, first_row=source.header_row + 1, text=xlsx_cell_text
    )
    sha = file_sha256(source.path)
    return Extract(source=source, header=header, encoding="xlsx", sha256=sha, rows=rows)


def _xlsx_header(
    book: Any, source: SourceSettings
) -> tuple[Any, Iterator[tuple[object, ...]], list[str]]:
    """The sheet to read, its rows after the header, and the header."""
    path = str(source.path)
    sheet = _pick_sheet(book, source)
    # Some exporters write a worksheet dimension of "A1" whatever the sheet holds;
    # read-only openpyxl trusts it and would read one cell. Read what is there.
    sheet.reset_dimensions()
    cells = sheet.iter_rows(values_only=True)
    for _ in range(source.header_row - 1):
        next(cells, None)
    first = next(cells, None)
    where = f"sheet {sheet.title!r}"
    if first is None:
        message = (
            f"{where} is empty"
            if source.header_row == 1
            else f"{where} has no row {source.header_row} (header_row)"
        )
        raise SourceError(path, message, fix="check the sheet and header_row")
    header = [xlsx_cell_text(value).strip() for value in first]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise SourceError(
            path,
            f"row {source.header_row} (the header) of {where} is empty",
            row=source.header_row,
            fix="set header_row to the row that holds the column names",
        )
    _check_unique(header, source)
    if source.sheet is None:
        _check_no_other_sheet_alike(book, sheet, header, source)
    return sheet, cells, header


_FORMULA = re.compile(rb"<f[ >/]")
"""A formula element in a worksheet's XML."""


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of a workbook holds a formula, streamed, not loaded."""
    import zipfile

    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if not name.startswith("xl/worksheets/") or not name.endswith(".xml"):
                continue
            with book.open(name) as part:
                tail = b""
                for block in iter(lambda: part.read(1 << 20), b""):
                    if _FORMULA.search(tail + block):
                        return True
                    tail = block[-3:]
    return False


def _closing(book: Any, rows: Iterator[list[object]]) -> Iterator[list[object]]:
    """The rows of a read-only workbook, closing its file when done or abandoned."""
    try:
        yield from rows
    finally:
        book.close()


def _formulas(source: SourceSettings, title: str) -> Iterator[list[object]]:
    """The sheet's cells as written: a formula cell gives its formula text."""
    import openpyxl

    # Opened only once the rows are read: a header check never opens it.
    book = openpyxl.load_workbook(source.path, read_only=True, data_only=False)
    try:
        sheet = book[title]
        sheet.reset_dimensions()
        cells = sheet.iter_rows(values_only=True)
        for _ in range(source.header_row):
            next(cells, None)
        yield from (list(row) for row in cells)
    finally:
        book.close()


def _computed(
    values: Iterator[list[object]],
    formulas: Iterator[list[object]],
    header: list[str],
    source: SourceSettings,
) -> Iterator[list[object]]:
    """Rows whose formula cells have no stored value, filled in or refused.

    Excel stores each formula's value beside it; a file written by a program and
    never opened in Excel has none, and would read as empty. A text formula
    (``="11010519850307001X"``, written so that Excel keeps the digits) is the text
    inside; any other formula cannot be computed here.
    """
    try:
        # Both readers walk the same sheet, row for row and cell for cell.
        pairs = zip(values, formulas, strict=False)
        for number, (row, written) in enumerate(pairs, start=source.header_row + 1):
            for index, (value, formula) in enumerate(zip(row, written, strict=False)):
                if value is not None or not isinstance(formula, str):
                    continue
                if not formula.startswith("="):
                    continue
                inside = _excel_text(formula)
                if inside is None:
                    raise SourceError(
                        str(source.path),
                        f"a formula ({formula[:40]}) has no stored value",
                        row=number,
                        field=header[index] if index < len(header) else None,
                        fix="open the file in Excel or WPS and save it, so that the "
                        "computed values are stored, or export the values only",
                    )
                row[index] = inside
            yield row
    finally:
        # Close both workbooks now, even when a row is refused part way.
        for rows in (values, formulas):
            close = getattr(rows, "close", None)
            if close is not None:
                close()


def _check_no_other_sheet_alike(
    book: Any, read: Any, header: list[str], source: SourceSettings
) -> None:
    """Refuse to read one sheet silently when others hold rows of the same list.

    Exports split a long list over several sheets (by township, or at a row limit);
    reading only the first would lose the rest without a word.
    """
    alike = []
    for other in book.worksheets:
        if other.title == read.title:
            continue
        other.reset_dimensions()
        rows = other.iter_rows(
            min_row=source.header_row, max_row=source.header_row, values_only=True
        )
        first = next(rows, None) or ()
        names = [xlsx_cell_text(value).strip() for value in first]
        if [name for name in names if name] == [name for name in header if name]:
            alike.append(other.title)
    if alike:
        titles = ", ".join(repr(title) for title in [read.title, *alike])
        raise SourceError(
            str(source.path),
            f"sheets {titles} have the same columns; only one would be read",
            fix="add one [[sources]] per sheet, each with its own name and "
            'sheet = "..." (they may share the path), or set sheet to the one to read',
        )


def _open_workbook(source: SourceSettings) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(source.path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise SourceError(
            str(source.path),
            f"not a readable XLSX workbook ({error})",
            fix="the file may be cut short or damaged: export it again",
        ) from error


def _pick_sheet(book: Any, source: SourceSettings) -> Any:
    if source.sheet is not None and source.sheet not in book.sheetnames:
        raise SourceError(
            str(source.path),
            f"no sheet named {source.sheet!r}",
            fix=f"use one of {book.sheetnames}",
        )
    return book[source.sheet] if source.sheet else book.worksheets[0]


def _open_parquet(source: SourceSettings) -> Extract:
    import pyarrow.parquet as pq

    path = str(source.path)
    try:
        parquet = pq.ParquetFile(source.path)
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError and others
        raise SourceError(
            path,
            f"not a readable Parquet file ({error})",
            fix="the file may be cut short or damaged: export it again",
        ) from error
    header = list(parquet.schema_arrow.names)

    def values() -> Iterator[list[object]]:
        for batch in parquet.iter_batches(batch_size=65_536):
            columns = [column.to_pylist() for column in batch.columns]
            yield from (list(row) for row in zip(*columns, strict=True))

    rows = _table_rows(values(), header, source, first_row=1, text=cell_text)
    sha = file_sha256(source.path)
    return Extract(
        source=source, header=header, encoding="parquet", sha256=sha, rows=rows
    )


def _table_rows(
    cells: Iterator[list[object]],
    header: list[str],
    source: SourceSettings,
    *,
    first_row: int,
    text: Callable[[object], str],
) -> Iterator[Row]:
    width = len(header)
    found = False
    for number, row in enumerate(cells, start=first_row):
        values = [text(value) for value in row[:width]]
        if not any(values):
            continue
        values.extend([""] * (width - len(values)))
        found = True
        yield Row(number, values)
    if not found:
        # A registry with nothing to report this month is possible; say so.
        logger.warning("%s has a header but no data rows", source.path)
