"""The person model's ID-number levels on hand-made pairs, and the shipped model's.

A number the record's own birth date or sex contradicts (an infant enrolled under
the mother's number, two people sharing one) is someone else's: it is no evidence
against a record with another number, nor for another record borrowing the same one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from linkage.comparisons import id_number
from linkage.model import load_model

MOTHER = "110105198503070027"
CHILD = "110105202405010015"
OTHER = "310115197204190016"


def _level_of(left: tuple[str, bool], right: tuple[str, bool]) -> str:
    """The label of the first level of the ID comparison that a pair meets."""
    levels = id_number()["comparison_levels"]
    cases = " ".join(
        f"WHEN {level['sql_condition']} THEN '{level['label_for_charts']}'"
        for level in levels
        if level["sql_condition"] != "ELSE"
    )
    columns = {
        "id_key": "VARCHAR",
        "id_evidence": "VARCHAR",
        "id_conflict": "BOOLEAN",
        "id_class": "VARCHAR",
        "id_cleaned": "VARCHAR",
        "id_masked": "VARCHAR",
        "id_repair_candidates": "VARCHAR[]",
    }
    values = []
    for side, (key, conflict) in (("l", left), ("r", right)):
        row = {
            "id_key": repr(key),
            "id_evidence": repr(key),
            "id_conflict": str(conflict).upper(),
            "id_class": "'valid'",
            "id_cleaned": repr(key),
            "id_masked": "NULL",
            "id_repair_candidates": "NULL",
        }
        values += [f"CAST({row[c]} AS {t}) AS {c}_{side}" for c, t in columns.items()]
    select = (
        f"SELECT CASE {cases} ELSE 'all other' END FROM (SELECT {', '.join(values)})"
    )
    with duckdb.connect() as con:
        row = con.execute(select).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize(
    ("left", "right", "label"),
    [
        # The infant's own hukou number against its record under the mother's number.
        ((CHILD, False), (MOTHER, True), "null"),
        # Twins both enrolled under the mother's number.
        ((MOTHER, True), (MOTHER, True), "null"),
        # The mother's own record against her child's under her number.
        ((MOTHER, False), (MOTHER, True), "same ID, contradicted by own birth/sex"),
        ((MOTHER, False), (MOTHER, False), "same ID, consistent"),
        ((MOTHER, False), (OTHER, False), "both valid, different"),
    ],
)
def test_a_borrowed_number_is_no_evidence_either_way(
    left: tuple[str, bool], right: tuple[str, bool], label: str
) -> None:
    assert _level_of(left, right) == label
    assert _level_of(right, left) == label


def test_the_shipped_model_compares_id_numbers_with_the_same_levels() -> None:
    settings, _ = load_model(Path(__file__).parents[1] / "models" / "person.json")
    shipped = next(
        c for c in settings["comparisons"] if c["output_column_name"] == "id_number"
    )
    conditions = [level["sql_condition"] for level in shipped["comparison_levels"]]

    assert conditions == [
        level["sql_condition"] for level in id_number()["comparison_levels"]
    ]
