"""Apply the error model to one field of one registry, and say what was done.

For a field, :func:`choose` picks which records get which error (see
:mod:`error_model` for how the rates split each record's draw); the ``garble_*``
functions then rewrite those values. Whether an error is possible for a record is
decided from the person the value describes, through :func:`person_traits`, computed
once per population.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from pypinyin import lazy_pinyin

from evaluation.synth import dates, geography, idnumbers, tables
from evaluation.synth.error_model import FAMILIES, SUBJECT_ONLY, ErrorRates, SynthError
from evaluation.synth.names import SEPARATOR
from evaluation.synth.population import FOREIGN, MAINLAND, Population

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SEPARATOR_VARIANTS: tuple[str, ...] = (
    "\u30fb",
    "\u2022",
    "\uff0e",
    ".",
    "",
    "\u2027",
    "-",
)
"""What other systems write for the middle dot of a minority name."""

_FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)} | {0x20: 0x3000}
_NAME_TEXT_TRAITS = (
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


@dataclass(frozen=True)
class Chosen:
    """Which records of a field get an error, and how many could have."""

    rows: IntArray
    errors: list[str]
    eligible: dict[str, int]


def _is_han(char: str) -> bool:
    code = ord(char)
    return 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or code >= 0x20000


@cache
def is_rare(char: str) -> bool:
    """A Han character outside GB2312, which legacy systems cannot store."""
    if not _is_han(char):
        return False
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return True
    return False


@cache
def _text_traits(name: str, surname_length: int) -> tuple[bool, ...]:
    """Which text-dependent name errors can apply, in _NAME_TEXT_TRAITS order."""
    han = bool(name) and all(_is_han(char) for char in name)
    given = name[surname_length:]
    return (
        han,
        any(is_rare(char) for char in name),
        any(is_rare(char) for char in name),
        any(char in tables.confusions("homophone") for char in name),
        any(char in tables.confusions("shape") for char in name),
        any(char in tables.traditional() for char in name),
        han and surname_length > 0 and len(given) == 2 and given[0] != given[1],
        han and len(name) >= 2,
        any(char.isascii() and char.isalpha() for char in name),
        SEPARATOR in name,
        SEPARATOR in name,
    )


def person_traits(people: Population) -> dict[str, BoolArray]:
    """For every name and ID error type, whether it can apply to each person's value."""
    rows = [
        _text_traits(name, len(surname))
        for name, surname in zip(people.name, people.surname, strict=True)
    ]
    table = np.array(rows, dtype=bool).reshape(len(people), len(_NAME_TEXT_TRAITS))
    traits = {error: table[:, k] for k, error in enumerate(_NAME_TEXT_TRAITS)}
    everyone = np.ones(len(people), dtype=bool)
    ends_x = np.array([number.endswith("X") for number in people.id_number], dtype=bool)
    year = dates.split(people.birth)[0]
    traits.update(
        name_missing=np.array([bool(name) for name in people.name], dtype=bool),
        name_nickname=everyone,
        name_romanised=np.array([bool(alias) for alias in people.alias], dtype=bool),
        id_missing=everyone,
        id_mother=(people.age < 1) & (people.mother >= 0),
        id_old_permit=np.array([bool(old) for old in people.old_permit], dtype=bool),
        id_old15=(people.origin == MAINLAND) & (year < 2000),
        id_typo=everyone,
        id_swap=everyone,
        id_lower_x=ends_x,
        id_masked=everyone,
        id_scientific=~ends_x,
        id_fullwidth=everyone,
    )
    return traits


def choose(
    rng: np.random.Generator,
    rates: ErrorRates,
    family: str,
    eligible: dict[str, BoolArray],
    *,
    subject: bool = True,
) -> Chosen:
    """Pick the records of one field that get an error, and which error.

    Args:
        rng: the random generator of this field.
        rates: the registry's error rates.
        family: ``name``, ``id``, ``birth``, ``sex`` or ``phone``.
        eligible: per error type, whether each record can get it.
        subject: False for a parent's field, which never gets subject-only errors.

    Returns:
        The rows hit, their error types, and the eligible count per type.

    Raises:
        SynthError: when the rates possible on some record add up to more than 1.
    """
    kinds = [k for k in FAMILIES[family] if subject or k not in SUBJECT_ONLY]
    count = next(iter(eligible.values())).size
    draw = rng.random(count)
    offset = np.zeros(count)
    hit = np.full(count, -1, dtype=np.int64)
    for index, kind in enumerate(kinds):
        rate, can = rates.rate(kind), eligible[kind]
        hit[can & (draw >= offset) & (draw < offset + rate)] = index
        offset += rate * can
    if count and offset.max() > 1.0 + 1e-9:
        raise SynthError(
            f"the {family} error rates possible together add up to {offset.max():.3f}; "
            "lower them so that they add up to at most 1"
        )
    rows = np.flatnonzero(hit >= 0)
    return Chosen(
        rows=rows,
        errors=[kinds[i] for i in hit[rows].tolist()],
        eligible={kind: int(eligible[kind].sum()) for kind in kinds},
    )


