"""Phone numbers reduced to E.164 keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.standardise.phones import (
    PHONE_FLAGS,
    PHONE_KINDS,
    Phone,
    standardise_phone,
)

MOBILE = "+8613812345678"
BEIJING_LANDLINE = "+861062345678"


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "008613812345678",
        "0086-138-1234-5678",
        "86-13812345678",
        "8613812345678",
        "１３８１２３４５６７８",
        13812345678,
    ],
)
def test_mobile_prefixes_and_separators_give_one_key(raw: object) -> None:
    phone = standardise_phone(raw)

    assert (phone.key, phone.kind) == (MOBILE, "mobile")


@pytest.mark.parametrize(
    "raw",
    [
        "010-62345678",
        "01062345678",
        "(010)62345678",
        "（010）6234-5678",
        "010 6234 5678",
        "+86 10 6234 5678",
        "+86 (0)10 6234 5678",
        "0086-10-62345678",
    ],
)
def test_landline_forms_give_one_key(raw: str) -> None:
    phone = standardise_phone(raw)

    assert (phone.key, phone.kind) == (BEIJING_LANDLINE, "landline")


def test_landline_with_three_digit_area_code() -> None:
    assert standardise_phone("0571-87654321").key == "+8657187654321"


@pytest.mark.parametrize(
    "raw", ["010-62345678转801", "010-62345678-801", "010-62345678 ext. 801"]
)
def test_extension_is_dropped_from_the_key_and_flagged(raw: str) -> None:
    phone = standardise_phone(raw)

    assert phone.key == BEIJING_LANDLINE
    assert phone.flags == ("phone_extension",)


def test_excel_float_text_is_repaired_and_flagged() -> None:
    phone = standardise_phone("13812345678.0")

    assert phone.key == MOBILE
    assert phone.flags == ("phone_excel_float",)


def test_float_value_from_a_spreadsheet_reader_is_read_as_integer() -> None:
    assert standardise_phone(13812345678.0).key == MOBILE


@pytest.mark.parametrize("raw", ["1.38123E+10", "1.3812345678e10"])
def test_scientific_notation_is_invalid_because_digits_are_lost(raw: str) -> None:
    phone = standardise_phone(raw)

    assert (phone.key, phone.kind) == (None, "invalid")
    assert phone.flags == ("phone_scientific_notation",)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+852 9123 4567", "+85291234567"),
        ("00852-91234567", "+85291234567"),
        ("+853 6612 3456", "+85366123456"),
        ("+886 912 345 678", "+886912345678"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_hong_kong_macao_taiwan_and_others_are_foreign_with_a_key(
    raw: str, key: str
) -> None:
    phone = standardise_phone(raw)

    assert (phone.key, phone.kind) == (key, "foreign")


@pytest.mark.parametrize(
    "raw", ["12345", "62345678", "1381234567", "0571-8888888", "400-810-8888", "abc"]
)
def test_unusable_numbers_are_invalid_without_key(raw: str) -> None:
    phone = standardise_phone(raw)

    assert (phone.key, phone.kind) == (None, "invalid")


def test_well_formed_mobile_with_unallocated_prefix_is_kept_and_flagged() -> None:
    phone = standardise_phone("14012345678")

    assert (phone.key, phone.kind) == ("+8614012345678", "mobile")
    assert phone.flags == ("phone_unknown_prefix",)


def test_several_numbers_in_one_field_keep_the_first() -> None:
    phone = standardise_phone("13812345678/010-62345678")

    assert phone.key == MOBILE
    assert phone.flags == ("phone_multiple",)


def test_repeated_digit_placeholder_is_flagged() -> None:
    assert "phone_placeholder" in standardise_phone("13800000000").flags


@pytest.mark.parametrize("raw", [None, "", "  ", float("nan"), "NULL", "无"])
def test_blank_values_are_missing(raw: object) -> None:
    assert standardise_phone(raw) == Phone(
        "" if raw is None else str(raw), None, "missing", ()
    )


def test_kinds_and_flags_are_declared() -> None:
    samples = ["13812345678", "010-62345678-801", "+85291234567", "1.2E+10", None]
    for raw in samples:
        phone = standardise_phone(raw)
        assert phone.kind in PHONE_KINDS
        assert set(phone.flags) <= set(PHONE_FLAGS)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_plain_mobile_fast_path_agrees_with_the_full_parse(number: str) -> None:
    from linkage.standardise.phones import _classify

    fast = standardise_phone(number)
    slow = _classify(number, number, [])

    assert (fast.key, fast.kind, set(fast.flags)) == (
        slow.key,
        slow.kind,
        set(slow.flags),
    )
