"""Where people live: counties, migration, an ID's region code, addresses, phones.

Counties come from the embedded GB/T 2260 table (``linkage.regions``). Households are
spread over provinces by their 2020 census population and uniformly over a province's
counties; migrants move within their province or to the large cities. An ID keeps the
code in force when it was issued, so an older person's number may carry a code that has
since been abolished.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from evaluation.synth.tables import places
from linkage.regions import Region, all_regions, current_counties, lookup

IntArray = npt.NDArray[np.int64]

PROVINCE_MILLIONS: dict[int, float] = {
    11: 21.9, 12: 13.9, 13: 74.6, 14: 34.9, 15: 24.0, 21: 42.6, 22: 24.1, 23: 31.9,
    31: 24.9, 32: 84.7, 33: 64.6, 34: 61.0, 35: 41.5, 36: 45.2, 37: 101.5, 41: 99.4,
    42: 57.8, 43: 66.4, 44: 126.0, 45: 50.1, 46: 10.1, 50: 32.1, 51: 83.7, 52: 38.6,
    53: 47.2, 54: 3.6, 61: 39.5, 62: 25.0, 63: 5.9, 64: 7.2, 65: 25.9,
}  # fmt: skip
"""Resident population by province in the 2020 census, millions (rounded)."""

CITY_PREFECTURES: tuple[int, ...] = (
    1101, 1201, 3101, 4401, 4403, 3201, 3205, 3301, 3302, 5101, 5001, 4201, 3501,
    3502, 6101, 4101, 4301, 3702, 2102, 4404, 4406,
)  # fmt: skip
"""Prefectures (first four digits) that draw most internal migrants."""

AREA_CODES: dict[int, str] = {
    11: "010", 12: "022", 13: "0311", 14: "0351", 15: "0471", 21: "024", 22: "0431",
    23: "0451", 31: "021", 32: "025", 33: "0571", 34: "0551", 35: "0591", 36: "0791",
    37: "0531", 41: "0371", 42: "027", 43: "0731", 44: "020", 45: "0771", 46: "0898",
    50: "023", 51: "028", 52: "0851", 53: "0871", 54: "0891", 61: "029", 62: "0931",
    63: "0971", 64: "0951", 65: "0991",
}  # fmt: skip
"""Landline area code of each province's capital."""

MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147",
    "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "171",
    "173", "175", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186",
    "187", "188", "189", "191", "198", "199",
)  # fmt: skip
"""Mobile number prefixes in use by the three carriers."""
_CITY_WEIGHT = 25.0
_SUFFIXES = ("自治县", "自治旗", "区", "县", "市", "旗")


@dataclass(frozen=True)
class CountyTable:
    """The counties in force today, as parallel arrays (index = county number)."""

    codes: IntArray
    provinces: IntArray
    prefectures: IntArray
    names: tuple[str, ...]
    short_names: tuple[str, ...]
    urban: npt.NDArray[np.bool_]
    first_years: IntArray

    def __len__(self) -> int:
        return int(self.codes.size)


@cache
def counties() -> CountyTable:
    """The county table, built once from ``linkage.regions``."""
    rows = [region for region in current_counties(2024) if region.code[:2] != "71"]
    codes = np.array([int(region.code) for region in rows], dtype=np.int64)
    return CountyTable(
        codes=codes,
        provinces=codes // 10000,
        prefectures=codes // 100,
        names=tuple(region.full_name for region in rows),
        short_names=tuple(region.county for region in rows),
        urban=np.array([not region.county.endswith(("县", "旗")) for region in rows]),
        first_years=np.array([region.first_year for region in rows], dtype=np.int64),
    )


def _province_weights(table: CountyTable) -> npt.NDArray[np.float64]:
    per_county = np.zeros(len(table))
    for province, millions in PROVINCE_MILLIONS.items():
        members = table.provinces == province
        per_county[members] = millions / max(int(members.sum()), 1)
    weights: npt.NDArray[np.float64] = per_county / per_county.sum()
    return weights


def sample_home_counties(rng: np.random.Generator, count: int) -> IntArray:
    """County numbers for households, by province population."""
    table = counties()
    return rng.choice(len(table), size=count, p=_province_weights(table))


def sample_destinations(
    rng: np.random.Generator, origin: IntArray, within_province: float = 0.4
) -> IntArray:
    """Where migrants from ``origin`` counties live: same province or a large city.

    Args:
        rng: the random generator.
        origin: county numbers the migrants come from.
        within_province: the share who stay in their province.

    Returns:
        County numbers, each different from the origin.
    """
    table = counties()
    weights = np.where(np.isin(table.prefectures, CITY_PREFECTURES), _CITY_WEIGHT, 1.0)
    city = weights * (weights > 1.0)
    destination = rng.choice(len(table), size=origin.size, p=city / city.sum())
    near = rng.random(origin.size) < within_province
    for province in np.unique(table.provinces[origin[near]]).tolist():
        movers = np.flatnonzero(near & (table.provinces[origin] == province))
        members = np.flatnonzero(table.provinces == province)
        local = weights[members] / weights[members].sum()
        destination[movers] = rng.choice(members, size=movers.size, p=local)
    same = destination == origin
    destination[same] = (origin[same] + 1) % len(table)
    return destination


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@cache
def _county_history(province: str) -> tuple[Region, ...]:
    return tuple(
        region
        for region in all_regions()
        if region.level == "county" and region.code[:2] == province
    )


