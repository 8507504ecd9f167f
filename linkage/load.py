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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from linkage.project import Project, SourceSettings
from linkage.sources import Extract, Reject, Row, open_extract
from linkage.store import RECORD_FIELDS, Store

logger = logging.getLogger(__name__)

_CHUNK = 100_000

Progress = Callable[[str, int, int], None]
"""Called with ("load", sources loaded, sources in all) after each source."""


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
    """Load every source of a project into the store, replacing earlier loads.

    Sources the store holds from an earlier run but the project no longer names are
    removed, so that the store describes this project's extracts and nothing else.
    """
    summaries = []
    for done, source in enumerate(project.sources, start=1):
        summaries.append(load_source(source, store))
        if progress is not None:
            progress("load", done, len(project.sources))
    _drop_other_sources(store, [source.name for source in project.sources])
    return summaries


def _drop_other_sources(store: Store, names: list[str]) -> None:
    placeholders = ", ".join("?" for _ in names)
    with store.transaction() as con:
        for table in ("yd_records", "yd_rejects", "yd_files"):
            con.execute(
                f"DELETE FROM {table} WHERE source NOT IN ({placeholders})", names
            )


def load_source(source: SourceSettings, store: Store) -> LoadSummary:
    """Read one extract into ``yd_records`` and ``yd_rejects``.

    Raises:
        SourceError: When the file as a whole cannot be read; nothing is replaced then.
    """
    started = time.perf_counter()
    extract = open_extract(source)
    with store.transaction() as con:
        con.execute("DELETE FROM yd_records WHERE source = ?", [source.name])
        con.execute("DELETE FROM yd_rejects WHERE source = ?", [source.name])
        counts = _copy_rows(extract, con)
        seconds = time.perf_counter() - started
        con.execute("DELETE FROM yd_files WHERE source = ?", [source.name])
        con.execute(
            "INSERT INTO yd_files (source, kind, path, sha256, encoding, rows_read, "
            "records, rejected, trust, loaded_at, seconds, id_scheme) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                source.id_scheme,
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


def _copy_rows(extract: Extract, con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
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
    return records, rejected


def _batches(extract: Extract) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """Group rows into Arrow tables of canonical fields, and the rejects met."""
    if extract.table is not None:
        yield from _table_batches(extract, extract.table)
        return
    layout = _Layout(extract)
    seen: dict[str, int] = {}
    kept: list[Row] = []
    rejects: list[Reject] = []
    for item in extract.rows:
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            reject = _check_identity(item, layout.id_position, seen, extract.source)
            if reject is not None:
                rejects.append(reject)
            else:
                kept.append(item)
        if len(kept) >= _CHUNK:
            yield layout.to_arrow(kept), rejects
            kept, rejects = [], []
    yield layout.to_arrow(kept), rejects


def _table_batches(
    extract: Extract, table: pa.Table
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """The fast path: rows already parsed into an Arrow table of text columns."""
    layout = _Layout(extract)
    rejects = [item for item in extract.rows if isinstance(item, Reject)]
    numbers = table["row_number"].to_pylist()
    header = extract.header
    keep: list[bool] = []
    seen: dict[str, int] = {}
    for index, value in enumerate(table[layout.id_position].to_pylist()):
        row = Row(numbers[index], [value])
        reject = _check_identity(row, 0, seen, extract.source)
        if reject is not None:
            values = [str(table[name][index].as_py()) for name in header]
            rejects.append(replace(reject, raw=",".join(values)))
        keep.append(reject is None)
    kept = table.filter(pa.array(keep, pa.bool_()))
    for start in range(0, max(kept.num_rows, 1), _CHUNK):
        batch = layout.from_table(kept.slice(start, _CHUNK))
        yield batch, rejects if start == 0 else []


class _Layout:
    """Where each canonical field sits in a file's rows, and how to tabulate them."""

    def __init__(self, extract: Extract) -> None:
        positions = {name: i for i, name in enumerate(extract.header)}
        fields = extract.source.fields
        self.source = extract.source.name
        self.width = len(extract.header)
        self.mapped = {field: positions[column] for field, column in fields.items()}
        self.id_position = self.mapped["record_id"]
        used = set(self.mapped.values())
        self.extra = [(name, i) for name, i in positions.items() if i not in used]

    def to_arrow(self, rows: list[Row]) -> pa.Table:
        """Parsed rows as a ``yd_records`` batch, by way of a text table."""
        columns = list(zip(*(row.values for row in rows), strict=True)) or [
            () for _ in range(self.width)
        ]
        table = pa.table(
            {
                **{f"c{i}": pa.array(c, pa.string()) for i, c in enumerate(columns)},
                "row_number": pa.array([row.number for row in rows], pa.int64()),
            }
        )
        return self.from_table(table)

    def from_table(self, table: pa.Table) -> pa.Table:
        """A text table (file columns in order, then ``row_number``) as a batch.

        Text columns become canonical fields, empty cells nulls, and unmapped columns
        one JSON object per row.
        """
        count = table.num_rows
        arrays: dict[str, pa.Array] = {
            "source": pa.array([self.source] * count, pa.string()),
            "record_id": pc.utf8_trim_whitespace(table[self.id_position]),
            "row_number": table["row_number"],
        }
        for field in RECORD_FIELDS:
            position = self.mapped.get(field)
            arrays[field] = (
                _nullify_empty(table[position])
                if position is not None
                else pa.nulls(count, pa.string())
            )
        extra = {i: table[i].to_pylist() for _, i in self.extra}
        arrays["extra"] = pa.array(self._extras(extra, count), pa.string())
        return pa.table(arrays)

    def _extras(
        self, columns: Mapping[int, Sequence[str]], count: int
    ) -> list[str | None]:
        """Unmapped columns as one JSON object per row, kept as raw attributes."""
        if not self.extra:
            return [None] * count
        extras: list[str | None] = []
        for values in zip(*(columns[i] for _, i in self.extra), strict=True):
            pairs = zip(self.extra, values, strict=True)
            kept = {name: value for (name, _), value in pairs if value != ""}
            extras.append(json.dumps(kept, ensure_ascii=False) if kept else None)
        return extras


def _nullify_empty(array: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _check_identity(
    row: Row, id_position: int, seen: dict[str, int], source: SourceSettings
) -> Reject | None:
    record_id = row.values[id_position].strip()
    if record_id and record_id not in seen:
        seen[record_id] = row.number
        return None
    column = source.fields["record_id"]
    reason = (
        f"record id already used in row {seen[record_id]}"
        if record_id
        else "no record id"
    )
    raw = ",".join(row.values)
    return Reject(source.name, str(source.path), row.number, column, reason, raw)
