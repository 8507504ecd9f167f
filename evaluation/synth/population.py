"""The synthetic population: every person's true identity, household, places and fate.

People are mainland residents in households (see :mod:`households`), plus a small share
of Hong Kong, Macao and Taiwan residents holding residence permits and of foreign
permanent residents, who have no household registration. Everything a registry later
writes about a person is derived from, and judged against, these arrays.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.synth import dates, geography, households, idnumbers, names, tables
from evaluation.synth.error_model import SynthError

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[str, int, int], None]

MAINLAND, HONG_KONG, MACAO, TAIWAN, FOREIGN = 0, 1, 2, 3, 4
PERMIT_REGION = {HONG_KONG: 810000, MACAO: 820000, TAIWAN: 830000}
PERMIT_SHARES = {HONG_KONG: 0.0015, MACAO: 0.0004, TAIWAN: 0.001, FOREIGN: 0.0011}
"""Share of the population in each non-mainland group (a judgement)."""

COUNTRIES: dict[str, tuple[tuple[str, int], ...]] = {
    "western": (("USA", 840), ("GBR", 826), ("DEU", 276), ("FRA", 250), ("RUS", 643)),
    "korean": (("KOR", 410),),
    "japanese": (("JPN", 392),),
    "vietnamese": (("VNM", 704),),
}
"""ISO 3166 alpha-3 and numeric codes of residents' nationalities, by name style."""

MIGRANT_HOUSEHOLD_SHARE = 0.05
MIGRANT_WORKER_SHARE = 0.05
MOVED_HOUSEHOLD_SHARE = 0.03
MARRIED_FROM_ELSEWHERE = 0.25
UNREGISTERED_SHARE = 0.002


@dataclass(frozen=True)
class Population:
    """People as parallel arrays; index ``i`` is the person whose key is ``keys[i]``.

    Days are int64 day numbers (see :mod:`dates`); county fields are indices into
    :func:`geography.counties`, -1 where a person has none; person references
    (``mother``, ``father``, ``twin_of``) are indices, -1 for none. ``origin`` is
    :data:`MAINLAND`, :data:`HONG_KONG`, :data:`MACAO`, :data:`TAIWAN` or
    :data:`FOREIGN`; ``registered`` says who is in the household register.
    """

    origin: IntArray
    household: IntArray
    household_id: list[str]
    relation: IntArray
    male: BoolArray
    birth: IntArray
    mother: IntArray
    father: IntArray
    twin_of: IntArray
    style: IntArray
    ethnicity: list[str]
    surname: list[str]
    given: list[str]
    name: list[str]
    alias: list[str]
    former_name: list[str]
    hukou_county: IntArray
    residence_county: IntArray
    issue_county: IntArray
    hukou_address: list[str]
    residence_address: list[str]
    phone: list[str]
    registered: BoolArray
    country: IntArray
    nationality: list[str]
    keys: list[str] = field(default_factory=list)
    death: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    id_number: list[str] = field(default_factory=list)
    old_permit: list[str] = field(default_factory=list)
    id_region: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.male.size)

    @cached_property
    def age(self) -> IntArray:
        """Completed years of age on the reference date (as if alive)."""
        return dates.ages(self.birth)

    @cached_property
    def dead(self) -> BoolArray:
        """Whether each person has died."""
        dead: BoolArray = self.death != dates.NO_DATE
        return dead

    @cached_property
    def head(self) -> IntArray:
        """Index of each person's household head (themselves for a lone person)."""
        starts = np.flatnonzero(np.r_[True, self.household[1:] != self.household[:-1]])
        sizes = np.diff(np.r_[starts, self.household.size])
        return np.repeat(starts, sizes)


def _stage_rng(seed: int, stage: int) -> np.random.Generator:
    return np.random.default_rng([seed, stage])


