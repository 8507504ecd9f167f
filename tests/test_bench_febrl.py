"""The FEBRL benchmark's helpers on a few inline records: truth, project file, clusters.

The benchmark itself (``benchmarks/bench_febrl.py``) is run by hand; these tests pin
the pieces its figures rest on without running any linkage.
"""

from __future__ import annotations

import csv
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_febrl
import febrl_peers

from linkage.project import load_project


def _table(rows: dict[str, list[str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=bench_febrl.COLUMNS)
    return frame.rename_axis("rec_id")


@pytest.fixture
def febrl4_sample() -> dict[str, pd.DataFrame]:
    """Two originals and the duplicate of one, FEBRL4-style."""
    a = _table(
        {
            "rec-7-org": ["mia", "smith", "12", "kent street", None, "towradgi",
                          "2518", "nsw", "19840503", "1232838"],
            "rec-42-org": ["li", "wang, jr", "3", 'the "mews"', "unit 2", "eaton",
                           "7310", "vic", None, "8317467"],
        }
    )  # fmt: skip
    b = _table(
        {
            "rec-7-dup-0": ["mia", "smtih", "12", "kent st", None, "towradgi",
                            "2518", "nsw", "19840530", "1232838"],
        }
    )  # fmt: skip
    return {"febrl4a": a, "febrl4b": b}


def test_person_is_the_number_after_rec() -> None:
    assert bench_febrl.person_of("rec-1-org") == "1"
    assert bench_febrl.person_of("rec-1496-dup-3") == "1496"


@pytest.mark.parametrize("bad", ["rec-x-org", "1-org", "rec-1-copy", "rec-1-dup-"])
def test_malformed_record_id_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a FEBRL record id"):
        bench_febrl.person_of(bad)


def test_truth_pairs_only_records_of_one_person_across_sources(
    febrl4_sample: dict[str, pd.DataFrame],
) -> None:
    truth = bench_febrl.truth_of(febrl4_sample)

    assert truth == {
        ("febrl4a", "rec-7-org"): "7",
        ("febrl4a", "rec-42-org"): "42",
        ("febrl4b", "rec-7-dup-0"): "7",
    }


def test_project_file_maps_febrl_columns_with_another_id_scheme(
    tmp_path: Path, febrl4_sample: dict[str, pd.DataFrame]
) -> None:
    path = bench_febrl.write_project(febrl4_sample, tmp_path / "febrl4")

    document = tomllib.loads(path.read_text(encoding="utf-8"))
    assert document["run"]["store"] == "yidang.duckdb"
    assert "thresholds" not in document
    assert [s["name"] for s in document["sources"]] == ["febrl4a", "febrl4b"]
    for source in document["sources"]:
        assert source["kind"] == "other"
        assert source["id_scheme"] == "other"
        assert source["trust"] == 1
        assert source["fields"] == bench_febrl.FIELDS


def test_project_csv_keeps_text_blanks_and_quotes(
    tmp_path: Path, febrl4_sample: dict[str, pd.DataFrame]
) -> None:
    bench_febrl.write_project(febrl4_sample, tmp_path)

    with (tmp_path / "febrl4a.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["rec_id", *bench_febrl.COLUMNS]
    assert rows[0]["address_2"] == ""
    assert rows[1]["surname"] == "wang, jr"
    assert rows[1]["address_1"] == 'the "mews"'
    assert rows[1]["date_of_birth"] == ""


def test_project_file_is_accepted_by_the_loader(
    tmp_path: Path, febrl4_sample: dict[str, pd.DataFrame]
) -> None:
    project = load_project(bench_febrl.write_project(febrl4_sample, tmp_path))

    assert [s.id_scheme for s in project.sources] == ["other", "other"]
    assert project.thresholds.match == 0.95
    assert project.run.model is None
    assert [c.field for c in project.comparisons] == [
        "postcode",
        "suburb",
        "address_2",
        "street_number",
        "state",
    ]
    assert project.source("febrl4a").extra_fields["suburb"] == "suburb"
    assert [b.on for b in project.blocking] == list(bench_febrl.BLOCKING)


def test_links_become_connected_components_named_by_smallest_record() -> None:
    keys = [("a", "r1"), ("a", "r2"), ("b", "r3"), ("b", "r4"), ("b", "r5")]
    links = [(("b", "r4"), ("a", "r2"), 0.9), (("b", "r4"), ("b", "r5"), 0.6)]

    table = febrl_peers.clusters_from_links(keys, links)

    rows = {(r.source, r.record_id): r for r in table.itertuples(index=False)}
    assert rows[("a", "r1")].person_id == "a/r1"
    assert rows[("a", "r1")].match_probability == 1.0
    assert {rows[k].person_id for k in [("a", "r2"), ("b", "r4"), ("b", "r5")]} == {
        "a/r2"
    }
    assert rows[("b", "r4")].match_probability == 0.9
    assert rows[("b", "r5")].match_probability == 0.6
    assert rows[("b", "r3")].person_id == "b/r3"


def test_error_pairs_names_missed_and_wrong_pairs() -> None:
    truth = {("s", "1"): "p", ("s", "2"): "p", ("s", "3"): "q", ("s", "4"): "q"}
    predicted = {("s", "1"): "x", ("s", "2"): "z", ("s", "3"): "z", ("s", "4"): "z"}

    missed, wrong = bench_febrl.error_pairs(predicted, truth)

    assert missed == [(("s", "1"), ("s", "2"))]
    assert wrong == [(("s", "2"), ("s", "3")), (("s", "2"), ("s", "4"))]