def _replace_one(
    value: str, table: dict[str, tuple[str, ...]], rnd: random.Random
) -> str:
    positions = [i for i, char in enumerate(value) if char in table]
    at = rnd.choice(positions)
    return value[:at] + rnd.choice(table[value[at]]) + value[at + 1 :]


def _pinyin(value: str, surname_length: int) -> str:
    parts = [value[:surname_length], value[surname_length:]]
    words = ["".join(lazy_pinyin(part)).capitalize() for part in parts if part]
    return " ".join(words)


def _space(value: str, surname_length: int, rnd: random.Random) -> str:
    blank = rnd.choice((" ", "\u3000"))
    if rnd.random() < 0.2:
        return value + blank
    at = (
        surname_length
        if 0 < surname_length < len(value)
        else rnd.randrange(1, len(value))
    )
    return value[:at] + blank + value[at:]


def _nickname(people: Population, person: int, rnd: random.Random) -> str:
    mother = int(people.mother[person])
    if mother >= 0 and rnd.random() < 0.3:
        return people.name[mother] + ("之子" if people.male[person] else "之女")
    return rnd.choice(tables.places()["nicknames"])


NameGarbler = Callable[[str, int, Population, random.Random], str]

_NAME_GARBLERS: dict[str, NameGarbler] = {
    "name_missing": lambda v, p, people, rnd: "",
    "name_nickname": lambda v, p, people, rnd: _nickname(people, p, rnd),
    "name_romanised": lambda v, p, people, rnd: people.alias[p],
    "name_pinyin": lambda v, p, people, rnd: _pinyin(v, len(people.surname[p])),
    "name_rare_question": lambda v, p, people, rnd: "".join(
        "?" if is_rare(c) else c for c in v
    ),
    "name_rare_pinyin": lambda v, p, people, rnd: "".join(
        lazy_pinyin(c)[0] if is_rare(c) else c for c in v
    ),
    "name_homophone": lambda v, p, people, rnd: _replace_one(
        v, tables.confusions("homophone"), rnd
    ),
    "name_shape": lambda v, p, people, rnd: _replace_one(
        v, tables.confusions("shape"), rnd
    ),
    "name_traditional": lambda v, p, people, rnd: "".join(
        tables.traditional().get(c, c) for c in v
    ),
    "name_order": lambda v, p, people, rnd: v[: len(people.surname[p])] + v[:-3:-1],
    "name_space": lambda v, p, people, rnd: _space(v, len(people.surname[p]), rnd),
    "name_fullwidth": lambda v, p, people, rnd: v.translate(_FULLWIDTH),
    "name_separator": lambda v, p, people, rnd: v.replace(
        SEPARATOR, rnd.choice(SEPARATOR_VARIANTS)
    ),
    "name_truncated": lambda v, p, people, rnd: v.split(SEPARATOR)[0],
}


def garble_names(
    values: list[str],
    persons: IntArray,
    chosen: Chosen,
    people: Population,
    rnd: random.Random,
) -> None:
    """Rewrite the chosen name values in place (``persons``: whose name each is)."""
    for row, error in zip(chosen.rows.tolist(), chosen.errors, strict=True):
        garble = _NAME_GARBLERS[error]
        values[row] = garble(values[row], int(persons[row]), people, rnd)


def _typo(value: str, rnd: random.Random) -> str:
    at = rnd.randrange(len(value))
    alphabet = "0123456789X" if at == 17 else "0123456789"
    return (
        value[:at]
        + rnd.choice([c for c in alphabet if c != value[at]])
        + value[at + 1 :]
    )


def _swap(value: str, rnd: random.Random) -> str:
    at = rnd.choice([i for i in range(len(value) - 1) if value[i] != value[i + 1]])
    return value[:at] + value[at + 1] + value[at] + value[at + 2 :]


