"""The command line: clear errors and exit codes, never a traceback, for bad input."""

from __future__ import annotations

import json
from pathlib import Path

from linkage.cli import main


def test_missing_project_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code = main(["link", str(tmp_path / "nope.toml")])

    assert code == 2
    err = capsys.readouterr().err
    assert "nope.toml" in err and "file not found" in err
    assert "Traceback" not in err


def test_project_problems_are_listed_together(write_project, capsys) -> None:
    path = write_project(
        "编号,姓名\n1,张伟\n", fields={"record_id": "编号", "name": "名字", "sxe": "x"}
    )

    code = main(["link", str(path)])

    err = capsys.readouterr().err
    assert code == 2
    assert "unknown field 'sxe'" in err
    assert "2 problems" in err


def test_evaluate_prints_the_headline_json(tmp_path: Path, capsys) -> None:
    truth = tmp_path / "truth.csv"
    clusters = tmp_path / "clusters.csv"
    truth.write_text(
        "source,record_id,person_key\na,1,p\na,2,p\na,3,q\n", encoding="utf-8"
    )
    clusters.write_text(
        "source,record_id,person_id,match_probability\na,1,X,1\na,2,X,1\na,3,X,1\n",
        encoding="utf-8",
    )

    code = main(
        ["evaluate", "--truth", str(truth), "--clusters", str(clusters), "--json"]
    )

    figures = json.loads(capsys.readouterr().out)
    assert code == 0
    assert figures["pairwise_precision"] == 1 / 3
    assert figures["pairwise_recall"] == 1.0
    assert figures["records"] == 3 and figures["missing_records"] == 0


def test_synth_writes_a_project_that_links_unchanged(tmp_path: Path, capsys) -> None:
    assert (
        main(["synth", "--persons", "200", "--out", str(tmp_path), "--seed", "4"]) == 0
    )
    assert main(["link", str(tmp_path / "project.toml")]) == 0

    printed = capsys.readouterr().out
    assert "clusters.csv" in printed
    assert (tmp_path / "clusters.csv").is_file()
