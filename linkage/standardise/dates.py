"""Dates of birth as registries write them, parsed to ``datetime.date`` with flags.

Registry extracts carry dates as ISO strings, slashed or dotted forms, compact
``19850307``, Chinese ``1985年3月7日``, two-digit years, Excel serial numbers,
datetimes with a midnight time part, and Python or pandas objects. :func:`parse_date`
accepts all of them and says through flags how it read the value, so that a two-digit
year or an Excel serial can count as weaker evidence later. Results are cached per
distinct value, since a column of a million dates holds far fewer distinct ones.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

__all__ = ["DATE_FLAGS", "ParsedDate", "parse_date", "plain_date_sql"]

DATE_FLAGS: tuple[str, ...] = (
    "date_missing",
    "date_unparsed",
    "date_impossible",
    "date_two_digit_year",
    "date_excel_serial",
)
"""Every flag :func:`parse_date` can raise."""

_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 80_000
_MISSING_TEXT = frozenset({"", "nan", "nat", "none", "null", "na", "n/a", "-", "--"})

# Four-digit year, any of - / . as separators, optional midnight-style time part.
_YMD_SEPARATED = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
# Chinese dates come typeset with spaces around 年, 月 and 日 ("1985 年 3 月 7 日"), and
# from database exports with a time part after them.
_CHINESE_TIME = r"(?:\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_YMD_CHINESE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})(?:\s*[日号])?" + _CHINESE_TIME
)
# An 8-digit date that went through a float column comes back as "19850307.0".
_YMD_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\.0+)?")
_YY_SEPARATED = re.compile(r"(\d{2})[-/.](\d{1,2})[-/.](\d{1,2})")
_YY_CHINESE = re.compile(
    r"(\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})(?:\s*[日号])?" + _CHINESE_TIME
)
_YY_COMPACT = re.compile(r"(\d{2})(\d{2})(\d{2})")
_EXCEL_SERIAL = re.compile(r"(\d{1,5})(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date as read from one raw value.

    Attributes:
        raw: The value as given, as text ("" for None).
        value: The calendar date, or None when missing, unparsed or impossible.
        flags: Zero or more of :data:`DATE_FLAGS`, in the order raised.
    """

    raw: str
    value: date | None
    flags: tuple[str, ...] = ()


def parse_date(raw: object, *, century_pivot: int = 2026) -> ParsedDate:
    """Parse a date of birth from any of the forms registries use.

    Args:
        raw: A string, int, float, ``date`` or ``datetime`` (pandas ``Timestamp``
            included), or None/NaN.
        century_pivot: A two-digit year ``yy`` is read as ``20yy`` when that is not
            after this year, else as ``19yy``.

    Returns:
        The parsed date. Two-digit years raise ``date_two_digit_year`` and Excel serial
        numbers ``date_excel_serial``; a well-formed but non-existent date such as
        1985-02-30 has value None and ``date_impossible``; text in no known form has
        ``date_unparsed``; None, NaN and blanks have ``date_missing``.

    Examples:
        >>> parse_date("1985年3月7日").value
        datetime.date(1985, 3, 7)
        >>> parse_date("85.3.7").flags
        ('date_two_digit_year',)
    """
    if raw is None:
        return ParsedDate("", None, ("date_missing",))
    if isinstance(raw, datetime):
        if raw != raw:  # pandas NaT is a datetime that is not equal to itself
            return ParsedDate(str(raw), None, ("date_missing",))
        return ParsedDate(str(raw), raw.date())
    if isinstance(raw, date):
        return ParsedDate(str(raw), raw)
    if isinstance(raw, bool):
        return ParsedDate(str(raw), None, ("date_unparsed",))
    if isinstance(raw, float):
        return _parse_float(raw, century_pivot)
    return _parse_text(str(raw), century_pivot)


def _parse_float(raw: float, century_pivot: int) -> ParsedDate:
    if math.isnan(raw):
        return ParsedDate(str(raw), None, ("date_missing",))
    if math.isinf(raw) or raw < 0:
        return ParsedDate(str(raw), None, ("date_unparsed",))
    if raw.is_integer():
        parsed = _parse_text(str(int(raw)), century_pivot)
        return ParsedDate(str(raw), parsed.value, parsed.flags)
    return _parse_text(repr(raw), century_pivot)


@lru_cache(maxsize=1 << 18)
def _parse_text(raw: str, century_pivot: int) -> ParsedDate:
    text = raw.strip()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).strip()
    if text.lower() in _MISSING_TEXT:
        return ParsedDate(raw, None, ("date_missing",))

    for pattern in (_YMD_SEPARATED, _YMD_CHINESE, _YMD_COMPACT):
        match = pattern.fullmatch(text)
        if match:
            return _from_parts(raw, match.groups(), ())
    for pattern in (_YY_SEPARATED, _YY_CHINESE, _YY_COMPACT):
        match = pattern.fullmatch(text)
        if match:
            yy, month, day = match.groups()
            year = _expand_two_digit_year(int(yy), century_pivot)
            return _from_parts(raw, (str(year), month, day), ("date_two_digit_year",))
    match = _EXCEL_SERIAL.fullmatch(text)
    if match:
        return _from_excel_serial(raw, int(match.group(1)))
    return ParsedDate(raw, None, ("date_unparsed",))


def _expand_two_digit_year(yy: int, century_pivot: int) -> int:
    # Registries hold living people: a two-digit year is this century unless that would
    # put it after the pivot (normally the current year).
    return 2000 + yy if 2000 + yy <= century_pivot else 1900 + yy


def _from_parts(
    raw: str, parts: tuple[str | None, ...], flags: tuple[str, ...]
) -> ParsedDate:
    year, month, day = (int(part or 0) for part in parts)
    try:
        return ParsedDate(raw, date(year, month, day), flags)
    except ValueError:
        return ParsedDate(raw, None, (*flags, "date_impossible"))


def _from_excel_serial(raw: str, serial: int) -> ParsedDate:
    # Excel counts days from 1900-01-00 and wrongly keeps 1900-02-29; counting from
    # 1899-12-30 is right for every serial after 60 (1900-03-01), all that matters here.
    if not 1 <= serial <= _EXCEL_MAX_SERIAL:
        return ParsedDate(raw, None, ("date_unparsed",))
    value = _EXCEL_EPOCH + timedelta(days=serial)
    return ParsedDate(raw, value, ("date_excel_serial",))


def plain_date_sql(raw: str) -> tuple[str, tuple[str, ...]]:
    """The common case of :func:`parse_date` as SQL, for whole tables at once.

    ``YYYY-MM-DD`` and ``YYYYMMDD`` with a real date parse to that date with no flag;
    every other form stays with :func:`parse_date`, and the tests hold the two equal.

    Args:
        raw: SQL expression of the raw text.

    Returns:
        A condition that selects the values handled here, and SQL expressions for
        the parsed value and its flags.
    """
    digits = f"replace({raw}, '-', '')"
    value = (
        f"try_cast(substr({digits}, 1, 4) || '-' || substr({digits}, 5, 2) || '-' "
        f"|| substr({digits}, 7, 2) AS DATE)"
    )
    condition = (
        f"regexp_full_match({raw}, '[12][0-9]{{3}}(-[0-9]{{2}}-|[0-9]{{2}})[0-9]{{2}}')"
        " "
        f"AND {value} IS NOT NULL"
    )
    return condition, (value, "[]::VARCHAR[]")
