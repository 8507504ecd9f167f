"""Time ``yidang synth`` and measure its peak memory; print one Markdown table row.

Usage::

    python benchmarks/bench_synth.py --persons 1000000 [--seed 0] [--out DIR] [--header]

Wall time covers the whole :func:`evaluation.synth.generate` call; peak memory is the
process's maximum resident set size (``resource.getrusage``), so run one size per
process. Without ``--out`` the files go to a temporary folder, removed afterwards.
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from results import machine, write_section

from evaluation.synth import SynthSummary, generate

HEADER = (
    "| persons | records | errors | seconds | peak RSS (GiB) | output (MiB) "
    "| largest file (MiB) | python |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---|"
)


def _peak_gib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    scale = 1024**3 if sys.platform == "darwin" else 1024**2
    return peak / scale


def _sizes_mib(out_dir: Path) -> tuple[float, float]:
    sizes = [path.stat().st_size for path in out_dir.iterdir() if path.is_file()]
    return sum(sizes) / 1024**2, max(sizes) / 1024**2


def _row(summary: SynthSummary, seconds: float) -> str:
    total, largest = _sizes_mib(summary.out_dir)
    return (
        f"| {summary.persons:,} | {sum(summary.records.values()):,} "
        f"| {sum(summary.errors.values()):,} | {seconds:.1f} | {_peak_gib():.2f} "
        f"| {total:,.0f} | {largest:,.0f} | {platform.python_version()} |"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--header", action="store_true", help="print the table header")
    parser.add_argument(
        "--write", action="store_true", help="write the row to benchmarks/RESULTS.md"
    )
    args = parser.parse_args(argv)

    out_dir = args.out or Path(tempfile.mkdtemp(prefix="bench_synth_"))
    try:
        started = time.perf_counter()
        summary = generate(out_dir, persons=args.persons, seed=args.seed)
        seconds = time.perf_counter() - started
        row = _row(summary, seconds)
        if args.header:
            print(HEADER)
        print(row)
        if args.write:
            write_section(
                "synth",
                "## Synthetic registries (`benchmarks/bench_synth.py`)\n\n"
                f"`yidang synth`, seed {args.seed}, measured on {machine()}.\n\n"
                f"{HEADER}\n{row}",
            )
    finally:
        if args.out is None:
            shutil.rmtree(out_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
