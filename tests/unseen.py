"""What the tests of extracts written unlike the synthetic registries share.

Each such test makes its own persons and files; this module writes the project file
that names them and runs yidang once over them, with the shipped model, keeping what
the assertions read: the outputs, the store's quality flags and the scores against
the test's own truth.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from evaluation.metrics import LinkageMetrics, evaluate, read_assignment
from linkage.pipeline import RunResult, run_project

MODEL = Path(__file__).resolve().parents[1] / "models" / "person.json"

Truth = dict[tuple[str, str], str]
"""The person key of every record, by (source, record id)."""

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_character(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an ID number's first 17 digits.

    Worked out here rather than taken from yidang, so that the tests' numbers do not
    lean on the code they test.
    """
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


@dataclass(frozen=True)
class SourceEntry:
    """One ``[[sources]]`` table of a project file."""

    name: str
    kind: str
    path: str
    fields: Mapping[str, str]
    settings: Sequence[str] = ()
    """Further ``key = value`` lines, already written as TOML."""


def project_file(name: str, sources: Sequence[SourceEntry]) -> str:
    """A project file linking ``sources`` with the shipped model, trusted in order."""
    parts = [
        "[run]",
        f'name = "{name}"',
        'store = "store/yidang.duckdb"',
        f"model = {str(MODEL)!r}",
        "",
    ]
    for trust, source in enumerate(sources, start=1):
        parts += [
            "[[sources]]",
            f'name = "{source.name}"',
            f'kind = "{source.kind}"',
            f'path = "{source.path}"',
            f"trust = {trust}",
            *source.settings,
            "[sources.fields]",
            *(f'{field} = "{column}"' for field, column in source.fields.items()),
            "",
        ]
    return "\n".join(parts)


@dataclass(frozen=True)
class Measured:
    """One run over a test's extracts, and how it scored against their truth."""

    run: RunResult
    truth: Truth
    predicted: dict[tuple[str, str], str]
    clusters: list[dict[str, str]]
    rejects: list[dict[str, str]]
    flags: dict[str, int]
    """Records per quality-flag code."""
    metrics: LinkageMetrics

    @property
    def store(self) -> Path:
        return self.run.project.run.store


def measure(project: Path, truth: Truth) -> Measured:
    """Link ``project`` and score its clusters against ``truth``."""
    run = run_project(project)
    predicted = read_assignment(run.outputs["clusters.csv"], "person_id")
    with duckdb.connect(str(run.project.run.store), read_only=True) as con:
        flags = con.execute("SELECT code, count(*) FROM yd_flags GROUP BY code")
        counts = dict(flags.fetchall())
    return Measured(
        run=run,
        truth=truth,
        predicted=predicted,
        clusters=csv_rows(run.outputs["clusters.csv"]),
        rejects=csv_rows(run.outputs["rejects.csv"]),
        flags=counts,
        metrics=evaluate(predicted, truth),
    )


def csv_rows(path: Path) -> list[dict[str, str]]:
    """A UTF-8 CSV output as one dict per row."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
