"""Tests of what ``yidang evaluate`` and ``yidang audit`` do, on tiny files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from evaluation import commands
from evaluation.audit import SAMPLE_COLUMNS, read_sample
from evaluation.commands import (
    EvaluationInputError,
    read_scored_pairs,
    run_audit_estimate,
    run_audit_sample,
    run_evaluate,
)
from evaluation.metrics import evaluate
from linkage.errors import YidangError

TRUTH = """source,record_id,person_key
hukou,1,A
pension,1,A
medical,1,A
hukou,2,B
pension,2,B
hukou,10,E
"""

CLUSTERS = """source,record_id,person_id,match_probability
hukou,1,P1,0.99
pension,1,P1,0.99
medical,1,P2,1.0
hukou,2,P1,0.97
pension,2,P3,1.0
tax,9,P9,1.0
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return _write(tmp_path, "truth.csv", TRUTH), _write(
        tmp_path, "clusters.csv", CLUSTERS
    )


def test_public_names_are_pinned() -> None:
    assert sorted(commands.__all__) == [
        "EvaluationInputError",
        "read_scored_pairs",
        "run_audit_estimate",
        "run_audit_sample",
        "run_evaluate",
    ]


def test_evaluate_json_is_the_headline_object(files: tuple[Path, Path]) -> None:
    truth, clusters = files

    text, metrics = run_evaluate(truth, clusters, as_json=True)

    figures = json.loads(text)
    assert list(figures) == [
        "pairwise_precision",
        "pairwise_recall",
        "pairwise_f1",
        "bcubed_precision",
        "bcubed_recall",
        "bcubed_f1",
        "records",
        "missing_records",
    ]
    # P1 = {h1, p1, h2}: 3 predicted pairs, 1 correct; A and B give 4 true pairs.
    assert figures["pairwise_precision"] == pytest.approx(1 / 3)
    assert figures["pairwise_recall"] == pytest.approx(1 / 4)
    assert (figures["records"], figures["missing_records"]) == (5, 2)
    assert figures == metrics.headline()


def test_evaluate_text_names_errors_and_missing_records(
    files: tuple[Path, Path],
) -> None:
    truth, clusters = files

    text, metrics = run_evaluate(truth, clusters)

    assert metrics == evaluate(
        {("hukou", "1"): "P1", ("pension", "1"): "P1", ("medical", "1"): "P2",
         ("hukou", "2"): "P1", ("pension", "2"): "P3", ("tax", "9"): "P9"},
        {("hukou", "1"): "A", ("pension", "1"): "A", ("medical", "1"): "A",
         ("hukou", "2"): "B", ("pension", "2"): "B", ("hukou", "10"): "E"},
    )  # fmt: skip
    assert "pairwise  precision 0.3333  recall 0.2500" in text
    assert "wrong merges: 1 cluster holding 1 person too many" in text
    assert "wrong splits: 2 persons spread over 2 clusters too many" in text
    assert "1 record in the truth but not in the clusters (hukou/10)" in text
    assert "1 record in the clusters but not in the truth (tax/9)" in text
    assert "hukou & pension" in text


def test_evaluate_writes_the_report_it_is_asked_for(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    truth, clusters = files
    report = tmp_path / "evaluation.html"

    run_evaluate(truth, clusters, report=report, lang="en")

    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") or "<html" in page
    assert "<svg" in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"truth\.csv: the file is empty"),
        ("source,record_id,person_key\n", "header but no rows"),
        (
            "source,record_id,person\nhukou,1,A\n",
            r"truth\.csv, column 'person_key': missing column\(s\) person_key",
        ),
        (
            "source,record_id,person_key\nhukou,1,A\nhukou,,B\n",
            r"truth\.csv, row 3, column 'record_id': the value is blank",
        ),
        (
            "source,record_id,person_key\nhukou,1,A\npension,1,A\nhukou,1,B\n",
            r"row 4: record hukou/1 appears again \(first on row 2\)",
        ),
    ],
)
def test_bad_truth_files_are_refused_by_name(
    tmp_path: Path, files: tuple[Path, Path], text: str, message: str
) -> None:
    truth = _write(tmp_path, "truth.csv", text)

    with pytest.raises(EvaluationInputError, match=message):
        run_evaluate(truth, files[1])


def test_missing_and_non_utf8_files_are_refused(
    tmp_path: Path, files: tuple[Path, Path]
) -> None:
    gb = tmp_path / "gb.csv"
    gb.write_bytes("source,record_id,person_key\n户籍,1,甲\n".encode("gb18030"))

    with pytest.raises(EvaluationInputError, match=r"nowhere\.csv: no such file"):
        run_evaluate(tmp_path / "nowhere.csv", files[1])
    with pytest.raises(EvaluationInputError, match=r"gb\.csv: the file is not UTF-8"):
        run_evaluate(gb, files[1])


# The audit commands, over a tiny store.


