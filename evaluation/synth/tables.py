"""Read the name, confusion and place tables shipped in ``evaluation/data``.

The tables are plain CSV or JSON files written for this generator (see the comment at
the top of each file for where its figures come from). Every reader is cached and
returns immutable values, so the generator can call them freely.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

RARE_CHARACTERS: dict[str, str] = {
    "堃": "M",
    "喆": "M",
    "赟": "M",
    "燊": "M",
    "犇": "M",
    "翀": "M",
    "镕": "M",
    "䶮": "M",
    "玥": "F",
    "珺": "F",
    "旻": "F",
}
"""Name characters outside GB2312 that legacy systems cannot store, with the sex that
usually carries them."""


@dataclass(frozen=True)
class WeightedList:
    """Values with probabilities that sum to one."""

    values: tuple[str, ...]
    probabilities: FloatArray

    def __len__(self) -> int:
        return len(self.values)


def _read_text(name: str) -> str:
    return resources.files("evaluation").joinpath(f"data/{name}").read_text("utf-8")


def _read_rows(name: str) -> list[dict[str, str]]:
    lines = [line for line in _read_text(name).splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def _weighted(values: list[str], weights: list[float]) -> WeightedList:
    array = np.asarray(weights, dtype=np.float64)
    return WeightedList(tuple(values), array / array.sum())


def _rank_weighted(values: list[str]) -> WeightedList:
    # Popularity lists are ordered most popular first; a Zipf-like decay of rank.
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(values))]
    return _weighted(values, weights)


@cache
def surnames() -> WeightedList:
    """Single and compound surnames weighted by their approximate share."""
    rows = _read_rows("surnames.csv")
    return _weighted([r["surname"] for r in rows], [float(r["percent"]) for r in rows])


@cache
def compound_surnames() -> frozenset[str]:
    """Surnames of two characters (欧阳, 司马, ...)."""
    return frozenset(name for name in surnames().values if len(name) > 1)


@cache
def given_names() -> dict[tuple[int, str, str], WeightedList]:
    """Given names and name characters keyed by (era, sex, kind).

    ``kind`` is ``"name"`` for whole given names and ``"char"`` for composing
    characters; ``sex`` is ``"M"`` or ``"F"``; ``era`` is the first year of a decade.
    """
    table: dict[tuple[int, str, str], WeightedList] = {}
    for row in _read_rows("given_names.csv"):
        key = (int(row["era"]), row["sex"], row["kind"])
        table[key] = _rank_weighted(row["values"].split())
    return table


@cache
def minority_names() -> dict[tuple[str, str, str], tuple[str, ...]]:
    """Minority-tradition name parts keyed by (style, sex, part)."""
    return {
        (row["style"], row["sex"], row["part"]): tuple(row["values"].split())
        for row in _read_rows("minority_names.csv")
    }


@cache
def confusions(kind: str) -> dict[str, tuple[str, ...]]:
    """For ``homophone`` or ``shape``: each character's confusable characters."""
    table: dict[str, list[str]] = {}
    for row in _read_rows("confusions.csv"):
        if row["kind"] != kind:
            continue
        for char in row["chars"]:
            others = [c for c in row["chars"] if c != char]
            table.setdefault(char, []).extend(c for c in others if c not in table[char])
    return {char: tuple(others) for char, others in sorted(table.items())}


@cache
def traditional() -> dict[str, str]:
    """Simplified character to the traditional form older systems print."""
    return {
        row["chars"][0]: row["chars"][1]
        for row in _read_rows("confusions.csv")
        if row["kind"] == "traditional"
    }


@cache
def romanised(scheme: str) -> dict[str, dict[str, str]]:
    """Romanisation tables of a scheme keyed by part, then by the Han form."""
    table: dict[str, dict[str, str]] = {}
    for row in _read_rows("romanised.csv"):
        if row["scheme"] == scheme:
            table.setdefault(row["part"], {})[row["han"]] = row["latin"]
    return table


@cache
def places() -> dict[str, tuple[str, ...]]:
    """Address pieces, nicknames and other free-text vocabularies by list name."""
    data = json.loads(_read_text("places.json"))
    return {key: tuple(value) for key, value in data.items() if not key.startswith("_")}
