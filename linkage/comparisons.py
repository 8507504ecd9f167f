"""The comparisons of yidang's person model, as splink 5 settings.

Each comparison is a ladder of levels from the strongest evidence to the weakest, in
the order DOMAIN.md argues for them: an ID number identical after upgrade outranks one
identical but contradicted by the record's own birth date; a name identical outranks a
homophone, which outranks a similar shape. Levels are plain SQL over the columns of
``yd_link_input`` (``_l`` and ``_r`` for the two records of a pair), so they read the
same in a notebook as in the model file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from linkage.project import FieldComparison

Level = dict[str, Any]

BOTH_VALID_DIFFERENT_M = 0.002
"""m for two different ID numbers that both pass the check: the same person only when
at least two characters were corrupted and the check still passed (about 1 in 11 of
double errors, DOMAIN.md), itself rare. Fixed rather than learnt, because EM sees too
few such matches to estimate it and an overestimate would merge different people."""
Comparison = dict[str, Any]


def _level(sql: str, label: str, **extra: Any) -> Level:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(sql: str) -> Level:
    return {"sql_condition": sql, "label_for_charts": "null", "is_null_level": True}


_ELSE = {"sql_condition": "ELSE", "label_for_charts": "all other"}


def id_number() -> Comparison:
    """Resident ID numbers and permits, with their repair and masking evidence."""
    one_edit = (
        "(id_class_l = 'checksum_error' AND id_key_r IS NOT NULL "
        "AND (damerau_levenshtein(id_cleaned_l, id_key_r) <= 1 "
        "OR list_contains(id_repair_candidates_l, id_key_r)))"
    )
    masked = (
        "(id_masked_l IS NOT NULL AND id_key_r IS NOT NULL "
        "AND id_key_r LIKE replace(id_masked_l, '*', '_'))"
    )
    # A number its record's own birth date or sex contradicts is someone else's
    # (an infant enrolled under the mother's number, two people sharing one): it says
    # nothing of a record with another number, nor of another record borrowing it.
    borrowed = (
        "(id_conflict_l AND id_conflict_r) OR ((id_conflict_l OR id_conflict_r) "
        "AND id_key_l IS DISTINCT FROM id_key_r)"
    )
    return {
        "output_column_name": "id_number",
        "comparison_description": "ID number (resident ID, upgraded 15-digit, permits)",
        "comparison_levels": [
            _null(f"id_evidence_l IS NULL OR id_evidence_r IS NULL OR {borrowed}"),
            _level(
                "id_key_l = id_key_r AND NOT id_conflict_l AND NOT id_conflict_r",
                "same ID, consistent",
            ),
            _level("id_key_l = id_key_r", "same ID, contradicted by own birth/sex"),
            _level(
                f"{one_edit} OR {_mirror(one_edit)} "
                "OR (id_class_l = 'checksum_error' AND id_class_r = 'checksum_error' "
                "AND damerau_levenshtein(id_cleaned_l, id_cleaned_r) <= 1) "
                "OR (id_class_l = 'other' AND id_class_r = 'other' "
                "AND damerau_levenshtein(id_key_l, id_key_r) <= 1)",
                "one edit from a number failing its check (or of another scheme)",
                # Rare among random pairs, so random sampling may not meet one: a
                # starting u of the order of a same-number coincidence.
                u_probability=1e-6,
            ),
            _level(
                f"{masked} OR {_mirror(masked)} OR id_masked_l = id_masked_r",
                "masked, compatible",
                u_probability=1e-5,
            ),
            _level(
                "id_class_l = 'other' AND id_class_r = 'other'",
                "two different numbers of another scheme",
                # Starting values, learnt where such numbers exist: without a check
                # character, a number can carry several typos and still be a match.
                m_probability=0.05,
                u_probability=0.9,
            ),
            _level(
                "id_key_l IS NOT NULL AND id_key_r IS NOT NULL",
                "both valid, different",
                m_probability=BOTH_VALID_DIFFERENT_M,
                fix_m_probability=True,
            ),
            _ELSE,
        ],
    }


def name() -> Comparison:
    """Personal names: exact, variant, homophone, shape, and fuzzy pinyin."""
    romanised = "list_contains(name_romanised_variants_l, name_pinyin_r)"
    wildcard = (
        "(name_has_wildcard_l AND name_clean_r LIKE "
        "replace(replace(name_clean_l, '?', '_'), '*', '_'))"
    )
    truncated = (
        "(name_first_part_l = name_first_part_r AND length(name_first_part_l) >= 2 "
        "AND (contains(name_clean_l, '·') OR contains(name_clean_r, '·')))"
    )
    married = "(name_without_first_l = name_clean_r)"
    variant = " OR ".join(
        [
            romanised,
            _mirror(romanised),
            wildcard,
            _mirror(wildcard),
            truncated,
            married,
            _mirror(married),
        ]
    )
    return {
        "output_column_name": "name",
        "comparison_description": "personal name",
        "comparison_levels": [
            _null("name_pinyin_l IS NULL OR name_pinyin_r IS NULL"),
            _level(
                "name_clean_l = name_clean_r",
                "exact (after variants and traditional)",
                tf_adjustment_column="name_clean",
                tf_adjustment_weight=1.0,
            ),
            _level("name_pinyin_l = name_pinyin_r", "same pinyin (homophone)"),
            _level(
                "name_shape_l = name_shape_r OR name_sorted_l = name_sorted_r",
                "similar shape or word order",
            ),
            _level(variant, "truncated, romanised, wildcard or married form"),
            _level(
                "jaro_winkler_similarity(name_pinyin_l, name_pinyin_r) >= 0.92",
                "pinyin Jaro-Winkler >= 0.92",
            ),
            _level(
                "surname_pinyin_l = surname_pinyin_r "
                "AND jaro_winkler_similarity(name_pinyin_l, name_pinyin_r) >= 0.8",
                "same surname, pinyin Jaro-Winkler >= 0.8",
            ),
            _ELSE,
        ],
    }


def birth_date() -> Comparison:
    """Birth dates: exact, a typo in one field, a day/month swap, the same year."""
    one_field = (
        "(year(birth_date_l) = year(birth_date_r) "
        "AND month(birth_date_l) = month(birth_date_r)) "
        "OR (year(birth_date_l) = year(birth_date_r) "
        "AND day(birth_date_l) = day(birth_date_r)) "
        "OR (month(birth_date_l) = month(birth_date_r) "
        "AND day(birth_date_l) = day(birth_date_r))"
    )
    swapped = (
        "year(birth_date_l) = year(birth_date_r) "
        "AND month(birth_date_l) = day(birth_date_r) "
        "AND day(birth_date_l) = month(birth_date_r)"
    )
    return {
        "output_column_name": "birth_date",
        "comparison_description": "birth date",
        "comparison_levels": [
            _null("birth_date_l IS NULL OR birth_date_r IS NULL"),
            _level("birth_date_l = birth_date_r", "exact"),
            _level(f"{swapped} OR {one_field}", "day/month swapped or one field off"),
            _level(
                "abs(date_diff('day', birth_date_l, birth_date_r)) <= 366",
                "within a year",
            ),
            _ELSE,
        ],
    }


def sex() -> Comparison:
    """Sex, from the record or its ID number."""
    return {
        "output_column_name": "sex",
        "comparison_description": "sex",
        "comparison_levels": [
            _null("sex_l IS NULL OR sex_r IS NULL"),
            _level("sex_l = sex_r", "same"),
            _ELSE,
        ],
    }


def region() -> Comparison:
    """Region codes compared by hierarchy: county, prefecture, province."""
    return {
        "output_column_name": "region",
        "comparison_description": "region (address, else ID region)",
        "comparison_levels": [
            _null("region_code_l IS NULL OR region_code_r IS NULL"),
            _level("region_code_l = region_code_r", "same county"),
            _level(
                "substr(region_code_l, 1, 4) = substr(region_code_r, 1, 4)",
                "same prefecture",
            ),
            _level(
                "substr(region_code_l, 1, 2) = substr(region_code_r, 1, 2)",
                "same province",
            ),
            _ELSE,
        ],
    }


def phone() -> Comparison:
    """Phones: weak evidence, shared in households and recycled by carriers."""
    return {
        "output_column_name": "phone",
        "comparison_description": "phone number",
        "comparison_levels": [
            _null("phone_key_l IS NULL OR phone_key_r IS NULL"),
            _level("phone_key_l = phone_key_r", "same"),
            _ELSE,
        ],
    }


_RESIDENT_ID = (
    "id_class_{side} IN ('valid', 'upgraded_15', 'permit_hmt', 'foreign_permanent')"
)


def address() -> Comparison:
    """The street address, counted only where resident ID numbers cannot speak.

    A household shares its address, and twins share everything else but name and
    ID number; when both records carry a Chinese identity number the address adds
    nothing the number does not settle better, and merges twins. It is evidence for
    records without such a number (a child's birth certificate, a missing or
    another scheme's ID), where it is often all that locates the person.
    """
    both_identified = (
        f"({_RESIDENT_ID.format(side='l')} AND {_RESIDENT_ID.format(side='r')})"
    )
    return {
        "output_column_name": "address",
        "comparison_description": "street address, where ID numbers cannot decide",
        "comparison_levels": [
            _null(
                "address_detail_l IS NULL OR address_detail_r IS NULL "
                f"OR {both_identified} "
                # Twins' birth certificates share mother, date and address.
                "OR (source_kind_l = 'birth_certificate' "
                "AND source_kind_r = 'birth_certificate')"
            ),
            _level("address_detail_l = address_detail_r", "same"),
            _level(
                "jaro_winkler_similarity(address_detail_l, address_detail_r) >= 0.9",
                "Jaro-Winkler >= 0.9",
            ),
            _ELSE,
        ],
    }


def person_comparisons() -> list[Comparison]:
    """Every comparison of the person model, in chart order.

    A shared household is deliberately not a comparison, and the street address
    counts only where ID numbers cannot decide: twins share household, relation to
    the head, birth date, phone and address, and differ only in name and ID number
    (measured: a plain address comparison merged more of them). Household evidence is
    used where it is decisive instead, to find a birth certificate's child through
    the mother (:mod:`linkage.link`).
    """
    return [id_number(), name(), birth_date(), sex(), region(), phone(), address()]


EXTRA_PREFIX = "extra_"
"""Output columns of a project's own comparisons start with this, and no built-in
comparison's does: it is how a model file tells them apart."""


def field_comparison(spec: FieldComparison) -> Comparison:
    """A project's ``[[comparisons]]`` table as a splink comparison.

    Values are compared after the link input cleaned them (NFC, lower case, spaces
    collapsed): exact agreement first, then one level per Jaro-Winkler similarity or
    per count of edits (Damerau-Levenshtein, so a swap of neighbours is one edit),
    then everything else.
    """
    column = spec.column
    exact = _level(f"{column}_l = {column}_r", "exact")
    if spec.frequency:
        exact.update(tf_adjustment_column=column, tf_adjustment_weight=1.0)
    levels = [_null(f"{column}_l IS NULL OR {column}_r IS NULL"), exact]
    for threshold in spec.levels:
        if spec.method == "jaro_winkler":
            levels.append(
                _level(
                    f"jaro_winkler_similarity({column}_l, {column}_r) >= {threshold}",
                    f"Jaro-Winkler >= {threshold}",
                )
            )
        else:
            edits = int(threshold)
            noun = "edit" if edits == 1 else "edits"
            levels.append(
                _level(
                    f"damerau_levenshtein({column}_l, {column}_r) <= {edits}",
                    f"at most {edits} {noun}",
                )
            )
    return {
        "output_column_name": column,
        "comparison_description": f"{spec.field} ({spec.method.replace('_', ' ')})",
        "comparison_levels": [*levels, _ELSE],
    }


def field_comparisons(specs: Sequence[FieldComparison]) -> list[Comparison]:
    """A project's own comparisons, in the order the project file lists them."""
    return [field_comparison(spec) for spec in specs]


def _mirror(sql: str) -> str:
    """The same condition with the two sides of the pair exchanged."""
    return _SIDE.sub(lambda match: "_r" if match.group(0) == "_l" else "_l", sql)


_SIDE = re.compile(r"_[lr]\b")
