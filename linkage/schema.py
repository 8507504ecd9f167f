"""The vocabulary every room of yidang shares: canonical fields and source kinds.

Registries export whatever column names they like; a project file maps them onto these
canonical person fields, and a source kind says what a registry's records mean.
"""

from __future__ import annotations

from enum import StrEnum

PERSON_FIELDS: tuple[str, ...] = (
    "record_id",
    "name",
    "surname",
    "given_name",
    "former_name",
    "alias",
    "id_number",
    "id_type",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "address",
    "postcode",
    "region_code",
    "household_id",
    "head_name",
    "relation_to_head",
    "death_date",
    "event_date",
    "scheme",
    "enrolled_region",
    "status",
    "mother_name",
    "mother_id_number",
    "father_name",
    "father_id_number",
    "employer_credit_code",
    "employer_name",
)
"""Canonical person fields, in the order outputs list them."""

MODEL_FIELDS: frozenset[str] = frozenset(
    {
        "record_id",
        "name",
        "surname",
        "given_name",
        "id_number",
        "sex",
        "birth_date",
        "phone",
        "address",
        "region_code",
    }
)
"""Canonical fields the person model compares itself (or that identify a record):
a project's ``[[comparisons]]`` may add any other field, never one of these."""

DATE_FIELDS: frozenset[str] = frozenset({"birth_date", "death_date", "event_date"})


class SourceKind(StrEnum):
    """What the records of a registry mean to the engine."""

    HOUSEHOLD_REGISTRATION = "household_registration"
    PENSION_ENROLLMENT = "pension_enrollment"
    MEDICAL_ENROLLMENT = "medical_enrollment"
    TAX = "tax"
    LOW_INCOME_ASSISTANCE = "low_income_assistance"
    DEATH_REGISTER = "death_register"
    BIRTH_CERTIFICATE = "birth_certificate"
    PRISON = "prison"
    DISABILITY = "disability"
    SCHOOL_ROLL = "school_roll"
    EMPLOYER_REGISTRATION = "employer_registration"
    OTHER = "other"


ENROLLMENT_KINDS: frozenset[SourceKind] = frozenset(
    {SourceKind.PENSION_ENROLLMENT, SourceKind.MEDICAL_ENROLLMENT}
)
