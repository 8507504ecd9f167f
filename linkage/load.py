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
    layout = _Layout(extract)
    records = rejected = 0
    for batch, rejects in _batches(extract, layout):
        if batch.num_rows:
            con.register("yd_load_batch", layout.with_record_fields(batch))
            con.execute(layout.insert_sql, [layout.source])
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


def _batches(
    extract: Extract, layout: _Layout
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """Group rows into text tables (see :meth:`_Layout.text_table`), and the rejects."""
    if extract.table is not None:
        # Batches of the size the line parser makes: the store writes them faster
        # than one large insert, whose row groups it rewrites when checkpointing.
        table, met = _table_batch(extract, layout, extract.table)
        for start in range(0, max(table.num_rows, 1), _CHUNK):
            yield table.slice(start, _CHUNK), met if start == 0 else []
        return
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
            yield layout.text_table(kept), rejects
            kept, rejects = [], []
    yield layout.text_table(kept), rejects


def _table_batch(
    extract: Extract, layout: _Layout, table: pa.Table
) -> tuple[pa.Table, list[Reject]]:
    """The fast path: rows already parsed into an Arrow table of text columns.

    The record ids are checked all at once; only when some are missing or repeated
    is each row looked at, in file order, as the line parser would.
    """
    rejects = [item for item in extract.rows if isinstance(item, Reject)]
    table = table.rename_columns([*layout.names, "row_number"])
    if _plain_and_unique(table[layout.id_position]):
        return table, rejects
    ids = [value.strip() for value in table[layout.id_position].to_pylist()]
    numbers = table["row_number"].to_pylist()
    # Built from the end, each id keeps the row number of its first appearance.
    first = dict(zip(reversed(ids), reversed(numbers), strict=True))
    if len(first) == len(ids) and "" not in first:
        return table, rejects
    keep: list[bool] = []
    seen: dict[str, int] = {}
    for index, number in enumerate(numbers):
        reject = _check_identity(Row(number, [ids[index]]), 0, seen, extract.source)
        if reject is not None:
            values = [str(table[name][index].as_py()) for name in layout.names]
            rejects.append(replace(reject, raw=",".join(values)))
        keep.append(reject is None)
    return table.filter(pa.array(keep, pa.bool_())), rejects


_PLAIN_ID = r"(?s)^[!-~](.*[!-~])?$"
"""Ids that begin and end with a visible ASCII character: nothing for ``str.strip``
or Arrow's trim to take off, and never empty."""


def _plain_and_unique(ids: pa.ChunkedArray) -> bool:
    """Whether no record id needs trimming, is missing or repeats, found in C."""
    if not pc.all(pc.match_substring_regex(ids, _PLAIN_ID)).as_py():
        return False
    return bool(pc.count_distinct(ids).as_py() == len(ids))


class _Layout:
    """Where each canonical field sits in a file's rows, and how to insert them."""

    def __init__(self, extract: Extract) -> None:
        positions = {name: i for i, name in enumerate(extract.header)}
        fields = extract.source.fields
        self.source = extract.source.name
        self.names = [f"c{i}" for i in range(len(extract.header))]
        self.mapped = {field: positions[column] for field, column in fields.items()}
        self.id_position = self.mapped["record_id"]
        used = set(self.mapped.values())
        self.extra = [(name, i) for name, i in positions.items() if i not in used]
        self.insert_sql = self._insert_sql()

    def _insert_sql(self) -> str:
        """The INSERT that maps a text table's columns onto ``yd_records``.

        Column names are the positional ``c0``, ``c1``... and the store's own field
        names, never a file's header, so the statement holds no user value. Empty
        cells become nulls.
        """
        fields = [field for field in RECORD_FIELDS if field in self.mapped]
        targets = ["source", "record_id", "row_number", *fields, "extra"]
        values = [
            "?",
            "record_id",
            "row_number",
            *(f"NULLIF(c{self.mapped[field]}, '')" for field in fields),
            "extra",
        ]
        return (
            f"INSERT INTO yd_records ({', '.join(targets)}) "
            f"SELECT {', '.join(values)} FROM yd_load_batch"
        )

    def text_table(self, rows: list[Row]) -> pa.Table:
        """Parsed rows as a text table: ``c0``, ``c1``... in file order, row_number."""
        columns = list(zip(*(row.values for row in rows), strict=True)) or [
            () for _ in self.names
        ]
        return pa.table(
            {
                **{
                    name: pa.array(column, pa.string())
                    for name, column in zip(self.names, columns, strict=True)
                },
                "row_number": pa.array([row.number for row in rows], pa.int64()),
            }
        )

    def with_record_fields(self, table: pa.Table) -> pa.Table:
        """A text table with the trimmed ``record_id`` and the ``extra`` JSON added.

        Unmapped columns become one JSON object per row, kept as raw attributes.
        """
        extra = {i: table[i].to_pylist() for _, i in self.extra}
        return table.append_column(
            "record_id", pc.utf8_trim_whitespace(table[self.id_position])
        ).append_column(
            "extra", pa.array(self._extras(extra, table.num_rows), pa.string())
        )

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