def _store(path: Path) -> Path:
    """Six records, two persons of three records each, and their scored pairs."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE yd_link_input"
        " (unique_id BIGINT, source VARCHAR, record_id VARCHAR)"
    )
    con.execute(
        "INSERT INTO yd_link_input VALUES (1, 'hukou', 'h1'), (2, 'pension', 'p1'),"
        " (3, 'medical', 'm1'), (4, 'hukou', 'h2'), (5, 'pension', 'p2'),"
        " (6, 'medical', 'm2')"
    )
    con.execute("CREATE TABLE yd_clusters (unique_id BIGINT, person_id VARCHAR)")
    con.execute(
        "INSERT INTO yd_clusters VALUES (1, 'P1'), (2, 'P1'), (3, 'P1'),"
        " (4, 'P2'), (5, 'P2'), (6, 'P3')"
    )
    con.execute(
        "CREATE TABLE yd_pairs (unique_id_l BIGINT, unique_id_r BIGINT,"
        " match_weight DOUBLE, match_probability DOUBLE, evidence VARCHAR)"
    )
    con.execute(
        "INSERT INTO yd_pairs VALUES (1, 2, 9.0, 0.999, 'model'),"
        " (1, 3, 3.0, 0.9, 'model'), (2, 3, NULL, 0.97, 'family'),"
        " (3, 2, 5.0, 0.96, 'model'), (4, 5, 7.0, 0.995, 'model'),"
        " (5, 6, 1.0, 0.7, 'model')"
    )
    con.close()
    return path


def test_scored_pairs_are_read_once_each_with_their_link(tmp_path: Path) -> None:
    pairs = read_scored_pairs(_store(tmp_path / "store.duckdb"))

    got = [
        (p.left_record_id, p.right_record_id, p.match_probability, p.linked)
        for p in pairs
    ]
    assert got == [
        ("h1", "p1", 0.999, True),
        ("h1", "m1", 0.9, True),
        ("p1", "m1", 0.97, True),  # scored twice: the higher probability stands
        ("h2", "p2", 0.995, True),
        ("p2", "m2", 0.7, False),
    ]


def test_audit_sample_writes_a_file_to_label(tmp_path: Path) -> None:
    store = _store(tmp_path / "store.duckdb")
    out = tmp_path / "sample.csv"

    text = run_audit_sample(store, out, margin=0.05, seed=1)

    rows = read_sample(out)
    assert len(rows) == 5  # every stratum is smaller than the minimum: taken whole
    assert all(row.label == "" for row in rows)
    assert {(r.stratum.name, r.population) for r in rows} == {
        ("link/0.99-1/hukou|pension", 2),
        ("link/0.95-0.99/medical|pension", 1),
        ("link/0.8-0.95/hukou|medical", 1),
        ("non-link/0.5-0.8/medical|pension", 1),
    }
    assert text.startswith("wrote 5 of 5 scored pairs in 4 strata")
    assert not (tmp_path / "sample.csv.part").exists()


def test_audit_sample_never_overwrites_labels(tmp_path: Path) -> None:
    store = _store(tmp_path / "store.duckdb")
    out = tmp_path / "sample.csv"
    run_audit_sample(store, out, margin=0.05, seed=1)
    run_audit_sample(store, out, margin=0.05, seed=2)  # unlabelled: fine to replace
    _label(out, ["match"] * 5)

    with pytest.raises(EvaluationInputError, match="holds 5 labels"):
        run_audit_sample(store, out, margin=0.05, seed=3)


def test_audit_sample_needs_a_finished_store(tmp_path: Path) -> None:
    incomplete = tmp_path / "incomplete.duckdb"
    duckdb.connect(str(incomplete)).close()

    with pytest.raises(EvaluationInputError, match="no such store"):
        run_audit_sample(tmp_path / "none.duckdb", tmp_path / "s.csv", margin=0.05)
    with pytest.raises(EvaluationInputError, match="has no yd_pairs table"):
        run_audit_sample(incomplete, tmp_path / "s.csv", margin=0.05)
    with pytest.raises(YidangError, match="--margin"):
        run_audit_sample(incomplete, tmp_path / "s.csv", margin=5)


def test_audit_estimate_reports_precision_and_recall(tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    run_audit_sample(_store(tmp_path / "store.duckdb"), out, margin=0.05, seed=1)
    _label(out, ["match", "match", "match", "not_match", "unsure"])

    text = run_audit_estimate(out)

    assert "labelled 4 pairs; left out 1 unsure and 0 not yet labelled" in text
    assert "precision of links: " in text
    assert "recall among scored pairs: " in text
    assert "(wilson intervals)" in text
    assert "(clopper-pearson intervals)" in run_audit_estimate(out, exact=True)


def test_audit_estimate_refuses_unknown_labels_and_unlabelled_files(
    tmp_path: Path,
) -> None:
    out = tmp_path / "sample.csv"
    run_audit_sample(_store(tmp_path / "store.duckdb"), out, margin=0.05, seed=1)

    with pytest.raises(EvaluationInputError, match="no pair is labelled yet"):
        run_audit_estimate(out)
    _label(out, ["match", "same", "", "", ""])
    with pytest.raises(
        EvaluationInputError, match=r"sample\.csv, row 3, column 'label'.*'same'"
    ):
        run_audit_estimate(out)
    with pytest.raises(EvaluationInputError, match="no such file"):
        run_audit_estimate(tmp_path / "none.csv")


def _label(path: Path, labels: list[str]) -> None:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row, label in zip(rows, labels, strict=True):
        row["label"] = label
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SAMPLE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
