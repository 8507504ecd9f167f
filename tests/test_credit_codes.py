"""Tests of Unified Social Credit Code cleaning and checking."""

from __future__ import annotations

import pytest

from linkage.standardise import credit_codes
from linkage.standardise.credit_codes import (
    CREDIT_FLAGS,
    credit_check_character,
    organisation_code_check,
    standardise_credit_code,
)

WORKED_EXAMPLE = "91110000600037341L"


def test_worked_example_is_valid_with_region_and_organisation_code() -> None:
    result = standardise_credit_code(WORKED_EXAMPLE)

    assert result.valid
    assert result.key == WORKED_EXAMPLE
    assert result.region_code == "110000"
    assert result.organisation_code == "60003734-1"
    assert result.flags == ()


def test_check_characters_of_the_worked_example() -> None:
    assert credit_check_character(WORKED_EXAMPLE[:17]) == "L"
    assert organisation_code_check("60003734") == "1"


def test_corrupted_code_fails_the_check() -> None:
    result = standardise_credit_code("91110000600037431L")

    assert not result.valid
    assert result.key is None
    assert "credit_checksum" in result.flags
    assert result.raw == "91110000600037431L"


def test_every_single_substitution_of_the_worked_example_is_caught() -> None:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(18):
        for char in alphabet:
            if char != WORKED_EXAMPLE[position]:
                code = WORKED_EXAMPLE[:position] + char + WORKED_EXAMPLE[position + 1 :]
                assert not standardise_credit_code(code).valid, code


def test_lower_case_and_separators_are_cleaned() -> None:
    result = standardise_credit_code(" 9111-0000 6000 3734 1l\u200b")

    assert result.valid
    assert result.key == WORKED_EXAMPLE
    assert {"credit_cleaned", "credit_lowercase"} <= set(result.flags)


def test_full_width_input_is_normalised() -> None:
    assert standardise_credit_code("９１１１００００６０００３７３４１Ｌ").valid


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_outside_the_alphabet_are_rejected(letter: str) -> None:
    code = WORKED_EXAMPLE[:17] + letter

    result = standardise_credit_code(code)

    assert not result.valid
    assert "credit_bad_character" in result.flags


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_check_character_refuses_letters_outside_the_alphabet(letter: str) -> None:
    with pytest.raises(ValueError):
        credit_check_character(letter + WORKED_EXAMPLE[1:17])


def test_embedded_organisation_code_with_failing_check_is_flagged() -> None:
    body = "91110000600037342"  # organisation check 2 instead of 1

    result = standardise_credit_code(body + credit_check_character(body))

    assert result.valid
    assert result.organisation_code == "60003734-2"
    assert "credit_organisation_check" in result.flags


def test_unknown_department_and_category_are_not_failures() -> None:
    body = "Y7110000600037341"

    result = standardise_credit_code(body + credit_check_character(body))

    assert result.valid


def test_unknown_region_is_only_flagged() -> None:
    body = "91660000600037341"

    result = standardise_credit_code(body + credit_check_character(body))

    assert result.valid
    assert "credit_unknown_region" in result.flags


def test_organisation_check_x_stands_for_ten() -> None:
    # A remainder of 1 leaves 10, written X; some of the first 200 bodies reach it.
    bodies = [f"{n:08d}" for n in range(200)]
    checks = {organisation_code_check(body) for body in bodies}

    assert "X" in checks
    assert checks <= set("0123456789X")


def test_bare_organisation_code_is_kept_for_legacy_joins() -> None:
    result = standardise_credit_code("60003734-1")

    assert not result.valid
    assert result.organisation_code == "60003734-1"
    assert "credit_organisation_code_only" in result.flags


def test_old_registration_number_is_recognised() -> None:
    result = standardise_credit_code("110108000000016")

    assert not result.valid
    assert "credit_registration_number" in result.flags


@pytest.mark.parametrize("raw", [None, "", "  ", float("nan")])
def test_empty_values_are_missing(raw: object) -> None:
    result = standardise_credit_code(raw)

    assert not result.valid
    assert result.flags[-1] == "credit_missing"


@pytest.mark.parametrize("raw", ["9.1110000E+17", 9.1110000600037e17])
def test_floats_and_scientific_notation_are_unrecoverable(raw: object) -> None:
    result = standardise_credit_code(raw)

    assert not result.valid
    assert "credit_scientific" in result.flags


def test_wrong_length_is_flagged() -> None:
    assert "credit_wrong_length" in standardise_credit_code("9111000060003734").flags


def test_every_emitted_flag_is_documented() -> None:
    raws: list[object] = [
        "91110000600037431l",
        "9111000060003734IL",
        "60003734-1",
        "110108000000016",
        "1.2E+17",
        None,
        "ABC",
    ]
    for raw in raws:
        for flag in standardise_credit_code(raw).flags:
            assert flag in CREDIT_FLAGS, (raw, flag)


def test_public_names_are_pinned() -> None:
    assert sorted(credit_codes.__all__) == [
        "CREDIT_FLAGS",
        "CreditCode",
        "credit_check_character",
        "organisation_code_check",
        "standardise_credit_code",
    ]
