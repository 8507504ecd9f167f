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
