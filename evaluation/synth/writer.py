"""Write the extracts, the truth and error side files, and the project file.

CSV files are written with Python's csv module, a fixed line ending per file and a fixed
encoding per registry, in chunks so that a progress bar can follow a long file.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TextIO

from evaluation.synth.render import Rendered
from evaluation.synth.specs import RegistrySpec

Progress = Callable[[str, int, int], None]

CHUNK_ROWS = 100_000
TRUTH_HEADER = ("source", "record_id", "person_key")
ERRORS_HEADER = ("source", "record_id", "field", "error")
RATES_HEADER = ("source", "field", "error", "rate", "eligible", "injected", "measured")


def write_extract(path: Path, rendered: Rendered, progress: Progress) -> None:
    """Write one registry's CSV in its own encoding and line ending.

    Args:
        path: the file to write.
        rendered: the extract's text.
        progress: called with (source name, rows written, rows in all).
    """
    spec = rendered.spec
    columns = rendered.rows()
    total = len(rendered.record_id)
    with path.open("w", encoding=spec.encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator=spec.newline)
        writer.writerow([column.header for column in spec.columns])
        progress(spec.name, 0, total)
        for start in range(0, total, CHUNK_ROWS):
            end = min(total, start + CHUNK_ROWS)
            writer.writerows(
                zip(*(column[start:end] for column in columns), strict=True)
            )
            progress(spec.name, end, total)


class SideTable:
    """A UTF-8 side file (truth, errors, rates) appended to registry by registry."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self._handle: TextIO = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._writer.writerow(header)

    def write(self, rows: Iterable[Sequence[str]]) -> None:
        """Append rows."""
        self._writer.writerows(rows)

    def close(self) -> None:
        """Flush and close the file."""
        self._handle.close()

    def __enter__(self) -> SideTable:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def truth_rows(rendered: Rendered) -> Iterable[tuple[str, str, str]]:
    """(source, record_id, person_key) for every record of an extract."""
    name = rendered.spec.name
    return (
        (name, r, k)
        for r, k in zip(rendered.record_id, rendered.person_key, strict=True)
    )


def error_rows(rendered: Rendered) -> Iterable[tuple[str, str, str, str]]:
    """(source, record_id, field, error) for every error put into an extract."""
    name = rendered.spec.name
    return ((name, *error) for error in rendered.errors)


def rate_rows(rendered: Rendered) -> Iterable[tuple[str, ...]]:
    """Per field and error type: configured rate, eligible, injected, measured."""
    for row in rendered.rates:
        measured = f"{row.injected / row.eligible:.4f}" if row.eligible else ""
        yield (
            rendered.spec.name,
            row.field,
            row.error,
            repr(row.rate),
            str(row.eligible),
            str(row.injected),
            measured,
        )


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def project_text(name: str, specs: Sequence[RegistrySpec]) -> str:
    """The project file (see DESIGN.md) for the written extracts."""
    lines = [
        "# Synthetic registries written by yidang synth; truth.csv is not a source.",
        "[run]",
        f"name = {_toml_string(name)}",
        'store = "yidang.duckdb"',
        'backend = "duckdb"',
        "",
        "[thresholds]",
        "match = 0.95",
        "review = 0.50",
    ]
    for spec in specs:
        lines += [
            "",
            "[[sources]]",
            f"name = {_toml_string(spec.name)}",
            f"kind = {_toml_string(spec.kind)}",
            f"path = {_toml_string(spec.file)}",
            f"encoding = {_toml_string(spec.declared)}",
            f"trust = {spec.trust}",
            "[sources.fields]",
            *(
                f"{column.field} = {_toml_string(column.header)}"
                for column in spec.columns
                if column.canonical
            ),
        ]
    return "\n".join(lines) + "\n"
