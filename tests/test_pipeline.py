"""The batch run end to end on a small synthetic project."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from evaluation.metrics import evaluate, read_assignment
from evaluation.synth import generate
from linkage.cli import main
from linkage.errors import ProjectError
from linkage.pipeline import RunResult, run_project
from linkage.store import Store

PERSONS = 600


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    return generate(folder, persons=PERSONS, seed=77).project_path


@pytest.fixture(scope="module")
def first_run(synthetic: Path) -> RunResult:
    return run_project(synthetic)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_record_is_clustered_or_rejected_exactly_once(
    synthetic: Path, first_run: RunResult
) -> None:
    truth = read_assignment(synthetic.parent / "truth.csv", "person_key")
    clustered = _rows(first_run.outputs["clusters.csv"])
    rejected = _rows(first_run.outputs["rejects.csv"])

    keys = [(row["source"], row["record_id"]) for row in clustered]
    assert len(keys) == len(set(keys))
    assert len(clustered) + len(rejected) == first_run.records_in == len(truth)
    assert set(keys) <= set(truth)


def test_links_the_synthetic_registries_accurately(
    synthetic: Path, first_run: RunResult
) -> None:
    metrics = evaluate(
        read_assignment(first_run.outputs["clusters.csv"], "person_id"),
        read_assignment(synthetic.parent / "truth.csv", "person_key"),
    )

    assert metrics.pairwise_precision > 0.98
    assert metrics.pairwise_recall > 0.97


def test_outputs_have_the_documented_columns(first_run: RunResult) -> None:
    def header(name: str) -> list[str]:
        with first_run.outputs[name].open(encoding="utf-8") as handle:
            return next(csv.reader(handle))

    assert header("clusters.csv") == [
        "source",
        "record_id",
        "person_id",
        "match_probability",
    ]
    assert header("rejects.csv") == ["source", "file", "row", "field", "reason", "raw"]
    assert {"person_id", "name", "name_source", "id_number", "flags"} <= set(
        header("golden.csv")
    )
    assert {"item_id", "priority", "reason", "match_probability"} <= set(
        header("review_queue.csv")
    )
    page = first_run.outputs["report.html"].read_text(encoding="utf-8")
    assert "<svg" in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_golden_records_one_per_person(first_run: RunResult) -> None:
    golden = _rows(first_run.outputs["golden.csv"])
    clusters = _rows(first_run.outputs["clusters.csv"])

    assert (
        len(golden) == len({row["person_id"] for row in clusters}) == first_run.persons
    )
    sizes = sum(int(row["cluster_size"]) for row in golden)
    assert sizes == len(clusters)


def test_rerun_gives_the_same_person_ids(
    synthetic: Path, first_run: RunResult, tmp_path: Path
) -> None:
    again = run_project(synthetic, out_dir=tmp_path)

    first = (first_run.outputs["clusters.csv"]).read_bytes()
    assert (again.outputs["clusters.csv"]).read_bytes() == first


def test_a_failed_run_leaves_the_last_good_outputs(
    synthetic: Path, first_run: RunResult, tmp_path: Path
) -> None:
    project = tmp_path / "project.toml"
    shutil.copytree(synthetic.parent, tmp_path / "data")
    text = (tmp_path / "data" / "project.toml").read_text(encoding="utf-8")
    good = run_project(tmp_path / "data" / "project.toml", out_dir=tmp_path / "out")
    before = good.outputs["clusters.csv"].read_bytes()
    project.write_text(text.replace('path = "', 'path = "missing-'), encoding="utf-8")

    with pytest.raises(ProjectError):
        run_project(project, out_dir=tmp_path / "out")

    assert (tmp_path / "out" / "clusters.csv").read_bytes() == before


def test_review_decisions_are_honoured_on_rerun(
    synthetic: Path, first_run: RunResult, tmp_path: Path
) -> None:
    clusters = _rows(first_run.outputs["clusters.csv"])
    by_person: dict[str, list[dict[str, str]]] = {}
    for row in clusters:
        by_person.setdefault(row["person_id"], []).append(row)
    linked = next(rows for rows in by_person.values() if len(rows) == 2)
    lone = [rows[0] for rows in by_person.values() if len(rows) == 1][:2]
    decisions = [
        (linked[0], linked[1], "not_match"),
        (lone[0], lone[1], "match"),
    ]
    with Store(first_run.project.run.store) as store:
        for left, right, decision in decisions:
            store.con.execute(
                "INSERT INTO yd_review_decisions VALUES (?, ?, ?, ?, ?, 'test', '', ?)",
                [
                    left["source"],
                    left["record_id"],
                    right["source"],
                    right["record_id"],
                    decision,
                    dt.datetime(2026, 12, 1),
                ],
            )

    rerun = run_project(synthetic, out_dir=tmp_path)

    persons = {
        (row["source"], row["record_id"]): row["person_id"]
        for row in _rows(rerun.outputs["clusters.csv"])
    }

    def key(row: dict[str, str]) -> tuple[str, str]:
        return row["source"], row["record_id"]

    assert persons[key(linked[0])] != persons[key(linked[1])]
    assert persons[key(lone[0])] == persons[key(lone[1])]
    with Store(first_run.project.run.store) as store:
        store.con.execute("DELETE FROM yd_review_decisions")


def test_broken_rows_are_rejected_and_accounted_for(
    synthetic: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(synthetic.parent, data)
    pension = data / "pension.csv"
    raw = pension.read_bytes()
    lines = raw.split(b"\n")
    lines.insert(3, b'broken,"unclosed')
    pension.write_bytes(b"\n".join(lines))

    result = run_project(data / "project.toml", out_dir=tmp_path / "out")

    rejected = _rows(result.outputs["rejects.csv"])
    assert any(
        row["source"] == "pension" and row["reason"] == "broken quote"
        for row in rejected
    )
    clustered = _rows(result.outputs["clusters.csv"])
    assert len(clustered) + len(rejected) == result.records_in


def test_demo_runs_end_to_end(tmp_path: Path, capsys) -> None:
    code = main(["demo", "--persons", "300", "--out", str(tmp_path)])

    assert code == 0
    printed = capsys.readouterr().out
    assert "clusters.csv" in printed
    assert (tmp_path / "outputs" / "golden.csv").is_file()
