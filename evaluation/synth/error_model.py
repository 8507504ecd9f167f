"""The error model: how often each registry garbles each field, and in which way.

A rate is the probability that one record's field carries that error, among the records
for which the error is possible (a separator variant needs a minority name with a
separator; the 15-digit form needs a mainland person born before 2000; a lower-case
``x`` needs a number ending in ``X``). The errors of one field exclude each other: each
record draws one uniform number per field, and the rates of the errors possible for it
split [0, 1) into consecutive slots, so each rate is met on its own eligible records
whatever the others are. The rates possible together on one record must therefore add
up to at most 1 (checked when the errors are applied). Every error applied is written to
``errors.csv``.

Default rates are judgements of what real exports look like, not measurements: the
household register is the cleanest; assistance lists that pass through Excel the worst.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from linkage.errors import YidangError


class SynthError(YidangError):
    """The synthetic generator was asked for something it cannot produce."""


NAME_ERRORS: tuple[str, ...] = (
    "name_missing",
    "name_nickname",
    "name_romanised",
    "name_pinyin",
    "name_rare_question",
    "name_rare_pinyin",
    "name_homophone",
    "name_shape",
    "name_traditional",
    "name_order",
    "name_space",
    "name_fullwidth",
    "name_separator",
    "name_truncated",
)
ID_ERRORS: tuple[str, ...] = (
    "id_missing",
    "id_mother",
    "id_old_permit",
    "id_old15",
    "id_typo",
    "id_swap",
    "id_lower_x",
    "id_masked",
    "id_scientific",
    "id_fullwidth",
)
BIRTH_ERRORS: tuple[str, ...] = (
    "birth_format",
    "birth_day_month_swap",
    "birth_field_off",
)
SEX_ERRORS: tuple[str, ...] = ("sex_wrong",)
PHONE_ERRORS: tuple[str, ...] = ("phone_missing", "phone_changed")

FAMILIES: dict[str, tuple[str, ...]] = {
    "name": NAME_ERRORS,
    "id": ID_ERRORS,
    "birth": BIRTH_ERRORS,
    "sex": SEX_ERRORS,
    "phone": PHONE_ERRORS,
}
"""Error types by the kind of field they garble, in slot order."""

SUBJECT_ONLY: frozenset[str] = frozenset(
    {"name_missing", "name_nickname", "name_romanised", "id_mother"}
)
"""Errors that only the record's own person fields get, not a parent's fields."""


@dataclass(frozen=True, kw_only=True)
class ErrorRates:
    """Per-record error rates of one registry, each among the records it can apply to.

    Attributes:
        name_missing: the name is blank.
        name_nickname: a nickname (小宝, 乐乐, 王芳之女) instead of the name.
        name_romanised: a permit holder's or foreigner's romanised name (``Chan Tai
            Man``, ``SMITH JOHN``) instead of the Chinese one; eligible: holders
            with one.
        name_pinyin: the whole name in pinyin (``Wang Fang``); eligible: Han names.
        name_rare_question: characters outside GB2312 written as ``?``.
        name_rare_pinyin: characters outside GB2312 written in pinyin (``刘yan``).
        name_homophone: one character replaced by a homophone (张/章, 丽/莉).
        name_shape: one character replaced by a similar-looking one (未/末, 徐/涂).
        name_traditional: characters printed in traditional form (張偉).
        name_order: the two given-name characters swapped (王建国/王国建).
        name_space: a stray space, ASCII or ideographic U+3000 (``王 芳``).
        name_fullwidth: Latin letters in full-width form; eligible: Latin names.
        name_separator: the minority-name separator ``·`` replaced by a variant
            (U+30FB, U+2022, U+FF0E, ``.``, U+2027, a hyphen or nothing).
        name_truncated: a separated minority name cut to its first part.
        id_missing: the identity number is blank.
        id_mother: an infant enrolled under the mother's number; eligible: children
            under one whose mother is known.
        id_old_permit: a foreigner's 2017-form permit number (3 letters + 12 digits)
            instead of the 2023 one; eligible: holders of both.
        id_old15: the 15-digit 1989 form; eligible: mainland people born before 2000.
        id_typo: one character replaced by another.
        id_swap: two adjacent, different characters swapped.
        id_lower_x: a final ``X`` in lower case; eligible: numbers ending in X.
        id_masked: the birth date masked (``110105********002X``).
        id_scientific: Excel scientific notation (``1.10105E+17``); eligible: numbers
            of digits only.
        id_fullwidth: full-width digits (``１１０１…``).
        birth_format: the birth date in another registry's date format.
        birth_day_month_swap: day and month swapped; eligible: day 12 or less and not
            equal to the month.
        birth_field_off: year, month or day off by one.
        sex_wrong: the other sex recorded.
        phone_missing: the phone is blank; eligible: people with a phone.
        phone_changed: another (new or mistyped) mobile number; eligible: as above.
    """

    name_missing: float = 0.0
    name_nickname: float = 0.0
    name_romanised: float = 0.0
    name_pinyin: float = 0.0
    name_rare_question: float = 0.0
    name_rare_pinyin: float = 0.0
    name_homophone: float = 0.0
    name_shape: float = 0.0
    name_traditional: float = 0.0
    name_order: float = 0.0
    name_space: float = 0.0
    name_fullwidth: float = 0.0
    name_separator: float = 0.0
    name_truncated: float = 0.0
    id_missing: float = 0.0
    id_mother: float = 0.0
    id_old_permit: float = 0.0
    id_old15: float = 0.0
    id_typo: float = 0.0
    id_swap: float = 0.0
    id_lower_x: float = 0.0
    id_masked: float = 0.0
    id_scientific: float = 0.0
    id_fullwidth: float = 0.0
    birth_format: float = 0.0
    birth_day_month_swap: float = 0.0
    birth_field_off: float = 0.0
    sex_wrong: float = 0.0
    phone_missing: float = 0.0
    phone_changed: float = 0.0

    def __post_init__(self) -> None:
        problems = [
            f"{item.name}={getattr(self, item.name)!r}"
            for item in fields(self)
            if not 0.0 <= getattr(self, item.name) <= 1.0
        ]
        if problems:
            raise SynthError("error rates must lie in [0, 1]: " + ", ".join(problems))

    def rate(self, error: str) -> float:
        """The rate of one error type by name."""
        value: float = getattr(self, error)
        return value


_CLERICAL = ErrorRates(
    name_missing=0.002,
    name_romanised=0.4,
    name_pinyin=0.003,
    name_rare_question=0.15,
    name_rare_pinyin=0.08,
    name_homophone=0.012,
    name_shape=0.006,
    name_traditional=0.002,
    name_order=0.002,
    name_space=0.01,
    name_fullwidth=0.2,
    name_separator=0.3,
    name_truncated=0.05,
    id_missing=0.005,
    id_old_permit=0.5,
    id_old15=0.01,
    id_typo=0.008,
    id_swap=0.004,
    id_lower_x=0.2,
    id_fullwidth=0.003,
    birth_format=0.01,
    birth_day_month_swap=0.005,
    birth_field_off=0.008,
    sex_wrong=0.003,
    phone_missing=0.1,
    phone_changed=0.1,
)
"""A typical enrollment system fed by counter clerks."""

_HOUSEHOLD = ErrorRates(
    name_rare_question=0.1,
    name_rare_pinyin=0.02,
    name_homophone=0.002,
    name_shape=0.001,
    name_space=0.002,
    name_separator=0.1,
    name_truncated=0.01,
    id_missing=0.0005,
    id_typo=0.0005,
    id_swap=0.0003,
    birth_day_month_swap=0.001,
    birth_field_off=0.001,
    sex_wrong=0.0005,
    phone_missing=0.4,
    phone_changed=0.05,
)
"""The household register: checked at the police station, rarely wrong."""


def _household() -> ErrorRates:
    return _HOUSEHOLD


def _pension() -> ErrorRates:
    return replace(_CLERICAL, id_old15=0.03, id_lower_x=0.3)


def _medical() -> ErrorRates:
    return replace(_CLERICAL, id_mother=0.3, id_masked=0.003)


def _assistance() -> ErrorRates:
    return replace(
        _CLERICAL,
        name_homophone=0.02,
        name_shape=0.01,
        name_space=0.03,
        name_rare_question=0.3,
        id_missing=0.02,
        id_typo=0.015,
        id_swap=0.008,
        id_lower_x=0.3,
        id_masked=0.08,
        id_scientific=0.05,
        birth_format=0.03,
        birth_day_month_swap=0.01,
        birth_field_off=0.01,
        phone_missing=0.2,
    )


def _death() -> ErrorRates:
    return replace(_CLERICAL, id_missing=0.02, id_typo=0.006, id_old15=0.02)


def _birth() -> ErrorRates:
    return replace(
        _CLERICAL,
        name_missing=0.15,
        name_nickname=0.25,
        id_missing=0.01,
        id_typo=0.006,
        birth_format=0.005,
        birth_field_off=0.005,
    )


def _prison() -> ErrorRates:
    return replace(
        _CLERICAL,
        name_homophone=0.02,
        id_missing=0.06,
        id_typo=0.01,
        id_old15=0.05,
        birth_field_off=0.01,
    )


def _disability() -> ErrorRates:
    return _CLERICAL


@dataclass(frozen=True, kw_only=True)
class ErrorModel:
    """Error rates for each registry the generator writes, keyed by source kind.

    Each field defaults to that registry's profile. Change one registry with
    ``dataclasses.replace(model, prison=ErrorRates(...))``, or one rate everywhere
    with :meth:`with_rates`; :meth:`none` gives clean registries.
    """

    household_registration: ErrorRates = field(default_factory=_household)
    pension_enrollment: ErrorRates = field(default_factory=_pension)
    medical_enrollment: ErrorRates = field(default_factory=_medical)
    low_income_assistance: ErrorRates = field(default_factory=_assistance)
    death_register: ErrorRates = field(default_factory=_death)
    birth_certificate: ErrorRates = field(default_factory=_birth)
    prison: ErrorRates = field(default_factory=_prison)
    disability: ErrorRates = field(default_factory=_disability)

    @classmethod
    def none(cls) -> ErrorModel:
        """A model that injects no error at all."""
        clean = ErrorRates()
        return cls(**{item.name: clean for item in fields(cls)})

    def rates_for(self, kind: str) -> ErrorRates:
        """The rates of the registry of one source kind.

        Raises:
            SynthError: for a kind the generator does not write.
        """
        if kind not in {item.name for item in fields(self)}:
            raise SynthError(f"no error rates for source kind {kind!r}")
        rates: ErrorRates = getattr(self, kind)
        return rates

    def with_rates(self, **rates: float) -> ErrorModel:
        """A copy with the given rates set in every registry (``id_typo=0.0``)."""
        changed = {
            item.name: replace(getattr(self, item.name), **rates)
            for item in fields(self)
        }
        return replace(self, **changed)
