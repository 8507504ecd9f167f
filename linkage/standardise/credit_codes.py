"""Unified Social Credit Codes (统一社会信用代码, GB 32100-2015) of employers and units.

An 18-character code: registering department (1), category (2), the registering
authority's region code (3-8), the unit's old organisation code (9-17, GB 11714, with
its own check at 17) and a MOD 31-3 check (18). :func:`standardise_credit_code` cleans a
raw value, checks it, and extracts the region and the embedded organisation code, which
is what joins legacy unit records (keyed on the organisation code) to the credit code.
An unknown department or category is not a failure: new ones have been added since 2015.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from linkage.regions import is_known

__all__ = [
    "CREDIT_FLAGS",
    "CreditCode",
    "credit_check_character",
    "organisation_code_check",
    "standardise_credit_code",
]

CREDIT_FLAGS: dict[str, str] = {
    "credit_missing": "no value, or only blanks and separators",
    "credit_cleaned": "invisible characters, spaces, hyphens or quotes were removed",
    "credit_lowercase": "lower-case letters were upper-cased",
    "credit_scientific": "the value went through a float; digits are lost",
    "credit_bad_character": "a character outside the code alphabet (I, O, S, V, Z ...)",
    "credit_wrong_length": "not 18 characters",
    "credit_checksum": "the check character does not match (MOD 31-3)",
    "credit_unknown_region": "positions 3-8 are in no GB/T 2260 table 1980-2024 (soft)",
    "credit_organisation_check": "the embedded organisation code fails its own check",
    "credit_organisation_code_only": "a bare 9-character organisation code",
    "credit_registration_number": "a 15-digit business registration number, not a code",
}
"""Every reason code :func:`standardise_credit_code` can emit, with its meaning."""

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE: dict[str, int] = {char: value for value, char in enumerate(_ALPHABET)}
# Weights 3^i mod 31 for positions i = 0..16.
_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))

# GB 11714: digits and Latin capitals count 0-35; weights for the 8 body characters.
_ORG_VALUE: dict[str, int] = {
    char: value for value, char in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
}
_ORG_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)

_SCIENTIFIC = re.compile(r"\s*[+-]?\d+(?:[.,]\d*)?E[+-]?\d+\s*", re.IGNORECASE)
_DELETE = str.maketrans(
    "", "", "\u200b\u200c\u200d\u2060\ufeff\u00a0 \t\r\n-\u2010\u2011\u2212'`\"‘’“”"
)


@dataclass(frozen=True, slots=True)
class CreditCode:
    """One raw credit-code value, standardised.

    Attributes:
        raw: The value exactly as given, as text (empty for None).
        cleaned: The text after NFKC, removal of separators and upper-casing.
        valid: Whether it is 18 characters of the alphabet with a matching check.
        key: The cleaned code when valid, else None.
        region_code: Positions 3-8, when they are six digits.
        organisation_code: The embedded GB 11714 code in its printed form, eight
            characters, a hyphen and the check (``60003734-1``); also filled for a
            bare organisation code.
        flags: Reason codes from :data:`CREDIT_FLAGS`, in the order they arose.
    """

    raw: str
    cleaned: str
    valid: bool
    key: str | None
    region_code: str | None
    organisation_code: str | None
    flags: tuple[str, ...]


def credit_check_character(first17: str) -> str:
    """The MOD 31-3 check character for the first 17 characters of a credit code.

    Args:
        first17: 17 characters of ``0123456789ABCDEFGHJKLMNPQRTUWXY``.

    Returns:
        One character of the same alphabet.

    Raises:
        ValueError: If ``first17`` is not 17 characters of the alphabet.
    """
    if len(first17) != 17 or not all(c in _VALUE for c in first17):
        raise ValueError("expected 17 characters of 0-9 and A-Y without I, O, S, V, Z")
    total = sum(w * _VALUE[c] for w, c in zip(_WEIGHTS, first17, strict=True))
    return _ALPHABET[(31 - total % 31) % 31]


def organisation_code_check(code8: str) -> str:
    """The GB 11714 check character for the 8-character body of an organisation code.

    Args:
        code8: 8 digits or capital letters (positions 9-16 of a credit code).

    Returns:
        A digit or ``X``.

    Raises:
        ValueError: If ``code8`` is not 8 digits or capital letters.
    """
    if len(code8) != 8 or not all(c in _ORG_VALUE for c in code8):
        raise ValueError("expected 8 digits or capital letters")
    total = sum(w * _ORG_VALUE[c] for w, c in zip(_ORG_WEIGHTS, code8, strict=True))

    # The check is 11 - (sum mod 11), written X for 10 and 0 for 11.
    value = 11 - total % 11
    return "X" if value == 10 else str(value % 11)


def standardise_credit_code(raw: object) -> CreditCode:
    """Clean and check one raw Unified Social Credit Code.

    Args:
        raw: The value as read: text, None or NaN (a float means lost digits).

    Returns:
        The standardised code; never raises on bad input.
    """
    flags: list[str] = []
    raw_text, cleaned = _clean(raw, flags)
    if not cleaned or "credit_scientific" in flags:
        return CreditCode(raw_text, cleaned, False, None, None, None, tuple(flags))
    if len(cleaned) != 18:
        return _not_18(raw_text, cleaned, flags)

    valid = _check_code(cleaned, flags)
    region = _region(cleaned[2:8], flags)
    organisation = _organisation_code(cleaned[8:17], flags)
    key = cleaned if valid else None
    return CreditCode(raw_text, cleaned, valid, key, region, organisation, tuple(flags))


def _clean(raw: object, flags: list[str]) -> tuple[str, str]:
    """The raw text and the cleaned text of a value."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        flags.append("credit_missing")
        return ("" if raw is None else str(raw)), ""

    text = str(raw)
    # A float (or its scientific notation) kept only about 16 significant digits.
    if isinstance(raw, float) or _SCIENTIFIC.fullmatch(text):
        flags.append("credit_scientific")
        return text, text

    cleaned = unicodedata.normalize("NFKC", text).translate(_DELETE)
    if cleaned != text:
        flags.append("credit_cleaned")
    upper = cleaned.upper()
    if upper != cleaned:
        flags.append("credit_lowercase")
    if not upper:
        flags.append("credit_missing")
    return text, upper


