"""Names: surnames by frequency, given names by sex and decade, minority and foreign.

Han names take a surname drawn by its share (children take their father's, wives keep
their own) and a given name that fits the person's sex and birth decade: one of the
decade's popular names, a single character, or two characters from the decade's pool,
so that the most common full names (张伟, 王芳) are shared by many people. Some carry
a rare character outside GB2312. Uyghur and Kazakh names are the person's own name and
the father's joined by ``·``; Tibetan and Mongolian names have no surname.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evaluation.synth.tables import (
    RARE_CHARACTERS,
    WeightedList,
    given_names,
    minority_names,
    romanised,
    surnames,
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

HAN, UYGHUR, KAZAKH, TIBETAN, MONGOLIAN = 0, 1, 2, 3, 4
STYLE_NAMES: tuple[str, ...] = ("han", "uyghur", "kazakh", "tibetan", "mongolian")
SEPARATOR = "·"

_SINGLE_SHARE: dict[int, float] = {
    1920: 0.2, 1940: 0.18, 1950: 0.15, 1960: 0.2, 1970: 0.3, 1980: 0.35, 1990: 0.25,
    2000: 0.12, 2010: 0.08, 2020: 0.06,
}  # fmt: skip
"""Share of one-character given names by birth decade (a judgement)."""

_POPULAR_SHARE = 0.35
"""Share of given names taken whole from the decade's popular list."""

ETHNIC_MIX: dict[int, tuple[tuple[str, int, float], ...]] = {
    65: (("维吾尔族", UYGHUR, 0.45), ("哈萨克族", KAZAKH, 0.07), ("回族", HAN, 0.04)),
    54: (("藏族", TIBETAN, 0.86),),
    63: (("藏族", TIBETAN, 0.24), ("回族", HAN, 0.15)),
    5132: (("藏族", TIBETAN, 0.3),),
    5133: (("藏族", TIBETAN, 0.4),),
    6230: (("藏族", TIBETAN, 0.4),),
    5334: (("藏族", TIBETAN, 0.2),),
    15: (("蒙古族", MONGOLIAN, 0.09), ("蒙古族", HAN, 0.08)),
    64: (("回族", HAN, 0.36),),
    45: (("壮族", HAN, 0.31),),
    21: (("满族", HAN, 0.12),),
    13: (("满族", HAN, 0.03),),
    22: (("朝鲜族", HAN, 0.04),),
    43: (("土家族", HAN, 0.04), ("苗族", HAN, 0.03)),
    52: (("苗族", HAN, 0.11), ("布依族", HAN, 0.07)),
    53: (("彝族", HAN, 0.11), ("白族", HAN, 0.03)),
}
"""Ethnicity, naming style and share of households, by province or prefecture code
(a prefecture entry overrides its province). Approximate census shares, lowered for
Tibetan prefectures whose many thinly peopled counties get as many households here as
any other county."""


@dataclass(frozen=True)
class Names:
    """Names of a group of people as parallel lists."""

    surname: list[str]
    given: list[str]
    name: list[str]
    alias: list[str]


