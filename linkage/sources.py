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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
    if source.format == "xlsx":
        return _open_xlsx(source)
    if source.format == "parquet":
        return _open_parquet(source)
    return _open_csv(source)


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
    first_break = text.find("\n")
    data_start = len(text) if first_break < 0 else first_break + 1
    header_start = 1 if text.startswith("\ufeff") else 0
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
            use_threads=False, skip_rows=1, column_names=names
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
    table = table.append_column("row_number", _line_numbers(table.num_rows, skipped))
    keep = pc.invert(pc.is_in(table["row_number"], pa.array(sorted(blank), pa.int64())))
    return table.filter(keep).rename_columns([*header, "row_number"]), rejects


def _line_numbers(count: int, skipped: set[int]) -> pa.Array:
    """Line numbers of Arrow's rows, given the lines its row handler took out.

    The data starts on line 2; of the first ``count + len(skipped)`` lines from there,
    at most ``len(skipped)`` were taken out, so the first ``count`` left are the rows'.
    """
    lines = np.arange(2, 2 + count + len(skipped), dtype=np.int64)
    if skipped:
        lines = lines[~np.isin(lines, np.fromiter(skipped, np.int64, len(skipped)))]
    return pa.array(lines[:count], pa.int64())


def _parse_header(line: str, source: SourceSettings) -> list[str]:
    header = [
        name.strip() for name in next(csv.reader([line], delimiter=source.delimiter))
    ]
    if not any(header):
        raise SourceError(
            str(source.path), "the first row (the header) is empty", row=1
        )
    # Trailing empty columns are common in spreadsheet exports: unnamed columns can
    # hold nothing a project maps, so only named columns must be unique.
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise SourceError(
                str(source.path),
                f"column {name!r} appears twice in the header",
                row=1,
                fix="rename one of them",
            )
        seen.add(name)
    return header


def _csv_rows(
    lines: list[str], header: list[str], source: SourceSettings
) -> Iterator[Row | Reject]:
    """Parse physical lines into rows, keeping each row's line number.

    A quoted field may span lines; a quote that never closes within a few lines is a
    broken row, rejected alone so that it cannot swallow the rest of the file.
    """
    index, width, path = 1, len(header), str(source.path)
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
    """The text inside an Excel text formula; any other value unchanged.

    Exports meant to be opened in Excel write ID numbers, phones and codes as
    ``="11010519850307001X"`` so that no digit is lost to a float; the value is
    what lies between the quotes (a doubled quote inside stands for one).
    """
    match = _EXCEL_TEXT.fullmatch(value)
    if match is None:
        return value
    return match[1].replace('""', '"')


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
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _open_xlsx(source: SourceSettings) -> Extract:
    import openpyxl

    path = str(source.path)
    try:
        book = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise SourceError(path, f"not a readable XLSX workbook ({error})") from error
    if source.sheet is not None and source.sheet not in book.sheetnames:
        raise SourceError(
            path,
            f"no sheet named {source.sheet!r}",
            fix=f"use one of {book.sheetnames}",
        )
    sheet = book[source.sheet] if source.sheet else book.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    first = next(cells, None)
    if first is None:
        raise SourceError(path, "the sheet is empty", fix="export it again")
    header = [cell_text(value).strip() for value in first]
    while header and not header[-1]:
        header.pop()
    rows = _table_rows((list(row) for row in cells), header, source, first_row=2)
    sha = file_sha256(source.path)
    return Extract(source=source, header=header, encoding="xlsx", sha256=sha, rows=rows)


def _open_parquet(source: SourceSettings) -> Extract:
    import pyarrow.parquet as pq

    path = str(source.path)
    try:
        parquet = pq.ParquetFile(source.path)
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError and others
        raise SourceError(path, f"not a readable Parquet file ({error})") from error
    header = list(parquet.schema_arrow.names)

    def values() -> Iterator[list[object]]:
        for batch in parquet.iter_batches(batch_size=65_536):
            columns = [column.to_pylist() for column in batch.columns]
            yield from (list(row) for row in zip(*columns, strict=True))

    rows = _table_rows(values(), header, source, first_row=1)
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
) -> Iterator[Row]:
    width = len(header)
    for number, row in enumerate(cells, start=first_row):
        values = [cell_text(value) for value in row[:width]]
        if not any(values):
            continue
        values.extend([""] * (width - len(values)))
        yield Row(number, values)