def _scientific(value: str) -> str:
    # Excel's General format keeps six significant digits of an 18-digit number.
    mantissa = f"{int(value) / 10**17:.5f}".rstrip("0").rstrip(".")
    return f"{mantissa}E+17"


IdGarbler = Callable[[str, int, Population, random.Random], str]

_ID_GARBLERS: dict[str, IdGarbler] = {
    "id_missing": lambda v, p, people, rnd: "",
    "id_mother": lambda v, p, people, rnd: people.id_number[int(people.mother[p])],
    "id_old_permit": lambda v, p, people, rnd: people.old_permit[p],
    "id_old15": lambda v, p, people, rnd: idnumbers.to_fifteen(v),
    "id_typo": lambda v, p, people, rnd: _typo(v, rnd),
    "id_swap": lambda v, p, people, rnd: _swap(v, rnd),
    "id_lower_x": lambda v, p, people, rnd: v[:-1] + "x",
    "id_masked": lambda v, p, people, rnd: v[:6] + "*" * 8 + v[14:],
    "id_scientific": lambda v, p, people, rnd: _scientific(v),
    "id_fullwidth": lambda v, p, people, rnd: v.translate(_FULLWIDTH),
}


def garble_ids(
    values: list[str],
    persons: IntArray,
    chosen: Chosen,
    people: Population,
    rnd: random.Random,
) -> None:
    """Rewrite the chosen identity numbers in place."""
    for row, error in zip(chosen.rows.tolist(), chosen.errors, strict=True):
        values[row] = _ID_GARBLERS[error](values[row], int(persons[row]), people, rnd)


def birth_eligibility(birth: IntArray) -> dict[str, BoolArray]:
    """Which birth-date errors can apply to each date."""
    _, month, day = dates.split(birth)
    everyone = np.ones(birth.size, dtype=bool)
    return {
        "birth_format": everyone,
        "birth_day_month_swap": (day <= 12) & (day != month),
        "birth_field_off": everyone,
    }


def garble_births(
    birth: IntArray, chosen: Chosen, style: str, rnd: random.Random
) -> list[str]:
    """Birth dates written in the registry's style, with the chosen errors applied."""
    year, month, day = (part.copy() for part in dates.split(birth))
    styles = [style] * birth.size
    others = [name for name in dates.FORMAT_NAMES if name != style]
    for row, error in zip(chosen.rows.tolist(), chosen.errors, strict=True):
        if error == "birth_format":
            styles[row] = rnd.choice(others)
        elif error == "birth_day_month_swap":
            month[row], day[row] = day[row], month[row]
        else:
            year[row], month[row], day[row] = _off_by_one(
                int(year[row]), int(month[row]), int(day[row]), rnd
            )
    text = ["" for _ in styles]
    for name in sorted(set(styles)):
        rows = np.array([i for i, s in enumerate(styles) if s == name], dtype=np.int64)
        written = dates.format_fields(year[rows], month[rows], day[rows], name)
        for row, value in zip(rows.tolist(), written, strict=True):
            text[row] = value
    return text


def _off_by_one(
    year: int, month: int, day: int, rnd: random.Random
) -> tuple[int, int, int]:
    """One field moved by one, keeping a valid date."""
    step = rnd.choice((-1, 1))
    which = rnd.randrange(3)
    if which == 0:
        year += step
    elif which == 1:
        month = month + step if 1 <= month + step <= 12 else month - step
    length = int(dates.days_in_month(np.array([year]), np.array([month]))[0])
    if which == 2:
        day = day + step if 1 <= day + step <= length else day - step
    return year, month, min(day, length)


def garble_phones(values: list[str], chosen: Chosen, rng: np.random.Generator) -> None:
    """Blank or replace the chosen phones in place."""
    fresh = geography.mobiles(rng, chosen.rows.size)
    for row, error, number in zip(
        chosen.rows.tolist(), chosen.errors, fresh, strict=True
    ):
        values[row] = "" if error == "phone_missing" else number


def id_types(people: Population, persons: IntArray) -> list[str]:
    """The document name for each person's number (证件类型)."""
    labels = {
        MAINLAND: "居民身份证",
        1: "港澳居民居住证",
        2: "港澳居民居住证",
        3: "台湾居民居住证",
        FOREIGN: "外国人永久居留身份证",
    }
    return [labels[origin] for origin in people.origin[persons].tolist()]