def eras(birth_year: IntArray) -> IntArray:
    """The decade of each birth year as the name tables key it (1920 covers to 1939)."""
    era = np.clip(birth_year // 10 * 10, 1920, 2020)
    return np.where(era == 1930, 1920, era)


def _pick(rng: np.random.Generator, table: WeightedList, count: int) -> list[str]:
    picks = rng.choice(len(table), size=count, p=table.probabilities)
    return [table.values[pick] for pick in picks.tolist()]


def _compose(rng: np.random.Generator, era: int, sex: str, count: int) -> list[str]:
    popular = given_names()[(era, sex, "name")]
    chars = given_names()[(era, sex, "char")]
    mode = rng.random(count)
    whole = _pick(rng, popular, count)
    first = _pick(rng, chars, count)
    second = _pick(rng, chars, count)
    single = _POPULAR_SHARE + _SINGLE_SHARE[era]
    return [
        w if m < _POPULAR_SHARE else f if m < single else f + s
        for m, w, f, s in zip(mode.tolist(), whole, first, second, strict=True)
    ]


def given_for(
    rng: np.random.Generator, male: BoolArray, birth_year: IntArray
) -> list[str]:
    """Han given names fitting each person's sex and birth decade.

    Args:
        rng: the random generator.
        male: whether each person is a man.
        birth_year: each person's year of birth.

    Returns:
        One given name per person, a few with a rare character.
    """
    era = eras(birth_year)
    result = ["" for _ in range(male.size)]
    for era_value in np.unique(era).tolist():
        for sex, is_male in (("M", True), ("F", False)):
            rows = np.flatnonzero((era == era_value) & (male == is_male))
            for row, value in zip(
                rows.tolist(), _compose(rng, era_value, sex, rows.size), strict=True
            ):
                result[row] = value
    return _with_rare_characters(rng, result, male, era)


def _with_rare_characters(
    rng: np.random.Generator, given: list[str], male: BoolArray, era: IntArray
) -> list[str]:
    rate = np.where(era >= 1980, 0.012, 0.004)
    rows = np.flatnonzero(rng.random(len(given)) < rate)
    by_sex = {
        sex: [char for char, owner in RARE_CHARACTERS.items() if owner == sex]
        for sex in ("M", "F")
    }
    picks = rng.random(rows.size).tolist()
    for row, pick in zip(rows.tolist(), picks, strict=True):
        pool = by_sex["M" if male[row] else "F"]
        given[row] = given[row][:-1] + pool[int(pick * len(pool))]
    return given


def surname_indices(rng: np.random.Generator, surname_from: IntArray) -> IntArray:
    """Surname-table indices: drawn for founders, inherited along ``surname_from``."""
    table = surnames()
    index = rng.choice(len(table), size=surname_from.size, p=table.probabilities)
    inherits = np.flatnonzero(surname_from >= 0)
    for _ in range(4):  # chains are at most grandchild -> child -> head
        index[inherits] = index[surname_from[inherits]]
    return index


def minority_given(
    rng: np.random.Generator, style: IntArray, male: BoolArray, father: IntArray
) -> dict[int, str]:
    """Full names of people with a minority naming style, keyed by person index.

    Fathers come before their children, so a child's patronym is the father's own name.
    """
    parts = minority_names()
    own: dict[int, str] = {}
    names: dict[int, str] = {}
    rows = np.flatnonzero(style != HAN).tolist()
    draws = rng.random((len(rows), 3)).tolist()
    for row, (a, b, c) in zip(rows, draws, strict=True):
        kind = STYLE_NAMES[int(style[row])]
        sex = "M" if male[row] else "F"
        if kind in ("uyghur", "kazakh"):
            own[row] = _at(parts[(kind, sex, "own")], a)
            dad = int(father[row])
            patronym = own.get(dad) or _at(parts[(kind, "M", "own")], b)
            names[row] = own[row] + SEPARATOR + patronym
        elif kind == "tibetan":
            first = _at(parts[(kind, "U", "first")], a)
            names[row] = (
                first if c < 0.2 else first + _at(parts[(kind, sex, "second")], b)
            )
        else:
            names[row] = _at(parts[(kind, sex, "own")], a)
    return names


def _at(values: tuple[str, ...], fraction: float) -> str:
    return values[int(fraction * len(values))]


def former_names(
    rng: np.random.Generator,
    surname: list[str],
    male: BoolArray,
    birth_year: IntArray,
    eligible: BoolArray,
) -> list[str]:
    """曾用名: another given name for a few adults (more often older women)."""
    rate = np.where(~male & (birth_year < 1965), 0.06, 0.02) * eligible
    rows = np.flatnonzero(rng.random(male.size) < rate)
    other = given_for(rng, male[rows], birth_year[rows])
    result = ["" for _ in range(male.size)]
    for row, given in zip(rows.tolist(), other, strict=True):
        result[row] = surname[row] + given
    return result


def permit_names(rng: np.random.Generator, scheme: str, male: BoolArray) -> Names:
    """Names of Hong Kong/Macao (``cantonese``) or Taiwan (``wade_giles``) residents.

    The Chinese name is recorded in simplified characters; the alias is the romanised
    form printed on the holder's documents.
    """
    table = romanised(scheme)
    family = sorted(table["surname"].items())
    given = sorted(table["given"].items())
    f = rng.integers(0, len(family), male.size).tolist()
    g = rng.integers(0, len(given), male.size).tolist()
    return Names(
        surname=[family[i][0] for i in f],
        given=[given[i][0] for i in g],
        name=[family[i][0] + given[j][0] for i, j in zip(f, g, strict=True)],
        alias=[family[i][1] + " " + given[j][1] for i, j in zip(f, g, strict=True)],
    )


@dataclass(frozen=True)
class ForeignNames:
    """Foreign residents' names and the naming style (``western``, ``korean``...)."""

    names: Names
    styles: list[str]


FOREIGN_STYLES: tuple[str, ...] = ("western", "korean", "japanese", "vietnamese")


def foreign_names(rng: np.random.Generator, male: BoolArray) -> ForeignNames:
    """Names of foreign permanent residents: a Chinese transliteration or Latin only."""
    schemes = FOREIGN_STYLES
    style = rng.choice(4, size=male.size, p=[0.4, 0.25, 0.15, 0.2]).tolist()
    draws = rng.random((male.size, 3)).tolist()
    out = Names([], [], [], [])
    for row, (kind, (a, b, c)) in enumerate(zip(style, draws, strict=True)):
        table = romanised(schemes[kind])
        family = sorted(table["surname"].items())
        given = sorted(table["given_m" if male[row] else "given_f"].items())
        sur, giv = _at_pair(family, a), _at_pair(given, b)
        latin = f"{sur[1]} {giv[1]}"
        if kind == 0 and c < 0.4:
            out.surname.append(sur[1])
            out.given.append(giv[1])
            out.name.append(latin)
            out.alias.append("")
            continue
        han = giv[0] + SEPARATOR + sur[0] if kind == 0 else sur[0] + giv[0]
        out.surname.append("" if kind == 0 else sur[0])
        out.given.append(han if kind == 0 else giv[0])
        out.name.append(han)
        out.alias.append(latin)
    return ForeignNames(out, [schemes[kind] for kind in style])


def _at_pair(values: list[tuple[str, str]], fraction: float) -> tuple[str, str]:
    return values[int(fraction * len(values))]
