"""Who each registry holds, and what it says about them beyond their identity.

A selector takes the population and returns the registry's records before rendering:
the person each record is about, its record id, and its registry-specific values
(scheme, status, enrolled region, event dates). Coverage figures are judgements: most
adults are in the pension scheme and nearly everyone in medical insurance; about 5% of
people are in neither; about 3% are enrolled twice in one scheme in two regions; some of
the dead are still enrolled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evaluation.synth import dates, geography, tables
from evaluation.synth.households import RELATIONS
from evaluation.synth.population import MAINLAND, Population

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

UNINSURED_SHARE = 0.045
"""People in neither the pension nor the medical scheme."""

_YEAR = 365
_WESTERN = frozenset({45, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65})
_CENTRAL = frozenset({14, 15, 22, 23, 34, 36, 41, 42, 43, 46})


@dataclass(frozen=True)
class Context:
    """What every selector may use: the people and who is insured nowhere."""

    people: Population
    uninsured: BoolArray


@dataclass(frozen=True)
class Records:
    """One registry's records before rendering.

    Attributes:
        person: the person each record is about.
        record_id: the record ids, unique within the registry.
        text: registry-specific fields as text, by field name.
        days: registry-specific date fields as day numbers (``dates.NO_DATE``: blank).
        mother: for birth certificates, the mother of each child (-1: unknown).
        father: for birth certificates, the father if recorded (-1: blank).
    """

    person: IntArray
    record_id: list[str]
    text: dict[str, list[str]] = field(default_factory=dict)
    days: dict[str, IntArray] = field(default_factory=dict)
    mother: IntArray | None = None
    father: IntArray | None = None

    def __len__(self) -> int:
        return int(self.person.size)


Selector = Callable[[np.random.Generator, Context], Records]


def uninsured(rng: np.random.Generator, people: Population) -> BoolArray:
    """People enrolled in no scheme at all."""
    return rng.random(len(people)) < UNINSURED_SHARE


def _between(rng: np.random.Generator, low: IntArray, high: IntArray) -> IntArray:
    """A uniform day in [low, high] (high wins where low > high)."""
    low = np.minimum(low, high)
    return low + np.floor(rng.random(low.size) * (high - low + 1)).astype(np.int64)


def _codes(county: IntArray) -> list[str]:
    return [str(code) for code in geography.counties().codes[county].tolist()]


def _pick(rng: np.random.Generator, values: tuple[str, ...], count: int) -> list[str]:
    return geography.choose(rng, values, count)


def household_registration(rng: np.random.Generator, context: Context) -> Records:
    """Everyone in the household register, by household; most dead deregistered."""
    people = context.people
    person = np.flatnonzero(people.registered)
    head = people.head[person]
    dead = people.dead[person]
    cancelled = dead & (rng.random(person.size) < 0.85)
    lag = np.floor(rng.random(person.size) * 60).astype(np.int64)
    when = np.minimum(people.death[person] + lag, dates.REFERENCE_DAY)
    return Records(
        person=person,
        record_id=[f"HJ{index:010d}" for index in range(1, person.size + 1)],
        text={
            "household_id": [people.household_id[p] for p in person.tolist()],
            "head_name": [people.name[h] for h in head.tolist()],
            "relation_to_head": [
                RELATIONS[r] for r in people.relation[person].tolist()
            ],
            "address": [people.hukou_address[p] for p in person.tolist()],
            "status": ["死亡注销" if c else "正常" for c in cancelled.tolist()],
        },
        days={"event_date": np.where(cancelled, when, dates.NO_DATE)},
    )


def _enrolled_county(
    rng: np.random.Generator, people: Population, person: IntArray
) -> IntArray:
    """Where each enrollment is held: mostly home, often the city a migrant works in."""
    home = np.where(
        people.hukou_county[person] >= 0,
        people.hukou_county[person],
        people.residence_county[person],
    )
    away = people.residence_county[person]
    working = (people.age[person] >= 18) & (people.age[person] < 60)
    at_work = (away != home) & working & (rng.random(person.size) < 0.6)
    return np.where(at_work, away, home)


def _second_county(
    rng: np.random.Generator, people: Population, person: IntArray, first: IntArray
) -> IntArray:
    """A different county for a duplicate enrollment: the other of home and work."""
    home = np.where(
        people.hukou_county[person] >= 0,
        people.hukou_county[person],
        people.residence_county[person],
    )
    other = np.where(first == home, people.residence_county[person], home)
    same = other == first
    other[same] = geography.sample_destinations(rng, first[same], within_province=1.0)
    return other


def _with_duplicates(
    rng: np.random.Generator, people: Population, person: IntArray
) -> tuple[IntArray, IntArray]:
    """Enrollments plus a second one elsewhere for some people (migrants more often)."""
    county = _enrolled_county(rng, people, person)
    migrant = people.residence_county[person] != people.hukou_county[person]
    twice = rng.random(person.size) < np.where(migrant, 0.07, 0.016)
    extra = _second_county(rng, people, person[twice], county[twice])
    everyone = np.concatenate([person, person[twice]])
    counties = np.concatenate([county, extra])
    order = rng.permutation(everyone.size)
    return everyone[order], counties[order]


def _statuses(
    rng: np.random.Generator,
    people: Population,
    person: IntArray,
    active: tuple[str, str],
    retired: str | None,
) -> list[str]:
    """Enrollment status: paying, paused, drawing a pension, or ended at death."""
    age = people.age[person]
    pension_age = np.where(people.male[person], 60, 55)
    draw = rng.random(person.size)
    status = np.where(draw < 0.88, active[0], active[1]).astype(object)
    if retired is not None:
        status[(age >= pension_age) & (draw < 0.97)] = retired
    ended = people.dead[person] & (rng.random(person.size) < 0.7)
    status[ended] = "终止参保"
    return [str(value) for value in status.tolist()]


def _schemes(
    rng: np.random.Generator,
    people: Population,
    person: IntArray,
    county: IntArray,
    names: tuple[str, str],
) -> list[str]:
    """Employees' scheme for many working-age people in towns, residents' otherwise."""
    age = people.age[person]
    urban = geography.counties().urban[county]
    working = (age >= 18) & (age < 60)
    chance = np.where(
        working, np.where(urban, 0.6, 0.25), np.where(age >= 60, 0.3, 0.0)
    )
    employee = rng.random(person.size) < chance
    return [names[0] if e else names[1] for e in employee.tolist()]


def pension_enrollment(rng: np.random.Generator, context: Context) -> Records:
    """Basic pension: most people over 16 who have left school."""
    people = context.people
    age = people.age
    share = np.where(age < 16, 0.0, np.where(age < 23, 0.25, 0.9))
    share = np.where(people.origin == MAINLAND, share, 0.5 * (age >= 18))
    chosen = np.flatnonzero(~context.uninsured & (rng.random(len(people)) < share))
    person, county = _with_duplicates(rng, people, chosen)
    codes = _codes(county)
    start = np.maximum(
        people.birth[person] + 16 * _YEAR, dates.REFERENCE_DAY - 30 * _YEAR
    )
    return Records(
        person=person,
        record_id=[f"{c[:4]}{i:08d}" for i, c in enumerate(codes, start=1)],
        text={
            "scheme": _schemes(
                rng,
                people,
                person,
                county,
                ("城镇职工基本养老保险", "城乡居民基本养老保险"),
            ),
            "enrolled_region": codes,
            "status": _statuses(
                rng, people, person, ("参保缴费", "暂停缴费"), "正常待遇领取"
            ),
            "address": [people.residence_address[p] for p in person.tolist()],
        },
        days={
            "event_date": _between(
                rng, start, np.full(person.size, dates.REFERENCE_DAY)
            )
        },
    )


def medical_enrollment(rng: np.random.Generator, context: Context) -> Records:
    """Basic medical insurance: nearly everyone, newborns a little later."""
    people = context.people
    share = np.where(people.age < 1, 0.85, 0.98)
    share = np.where(people.origin == MAINLAND, share, 0.8)
    chosen = np.flatnonzero(~context.uninsured & (rng.random(len(people)) < share))
    person, county = _with_duplicates(rng, people, chosen)
    codes = _codes(county)
    start = np.maximum(people.birth[person], dates.REFERENCE_DAY - 18 * _YEAR)
    return Records(
        person=person,
        record_id=[f"YB{c}{i:08d}" for i, c in enumerate(codes, start=1)],
        text={
            "scheme": _schemes(
                rng,
                people,
                person,
                county,
                ("职工基本医疗保险", "城乡居民基本医疗保险"),
            ),
            "enrolled_region": codes,
            "status": _statuses(rng, people, person, ("参保缴费", "暂停参保"), None),
            "address": [people.residence_address[p] for p in person.tolist()],
        },
        days={
            "event_date": _between(
                rng, start, np.full(person.size, dates.REFERENCE_DAY)
            )
        },
    )


def _assisted_households(rng: np.random.Generator, people: Population) -> BoolArray:
    """Households on 低保: more in the west, in the countryside, and among the old."""
    heads = np.flatnonzero(
        np.r_[True, people.household[1:] != people.household[:-1]] & people.registered
    )
    county = people.hukou_county[heads]
    province = geography.counties().provinces[county]
    region = np.where(
        np.isin(province, list(_WESTERN)),
        2.2,
        np.where(np.isin(province, list(_CENTRAL)), 1.2, 0.5),
    )
    rural = np.where(geography.counties().urban[county], 1.0, 1.6)
    old = np.where(people.age[heads] >= 65, 1.8, 1.0)
    chosen = np.zeros(int(people.household.max()) + 1, dtype=bool)
    chosen[people.household[heads]] = (
        rng.random(heads.size) < 0.014 * region * rural * old
    )
    return chosen


def low_income_assistance(rng: np.random.Generator, context: Context) -> Records:
    """Members of assisted households, household by household, as an Excel list."""
    people = context.people
    households = _assisted_households(rng, people)
    keep_dead = rng.random(len(people)) < 0.05
    member = (
        households[people.household] & people.registered & (~people.dead | keep_dead)
    )
    person = np.flatnonzero(member)
    head = people.head[person]
    county = people.hukou_county[person]
    full_names = geography.county_names(county)
    short = geography.county_short_names(county)
    count = int(people.household.max()) + 1
    amount = rng.integers(300, 900, count) // 10 * 10
    approved = _between(
        rng,
        np.full(count, dates.REFERENCE_DAY - 6 * _YEAR),
        np.full(count, dates.REFERENCE_DAY),
    )
    return Records(
        person=person,
        record_id=[str(index) for index in range(1, person.size + 1)],
        text={
            "head_name": [people.name[h] for h in head.tolist()],
            "relation_to_head": [
                RELATIONS[r] for r in people.relation[person].tolist()
            ],
            "address": [
                s + people.hukou_address[p][len(f) :]
                for p, f, s in zip(person.tolist(), full_names, short, strict=True)
            ],
            "assistance_type": [
                "城市低保" if u else "农村低保"
                for u in geography.counties().urban[county].tolist()
            ],
            "monthly_amount": [
                str(a) for a in amount[people.household[person]].tolist()
            ],
        },
        days={"event_date": approved[people.household[person]]},
    )


def death_register(rng: np.random.Generator, context: Context) -> Records:
    """Most deaths, registered within weeks."""
    people = context.people
    person = np.flatnonzero(people.dead & (rng.random(len(people)) < 0.92))
    person = person[rng.permutation(person.size)]
    county = np.where(
        people.hukou_county[person] >= 0,
        people.hukou_county[person],
        people.residence_county[person],
    )
    province = geography.counties().provinces[county].tolist()
    letters = "ABCDEFGHJK"
    lag = np.floor(rng.random(person.size) * 30).astype(np.int64)
    return Records(
        person=person,
        record_id=[
            f"{letters[p % 10]}{p:02d}{i:07d}" for i, p in enumerate(province, start=1)
        ],
        text={
            "region_code": _codes(county),
            "address": [people.residence_address[p] for p in person.tolist()],
            "death_place": _pick(rng, tables.places()["death_places"], person.size),
        },
        days={
            "death_date": people.death[person],
            "event_date": np.minimum(people.death[person] + lag, dates.REFERENCE_DAY),
        },
    )


def birth_certificate(rng: np.random.Generator, context: Context) -> Records:
    """Children up to six whose mother is known; twins get consecutive numbers."""
    people = context.people
    young = (people.age < 7) & (people.origin == MAINLAND) & (people.mother >= 0)
    child = np.flatnonzero(young & (rng.random(len(people)) < 0.97))
    child = child[np.lexsort((people.mother[child], people.birth[child]))]
    mother = people.mother[child]
    listed = (people.father[child] >= 0) & (rng.random(child.size) < 0.85)
    father = np.where(listed, people.father[child], -1)
    year = dates.split(people.birth[child])[0] % 10
    county = people.residence_county[mother]
    province = geography.counties().provinces[county].tolist()
    lag = 1 + np.floor(rng.random(child.size) * 40).astype(np.int64)
    hospitals = _pick(rng, tables.places()["birth_places"], child.size)
    return Records(
        person=child,
        record_id=[
            f"{'KLMNOPQRST'[y]}{p:02d}{i:07d}"
            for i, (y, p) in enumerate(
                zip(year.tolist(), province, strict=True), start=1
            )
        ],
        text={
            "birth_place": [
                c + h
                for c, h in zip(
                    geography.county_short_names(county), hospitals, strict=True
                )
            ],
            "address": [people.residence_address[m] for m in mother.tolist()],
        },
        days={"event_date": np.minimum(people.birth[child] + lag, dates.REFERENCE_DAY)},
        mother=mother,
        father=father,
    )


def _sentences(rng: np.random.Generator, count: int) -> list[str]:
    years = rng.integers(1, 16, count).tolist()
    months = rng.integers(0, 12, count).tolist()
    life = (rng.random(count) < 0.03).tolist()
    return [
        "无期徒刑"
        if lifelong
        else f"有期徒刑{y}年" + (f"{m}个月" if m % 3 == 1 else "")
        for y, m, lifelong in zip(years, months, life, strict=True)
    ]


def prison(rng: np.random.Generator, context: Context) -> Records:
    """Prisoners: adults, mostly young men."""
    people = context.people
    age = people.age
    men = np.select(
        [age < 18, age < 30, age < 45, age <= 65], [0.0, 0.004, 0.003, 0.0012]
    )
    women = np.where((age >= 18) & (age <= 65), 0.0002, 0.0)
    rate = np.where(people.male, men, women)
    eligible = (people.origin == MAINLAND) & ~people.dead
    person = np.flatnonzero(eligible & (rng.random(len(people)) < rate))
    person = person[rng.permutation(person.size)]
    province = geography.counties().provinces[people.hukou_county[person]].tolist()
    start = np.maximum(
        people.birth[person] + 18 * _YEAR, dates.REFERENCE_DAY - 10 * _YEAR
    )
    return Records(
        person=person,
        record_id=[f"{p:02d}{i:08d}" for i, p in enumerate(province, start=1)],
        text={
            "alias": [people.former_name[p] for p in person.tolist()],
            "address": [people.hukou_address[p] for p in person.tolist()],
            "sentence": _sentences(rng, person.size),
        },
        days={
            "event_date": _between(
                rng, start, np.full(person.size, dates.REFERENCE_DAY)
            )
        },
    )


def _guardians(people: Population, person: IntArray, kind: IntArray) -> list[str]:
    """A parent's name for children and for intellectual or mental disability."""
    needs = (people.age[person] < 18) | (kind >= 5)
    parent = np.where(
        people.mother[person] >= 0, people.mother[person], people.father[person]
    )
    return [
        people.name[p] if need and p >= 0 else ""
        for need, p in zip(needs.tolist(), parent.tolist(), strict=True)
    ]


