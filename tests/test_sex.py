"""Sex codes and words reduced to "M", "F" or None."""

from __future__ import annotations

import pytest

from linkage.standardise.sex import parse_sex


@pytest.mark.parametrize(
    "raw",
    ["男", "男性", " 男 ", "M", "m", "male", "Male", "1", 1, 1.0, "1.0", "１", "Ｍ"],
)
def test_male_forms_read_as_m(raw: object) -> None:
    assert parse_sex(raw) == "M"


@pytest.mark.parametrize(
    "raw", ["女", "女性", "女\u3000", "F", "f", "FEMALE", "2", 2, 2.0, "２", "女 性"]
)
def test_female_forms_read_as_f(raw: object) -> None:
    assert parse_sex(raw) == "F"


@pytest.mark.parametrize(
    "raw", ["0", 0, "9", 9, "未知", "未说明", "", None, float("nan"), "x", True]
)
def test_unknown_unspecified_and_missing_are_none(raw: object) -> None:
    assert parse_sex(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01", "M"),
        ("02", "F"),
        ("1-男", "M"),
        ("2-女", "F"),
        ("男(1)", "M"),
        ("女（2）", "F"),
        ("(1)男", "M"),
        ("1:男性", "M"),
        ("2 女", "F"),
    ],
)
def test_zero_padded_codes_and_code_label_pairs_are_read(
    raw: str, expected: str
) -> None:
    assert parse_sex(raw) == expected


@pytest.mark.parametrize(
    "raw", ["1-女", "女(1)", "0-未知", "9-未说明的性别", "11", "00"]
)
def test_contradictory_or_unknown_code_label_pairs_are_none(raw: str) -> None:
    assert parse_sex(raw) is None
