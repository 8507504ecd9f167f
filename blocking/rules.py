"""Person blocking rules over yidang's standardised columns.

Each rule pairs records that share a key specific enough to keep blocks small: an ID
number or its parts, a name's pinyin with an exact birth date, a phone with a surname.
Every rule includes a high-cardinality part (an ID fragment, a full birth date or a
phone number), so that even 张伟 gives blocks only as large as the number of 张伟 born
on one day. The one rule without a date, name within a county, uses a key that is left
empty for names shared by more than :data:`COMMON_NAME_CAP` people in that county.
"""

from __future__ import annotations

from dataclasses import dataclass

COMMON_NAME_CAP = 50
"""Above this many records sharing a pinyin name in one county, the name+county key
is dropped for them: such a block would cost more pairs than it could find matches."""


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """A named SQL condition over the two sides ``l`` and ``r`` of a pair."""

    name: str
    sql: str
    purpose: str
    columns: tuple[str, ...] = ()
    """For a rule of exact agreement on columns, those columns (else empty)."""


PERSON_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(
        "id_key",
        "l.id_key = r.id_key",
        "the same ID number, after 15->18 upgrade and unique repair",
    ),
    BlockingRule(
        "pinyin_birth",
        "l.name_pinyin = r.name_pinyin AND l.birth_date = r.birth_date",
        "homophones, traditional forms and pinyin-only names born the same day",
    ),
    BlockingRule(
        "id_head",
        "l.id_head = r.id_head",
        "ID numbers sharing region and birth date: typos in sequence or check",
    ),
    BlockingRule(
        "id_tail",
        "l.id_tail = r.id_tail AND l.surname_pinyin = r.surname_pinyin",
        "ID numbers sharing birth date and sequence: typos in the region code",
    ),
    BlockingRule(
        "other_id_head",
        "l.id_other_head = r.id_other_head",
        "another scheme's numbers with a typo or swap in their second half",
    ),
    BlockingRule(
        "other_id_tail",
        "l.id_other_tail = r.id_other_tail",
        "another scheme's numbers with a typo or swap in their first half",
    ),
    BlockingRule(
        "masked_id",
        "l.id_mask_key = r.id_mask_key AND l.birth_date = r.birth_date",
        "masked ID numbers against full ones: region and last digits survive",
    ),
    BlockingRule(
        "shape_birth",
        "l.name_shape = r.name_shape AND l.birth_date = r.birth_date",
        "similar-looking characters (未/末, 侯/候) born the same day",
    ),
    BlockingRule(
        "first_part_birth",
        "l.name_first_part = r.name_first_part AND l.birth_date = r.birth_date",
        "minority names truncated to their first part",
    ),
    BlockingRule(
        "initials_birth",
        "l.name_initials = r.name_initials AND l.birth_date = r.birth_date",
        "names misspelt beyond pinyin, romanised names",
    ),
    BlockingRule(
        "sorted_birth",
        "l.name_sorted = r.name_sorted AND l.birth_date = r.birth_date",
        "the same characters in another order (王建国/王国建, swapped name fields)",
    ),
    BlockingRule(
        "address_birth",
        "l.address_detail = r.address_detail AND l.birth_date = r.birth_date",
        "the same street address and birth date: names and IDs both garbled",
    ),
    BlockingRule(
        "birth_region",
        "l.birth_date = r.birth_date AND l.region_code = r.region_code",
        "a typo in the name and in the ID number at once",
    ),
    BlockingRule(
        "phone_surname",
        "l.phone_key = r.phone_key AND l.surname_pinyin = r.surname_pinyin",
        "a shared phone and surname: birth date or ID missing or wrong",
    ),
    BlockingRule(
        "name_county",
        "l.name_county_key = r.name_county_key",
        "the same name in the same county, for birth dates off by a field",
    ),
)
"""The rules used to generate candidate pairs for scoring, in order."""


TRAINING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("id_key", "l.id_key = r.id_key", "trains everything but the ID"),
    BlockingRule(
        "pinyin_birth",
        "l.name_pinyin = r.name_pinyin AND l.birth_date = r.birth_date",
        "trains the ID, sex, region and phone",
    ),
    BlockingRule(
        "phone_birth",
        "l.phone_key = r.phone_key AND l.birth_date = r.birth_date",
        "trains the name when no ID numbers do",
    ),
)
"""Blocking rules for expectation maximisation: each leaves some comparisons free.
Training takes them in order and uses a rule only if it frees a comparison that no
rule before it did (``phone_birth`` trains the name where there are no ID numbers)."""


FIELD_KEYS: dict[str, str] = {
    "name": "name_pinyin",
    "surname": "surname_pinyin",
    "given_name": "given_pinyin",
    "birth_date": "birth_date",
    "id_number": "id_key",
    "sex": "sex",
    "phone": "phone_key",
    "address": "address_detail",
    "region_code": "region_code",
}
"""Canonical fields a project's ``[[blocking]]`` may name, and the standardised
column each is blocked on (names by pinyin, so homophones share a block)."""


def field_rule(columns: tuple[str, ...]) -> BlockingRule:
    """A rule pairing records that agree exactly on every one of ``columns``.

    Args:
        columns: Columns of the link input, standardised or a project's compared
            fields (``extra_<field>``).
    """
    return BlockingRule(
        "+".join(columns),
        " AND ".join(f"l.{column} = r.{column}" for column in columns),
        "declared in the project's [[blocking]]",
        columns,
    )


DETERMINISTIC_RULE = "l.id_key = r.id_key AND NOT l.id_conflict AND NOT r.id_conflict"
"""Pairs almost surely the same person: used to estimate the prior match rate."""