def _birth_days(rng: np.random.Generator, age: IntArray, twin_of: IntArray) -> IntArray:
    """Birth days that give each person their age; twins share the day."""
    offset = np.floor((age + rng.random(age.size)) * 365.2425).astype(np.int64)
    birth = dates.REFERENCE_DAY - np.maximum(offset, 0)
    twins = np.flatnonzero(twin_of >= 0)
    birth[twins] = birth[twin_of[twins]]
    return birth


def _death_days(rng: np.random.Generator, birth: IntArray) -> IntArray:
    """Deaths in the three years before the reference date, by a Gompertz-like risk."""
    age = dates.ages(birth).astype(np.float64)
    yearly = np.minimum(0.5, 0.0004 + 0.00002 * np.exp(0.1 * age))
    yearly = yearly + np.where(age < 1, 0.004, 0.0)
    dies = rng.random(birth.size) < 1.0 - (1.0 - yearly) ** 3
    start = np.maximum(birth, dates.REFERENCE_DAY - 3 * 365)
    when = start + np.floor(rng.random(birth.size) * (dates.REFERENCE_DAY - start + 1))
    return np.where(dies, when.astype(np.int64), dates.NO_DATE)


def _ethnic_styles(
    rng: np.random.Generator, county: IntArray
) -> tuple[IntArray, list[str]]:
    """Naming style and ethnicity label of each household, by its county."""
    code = geography.counties().codes[county]
    style = np.full(county.size, names.HAN, dtype=np.int64)
    label = np.full(county.size, "汉族", dtype=object)
    draw = rng.random(county.size)
    claimed = np.zeros(county.size, dtype=bool)
    # Prefectures (four digits) first, so that they override their province's mix.
    for region, mix in sorted(names.ETHNIC_MIX.items(), reverse=True):
        digits = 2 if region < 100 else 4
        inside = (code // 10 ** (6 - digits) == region) & ~claimed
        claimed |= inside
        low = 0.0
        for ethnicity, kind, share in mix:
            hit = inside & (draw >= low) & (draw < low + share)
            style[hit], label[hit] = kind, ethnicity
            low += share
    return style, [str(value) for value in label.tolist()]


@dataclass(frozen=True)
class _Places:
    """Per-person counties: household registration, residence, and ID issue."""

    hukou: IntArray
    residence: IntArray
    origin: IntArray


def _mainland_places(
    rng: np.random.Generator, members: households.Households, home: IntArray
) -> _Places:
    """Where each mainland person is registered, lives, and got their number."""
    household, count = members.household, len(members)
    hukou = home[household]
    moved_from = geography.sample_destinations(rng, home, within_province=0.6)
    moved = (rng.random(home.size) < MOVED_HOUSEHOLD_SHARE)[household] & (
        members.age >= 10
    )
    origin = np.where(moved, moved_from[household], hukou)
    married = np.flatnonzero(
        members.married_in & (rng.random(count) < MARRIED_FROM_ELSEWHERE)
    )
    origin[married] = geography.sample_destinations(
        rng, hukou[married], within_province=0.65
    )

    migrant_household = (rng.random(home.size) < MIGRANT_HOUSEHOLD_SHARE)[household]
    destination = geography.sample_destinations(rng, home, within_province=0.4)
    residence = np.where(migrant_household, destination[household], hukou)
    working = (members.age >= 18) & (members.age <= 50) & ~migrant_household
    workers = np.flatnonzero(working & (rng.random(count) < MIGRANT_WORKER_SHARE))
    residence[workers] = geography.sample_destinations(rng, hukou[workers])
    return _Places(hukou=hukou, residence=residence, origin=origin)


def _addresses(
    rng: np.random.Generator, household: IntArray, places: _Places
) -> tuple[list[str], list[str]]:
    """Registered and current addresses; a household shares its registered one."""
    heads = np.flatnonzero(np.r_[True, household[1:] != household[:-1]])
    county = places.hukou[heads]
    home_text = [
        region + local
        for region, local in zip(
            geography.county_names(county),
            geography.local_addresses(rng, county),
            strict=True,
        )
    ]
    registered = [home_text[h] for h in household.tolist()]
    current = list(registered)
    within = (rng.random(heads.size) < 0.08)[household]
    moved = np.flatnonzero((places.residence != places.hukou) | within)
    # One new address per household and county, so a family that moved shares it.
    keys = household[moved] * (len(geography.counties()) + 1) + places.residence[moved]
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    county = places.residence[moved][first]
    fresh = [
        region + local
        for region, local in zip(
            geography.county_names(county),
            geography.local_addresses(rng, county),
            strict=True,
        )
    ]
    for row, slot in zip(moved.tolist(), inverse.tolist(), strict=True):
        current[row] = fresh[slot]
    return registered, current


def _phones(
    rng: np.random.Generator, age: IntArray, household: IntArray, county: IntArray
) -> list[str]:
    """Contact phones: own mobiles, else a shared household mobile or landline."""
    share = np.select(
        [age < 10, age < 16, age <= 70, age <= 80], [0.0, 0.4, 0.97, 0.7], default=0.4
    )
    owns = rng.random(age.size) < share
    own = geography.mobiles(rng, age.size)
    first_owner = np.full(int(household.max()) + 1, -1, dtype=np.int64)
    owners = np.flatnonzero(owns)[::-1]
    first_owner[household[owners]] = owners  # reversed, so the first owner wins
    shared = [own[i] if i >= 0 else "" for i in first_owner[household].tolist()]
    landline_households = rng.random(first_owner.size) < 0.06
    fixed = np.flatnonzero(landline_households[household])
    for row, line in zip(
        fixed.tolist(), geography.landlines(rng, county[fixed]), strict=True
    ):
        shared[row] = line
    uses_shared = ~owns | (rng.random(age.size) < 0.1)
    return [
        s if use else o
        for s, o, use in zip(shared, own, uses_shared.tolist(), strict=True)
    ]


def _mainland_names(
    rng: np.random.Generator,
    members: households.Households,
    birth: IntArray,
    style: IntArray,
) -> names.Names:
    """Han names with inherited surnames; minority names where households use them."""
    table = tables.surnames().values
    surname = [
        table[i] for i in names.surname_indices(rng, members.surname_from).tolist()
    ]
    year = dates.split(birth)[0]
    given = names.given_for(rng, members.male, year)
    full = [s + g for s, g in zip(surname, given, strict=True)]
    for row, text in names.minority_given(
        rng, style, members.male, members.father
    ).items():
        surname[row], given[row], full[row] = "", text, text
    return names.Names(surname, given, full, ["" for _ in full])


def _foreign_residents(
    rng: np.random.Generator, male: BoolArray
) -> tuple[names.Names, list[str], IntArray]:
    """Foreign residents' names, alpha-3 nationality and numeric country code."""
    found = names.foreign_names(rng, male)
    alpha: list[str] = []
    numeric: list[int] = []
    picks = rng.random(male.size).tolist()
    for style, pick in zip(found.styles, picks, strict=True):
        options = COUNTRIES[style]
        code = options[int(pick * len(options))]
        alpha.append(code[0])
        numeric.append(code[1])
    return found.names, alpha, np.asarray(numeric, dtype=np.int64)


def _mainland_block(seed: int, count: int) -> Population:
    """Everyone who lives in a registered household."""
    members = households.compose_households(random.Random(f"households-{seed}"), count)
    rng = _stage_rng(seed, 1)
    n_households = int(members.household.max()) + 1
    home = geography.sample_home_counties(rng, n_households)
    style, label = _ethnic_styles(rng, home)
    places = _mainland_places(rng, members, home)
    birth = _birth_days(rng, members.age, members.twin_of)
    found = _mainland_names(rng, members, birth, style[members.household])
    registered, current = _addresses(rng, members.household, places)
    adults = (members.age >= 18) & (style[members.household] == names.HAN)
    former = names.former_names(
        rng, found.surname, members.male, dates.split(birth)[0], adults
    )
    codes = geography.counties().codes[home] // 100
    household_ids = [f"{c:04d}{h:08d}" for h, c in enumerate(codes.tolist(), start=1)]
    return Population(
        origin=np.zeros(count, dtype=np.int64),
        household=members.household,
        household_id=[household_ids[h] for h in members.household.tolist()],
        relation=members.relation,
        male=members.male,
        birth=birth,
        mother=members.mother,
        father=members.father,
        twin_of=members.twin_of,
        style=style[members.household],
        ethnicity=[label[h] for h in members.household.tolist()],
        surname=found.surname,
        given=found.given,
        name=found.name,
        alias=found.alias,
        former_name=former,
        hukou_county=places.hukou,
        residence_county=places.residence,
        issue_county=places.origin,
        hukou_address=registered,
        residence_address=current,
        phone=_phones(rng, members.age, members.household, places.residence),
        registered=rng.random(count) >= UNREGISTERED_SHARE,
        country=np.zeros(count, dtype=np.int64),
        nationality=["" for _ in range(count)],
    )


def _special_names(
    rng: np.random.Generator, origin: IntArray, male: BoolArray
) -> tuple[names.Names, list[str], IntArray]:
    """Names, nationality and country codes of permit holders and foreigners.

    ``origin`` must be grouped by kind in the order Hong Kong, Macao, Taiwan, foreign.
    """
    found = names.Names([], [], [], [])
    nationality = ["" for _ in range(origin.size)]
    country = np.zeros(origin.size, dtype=np.int64)
    for kind in (HONG_KONG, MACAO, TAIWAN, FOREIGN):
        rows = np.flatnonzero(origin == kind)
        if kind == FOREIGN:
            block, alpha, numeric = _foreign_residents(rng, male[rows])
            country[rows] = numeric
            for row, code in zip(rows.tolist(), alpha, strict=True):
                nationality[row] = code
        else:
            scheme = "wade_giles" if kind == TAIWAN else "cantonese"
            block = names.permit_names(rng, scheme, male[rows])
        for column in ("surname", "given", "name", "alias"):
            getattr(found, column).extend(getattr(block, column))
    return found, nationality, country


def _special_block(
    seed: int, counts: dict[int, int], first_household: int
) -> Population:
    """Residence-permit holders and foreign residents, each on their own."""
    rng = _stage_rng(seed, 2)
    kinds = (HONG_KONG, MACAO, TAIWAN, FOREIGN)
    origin = np.repeat(np.array(kinds, dtype=np.int64), [counts[k] for k in kinds])
    count = origin.size
    male = rng.random(count) < 0.55
    birth = _birth_days(rng, rng.integers(18, 76, count), np.full(count, -1))
    found, nationality, country = _special_names(rng, origin, male)
    start = geography.sample_home_counties(rng, count)
    residence = geography.sample_destinations(rng, start, within_province=0.0)
    address = [
        region + local
        for region, local in zip(
            geography.county_names(residence),
            geography.local_addresses(rng, residence),
            strict=True,
        )
    ]
    none = np.full(count, -1, dtype=np.int64)
    blank = ["" for _ in range(count)]
    return Population(
        origin=origin,
        household=first_household + np.arange(count, dtype=np.int64),
        household_id=blank,
        relation=none,
        male=male,
        birth=birth,
        mother=none,
        father=none,
        twin_of=none,
        style=np.zeros(count, dtype=np.int64),
        ethnicity=blank,
        surname=found.surname,
        given=found.given,
        name=found.name,
        alias=found.alias,
        former_name=blank,
        hukou_county=none,
        residence_county=residence,
        issue_county=none,
        hukou_address=blank,
        residence_address=address,
        phone=geography.mobiles(rng, count),
        registered=np.zeros(count, dtype=bool),
        country=country,
        nationality=nationality,
    )


def _concat(first: Population, second: Population) -> Population:
    """One population of two blocks; the second's person references are shifted."""
    offset = len(first)
    joined: dict[str, Any] = {}
    for item in fields(Population):
        a, b = getattr(first, item.name), getattr(second, item.name)
        if item.name in ("mother", "father", "twin_of"):
            b = np.where(b >= 0, b + offset, -1)
        joined[item.name] = a + b if isinstance(a, list) else np.concatenate([a, b])
    return Population(**joined)


def _old_permits(
    rng: np.random.Generator, people: Population, province: IntArray
) -> list[str]:
    """2017-form foreigners' numbers (3 letters + 12 digits) for some holders."""
    year, month, day = dates.split(people.birth)
    holders = np.flatnonzero(
        (people.origin == FOREIGN) & (rng.random(len(people)) < 0.4)
    )
    serial = rng.integers(0, 100, holders.size).tolist()
    old = ["" for _ in range(len(people))]
    for row, number in zip(holders.tolist(), serial, strict=True):
        old[row] = (
            f"{people.nationality[row]}{province[row]:02d}10"
            f"{year[row] % 100:02d}{month[row]:02d}{day[row]:02d}{number:02d}"
        )
    return old


def _identity_numbers(
    rng: np.random.Generator, people: Population
) -> tuple[list[str], IntArray, list[str]]:
    """Unique 18-character numbers, the region each carries, and old foreign forms."""
    year, month, day = dates.split(people.birth)
    mainland = np.flatnonzero(people.origin == MAINLAND)
    region = np.zeros(len(people), dtype=np.int64)
    issue_year = np.maximum(year[mainland], 1985)  # the first cards were issued in 1985
    region[mainland] = geography.issuing_codes(
        rng, people.issue_county[mainland], issue_year
    )
    twins = np.flatnonzero(people.twin_of >= 0)
    region[twins] = region[people.twin_of[twins]]
    for kind, code in PERMIT_REGION.items():
        region[people.origin == kind] = code
    province = geography.counties().provinces[people.residence_county]
    foreign_head = 9 * 10**5 + province * 1000 + people.country
    head = np.where(people.origin == FOREIGN, foreign_head, region)
    prefix = head * 10**8 + year * 10000 + month * 100 + day
    sequence = idnumbers.make_unique(rng, prefix, people.male, people.twin_of)
    numbers = idnumbers.format_numbers(prefix * 1000 + sequence)
    return numbers, region, _old_permits(rng, people, province)


def group_sizes(persons: int) -> dict[int, int]:
    """How many people of each origin a population of ``persons`` holds."""
    sizes = {kind: round(persons * share) for kind, share in PERMIT_SHARES.items()}
    sizes[MAINLAND] = persons - sum(sizes.values())
    return sizes


def build_population(persons: int, seed: int = 0) -> Population:
    """Create the people, their households, identity numbers and deaths.

    Args:
        persons: how many people (at least 1).
        seed: the seed; the same seed gives the same population.

    Returns:
        The population, mainland households first, then permit holders and foreigners.

    Raises:
        SynthError: when ``persons`` is below 1.
    """
    if persons < 1:
        raise SynthError(f"a population needs at least one person, not {persons}")
    sizes = group_sizes(persons)
    mainland = _mainland_block(seed, sizes[MAINLAND])
    special = _special_block(seed, sizes, int(mainland.household.max()) + 1)
    people = _concat(mainland, special)
    rng = _stage_rng(seed, 3)
    numbers, region, old = _identity_numbers(rng, people)
    width = max(7, len(str(persons)))
    people = replace(
        people,
        keys=[f"P{index:0{width}d}" for index in range(persons)],
        death=_death_days(rng, people.birth),
        id_number=numbers,
        old_permit=old,
        id_region=region,
    )
    logger.info(
        "population: %s people in %s households, %s died",
        f"{persons:,}",
        f"{int(mainland.household.max()) + 1:,}",
        f"{int(people.dead.sum()):,}",
    )
    return people