def _region(six: str, flags: list[str]) -> str | None:
    if not (six.isascii() and six.isdigit()):
        return None
    if not is_known(six):
        flags.append("credit_unknown_region")
    return six


def _check_code(code: str, flags: list[str]) -> bool:
    if not all(c in _VALUE for c in code):
        flags.append("credit_bad_character")
        return False
    if credit_check_character(code[:17]) != code[17]:
        flags.append("credit_checksum")
        return False
    return True


def _organisation_code(nine: str, flags: list[str]) -> str | None:
    """The printed form of a 9-character organisation code, its check verified."""
    if len(nine) != 9 or not all(c in _ORG_VALUE for c in nine):
        return None

    body, check = nine[:8], nine[8:]
    if organisation_code_check(body) != check:
        flags.append("credit_organisation_check")
    return f"{body}-{check}"


def _not_18(raw_text: str, cleaned: str, flags: list[str]) -> CreditCode:
    # A bare organisation code or an old registration number still helps a join.
    organisation = None
    if len(cleaned) == 9:
        organisation = _organisation_code(cleaned, flags)
    if organisation is not None:
        flags.append("credit_organisation_code_only")
    elif len(cleaned) == 15 and cleaned.isascii() and cleaned.isdigit():
        flags.append("credit_registration_number")
    else:
        flags.append("credit_wrong_length")
    return CreditCode(raw_text, cleaned, False, None, None, organisation, tuple(flags))
