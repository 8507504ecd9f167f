"""The audit log: who opened, revealed, decided and adjudicated what, and when.

Rows go to ``yd_review_audit`` in the store, committed at once. The audit log may name
records (source and record id) but never holds names or ID numbers themselves.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum

import duckdb

from linkage.review.storage import ReviewStore

logger = logging.getLogger(__name__)


class Action(StrEnum):
    """What a user did."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    OPEN = "open"
    REVEAL = "reveal"
    DECIDE = "decide"
    RELEASE = "release"
    ADJUDICATE = "adjudicate"
    ACCOUNT = "account"
    EXPORT = "export"


@dataclass(frozen=True, slots=True)
class PairRef:
    """The two records of a pair, by source and record id, in queue order."""

    left_source: str
    left_record_id: str
    right_source: str
    right_record_id: str

    def as_list(self) -> list[str]:
        """The four key values, for binding to SQL."""
        return [
            self.left_source,
            self.left_record_id,
            self.right_source,
            self.right_record_id,
        ]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the audit log."""

    at: dt.datetime
    actor: str
    action: str
    item_id: str | None
    pair: PairRef | None
    detail: str | None


_INSERT = (
    "INSERT INTO yd_review_audit "
    "(logged_at, actor, action, item_id, left_source, left_record_id, right_source, "
    "right_record_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def record(
    store: ReviewStore,
    actor: str,
    action: Action,
    *,
    item_id: str | None = None,
    pair: PairRef | None = None,
    detail: str | None = None,
    cursor: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Append one entry; pass ``cursor`` to make it part of an open transaction."""
    keys: list[str | None] = list(pair.as_list()) if pair else [None] * 4
    params = [store.clock(), actor, action.value, item_id, *keys, detail]
    (cursor or store.cursor()).execute(_INSERT, params)


def recent(
    store: ReviewStore, *, limit: int = 500, actor: str | None = None
) -> list[AuditEntry]:
    """The latest entries, newest first, optionally of one user."""
    found = store.rows(
        "SELECT logged_at, actor, action, item_id, left_source, left_record_id, "
        "right_source, right_record_id, detail FROM yd_review_audit "
        "WHERE $actor IS NULL OR actor = $actor "
        "ORDER BY logged_at DESC, rowid DESC LIMIT $limit",
        {"actor": actor, "limit": limit},
    )
    return [
        AuditEntry(
            at=row[0],
            actor=row[1],
            action=row[2],
            item_id=row[3],
            pair=PairRef(*row[4:8]) if row[4] is not None else None,
            detail=row[8],
        )
        for row in found
    ]
