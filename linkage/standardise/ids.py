"""Personal document numbers as registries export them: clean, classify, check, repair.

The resident identity number (公民身份号码, GB 11643-1999) is the strongest key the
registries share, and the most damaged: spreadsheets turn it into a float, clerks type
it with a lower-case ``x`` or a full-width digit, old records keep the 15-digit form,
exports mask the middle. :func:`standardise_id` turns one raw value into an
:class:`IdNumber` that keeps the raw text, says what kind of number it is, gives a
comparison key where one can be trusted, and lists a reason code (see :data:`ID_FLAGS`)
for everything it noticed. Residence permits for Hong Kong, Macao and Taiwan residents,
foreigners' permanent residence IDs and the mainland travel permits are recognised too.
An unknown region code is only ever a soft flag: an ID keeps the code it was issued
with.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from numbers import Integral
from operator import mul

from linkage.regions import PERMIT_REGIONS, is_known

__all__ = [
    "ID_FLAGS",
    "IdClass",
    "IdNumber",
    "check_character",
    "is_valid_resident_id",
    "masked_compatible",
    "repair_candidates",
    "standardise_id",
    "standardise_other_document",
    "upgrade_15",
    "valid_resident_id_sql",
]


class IdClass(StrEnum):
    """What kind of number a raw ID value turned out to be."""

    VALID = "valid"
    UPGRADED_15 = "upgraded_15"
    CHECKSUM_ERROR = "checksum_error"
    MASKED = "masked"
    # The value went through a floating-point number (Excel, pandas): digits are lost.
    SCIENTIFIC = "scientific"
    MALFORMED = "malformed"
    MISSING = "missing"
    # Residence permit for Hong Kong, Macao and Taiwan residents (region 81/82/83 0000).
    PERMIT_HMT = "permit_hmt"
    # Foreigner's permanent residence ID: 18 digits from 9 (2023), or 3 letters + 12.
    FOREIGN_PERMANENT = "foreign_permanent"
    # A number of some other scheme (a source with id_scheme = "other"): plain text.
    OTHER = "other"
    # Mainland travel permit (H/M + 8 digits) or Taiwan compatriot permit (8 digits).
    TRAVEL_PERMIT = "travel_permit"


ID_FLAGS: dict[str, str] = {
    "id_missing": "no value, or only blanks and separators",
    "id_null_token": "a placeholder such as NULL, NaN, 无 or 不详 instead of a value",
    "id_unicode_normalised": "NFKC changed the text (full-width digits, Ｘ, Ⅹ ...)",
    "id_invisible_chars": "zero-width, BOM or no-break characters were removed",
    "id_separators": "spaces or hyphens inside the number were removed",
    "id_leading_apostrophe": "Excel's leading text marker was removed",
    "id_lowercase_x": "a lower-case x was upper-cased",
    "id_lowercase": "lower-case letters other than x were upper-cased",
    "id_int_input": "the value arrived as an integer, not text",
    "id_float_input": "the value arrived as a float",
    "id_float_text": "the text ends in .0, the trace of a float",
    "id_scientific": "the text is in scientific notation, e.g. 1.10105E+17",
    "id_unrecoverable": "digits were lost to floating point; treat as missing",
    "id_checksum": "the check character does not match (ISO 7064 MOD 11-2)",
    "id_repaired": "exactly one single-typo or single-swap repair fits the record",
    "id_repair_ambiguous": "several repairs fit the record; none is used",
    "id_no_repair": "no single-typo or single-swap repair fits the record",
    "id_repair_unconfirmed": "repair chosen without the record's birth date or sex",
    "id_possible_truncation": "ends in 000, as Excel's 15-significant-digit cut does",
    "id_bad_date": "the encoded birth date is not a real past date",
    "id_unknown_region": "the region code is in no GB/T 2260 table 1980-2024 (soft)",
    "id_birth_mismatch": "the encoded birth date differs from the record's",
    "id_sex_mismatch": "the sex digit differs from the record's sex",
    "id_masked_length": "a masked value whose length hides where the digits belong",
    "id_fully_masked": "every character is masked",
    "id_looks_like_date": "an 8-digit permit number that also reads as a date",
    "id_is_birth_date": "the 8 digits are the record's own birth date, not a permit",
    "id_wrong_length": "only digits, but not a length any document uses",
    "id_malformed": "the shape of no known document number",
}
"""Every reason code :func:`standardise_id` can emit, with its meaning."""

# Weights 2^(18-i) mod 11 for positions i = 1..17: 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
_WEIGHTS: tuple[int, ...] = tuple(pow(2, 18 - i, 11) for i in range(1, 18))
# 11 is prime, so each weight has an inverse; it solves for the digit a repair needs.
_INVERSE_WEIGHTS: tuple[int, ...] = tuple(pow(w, -1, 11) for w in _WEIGHTS)
_ZERO_SHARE = ord("0") * sum(_WEIGHTS)
_CHECK_CHARS = "10X98765432"
_CHECK_INDEX: dict[str, int] = {char: index for index, char in enumerate(_CHECK_CHARS)}
_DIGITS = frozenset("0123456789")
_EARLIEST_BIRTH = date(1880, 1, 1)

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00a0"
_SEPARATORS = " \t\r\n-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc"
_DELETE_INVISIBLE = str.maketrans("", "", _INVISIBLE)
_DELETE_SEPARATORS = str.maketrans("", "", _SEPARATORS)
_APOSTROPHES = "'`\u2018\u2019"
_MASK_CHARS = "*×#?●•○"
_TO_STAR = str.maketrans(_MASK_CHARS, "*" * len(_MASK_CHARS))
_NULL_TOKENS = frozenset(
    {
        "NAN",
        "NONE",
        "NULL",
        "NAT",
        "<NA>",
        "NA",
        "N/A",
        "/",
        "无",
        "空",
        "不详",
        "未知",
        "暂无",
    }
)

_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d*)?E[+-]?\d+", re.IGNORECASE)
_FLOAT_TEXT = re.compile(r"(\d+)\.0+")
_HM_PERMIT = re.compile(r"([HM]\d{8})(?:\(?\d{2}\)?)?")
_TAIWAN_PERMIT = re.compile(r"(\d{8})(?:\d{0,2}\([0-9A-Z]{1,3}\))?")
_OLD_FOREIGN = re.compile(r"[A-Z]{3}\d{12}")

# The largest integer a float64 holds exactly; a 15-digit number is always below it.
_FLOAT_EXACT_LIMIT = 2**53

_SEX_WORDS: dict[str, str] = {
    "M": "M",
    "MALE": "M",
    "男": "M",
    "1": "M",
    "F": "F",
    "FEMALE": "F",
    "女": "F",
    "2": "F",
}


@dataclass(frozen=True, slots=True)
class IdNumber:
    """One raw ID value, standardised.

    Attributes:
        raw: The value exactly as given, as text (empty for None).
        cleaned: The text after cleaning (NFKC, invisibles, separators, case).
        id_class: What kind of number it is.
        key: The comparison key, or None when the value cannot be trusted: the
            18-character form for resident IDs (upgraded from 15 digits, or the
            unique repair of a checksum error) and for the 18-digit permits, the
            first 9 characters of an H/M travel permit, ``"T"`` + 8 digits for a
            Taiwan compatriot permit, the 15 characters of an old foreigner ID.
        birth_date: The birth date the number encodes, when it encodes a real one.
        sex: ``"M"`` or ``"F"`` from the parity of the sequence digit.
        region_code: The six-digit region code the number carries, if any.
        region_known: Whether that code is in the GB/T 2260 table (1980-2024).
        repair_candidates: For a checksum error, the 18-character numbers one typo
            or one adjacent swap away that pass the check and fit the record.
        repaired: Whether ``key`` is the unique repair of a checksum error.
        masked_pattern: For a masked value, its 18-character form with ``*`` in
            the masked places.
        flags: Reason codes from :data:`ID_FLAGS`, in the order they arose.
    """

    raw: str
    cleaned: str
    id_class: IdClass
    key: str | None
    birth_date: date | None
    sex: str | None
    region_code: str | None
    region_known: bool
    repair_candidates: tuple[str, ...]
    repaired: bool
    masked_pattern: str | None
    flags: tuple[str, ...]


@dataclass(slots=True)
class _Work:
    """The state one call of :func:`standardise_id` builds up."""

    raw: str
    cleaned: str
    flags: list[str]
    birth_date: date | None
    sex: str | None

    def result(
        self,
        id_class: IdClass,
        *,
        key: str | None = None,
        birth_date: date | None = None,
        sex: str | None = None,
        region_code: str | None = None,
        candidates: tuple[str, ...] = (),
        repaired: bool = False,
        masked_pattern: str | None = None,
    ) -> IdNumber:
        region_known = region_code is not None and is_known(region_code)
        if region_code is not None and not region_known:
            self.flags.append("id_unknown_region")
        return IdNumber(
            raw=self.raw,
            cleaned=self.cleaned,
            id_class=id_class,
            key=key,
            birth_date=birth_date,
            sex=sex,
            region_code=region_code,
            region_known=region_known,
            repair_candidates=candidates,
            repaired=repaired,
            masked_pattern=masked_pattern,
            flags=tuple(self.flags),
        )

    def compare_with_record(self, born: date | None, sex: str | None) -> None:
        """Flag an encoded birth date or sex that contradicts the record's own."""
        if born is not None and self.birth_date is not None and born != self.birth_date:
            self.flags.append("id_birth_mismatch")
        if sex is not None and self.sex is not None and sex != self.sex:
            self.flags.append("id_sex_mismatch")


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID.

    Args:
        first17: Exactly 17 ASCII digits.

    Returns:
        One of ``0123456789X``.

    Raises:
        ValueError: If ``first17`` is not 17 ASCII digits.
    """
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise ValueError(f"expected 17 ASCII digits, got {len(first17)} characters")
    return _CHECK_CHARS[_weighted_sum(first17) % 11]


def is_valid_resident_id(number: str) -> bool:
    """Whether an already-cleaned 18-character number has the shape, check and date.

    The region is not looked at (an unknown code is no reason to reject), so the
    18-digit permits for Hong Kong, Macao and Taiwan residents pass as well.

    Args:
        number: The number, upper-case ``X``, no separators.

    Returns:
        True for 17 digits plus a matching check character and a real birth date.
    """
    return _passes_check(number) and _parse_date(number[6:14]) is not None


def upgrade_15(number15: str) -> str:
    """The 18-digit form of an old 15-digit ID: insert ``19``, append the check.

    Args:
        number15: Exactly 15 ASCII digits. The date is not validated here.

    Returns:
        The 18-character number.

    Raises:
        ValueError: If ``number15`` is not 15 ASCII digits.
    """
    if len(number15) != 15 or not _is_ascii_digits(number15):
        raise ValueError(f"expected 15 ASCII digits, got {len(number15)} characters")
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + _CHECK_CHARS[_weighted_sum(first17) % 11]


def repair_candidates(
    number: str, *, birth_date: date | None, sex: str | None
) -> tuple[str, ...]:
    """Numbers one typo or one adjacent swap away that pass the check and fit.

    The check catches every single substitution and every adjacent transposition, so
    a failing number is most likely one of these away from the truth. A candidate must
    pass the check, encode a real birth date, carry a known region (for an 18-digit
    foreigner ID, a known province) and, when given, agree with the record's own
    birth date and sex.

    A check ``X`` swapped into position 17 (``...19X0``) is repaired the same way.

    Args:
        number: A cleaned 18-character number that fails the check.
        birth_date: The record's own birth date, or None.
        sex: The record's own sex (``"M"``/``"F"``; 男/女 and 1/2 also work), or None.

    Returns:
        The candidates, sorted; empty when the number passes or has the wrong shape.
    """
    if _has_misplaced_x(number):
        found = dict.fromkeys(_misplaced_x_repairs(number))
    elif _has_id_shape(number) and not _passes_check(number):
        found = dict.fromkeys(_substitutions(number))
        found.update(dict.fromkeys(_swaps(number)))
    else:
        return ()

    born = _as_date(birth_date)
    wanted_sex = _normalise_sex(sex)

    kept = (c for c in found if _fits_record(c, born, wanted_sex))
    return tuple(sorted(kept))


def masked_compatible(masked: str, full: str) -> bool:
    """Whether two 18-character forms can be the same number; ``*`` matches anything.

    The test is symmetric, so two masked patterns can be compared with each other.

    Args:
        masked: A masked pattern such as ``110105********002X``.
        full: A key or another pattern of the same length.

    Returns:
        True when every position agrees or one side is masked there.
    """
    if len(masked) != len(full):
        return False
    return all(
        a == b or a == "*" or b == "*" for a, b in zip(masked, full, strict=True)
    )


_DOCUMENT_NOISE = re.compile(r"[\s\-'\u200b\ufeff]+")


def standardise_other_document(raw: object) -> IdNumber:
    """A document number of no Chinese scheme, kept as cleaned text.

    Used for sources whose ID column holds, say, a social-security number: NFKC,
    spaces, hyphens, apostrophes and invisible characters removed, upper-cased, and
    nothing else assumed (no check character, no encoded birth date or region).
    """
    text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else raw
    cleaned = _DOCUMENT_NOISE.sub("", unicodedata.normalize("NFKC", str(text))).upper()
    return IdNumber(
        raw=str(text),
        cleaned=cleaned,
        id_class=IdClass.OTHER if cleaned else IdClass.MISSING,
        key=cleaned or None,
        birth_date=None,
        sex=None,
        region_code=None,
        region_known=False,
        repair_candidates=(),
        repaired=False,
        masked_pattern=None,
        flags=(),
    )


def standardise_id(
    raw: object, *, birth_date: date | None = None, sex: str | None = None
) -> IdNumber:
    """Clean, classify and check one raw ID value.

    Args:
        raw: The value as read: text, an integer, a float, None or NaN.
        birth_date: The record's own birth date, to confirm a repair and to flag an
            ID that encodes another date (an infant enrolled under its mother's ID).
        sex: The record's own sex (``"M"``/``"F"``; 男/女 and 1/2 are accepted).

    Returns:
        The standardised number; never raises on bad input.
    """
    work = _Work(raw="", cleaned="", flags=[], birth_date=None, sex=None)
    text = _coerce(raw, work)
    if text is None:
        work.cleaned = work.raw
        return work.result(IdClass.SCIENTIFIC)

    work.cleaned, scientific = _clean(text, work.flags)
    if scientific:
        return work.result(IdClass.SCIENTIFIC)
    if not work.cleaned or work.cleaned in _NULL_TOKENS:
        return _missing(work)

    return _classify(work, _as_date(birth_date), _normalise_sex(sex))


def valid_resident_id_sql(
    raw: str, own_birth_date: str, own_sex: str, issued_codes: str
) -> tuple[str, tuple[str, ...]]:
    """The common case of :func:`standardise_id` as SQL, for whole tables at once.

    Most values in a registry are clean 18-character resident IDs that pass the check,
    encode a real date and carry an issued region code. For those the standard form is
    the value itself, and DuckDB computes it far faster than a Python call per value.
    Everything else (cleaning, permits, repairs, flags other than a contradicted birth
    date or sex) stays with :func:`standardise_id`; the tests hold the two equal.

    Args:
        raw: SQL expression of the raw value.
        own_birth_date: SQL expression of the record's own birth date (a DATE).
        own_sex: SQL expression of the record's own sex (``M``/``F`` or NULL).
        issued_codes: Table whose ``code`` column lists every issued region code.

    Returns:
        A condition that selects the values handled here, and SQL expressions for
        the fields of :class:`IdNumber` in order: cleaned, id_class, key, birth_date,
        sex, region_code, repair_candidates, repaired, masked_pattern, flags.
    """
    weights = ", ".join(str(w) for w in _WEIGHTS)
    weighted = (
        f"list_sum(list_transform(range(1, 18), "
        f"lambda i: (ascii(substr({raw}, i, 1)) - 48) * [{weights}][i]))"
    )
    encoded_date = (
        f"try_cast(substr({raw}, 7, 4) || '-' || substr({raw}, 11, 2) || '-' "
        f"|| substr({raw}, 13, 2) AS DATE)"
    )
    encoded_sex = f"CASE WHEN ascii(substr({raw}, 17, 1)) % 2 = 1 THEN 'M' ELSE 'F' END"
    permits = ", ".join(f"'{code}'" for code in sorted(PERMIT_REGIONS))
    condition = (
        f"regexp_full_match({raw}, '[0-8][0-9]{{16}}[0-9X]') "
        f"AND NOT suffix({raw}, '000') "
        f"AND substr({raw}, 1, 6) NOT IN ({permits}) "
        f"AND substr({raw}, 1, 6) IN (SELECT code FROM {issued_codes}) "
        f"AND substr('{_CHECK_CHARS}', ({weighted} % 11)::BIGINT + 1, 1) "
        f"= substr({raw}, 18, 1) "
        f"AND {encoded_date} BETWEEN DATE '{_EARLIEST_BIRTH}' AND current_date"
    )
    flags = (
        f"list_filter(["
        f"CASE WHEN {own_birth_date} <> {encoded_date} THEN 'id_birth_mismatch' END, "
        f"CASE WHEN {own_sex} <> {encoded_sex} THEN 'id_sex_mismatch' END"
        f"], lambda flag: flag IS NOT NULL)"
    )
    values = (
        raw,
        f"'{IdClass.VALID.value}'",
        raw,
        encoded_date,
        encoded_sex,
        f"substr({raw}, 1, 6)",
        "[]::VARCHAR[]",
        "FALSE",
        "NULL::VARCHAR",
        flags,
    )
    return condition, values


# Coercion and cleaning.


def _coerce(raw: object, work: _Work) -> str | None:
    """The text to clean, or None for a float whose digits cannot be trusted."""
    if isinstance(raw, str):
        work.raw = raw
        return raw
    if raw is None:
        return ""
    work.raw = str(raw)
    if isinstance(raw, Integral) and not isinstance(raw, bool):
        work.flags.append("id_int_input")
        return str(int(raw))
    if isinstance(raw, float):
        return _float_text(raw, work.flags)
    return work.raw


def _float_text(value: float, flags: list[str]) -> str | None:
    if math.isnan(value):
        return ""

    flags.append("id_float_input")
    # Below 2**53 a whole float is exact, so a 15-digit ID survives; above it the
    # last digits were rounded and no check can tell which ones.
    if value.is_integer() and 0 < value < _FLOAT_EXACT_LIMIT:
        return str(int(value))
    flags.append("id_unrecoverable")
    return None


def _clean(text: str, flags: list[str]) -> tuple[str, bool]:
    """The cleaned text, and whether it is a float's scientific notation."""
    if not text.isascii():
        text = _normalise_unicode(text, flags)

    if not text.isalnum():
        text = _remove_separators(text, flags)

    # Scientific notation is recognised before anything touches the decimal point.
    if ("E" in text or "e" in text) and _SCIENTIFIC.fullmatch(text):
        flags += ["id_scientific", "id_unrecoverable"]
        return text, True

    upper = text.upper()
    if upper != text:
        flags.append("id_lowercase_x" if "x" in text else "id_lowercase")

    return _undo_float_text(upper, flags)


def _normalise_unicode(text: str, flags: list[str]) -> str:
    # NFKC keeps zero-width characters and the BOM, so they go first.
    visible = text.translate(_DELETE_INVISIBLE)
    if visible != text:
        flags.append("id_invisible_chars")

    normal = unicodedata.normalize("NFKC", visible)
    if normal != visible:
        flags.append("id_unicode_normalised")
    return normal


def _remove_separators(text: str, flags: list[str]) -> str:
    joined = text.translate(_DELETE_SEPARATORS)
    if joined != text:
        flags.append("id_separators")

    bare = joined.lstrip(_APOSTROPHES)
    if bare != joined:
        flags.append("id_leading_apostrophe")
    return bare


def _undo_float_text(text: str, flags: list[str]) -> tuple[str, bool]:
    """Drop a trailing ``.0``; more than 15 digits before it were rounded."""
    if "." not in text:
        return text, False
    match = _FLOAT_TEXT.fullmatch(text)
    if match is None:
        return text, False

    flags.append("id_float_text")
    digits = match[1]
    if len(digits) > 15:
        flags.append("id_unrecoverable")
        return text, True
    return digits, False


def _missing(work: _Work) -> IdNumber:
    work.flags.append("id_null_token" if work.cleaned else "id_missing")
    return work.result(IdClass.MISSING)


# Classification.


def _classify(work: _Work, born: date | None, sex: str | None) -> IdNumber:
    text = work.cleaned
    if len(text) == 18 and _has_id_shape(text):
        return _classify_18(work, born, sex)
    if _has_misplaced_x(text):
        return _classify_checksum_error(work, born, sex)
    if len(text) == 15 and _is_ascii_digits(text):
        return _classify_15(work, born, sex)
    if _looks_masked(text):
        return _classify_masked(work, born, sex)

    permit = _classify_permit(work, born)
    if permit is not None:
        return permit

    work.flags.append("id_wrong_length" if _is_ascii_digits(text) else "id_malformed")
    return work.result(IdClass.MALFORMED)


def _classify_18(work: _Work, born: date | None, sex: str | None) -> IdNumber:
    number = work.cleaned
    if not _passes_check(number):
        return _classify_checksum_error(work, born, sex)

    route = _route_18(number)
    region = None if route is IdClass.FOREIGN_PERMANENT else number[:6]
    work.birth_date = _parse_date(number[6:14])
    work.sex = _sex_of(number[16])

    # The foreigner ID's date field is not relied on, so a strange one does not reject.
    if work.birth_date is None and route is not IdClass.FOREIGN_PERMANENT:
        work.flags.append("id_bad_date")
        return work.result(IdClass.MALFORMED, sex=work.sex, region_code=region)

    if work.birth_date is None:
        work.flags.append("id_bad_date")
    if number.endswith("000"):
        work.flags.append("id_possible_truncation")
    work.compare_with_record(born, sex)
    return work.result(
        route, key=number, birth_date=work.birth_date, sex=work.sex, region_code=region
    )


def _classify_checksum_error(
    work: _Work, born: date | None, sex: str | None
) -> IdNumber:
    number = work.cleaned
    work.flags.append("id_checksum")

    # Excel keeps 15 significant digits and zeroes the rest: three lost digits are
    # beyond a one-typo repair, and any "repair" would be a guess.
    if number.endswith("000"):
        work.flags.append("id_possible_truncation")
        candidates: tuple[str, ...] = ()
    else:
        candidates = repair_candidates(number, birth_date=born, sex=sex)

    if len(candidates) == 1:
        return _repaired(work, candidates[0], born, sex)

    work.flags.append("id_repair_ambiguous" if candidates else "id_no_repair")
    route = _route_18(number)
    region = None if route is IdClass.FOREIGN_PERMANENT else number[:6]
    work.birth_date = _parse_date(number[6:14])
    work.sex = _sex_of(number[16])
    id_class = IdClass.CHECKSUM_ERROR
    if work.birth_date is None and route is not IdClass.FOREIGN_PERMANENT:
        work.flags.append("id_bad_date")
        id_class = IdClass.MALFORMED
    return work.result(
        id_class,
        birth_date=work.birth_date,
        sex=work.sex,
        region_code=region,
        candidates=candidates,
    )


def _repaired(work: _Work, repair: str, born: date | None, sex: str | None) -> IdNumber:
    work.flags.append("id_repaired")
    if born is None and sex is None:
        work.flags.append("id_repair_unconfirmed")

    region = None if repair.startswith("9") else repair[:6]
    return work.result(
        IdClass.CHECKSUM_ERROR,
        key=repair,
        birth_date=_parse_date(repair[6:14]),
        sex=_sex_of(repair[16]),
        region_code=region,
        candidates=(repair,),
        repaired=True,
    )


def _classify_15(work: _Work, born: date | None, sex: str | None) -> IdNumber:
    number = work.cleaned
    region = number[:6]
    work.sex = _sex_of(number[14])
    work.birth_date = _parse_date("19" + number[6:12])

    if work.birth_date is None:
        work.flags.append("id_bad_date")
        return work.result(IdClass.MALFORMED, sex=work.sex, region_code=region)

    work.compare_with_record(born, sex)
    return work.result(
        IdClass.UPGRADED_15,
        key=upgrade_15(number),
        birth_date=work.birth_date,
        sex=work.sex,
        region_code=region,
    )


def _classify_masked(work: _Work, born: date | None, sex: str | None) -> IdNumber:
    pattern = _masked_pattern(work.cleaned)
    if pattern is None:
        work.flags.append("id_masked_length")
        return work.result(IdClass.MASKED)
    if not any(c in _DIGITS for c in pattern):
        work.flags.append("id_fully_masked")
        return work.result(IdClass.MISSING, masked_pattern=pattern)

    region = pattern[:6] if _is_ascii_digits(pattern[:6]) else None
    date_part = pattern[6:14]
    if _is_ascii_digits(date_part):
        work.birth_date = _parse_date(date_part)
    work.sex = _sex_of(pattern[16])

    work.compare_with_record(born, sex)
    return work.result(
        IdClass.MASKED,
        birth_date=work.birth_date,
        sex=work.sex,
        region_code=region,
        masked_pattern=pattern,
    )


def _classify_permit(work: _Work, born: date | None) -> IdNumber | None:
    """A travel permit or an old foreigner ID, or None for neither."""
    text = work.cleaned
    match = _HM_PERMIT.fullmatch(text)
    if match is not None:
        return work.result(IdClass.TRAVEL_PERMIT, key=match[1])

    match = _TAIWAN_PERMIT.fullmatch(text)
    if match is not None:
        return _taiwan_permit(work, match[1], born)

    if _OLD_FOREIGN.fullmatch(text):
        return work.result(IdClass.FOREIGN_PERMANENT, key=text)
    return None


def _taiwan_permit(work: _Work, digits: str, born: date | None) -> IdNumber:
    # A birth date typed into the ID column would otherwise link everyone born that day.
    as_date = _parse_date(digits)
    if as_date is not None and as_date == born:
        work.flags.append("id_is_birth_date")
        return work.result(IdClass.MALFORMED)

    if as_date is not None:
        work.flags.append("id_looks_like_date")
    return work.result(IdClass.TRAVEL_PERMIT, key="T" + digits)


# Small helpers.


def _route_18(number: str) -> IdClass:
    """The kind of 18-character number, decided before any region lookup."""
    if number[0] == "9":
        return IdClass.FOREIGN_PERMANENT
    if number[:6] in PERMIT_REGIONS:
        return IdClass.PERMIT_HMT
    return IdClass.VALID


def _looks_masked(text: str) -> bool:
    # Exports also mask with x (upper-cased by now); inside the body it is a mask.
    if not all(c in _DIGITS or c in _MASK_CHARS or c == "X" for c in text):
        return False
    return any(c in _MASK_CHARS for c in text) or "X" in text[:-1]


def _masked_pattern(text: str) -> str | None:
    """The 18-character pattern of a masked 18- or 15-character value, else None."""
    starred = text.translate(_TO_STAR)
    body = starred[:-1].replace("X", "*") + starred[-1:]
    if not all(c in _DIGITS or c == "*" for c in body[:-1]):
        return None

    if len(body) == 18 and (body[-1] in _DIGITS or body[-1] in "X*"):
        return body
    if len(body) == 15 and (body[-1] in _DIGITS or body[-1] == "*"):
        # The old form carries no check, so the upgraded pattern's check is unknown.
        return body[:6] + "19" + body[6:] + "*"
    return None


def _has_id_shape(number: str) -> bool:
    return (
        len(number) == 18
        and _is_ascii_digits(number[:17])
        and (number[17] in _DIGITS or number[17] == "X")
    )


def _has_misplaced_x(number: str) -> bool:
    """Whether a check ``X`` sits at position 17 and a digit at 18: a likely swap."""
    return (
        len(number) == 18
        and number[16] == "X"
        and number[17] in _DIGITS
        and _is_ascii_digits(number[:16])
    )


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit alone accepts Arabic-Indic and other non-ASCII digits.
    return text.isascii() and text.isdigit()


def _weighted_sum(first17: str) -> int:
    # Summing over the ASCII codes and taking off the codes' share of '0' is about
    # twice as fast as converting digit by digit; callers have checked the shape.
    total: int = sum(map(mul, _WEIGHTS, first17.encode("ascii")))
    return total - _ZERO_SHARE


def _passes_check(number: str) -> bool:
    return (
        _has_id_shape(number)
        and _CHECK_CHARS[_weighted_sum(number[:17]) % 11] == number[17]
    )


@lru_cache(maxsize=1 << 16)
def _parse_date(yyyymmdd: str) -> date | None:
    """The date an 8-digit field encodes, if it is real and not in the future."""
    if len(yyyymmdd) != 8 or not _is_ascii_digits(yyyymmdd):
        return None
    try:
        parsed = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return None
    if not _EARLIEST_BIRTH <= parsed <= date.today():
        return None
    return parsed


def _sex_of(digit: str) -> str | None:
    if digit not in _DIGITS:
        return None
    return "M" if (ord(digit) - 48) % 2 else "F"


def _normalise_sex(sex: str | None) -> str | None:
    if sex is None:
        return None
    return _SEX_WORDS.get(str(sex).strip().upper())


def _as_date(value: date | None) -> date | None:
    # A datetime (or pandas Timestamp) never compares equal to a date.
    if isinstance(value, datetime):
        return value.date()
    return value


def _substitutions(number: str) -> Iterator[str]:
    """Every one-character change of a failing number that restores the check."""
    total = _weighted_sum(number[:17])
    gap = (_CHECK_INDEX[number[17]] - total) % 11

    # Changing digit a to d at weight w adds w*(d - a), so d - a = gap / w (mod 11).
    for pos, inverse in enumerate(_INVERSE_WEIGHTS):
        step = gap * inverse % 11
        old = ord(number[pos]) - 48
        for new in (old + step, old + step - 11):
            if 0 <= new <= 9 and new != old:
                yield number[:pos] + chr(48 + new) + number[pos + 1 :]

    yield number[:17] + _CHECK_CHARS[total % 11]


def _swaps(number: str) -> Iterator[str]:
    """Every adjacent transposition of a failing number that restores the check."""
    codes = number.encode("ascii")
    total = _weighted_sum(number[:17])
    target = _CHECK_INDEX[number[17]]

    # Swapping neighbours a, b at weights u, v changes the sum by (u - v) * (b - a),
    # so the check is tested without building the string.
    for pos in range(16):
        a, b = codes[pos], codes[pos + 1]
        delta = (_WEIGHTS[pos] - _WEIGHTS[pos + 1]) * (b - a)
        if a != b and (total + delta - target) % 11 == 0:
            yield number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]

    # The last swap moves the check character into the body.
    last = number[:16] + number[17] + number[16]
    if number[16] != number[17] and _passes_check(last):
        yield last


def _misplaced_x_repairs(number: str) -> Iterator[str]:
    """The repair of ``...X9``: the swap back.

    Nobody types X for a digit, but the check character keyed one place early is
    common, so only the swap is offered.
    """
    swapped = number[:16] + number[17] + "X"
    if _passes_check(swapped):
        yield swapped


def _fits_record(candidate: str, born: date | None, sex: str | None) -> bool:
    encoded = _parse_date(candidate[6:14])
    if encoded is None or (born is not None and encoded != born):
        return False
    if sex is not None and _sex_of(candidate[16]) != sex:
        return False

    # An 18-digit foreigner ID carries a province (positions 2-3), not a county.
    if candidate[0] == "9":
        return is_known(candidate[1:3] + "0000")
    return is_known(candidate[:6])
