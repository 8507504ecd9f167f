"""Dates of birth in the forms registries write them."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.standardise.dates import DATE_FLAGS, ParsedDate, parse_date

BIRTH = date(1985, 3, 7)


@pytest.mark.parametrize(
    "raw",
    [
        "1985-03-07",
        "1985/3/7",
        "1985.3.7",
        "1985-3-07",
        "19850307",
        "1985年3月7日",
        "1985年03月07日",
        "1985年3月7号",
        "１９８５年３月７日",
        "１９８５－０３－０７",
        " 1985-03-07 ",
        "1985-03-07 00:00:00",
        "1985-03-07T00:00:00",
        "1985-03-07T00:00:00.000000000",
        19850307,
        19850307.0,
    ],
)
def test_four_digit_year_forms_parse_without_flags(raw: object) -> None:
    assert parse_date(raw) == ParsedDate(str(raw), BIRTH, ())


@pytest.mark.parametrize(
    "raw",
    [
        "1985 年 3 月 7 日",
        "1985年 03月 07日",
        "1985年3月7日 00:00:00",
        "1985年3月7日 0:00",
        "19850307.0",
    ],
)
def test_spaced_and_timed_chinese_dates_and_float_text_compact_dates_parse(
    raw: str,
) -> None:
    assert parse_date(raw) == ParsedDate(raw, BIRTH, ())


@pytest.mark.parametrize(
    "raw", ["85.3.7", "85-3-7", "85/03/07", "850307", "85年3月7日", "85 年 3 月 7 日"]
)
def test_two_digit_year_before_pivot_is_last_century_and_flagged(raw: str) -> None:
    parsed = parse_date(raw)

    assert parsed.value == BIRTH
    assert parsed.flags == ("date_two_digit_year",)


def test_two_digit_year_up_to_pivot_is_this_century() -> None:
    assert parse_date("26.1.2").value == date(2026, 1, 2)
    assert parse_date("27.1.2").value == date(1927, 1, 2)
    assert parse_date("10.1.2", century_pivot=2009).value == date(1910, 1, 2)


@pytest.mark.parametrize("raw", ["31113", "31113.0", 31113, 31113.0, "31113.5"])
def test_excel_serial_counts_days_from_1899_12_30(raw: object) -> None:
    parsed = parse_date(raw)

    assert parsed.value == BIRTH
    assert parsed.flags == ("date_excel_serial",)


def test_excel_serial_out_of_range_is_unparsed() -> None:
    assert parse_date("0").flags == ("date_unparsed",)
    assert parse_date("99999").flags == ("date_unparsed",)


@pytest.mark.parametrize("raw", ["1985-02-30", "19851301", "1985年2月29日", "85.2.30"])
def test_impossible_calendar_date_has_no_value(raw: str) -> None:
    parsed = parse_date(raw)

    assert parsed.value is None
    assert "date_impossible" in parsed.flags


def test_leap_day_in_leap_year_is_possible() -> None:
    assert parse_date("1984-02-29").value == date(1984, 2, 29)


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan"), "NaN", "null", "-"])
def test_blank_values_are_missing(raw: object) -> None:
    parsed = parse_date(raw)

    assert parsed.value is None
    assert parsed.flags == ("date_missing",)


@pytest.mark.parametrize(
    "raw", ["unknown", "1985年3月", "7 March 1985", "1985-03", True]
)
def test_unknown_forms_are_unparsed(raw: object) -> None:
    assert parse_date(raw).flags == ("date_unparsed",)


def test_date_and_datetime_objects_pass_through() -> None:
    assert parse_date(BIRTH).value == BIRTH
    assert parse_date(datetime(1985, 3, 7, 13, 5)).value == BIRTH


def test_pandas_nat_is_missing() -> None:
    pandas = pytest.importorskip("pandas")

    assert parse_date(pandas.NaT).flags == ("date_missing",)
    assert parse_date(pandas.Timestamp("1985-03-07")).value == BIRTH


def test_raw_keeps_the_value_as_given() -> None:
    assert parse_date(" 1985/3/7 ").raw == " 1985/3/7 "
    assert parse_date(None).raw == ""


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_every_iso_and_compact_date_round_trips(day: date) -> None:
    assert parse_date(day.isoformat()).value == day
    assert parse_date(day.strftime("%Y%m%d")).value == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日").value == day


@given(st.text(max_size=12))
def test_any_text_parses_to_known_flags_without_error(text: str) -> None:
    parsed = parse_date(text)

    assert set(parsed.flags) <= set(DATE_FLAGS)
    assert (parsed.value is None) == bool(
        {"date_missing", "date_unparsed", "date_impossible"} & set(parsed.flags)
    )
