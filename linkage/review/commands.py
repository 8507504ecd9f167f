"""The ``yidang review`` commands: serve the app, add a user, export labels.

These are the functions the command line calls; each opens the store itself. While
the server runs it holds the store open, so ``add-user`` and ``export-labels`` from
the command line wait for it to stop (DuckDB lets one process write a file); a
supervisor can do both in the app meanwhile.
"""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from waitress import serve as waitress_serve

from linkage.errors import ReviewError
from linkage.review.app import create_app
from linkage.review.auth import count_supervisors, save_user
from linkage.review.config import ReviewConfig
from linkage.review.labels import write_labels
from linkage.review.storage import ReviewStore
from linkage.store import Store

logger = logging.getLogger(__name__)

DEFAULT_THREADS = 8


def serve(
    store: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    config: ReviewConfig | None = None,
    threads: int = DEFAULT_THREADS,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the review app with waitress until interrupted.

    Args:
        store: The DuckDB store a run wrote.
        host: The address to listen on; 127.0.0.1 serves this machine only, an
            intranet address serves the office.
        port: The TCP port.
        config: Lease, session and double-review settings.
        threads: Request threads.
        on_ready: Called with the app's URL once the store is open and checked,
            just before the server starts listening.

    Raises:
        ReviewError: The store is missing, has no queue, or has no supervisor.
    """
    with ReviewStore(store) as review_store:
        if count_supervisors(review_store) == 0:
            raise ReviewError(
                f"{store}: no supervisor account yet; add one with "
                "'yidang review add-user NAME --role supervisor --store STORE'"
            )
        app = create_app(review_store, config)
        url = f"http://{host}:{port}/"
        logger.info("serving the review app on %s", url)
        if on_ready is not None:
            on_ready(url)
        waitress_serve(app, host=host, port=port, threads=threads, ident="yidang")
        logger.info("review app stopped")


def add_user(store: str | Path, name: str, role: str, password: str) -> bool:
    """Add a reviewer or supervisor account, or reset an existing one.

    Args:
        store: The DuckDB store.
        name: The login name: letters, digits, '.', '-' or '_'.
        role: ``reviewer`` or ``supervisor``.
        password: At least eight characters.

    Returns:
        True when the account is new, False when an existing one was reset.

    Raises:
        ReviewError: The store is missing or the account's fields are not valid.
    """
    with ReviewStore(store) as review_store:
        return save_user(review_store, name, role, password)


def export_labels(store: str | Path, out: str | Path) -> int:
    """Write the labels implied by review decisions; see :mod:`linkage.review.labels`.

    Args:
        store: The DuckDB store.
        out: The CSV to write (``source, record_id, person_key``).

    Returns:
        The number of labelled records written.

    Raises:
        ReviewError: The store is missing.
    """
    path = Path(store)
    if not path.is_file():
        raise ReviewError(f"{path}: store not found")
    with Store(path, read_only=True) as opened:
        if not opened.table_exists("yd_review_decisions"):
            raise ReviewError(f"{path}: the store has no review decisions table")
        return write_labels(opened.con, out).records


def read_password(*, from_stdin: bool, stdin: TextIO | None = None) -> str:
    """A new password: the first line of standard input, or typed twice at a prompt.

    Raises:
        ReviewError: Standard input is empty, or the two typed passwords differ.
    """
    if from_stdin:
        line = (stdin or sys.stdin).readline().rstrip("\r\n")
        if not line:
            raise ReviewError("no password on standard input")
        return line
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password again: ")
    if first != second:
        raise ReviewError("the two passwords differ; nothing was changed")
    return first