def _codes_in_force(province: str, year: int) -> list[Region]:
    return [r for r in _county_history(province) if r.first_year <= year <= r.last_year]


@cache
def _issuing_candidates(code: str, year: int) -> tuple[str, ...]:
    """Codes that a person of ``code`` could have been given in ``year``."""
    here = lookup(code)
    if here is None:
        return (code,)
    in_force = _codes_in_force(code[:2], year)
    if any(r.code == code for r in in_force):
        return (code,)
    by_name = [r.code for r in in_force if _stem(r.county) == _stem(here.county)]
    if by_name:
        return tuple(by_name)
    by_prefecture = [r.code for r in in_force if r.code[:4] == code[:4]]
    return tuple(by_prefecture) or (code,)


def issuing_codes(
    rng: np.random.Generator, county: IntArray, issue_year: IntArray
) -> IntArray:
    """The region code each ID was issued with: today's code, or the one then in force.

    Args:
        rng: the random generator.
        county: county numbers where each person's household is registered.
        issue_year: the year the number was assigned (birth, or 1985 for older people).

    Returns:
        Six-digit region codes as integers.
    """
    table = counties()
    codes = table.codes[county].copy()
    year = np.clip(issue_year, 1980, 2024)
    stale = np.flatnonzero(year < table.first_years[county])
    picks = rng.random(stale.size)
    for row, pick in zip(stale.tolist(), picks.tolist(), strict=True):
        options = _issuing_candidates(str(codes[row]), int(year[row]))
        codes[row] = int(options[int(pick * len(options))])
    return codes


def _urban_address(rng: np.random.Generator, count: int) -> list[str]:
    vocab = places()
    road = rng.integers(0, len(vocab["roads"]), count)
    suffix = rng.integers(0, len(vocab["road_suffixes"]), count)
    estate = rng.integers(-len(vocab["estates"]), len(vocab["estates"]), count)
    number = rng.integers(1, 400, count)
    building = rng.integers(1, 30, count)
    unit = rng.integers(1, 6, count)
    room = rng.integers(1, 33, count) * 100 + rng.integers(1, 5, count)
    return [
        f"{vocab['roads'][r]}{vocab['road_suffixes'][s]}{n}号"
        + (vocab["estates"][e] if e >= 0 else "")
        + f"{b}栋{u}单元{m}室"
        for r, s, e, n, b, u, m in zip(
            road.tolist(),
            suffix.tolist(),
            estate.tolist(),
            number.tolist(),
            building.tolist(),
            unit.tolist(),
            room.tolist(),
            strict=True,
        )
    ]


def _rural_address(rng: np.random.Generator, count: int) -> list[str]:
    vocab = places()
    town = rng.integers(0, len(vocab["towns"]), count)
    suffix = rng.integers(0, len(vocab["town_suffixes"]), count)
    village = rng.integers(0, len(vocab["villages"]), count)
    group = rng.integers(1, 13, count)
    number = rng.integers(1, 120, count)
    return [
        f"{vocab['towns'][t]}{vocab['town_suffixes'][s]}{vocab['villages'][v]}村"
        f"{g}组{n}号"
        for t, s, v, g, n in zip(
            town.tolist(),
            suffix.tolist(),
            village.tolist(),
            group.tolist(),
            number.tolist(),
            strict=True,
        )
    ]


def local_addresses(rng: np.random.Generator, county: IntArray) -> list[str]:
    """Street or village addresses below the county, fitting each county's kind."""
    table = counties()
    urban = table.urban[county] | (rng.random(county.size) < 0.3)
    result = ["" for _ in range(county.size)]
    for mask, build in ((urban, _urban_address), (~urban, _rural_address)):
        rows = np.flatnonzero(mask)
        for row, text in zip(rows.tolist(), build(rng, rows.size), strict=True):
            result[row] = text
    return result


def county_names(county: IntArray) -> list[str]:
    """Province + prefecture + county names of county numbers."""
    names = counties().names
    return [names[index] for index in county.tolist()]


def county_short_names(county: IntArray) -> list[str]:
    """County names alone, as a county's own lists write them."""
    names = counties().short_names
    return [names[index] for index in county.tolist()]


def mobiles(rng: np.random.Generator, count: int) -> list[str]:
    """Mobile numbers: a real carrier prefix and eight digits."""
    prefix = rng.integers(0, len(MOBILE_PREFIXES), count)
    rest = rng.integers(0, 10**8, count)
    return [
        f"{MOBILE_PREFIXES[p]}{r:08d}"
        for p, r in zip(prefix.tolist(), rest.tolist(), strict=True)
    ]


def landlines(rng: np.random.Generator, county: IntArray) -> list[str]:
    """Landlines with the area code of the county's provincial capital."""
    provinces = counties().provinces[county].tolist()
    rest = rng.integers(2 * 10**7, 9 * 10**7, county.size).tolist()
    return [
        f"{AREA_CODES[p]}-{r if len(AREA_CODES[p]) == 3 else r // 10}"
        for p, r in zip(provinces, rest, strict=True)
    ]


def choose(rng: np.random.Generator, values: Sequence[str], count: int) -> list[str]:
    """``count`` values drawn uniformly with replacement."""
    picks = rng.integers(0, len(values), count).tolist()
    return [values[pick] for pick in picks]
