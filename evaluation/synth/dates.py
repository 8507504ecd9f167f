"""Dates as day numbers, split into fields, and written the ways registries write them.

Dates travel through the generator as int64 days since 1970-01-01 (numpy's datetime64
epoch), which makes ages and intervals plain arithmetic on a million people at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

REFERENCE_DATE = np.datetime64("2026-11-30", "D")
"""The day the registries were extracted; ages are counted to it."""

REFERENCE_DAY = int(REFERENCE_DATE.astype(np.int64))
NO_DATE = -(2**40)
"""The day number that stands for no date (the living have no death date)."""
_EXCEL_EPOCH = int(np.datetime64("1899-12-30", "D").astype(np.int64))

DateFormat = Callable[[int, int, int], str]

DATE_FORMATS: dict[str, DateFormat] = {
    "iso": lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    "dash": lambda y, m, d: f"{y}-{m}-{d}",
    "slash": lambda y, m, d: f"{y}/{m}/{d}",
    "slash_padded": lambda y, m, d: f"{y}/{m:02d}/{d:02d}",
    "compact": lambda y, m, d: f"{y:04d}{m:02d}{d:02d}",
    "chinese": lambda y, m, d: f"{y}年{m}月{d}日",
    "dotted": lambda y, m, d: f"{y}.{m:02d}.{d:02d}",
}
"""Text date formats seen in registry exports, by name; ``excel`` is handled apart."""

FORMAT_NAMES: tuple[str, ...] = (*DATE_FORMATS, "excel")


def split(days: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Year, month and day of day numbers."""
    dates = days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years).astype(np.int64) + 1
    day = (dates - months).astype(np.int64) + 1
    return year, month, day


def join(year: IntArray, month: IntArray, day: IntArray) -> IntArray:
    """Day numbers of valid (year, month, day) fields."""
    months = (year - 1970) * 12 + (month - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + (
        day - 1
    )


def days_in_month(year: IntArray, month: IntArray) -> IntArray:
    """How many days each (year, month) has."""
    start = join(year, month, np.ones_like(month))
    following = (year - 1970) * 12 + month
    end = following.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return end - start


def ages(birth: IntArray, on: int = REFERENCE_DAY) -> IntArray:
    """Completed years of age on a day."""
    year, month, day = split(birth)
    ref_year, ref_month, ref_day = (int(v[0]) for v in split(np.array([on])))
    before_birthday = (month > ref_month) | ((month == ref_month) & (day > ref_day))
    age: IntArray = ref_year - year - before_birthday.astype(np.int64)
    return age


def format_fields(
    year: IntArray, month: IntArray, day: IntArray, style: str
) -> list[str]:
    """Dates written in one named format (``excel`` gives serial day numbers)."""
    if style == "excel":
        serial = join(year, month, day) - _EXCEL_EPOCH
        return [str(value) for value in serial.tolist()]
    write = DATE_FORMATS[style]
    return [
        write(y, m, d)
        for y, m, d in zip(year.tolist(), month.tolist(), day.tolist(), strict=True)
    ]


def format_days(days: IntArray, style: str) -> list[str]:
    """Day numbers written in one named format; :data:`NO_DATE` gives a blank."""
    present = days != NO_DATE
    year, month, day = split(np.where(present, days, 0))
    text = format_fields(year, month, day, style)
    return [
        value if ok else "" for value, ok in zip(text, present.tolist(), strict=True)
    ]
