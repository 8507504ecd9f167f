"""Households: a head and the people registered with them, with ages and kinship.

Each household is composed around a head: perhaps a spouse, the children who still live
at home (their number depends on the mother's cohort and the period's fertility), twins
now and then, a married child with a spouse and grandchildren, and the head's parents.
The figures are judgements tuned so that the ages come out roughly like China's pyramid;
the loop is plain Python because it is a few seconds for a million people and reads as
the story it tells.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

RELATIONS: tuple[str, ...] = (
    "户主",
    "配偶",
    "子",
    "女",
    "父亲",
    "母亲",
    "儿媳",
    "女婿",
    "孙子",
    "孙女",
    "外孙子",
    "外孙女",
)
"""Relation to the head (与户主关系), indexed by the relation code."""

HEAD, SPOUSE, SON, DAUGHTER, FATHER, MOTHER = 0, 1, 2, 3, 4, 5
SON_IN_LAW, DAUGHTER_IN_LAW = 7, 6
REFERENCE_YEAR = 2026

_HEAD_AGE_BANDS = (18, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95)
_HEAD_AGE_WEIGHTS = (
    0.3, 2.5, 5.0, 7.5, 9.0, 8.0, 7.5, 9.5, 10.0, 8.5, 6.5, 6.0, 4.0, 2.0, 0.9, 0.3,
    0.08,
)  # fmt: skip
_HEAD_AGE_CUMULATIVE = tuple(itertools.accumulate(_HEAD_AGE_WEIGHTS))

# One member: relation, male, age, mother, father, surname source, twin of, married in.
Member = tuple[int, bool, int, int, int, int, int, bool]


@dataclass(frozen=True)
class Households:
    """Members of all households as parallel arrays; references are member indices."""

    household: IntArray
    relation: IntArray
    male: BoolArray
    age: IntArray
    mother: IntArray
    father: IntArray
    surname_from: IntArray
    twin_of: IntArray
    married_in: BoolArray

    def __len__(self) -> int:
        return int(self.household.size)


def _head_age(rng: random.Random) -> int:
    band = bisect.bisect(_HEAD_AGE_CUMULATIVE, rng.random() * _HEAD_AGE_CUMULATIVE[-1])
    low = _HEAD_AGE_BANDS[band]
    high = _HEAD_AGE_BANDS[band + 1] if band + 1 < len(_HEAD_AGE_BANDS) else 101
    return rng.randrange(low, high)


def _single_share(age: int) -> float:
    if age < 30:
        return 0.4
    if age < 60:
        return 0.12
    return 0.2 if age < 75 else 0.32


def _spouse_share(age: int) -> float:
    if age < 25:
        return 0.35
    if age < 30:
        return 0.65
    if age < 65:
        return 0.88
    return 0.75 if age < 80 else 0.45


def _children_ever_born(rng: random.Random, mother_birth_year: int) -> int:
    # Children per woman by cohort: high before 1950, falling to under two after 1960.
    mean = 3.6 if mother_birth_year < 1950 else 2.6 if mother_birth_year < 1960 else 1.8
    return min(6, sum(1 for _ in range(8) if rng.random() < mean / 8))


def _period_keeps(rng: random.Random, birth_year: int) -> bool:
    # Births fell after 2017; a birth is kept with the period's relative fertility.
    if birth_year >= 2022:
        return rng.random() < 0.6
    if birth_year >= 2018:
        return rng.random() < 0.75
    return True


def _lives_at_home(rng: random.Random, age: int) -> bool:
    share = 0.97 if age < 18 else 0.7 if age < 25 else 0.35 if age < 30 else 0.1
    return rng.random() < share


def _male_share(birth_year: int) -> float:
    return 0.535 if 1985 <= birth_year <= 2012 else 0.513


def _births(rng: random.Random, mother_age: int) -> list[tuple[int, bool]]:
    """Ages of the children a mother bore, oldest first, with a twin flag."""
    mother_year = REFERENCE_YEAR - mother_age
    first_age = rng.gauss(23.5 if mother_year < 1975 else 26.0, 3.0)
    age = mother_age - max(18, min(40, round(first_age)))
    births: list[tuple[int, bool]] = []
    for _ in range(_children_ever_born(rng, mother_year)):
        if age < 0:
            break
        twins = rng.random() < 0.012
        births.append((age, twins))
        age -= 1 + int(rng.expovariate(1 / 2.5))
    return births


def _add_children(
    rng: random.Random, members: list[Member], mother: int, father: int
) -> list[int]:
    """Append the children at home; returns their member indices."""
    parent_age = members[mother][2] if mother >= 0 else members[father][2] - 2
    surname = father if father >= 0 else mother
    added: list[int] = []
    for age, twins in _births(rng, parent_age):
        year = REFERENCE_YEAR - age
        if not (_period_keeps(rng, year) and _lives_at_home(rng, age)):
            continue
        for second in range(2 if twins else 1):
            male = rng.random() < _male_share(year)
            twin = len(members) - 1 if second else -1
            members.append(
                (
                    SON if male else DAUGHTER,
                    male,
                    age,
                    mother,
                    father,
                    surname,
                    twin,
                    False,
                )
            )
            added.append(len(members) - 1)
    return added


def _add_grandchildren(
    rng: random.Random, members: list[Member], children: list[int]
) -> None:
    """Marry the eldest adult child at home and add their children."""
    adults = [index for index in children if members[index][2] >= 23]
    if not adults or rng.random() >= 0.45:
        return
    child = adults[0]
    child_male, child_age = members[child][1], members[child][2]
    gap = round(rng.gauss(2.0, 2.5))
    partner_age = max(20, child_age + (-gap if child_male else gap))
    relation = DAUGHTER_IN_LAW if child_male else SON_IN_LAW
    members.append((relation, not child_male, partner_age, -1, -1, -1, -1, True))
    partner = len(members) - 1
    mother, father = (partner, child) if child_male else (child, partner)
    before = len(members)
    _add_children(rng, members, mother, father)
    for index in range(before, len(members)):
        grandson = members[index][0] == SON
        relation = (8 if grandson else 9) if child_male else (10 if grandson else 11)
        members[index] = (relation, *members[index][1:])


def _add_parents(rng: random.Random, members: list[Member]) -> None:
    head_age = members[0][2]
    if head_age >= 65 or rng.random() >= 0.12:
        return
    mother_age = head_age + max(18, round(rng.gauss(26.0, 4.0)))
    if rng.random() < 0.7 and mother_age + 2 <= 100:
        members.append((FATHER, True, mother_age + 2, -1, -1, 0, -1, False))
    if rng.random() < 0.9 and mother_age <= 100:
        members.append((MOTHER, False, mother_age, -1, -1, -1, -1, False))


def household_members(rng: random.Random) -> list[Member]:
    """Compose one household; the head is member 0."""
    head_age = _head_age(rng)
    single = rng.random() < _single_share(head_age)
    head_male = rng.random() < (0.5 if single else 0.72)
    members: list[Member] = [(HEAD, head_male, head_age, -1, -1, -1, -1, False)]
    if single:
        return members
    if rng.random() < _spouse_share(head_age):
        gap = round(rng.gauss(2.5, 3.0))
        age = min(100, max(18, head_age - gap if head_male else head_age + gap))
        members.append((SPOUSE, not head_male, age, -1, -1, -1, -1, True))
    mother = next((i for i, m in enumerate(members) if not m[1]), -1)
    father = next((i for i, m in enumerate(members) if m[1]), -1)
    children = _add_children(rng, members, mother, father)
    _add_grandchildren(rng, members, children)
    _add_parents(rng, members)
    return members


def _shifted(member: Member, start: int) -> Member:
    """A member with household-local references made population-wide."""
    relation, male, age, mother, father, surname, twin, married = member
    refs = [
        index + start if index >= 0 else -1 for index in (mother, father, surname, twin)
    ]
    return (relation, male, age, refs[0], refs[1], refs[2], refs[3], married)


def compose_households(rng: random.Random, persons: int) -> Households:
    """Households holding exactly ``persons`` people (the last one may be cut short).

    Args:
        rng: the random generator.
        persons: how many people to create.

    Returns:
        The members, household by household, head first.
    """
    rows: list[Member] = []
    household: list[int] = []
    while len(rows) < persons:
        start = len(rows)
        members = household_members(rng)[: persons - start]
        household.extend([household[-1] + 1 if household else 0] * len(members))
        rows.extend(_shifted(member, start) for member in members)
    table = np.array(rows, dtype=np.int64).reshape(len(rows), 8)
    return Households(
        household=np.array(household, dtype=np.int64),
        relation=table[:, 0],
        male=table[:, 1].astype(bool),
        age=table[:, 2],
        mother=table[:, 3],
        father=table[:, 4],
        surname_from=table[:, 5],
        twin_of=table[:, 6],
        married_in=table[:, 7].astype(bool),
    )