def disability(rng: np.random.Generator, context: Context) -> Records:
    """Disability certificate holders; the number is the ID plus kind and grade."""
    people = context.people
    rate = np.select(
        [people.age < 18, people.age < 60, people.age < 80], [0.005, 0.018, 0.05], 0.1
    )
    alive = ~people.dead | (rng.random(len(people)) < 0.3)
    person = np.flatnonzero(
        (people.origin == MAINLAND) & alive & (rng.random(len(people)) < rate)
    )
    person = person[rng.permutation(person.size)]
    kinds, grades = (
        tables.places()["disability_kinds"],
        tables.places()["disability_grades"],
    )
    kind = rng.integers(0, len(kinds), person.size)
    grade = rng.integers(0, len(grades), person.size)
    start = np.maximum(people.birth[person], dates.REFERENCE_DAY - 15 * _YEAR)
    return Records(
        person=person,
        record_id=[
            f"{people.id_number[p]}{k + 1}{g + 1}"
            for p, k, g in zip(
                person.tolist(), kind.tolist(), grade.tolist(), strict=True
            )
        ],
        text={
            "disability_kind": [kinds[k] for k in kind.tolist()],
            "disability_grade": [grades[g] for g in grade.tolist()],
            "guardian_name": _guardians(people, person, kind),
            "address": [people.hukou_address[p] for p in person.tolist()],
        },
        days={
            "event_date": _between(
                rng, start, np.full(person.size, dates.REFERENCE_DAY)
            )
        },
    )


SELECTORS: dict[str, Selector] = {
    "household_registration": household_registration,
    "pension_enrollment": pension_enrollment,
    "medical_enrollment": medical_enrollment,
    "low_income_assistance": low_income_assistance,
    "death_register": death_register,
    "birth_certificate": birth_certificate,
    "prison": prison,
    "disability": disability,
}
"""The selector of each source kind."""
