"""Writing a run's output files atomically: all of them land, or the old ones stay.

Files are first written into a hidden staging folder beside the outputs, and moved
into place only when every one of them has been written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


@contextmanager
def staged_outputs(out_dir: Path) -> Iterator[Path]:
    """A staging folder whose files replace those in ``out_dir`` on success."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".yidang-staging-", dir=out_dir))
    try:
        yield staging
        for path in sorted(staging.iterdir()):
            os.replace(path, out_dir / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def copy_query_to_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    """Write a query's result as UTF-8 CSV with a header."""
    con.execute(
        f"COPY ({query}) TO '{_sql_path(path)}' (HEADER, DELIMITER ',', QUOTE '\"')"
    )


def _sql_path(path: Path) -> str:
    # COPY takes no bind parameter for its target; the path is ours, not a user value,
    # but quotes are still escaped so that an odd folder name cannot break the SQL.
    return str(path).replace("'", "''")
