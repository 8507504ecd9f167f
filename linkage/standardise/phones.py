"""Phone numbers reduced to an E.164 key, with their kind and what was repaired.

Mobiles (``1[3-9]`` and nine digits), landlines (``0``, an area code and seven or eight
digits) and Hong Kong, Macao and Taiwan numbers arrive with ``+86``/``0086``/``86``
prefixes, hyphens, parentheses, extensions, full-width digits, or as Excel floats.
Validation is ``phonenumbers``' offline metadata. A phone is weak evidence
(households share them and carriers recycle them), so flags record every repair and
doubt rather than rejecting the value.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

__all__ = [
    "PHONE_FLAGS",
    "PHONE_KINDS",
    "Phone",
    "allocated_mobile_prefixes",
    "plain_mobile_sql",
    "standardise_phone",
]

PHONE_KINDS: tuple[str, ...] = ("mobile", "landline", "foreign", "invalid", "missing")
"""Every value of :attr:`Phone.kind`."""

PHONE_FLAGS: tuple[str, ...] = (
    "phone_excel_float",
    "phone_scientific_notation",
    "phone_extension",
    "phone_multiple",
    "phone_unknown_prefix",
    "phone_placeholder",
)
"""Every flag :func:`standardise_phone` can raise."""

_MISSING_TEXT = frozenset({"", "nan", "none", "null", "na", "n/a", "-", "--", "无"})
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_EXCEL_FLOAT = re.compile(r"(\+?\d+)\.0+")
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*(\d{1,6})$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[,，;；/、|]")
_NON_DIGITS = re.compile(r"\D")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PLACEHOLDER = re.compile(r"(\d)\1{7}$")
_TRAILING_GROUP = re.compile(r"(.*\d)[-\s]+(\d{1,5})")


@dataclass(frozen=True, slots=True)
class Phone:
    """One phone number, standardised.

    Attributes:
        raw: The value as given, as text ("" for None).
        key: The E.164 form ("+8613812345678", "+861062345678"), or None when the
            value is missing or invalid. Extensions are not part of the key.
        kind: One of :data:`PHONE_KINDS`. Hong Kong, Macao and Taiwan numbers, like
            any outside the mainland plan, are "foreign" but keep their key.
        flags: Zero or more of :data:`PHONE_FLAGS`.
    """

    raw: str
    key: str | None
    kind: str
    flags: tuple[str, ...] = ()


def standardise_phone(raw: object) -> Phone:
    """Validate a phone number and give its E.164 key and kind.

    Args:
        raw: A string or number as found in a registry extract, or None/NaN.

    Returns:
        The standardised phone. Scientific notation from Excel ("1.38123E+10") has
        lost digits and is "invalid"; several numbers in one field keep the first.

    Examples:
        >>> standardise_phone("0086 138-1234-5678").key
        '+8613812345678'
        >>> standardise_phone("(010)6234-5678").kind
        'landline'
    """
    if raw is None or isinstance(raw, bool):
        return Phone("" if raw is None else str(raw), None, "missing")
    if isinstance(raw, float):
        if math.isnan(raw):
            return Phone(str(raw), None, "missing")
        if raw.is_integer() and abs(raw) < 1e16:
            standard = _standardise_text(str(int(raw)))
            return Phone(str(raw), standard.key, standard.kind, standard.flags)
    return _standardise_text(str(raw))


@lru_cache(maxsize=1 << 18)
def _standardise_text(raw: str) -> Phone:
    if len(raw) == 11 and raw.isascii() and _MOBILE.fullmatch(raw):
        fast = _plain_mobile(raw)
        if fast is not None:
            return fast
    text = unicodedata.normalize("NFKC", raw).strip()
    if text.lower() in _MISSING_TEXT:
        return Phone(raw, None, "missing")
    if _SCIENTIFIC.fullmatch(text):
        return Phone(raw, None, "invalid", ("phone_scientific_notation",))

    flags: list[str] = []
    text = _first_number(text, flags)
    excel = _EXCEL_FLOAT.fullmatch(text)
    if excel:
        text = excel.group(1)
        flags.append("phone_excel_float")
    extension = _EXTENSION.search(text)
    if extension and len(_NON_DIGITS.sub("", text[: extension.start()])) >= 7:
        text = text[: extension.start()]
        flags.append("phone_extension")

    phone = _classify(raw, _dialable(text), flags)
    if phone.kind == "invalid":
        phone = _without_trailing_extension(raw, text, flags) or phone
    return phone


def allocated_mobile_prefixes(prefixes: Iterable[str]) -> list[str]:
    """The five-digit prefixes whose plain numbers are allocated mobiles, unflagged."""
    return [prefix for prefix in prefixes if _mobile_prefix(prefix) == ("mobile", ())]


def plain_mobile_sql(raw: str, allocated: str) -> tuple[str, tuple[str, ...]]:
    """The common case of :func:`standardise_phone` as SQL, for whole tables at once.

    Eleven plain digits of an allocated mainland mobile prefix that do not end in a
    placeholder run: the key is the number with +86 and there is no flag. Everything
    else stays with :func:`standardise_phone`; the tests hold the two equal.

    Args:
        raw: SQL expression of the raw text.
        allocated: Table whose ``prefix`` column lists the prefixes that
            :func:`allocated_mobile_prefixes` kept.

    Returns:
        A condition that selects the values handled here, and SQL expressions for
        the key, the kind and the flags.
    """
    placeholder = "|".join(f"{digit}{{8}}" for digit in range(10))
    condition = (
        f"regexp_full_match({raw}, '1[3-9][0-9]{{9}}') "
        f"AND substr({raw}, 1, 5) IN (SELECT prefix FROM {allocated}) "
        f"AND NOT regexp_matches({raw}, '({placeholder})$')"
    )
    return condition, (f"'+86' || {raw}", "'mobile'", "[]::VARCHAR[]")


def _plain_mobile(number: str) -> Phone | None:
    """The common case, eleven plain digits, without a full metadata parse.

    Whether a mainland mobile number is allocated depends only on its first five
    digits in the numbering plan's patterns, so one parse per prefix serves all.
    """
    kind, flags = _mobile_prefix(number[:5])
    if kind != "mobile":
        return None
    if _PLACEHOLDER.search(number):
        flags = (*flags, "phone_placeholder")
    return Phone(number, "+86" + number, kind, flags)


@lru_cache(maxsize=1 << 16)
def _mobile_prefix(prefix: str) -> tuple[str, tuple[str, ...]]:
    sample = _classify(prefix + "135792", prefix + "135792", [])
    return sample.kind, sample.flags


def _without_trailing_extension(raw: str, text: str, flags: list[str]) -> Phone | None:
    # "010-62345678-801": a hyphenated extension, recognisable only because the number
    # without it is valid.
    match = _TRAILING_GROUP.fullmatch(text)
    if not match:
        return None
    phone = _classify(raw, _dialable(match.group(1)), [*flags, "phone_extension"])
    return phone if phone.kind != "invalid" else None


def _first_number(text: str, flags: list[str]) -> str:
    parts = [part for part in _SEPARATORS.split(text) if part.strip()]
    if len(parts) > 1 and all(len(_NON_DIGITS.sub("", p)) >= 7 for p in parts):
        flags.append("phone_multiple")
        return parts[0].strip()
    return text


def _dialable(text: str) -> str:
    """Digits with a leading "+" when the number carries a country code."""
    international = text.startswith("+")
    digits = _NON_DIGITS.sub("", text)
    if international:
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    # "86" without "+": a country code only when what follows is a full national
    # number; an eight-digit local number may itself begin with 86.
    if digits.startswith("86") and len(digits) >= 12:
        return "+" + digits
    return digits


def _classify(raw: str, dialable: str, flags: list[str]) -> Phone:
    try:
        number = phonenumbers.parse(dialable, "CN")
    except phonenumbers.NumberParseException:
        return Phone(raw, None, "invalid", tuple(flags))
    key = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = str(number.national_number)
    if _PLACEHOLDER.search(national):
        flags.append("phone_placeholder")

    if number.country_code != 86:
        if not phonenumbers.is_valid_number(number):
            return Phone(raw, None, "invalid", tuple(flags))
        return Phone(raw, key, "foreign", tuple(flags))
    if phonenumbers.is_valid_number(number):
        kind = _mainland_kind(number)
        return Phone(raw, key if kind != "invalid" else None, kind, tuple(flags))
    if _MOBILE.fullmatch(national):
        # Well-formed mobile whose prefix the metadata does not (yet) allocate.
        flags.append("phone_unknown_prefix")
        return Phone(raw, key, "mobile", tuple(flags))
    return Phone(raw, None, "invalid", tuple(flags))


def _mainland_kind(number: phonenumbers.PhoneNumber) -> str:
    number_type = phonenumbers.number_type(number)
    if number_type == phonenumbers.PhoneNumberType.MOBILE:
        return "mobile"
    if number_type in {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }:
        return "landline"
    # Toll-free, shared-cost and VoIP numbers belong to no person.
    return "invalid"
