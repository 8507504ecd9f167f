"""The review app's view of the store: one DuckDB file shared by every request thread.

The server is one process with a pool of request threads. Each thread reads and writes
through a cursor of its own (DuckDB cursors are separate connections to one database),
and every change to leases goes through :attr:`ReviewStore.write_lock`, so that
acquiring an item is atomic. Every write is committed before the request that made it
returns, so nothing a reviewer decided is lost when the server stops.

The app adds its own tables beside the run's and never changes the run's:
``yd_review_users`` (accounts), ``yd_review_leases`` (who holds which item until
when), ``yd_review_audit`` (who opened, revealed, decided what),
``yd_review_adjudications`` (supervisors' rulings), ``yd_review_settings`` (the
cookie signing key) and ``yd_review_item_keys`` (see :mod:`linkage.review.queue`); the
view ``yd_review_reviewer_decisions`` holds the decisions that are not rulings.
Decisions go to the run's ``yd_review_decisions``, which ``yidang link`` reads.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from linkage.errors import ReviewError
from linkage.store import Store

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
"""Returns the current time as a naive UTC datetime (tests pass a fake)."""

REQUIRED_TABLES: tuple[str, ...] = ("yd_review_queue", "yd_records", "yd_link_input")
"""Tables a run must have written before the review app can serve."""

_SCHEMA: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS yd_review_users (
        name VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        password_hash VARCHAR NOT NULL,
        blind BOOLEAN NOT NULL DEFAULT false,
        active BOOLEAN NOT NULL DEFAULT true,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS yd_review_leases (
        item_id VARCHAR NOT NULL,
        reviewer VARCHAR NOT NULL,
        leased_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL,
        revealed BOOLEAN NOT NULL DEFAULT false
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS yd_review_audit (
        logged_at TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        item_id VARCHAR,
        left_source VARCHAR,
        left_record_id VARCHAR,
        right_source VARCHAR,
        right_record_id VARCHAR,
        detail VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS yd_review_adjudications (
        left_source VARCHAR NOT NULL,
        left_record_id VARCHAR NOT NULL,
        right_source VARCHAR NOT NULL,
        right_record_id VARCHAR NOT NULL,
        decision VARCHAR NOT NULL,
        supervisor VARCHAR NOT NULL,
        note VARCHAR,
        decided_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE OR REPLACE VIEW yd_review_reviewer_decisions AS
    SELECT d.*
    FROM yd_review_decisions AS d
    ANTI JOIN yd_review_adjudications AS a
        ON a.left_source = d.left_source
        AND a.left_record_id = d.left_record_id
        AND a.right_source = d.right_source
        AND a.right_record_id = d.right_record_id
        AND a.supervisor = d.reviewer
        AND a.decided_at = d.decided_at
    """,
    """
    CREATE TABLE IF NOT EXISTS yd_review_settings (
        key VARCHAR NOT NULL,
        value VARCHAR NOT NULL
    )
    """,
)


def utc_now() -> dt.datetime:
    """The current time as a naive UTC datetime, as the store keeps times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ReviewStore:
    """The store file opened for the review app, with the review tables created.

    Args:
        path: The DuckDB store a run wrote.
        clock: Source of the current time; defaults to :func:`utc_now`.
    """

    def __init__(self, path: str | Path, *, clock: Clock = utc_now) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ReviewError(
                f"{self.path}: store not found; run 'yidang link' to create it"
            )
        self.clock = clock
        self.write_lock = threading.RLock()
        self._store = Store(self.path)
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        for statement in _SCHEMA:
            self._store.con.execute(statement)

    def close(self) -> None:
        """Close every cursor and the store; committed work is on disk."""
        with self._cursors_lock:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
        self._store.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor on the store."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._store.con.cursor()
            self._local.cursor = cursor
            with self._cursors_lock:
                self._cursors.append(cursor)
        return cursor

    def rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """All rows a query returns."""
        return self.cursor().execute(sql, params or []).fetchall()

    def row(self, sql: str, params: Any = None) -> tuple[Any, ...] | None:
        """The first row a query returns, or None."""
        return self.cursor().execute(sql, params or []).fetchone()

    def scalar(self, sql: str, params: Any = None) -> Any:
        """The single value a query returns, or None."""
        found = self.row(sql, params)
        return None if found is None else found[0]

    def execute(self, sql: str, params: Any = None) -> None:
        """Run one statement in its own committed transaction."""
        self.cursor().execute(sql, params or [])

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run statements on this thread's cursor atomically, committed on exit."""
        cursor = self.cursor()
        cursor.execute("BEGIN TRANSACTION")
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def table_exists(self, name: str) -> bool:
        """Whether a table of that name exists in the store."""
        count = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [name],
        )
        return bool(count)

    def columns(self, table: str) -> list[str]:
        """The column names of a table, in order; empty when it does not exist."""
        found = self.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        )
        return [str(name) for (name,) in found]

    def missing_tables(self) -> list[str]:
        """The run's tables the app needs but the store lacks."""
        return [name for name in REQUIRED_TABLES if not self.table_exists(name)]

    def setting(self, key: str) -> str | None:
        """A value kept in ``yd_review_settings``."""
        value = self.scalar("SELECT value FROM yd_review_settings WHERE key = ?", [key])
        return None if value is None else str(value)

    def secret_key(self) -> str:
        """The key that signs session cookies, made once and kept in the store.

        Keeping it in the store lets sessions survive a restart of the server;
        anyone who can read the store can read the records themselves anyway.
        """
        with self.write_lock:
            existing = self.setting("secret_key")
            if existing is not None:
                return existing
            key = secrets.token_hex(32)
            self.execute(
                "INSERT INTO yd_review_settings VALUES ('secret_key', ?)", [key]
            )
            logger.info("created a new session signing key")
            return key
