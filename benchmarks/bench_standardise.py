"""Time and peak memory to load and standardise the registries of N synthetic persons.

    python benchmarks/bench_standardise.py --persons 1000000

Generates the registries (not timed), then loads every source into a fresh store and
standardises it, as ``yidang link`` does before scoring. Standardisation runs once per
distinct value; the figures show how many distinct values each field had.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from results import machine, write_section

from evaluation.synth import generate
from linkage.load import load_project as load_sources
from linkage.prepare import standardise_store
from linkage.project import load_project
from linkage.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yidang-bench-std-") as folder:
        work = Path(folder)
        summary = generate(work / "data", persons=args.persons, seed=args.seed)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        project = load_project(summary.project_path)
        with Store(work / "store.duckdb") as store:
            started = time.perf_counter()
            loaded = load_sources(project, store)
            load_seconds = time.perf_counter() - started
            started = time.perf_counter()
            prepared = standardise_store(store)
            standardise_seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    records = sum(item.records for item in loaded)
    rejected = sum(item.rejected for item in loaded)
    table = "\n".join(
        [
            "| persons | records | rejected | load s | standardise s | distinct "
            "names | distinct IDs | flags | peak GiB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {args.persons:,} | {records:,} | {rejected:,} | {load_seconds:.1f} "
            f"| {standardise_seconds:.1f} | {prepared.distinct_names:,} "
            f"| {prepared.distinct_ids:,} | {prepared.flags:,} | {peak:.2f} |",
        ]
    )
    print(table)
    write_section(
        "standardise",
        "## Load and standardise (`benchmarks/bench_standardise.py`)\n\n"
        f"Registries of {args.persons:,} synthetic persons (seed {args.seed}), read "
        f"into a fresh store and standardised; measured on {machine()}. Peak memory "
        f"is the whole process, generator included (it peaked at {before:.2f} GiB "
        "before loading began).\n\n" + table,
    )


if __name__ == "__main__":
    main()
