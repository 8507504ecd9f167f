"""The store: one DuckDB file that holds everything between the stages of a run.

Every table yidang writes carries the ``yd_`` prefix, so that a run can be inspected
with plain SQL, resumed and compared with the last one. Review decisions live here too
and survive every rerun.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from linkage.schema import PERSON_FIELDS

logger = logging.getLogger(__name__)

RECORD_FIELDS: tuple[str, ...] = tuple(f for f in PERSON_FIELDS if f != "record_id")

_SCHEMA: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS yd_files (
        source VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        encoding VARCHAR NOT NULL,
        rows_read BIGINT NOT NULL,
        records BIGINT NOT NULL,
        rejected BIGINT NOT NULL,
        trust INTEGER NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        seconds DOUBLE NOT NULL,
        id_scheme VARCHAR NOT NULL DEFAULT 'resident'
    )
    """,
    # Stores written before the column existed.
    """
    ALTER TABLE yd_files ADD COLUMN IF NOT EXISTS id_scheme VARCHAR DEFAULT 'resident'
    """,
    f"""
    CREATE TABLE IF NOT EXISTS yd_records (
        source VARCHAR NOT NULL,
        record_id VARCHAR NOT NULL,
        row_number BIGINT NOT NULL,
        {", ".join(f"{name} VARCHAR" for name in RECORD_FIELDS)},
        extra VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS yd_rejects (
        source VARCHAR NOT NULL,
        file VARCHAR NOT NULL,
        row_number BIGINT NOT NULL,
        field VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        raw VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS yd_review_decisions (
        left_source VARCHAR NOT NULL,
        left_record_id VARCHAR NOT NULL,
        right_source VARCHAR NOT NULL,
        right_record_id VARCHAR NOT NULL,
        decision VARCHAR NOT NULL,
        reviewer VARCHAR NOT NULL,
        note VARCHAR,
        decided_at TIMESTAMP NOT NULL
    )
    """,
)


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """How many rows a table or view of the store holds.

    ``table`` is one of yidang's own table names, never a user value.
    """
    # fetchall finishes the result, which then cannot block the connection.
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(rows[0][0]) if rows else 0


class Store:
    """A DuckDB store file, opened for one run or one notebook session."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path), read_only=read_only)
        if not read_only:
            for statement in _SCHEMA:
                self.con.execute(statement)

    def close(self) -> None:
        """Close the connection; the file stays."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str) -> duckdb.DuckDBPyRelation:
        """A relation over the store for notebooks (``.df()``, ``.show()``).

        It runs on a cursor of its own, so an unfinished result elsewhere on the
        store's connection cannot block it.
        """
        return self.con.cursor().sql(sql)

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        """The single value a query returns."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """All rows a query returns, as tuples."""
        return self.con.execute(sql, params or []).fetchall()

    def table_exists(self, name: str) -> bool:
        """Whether a table or view of that name exists in the main schema."""
        count = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [name],
        )
        return bool(count)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run statements atomically: all of them land, or none."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
