"""Loading a project's registry extracts into the store, row by row, losing none.

Each data row either becomes a record in ``yd_records`` or a reject in ``yd_rejects``
(a broken line, no record id, a record id already used in the same source), so that
rows read = records + rejects for every file, and ``yd_files`` says so.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from linkage.project import Project, SourceSettings
from linkage.sources import Extract, Reject, Row, open_extract
from linkage.store import RECORD_FIELDS, Store

logger = logging.getLogger(__name__)

_CHUNK = 100_000

Progress = Callable[[str, int], None]
"""Called with a source name and the number of rows read so far."""


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What loading one source did."""

    source: str
    encoding: str
    rows_read: int
    records: int
    rejected: int
    seconds: float


def load_project(
    project: Project, store: Store, *, progress: Progress | None = None
) -> list[LoadSummary]:
    """Load every source of a project into the store, replacing earlier loads."""
    return [load_source(source, store, progress=progress) for source in project.sources]


def load_source(
    source: SourceSettings, store: Store, *, progress: Progress | None = None
) -> LoadSummary:
    """Read one extract into ``yd_records`` and ``yd_rejects``.

    Raises:
        SourceError: When the file as a whole cannot be read; nothing is replaced then.
    """
    started = time.perf_counter()
    extract = open_extract(source)
    with store.transaction() as con:
        con.execute("DELETE FROM yd_records WHERE source = ?", [source.name])
        con.execute("DELETE FROM yd_rejects WHERE source = ?", [source.name])
        counts = _copy_rows(extract, con, progress)
        seconds = time.perf_counter() - started
        con.execute("DELETE FROM yd_files WHERE source = ?", [source.name])
        con.execute(
            "INSERT INTO yd_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                source.name,
                source.kind.value,
                str(source.path),
                extract.sha256,
                extract.encoding,
                counts[0] + counts[1],
                counts[0],
                counts[1],
                source.trust,
                dt.datetime.now(),
                seconds,
            ],
        )
    summary = LoadSummary(
        source.name, extract.encoding, sum(counts), counts[0], counts[1], seconds
    )
    logger.info(
        "loaded %s: %s rows, %s records, %s rejected (%s) in %.1f s",
        source.name,
        f"{summary.rows_read:,}",
        f"{summary.records:,}",
        f"{summary.rejected:,}",
        summary.encoding,
        seconds,
    )
    return summary


def _copy_rows(
    extract: Extract, con: duckdb.DuckDBPyConnection, progress: Progress | None
) -> tuple[int, int]:
    records = rejected = 0
    for batch, rejects in _batches(extract):
        if batch.num_rows:
            con.register("yd_load_batch", batch)
            con.execute("INSERT INTO yd_records SELECT * FROM yd_load_batch")
            con.unregister("yd_load_batch")
        if rejects:
            con.executemany(
                "INSERT INTO yd_rejects VALUES (?, ?, ?, ?, ?, ?)",
                [
                    [r.source, r.file, r.row, r.field, r.reason, r.raw[:2000]]
                    for r in rejects
                ],
            )
        records += batch.num_rows
        rejected += len(rejects)
        if progress is not None:
            progress(extract.source.name, records + rejected)
    return records, rejected


def _batches(extract: Extract) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """Group rows into Arrow tables of canonical fields, and the rejects met."""
    source = extract.source
    positions = {name: i for i, name in enumerate(extract.header)}
    mapped = {field: positions[column] for field, column in source.fields.items()}
    id_position = mapped["record_id"]
    extra_columns = [
        (name, i) for name, i in positions.items() if i not in set(mapped.values())
    ]
    seen: dict[str, int] = {}
    columns: dict[str, list[Any]] = _empty_columns()
    rejects: list[Reject] = []
    for item in extract.rows:
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            reject = _check_identity(item, id_position, seen, source, extract)
            if reject is not None:
                rejects.append(reject)
            else:
                _append(columns, item, mapped, extra_columns, source.name)
        if len(columns["record_id"]) >= _CHUNK:
            yield _to_arrow(columns), rejects
            columns, rejects = _empty_columns(), []
    yield _to_arrow(columns), rejects


def _check_identity(
    row: Row,
    id_position: int,
    seen: dict[str, int],
    source: SourceSettings,
    extract: Extract,
) -> Reject | None:
    record_id = row.values[id_position].strip()
    column = source.fields["record_id"]
    raw = ",".join(row.values)
    if not record_id:
        return Reject(
            source.name, str(source.path), row.number, column, "no record id", raw
        )
    first = seen.get(record_id)
    if first is not None:
        reason = f"record id already used in row {first}"
        return Reject(source.name, str(source.path), row.number, column, reason, raw)
    seen[record_id] = row.number
    return None


def _empty_columns() -> dict[str, list[Any]]:
    names = ("source", "record_id", "row_number", *RECORD_FIELDS, "extra")
    return {name: [] for name in names}


def _append(
    columns: dict[str, list[Any]],
    row: Row,
    mapped: dict[str, int],
    extra_columns: list[tuple[str, int]],
    source_name: str,
) -> None:
    values = row.values
    columns["source"].append(source_name)
    columns["record_id"].append(values[mapped["record_id"]].strip())
    columns["row_number"].append(row.number)
    for field in RECORD_FIELDS:
        position = mapped.get(field)
        value = values[position] if position is not None else ""
        columns[field].append(value if value != "" else None)
    extra = {name: values[i] for name, i in extra_columns if values[i] != ""}
    columns["extra"].append(json.dumps(extra, ensure_ascii=False) if extra else None)


def _to_arrow(columns: dict[str, list[Any]]) -> pa.Table:
    return pa.table(
        {
            name: pa.array(
                values, type=pa.int64() if name == "row_number" else pa.string()
            )
            for name, values in columns.items()
        }
    )
