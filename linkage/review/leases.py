"""Leases: each queue item is reserved for one reviewer at a time, for a while.

Opening an item takes (or renews) its lease; a lease that runs out lets another
reviewer take the item, and a reviewer holds one item at a time. Every change to
``yd_review_leases`` happens under the store's write lock inside one transaction,
and the row is written with a conditional UPDATE, so two reviewers never hold the
same item: the server is one process, and the lock serialises the check and the
write."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass

import duckdb

from linkage.errors import ReviewError
from linkage.review.config import ReviewConfig
from linkage.review.queue import ItemState, QueueItem, ReviewQueue
from linkage.review.storage import ReviewStore

logger = logging.getLogger(__name__)

CANDIDATES = 32
"""Open items read ahead by :meth:`LeaseManager.acquire_next`, best first."""


class ItemUnavailable(ReviewError):
    """The item cannot be taken by this reviewer now; ``state`` says why.

    Attributes:
        state: The item's state, or None when there is no such item.
        holder: Who holds the item, when another reviewer does.
    """

    def __init__(
        self, item_id: str, state: ItemState | None, holder: str | None = None
    ) -> None:
        self.item_id = item_id
        self.state = state
        self.holder = holder
        super().__init__(f"item {item_id} is not available ({state or 'unknown'})")


@dataclass(frozen=True, slots=True)
class Lease:
    """A reviewer's hold on an item."""

    item_id: str
    reviewer: str
    leased_at: dt.datetime
    expires_at: dt.datetime
    revealed: bool

    def seconds_left(self, now: dt.datetime) -> int:
        """Whole seconds until the lease runs out (0 when it has)."""
        return max(0, int((self.expires_at - now).total_seconds()))


class LeaseManager:
    """Takes, renews and gives back leases on queue items.

    Args:
        store: The review store.
        queue: The queue reader that says which items a reviewer may take.
        config: The app settings (the lease length).
    """

    def __init__(
        self, store: ReviewStore, queue: ReviewQueue, config: ReviewConfig
    ) -> None:
        self.store = store
        self.queue = queue
        self.config = config

    def acquire(self, item_id: str, reviewer: str) -> tuple[QueueItem, Lease]:
        """Take the lease on one item, or renew the reviewer's own.

        A lease of the reviewer's with more than half its time left is kept as it
        is, without a write, so that reopening a page costs no lock.

        Raises:
            ItemUnavailable: No such item, another reviewer holds it, or it needs no
                more decisions from this reviewer.
        """
        kept = self._fresh_own_lease(item_id, reviewer)
        if kept is not None:
            return kept
        with self.store.write_lock, self.store.transaction() as cursor:
            item = self.open_item(cursor, item_id, reviewer)
            return item, self._write(cursor, item_id, reviewer)

    def acquire_next(
        self, reviewer: str, *, skip: Collection[str] = ()
    ) -> tuple[QueueItem, Lease] | None:
        """Take the reviewer's current item, else the highest-priority open one.

        The candidates are read without the lock; under it, each is checked again
        and the first still open is taken, so reviewers racing for the same item
        fall through to the next one instead of waiting for a full scan.

        Args:
            reviewer: Who asks.
            skip: Item ids the reviewer passed over in this session; they come
                round again only when nothing else is left.

        Returns:
            The item and its lease, or None when nothing is left for this reviewer.
        """
        first_look = self.queue.next_ids(reviewer, skip, limit=CANDIDATES)
        if not first_look:
            return None
        with self.store.write_lock, self.store.transaction() as cursor:
            taken = self._take_first_open(cursor, first_look, reviewer)
            if taken is None:
                # Others took every candidate; under the lock this look is exact.
                exact = self.queue.next_ids(reviewer, skip, cursor=cursor)
                taken = self._take_first_open(cursor, exact, reviewer)
            return taken

    def _take_first_open(
        self, cursor: duckdb.DuckDBPyConnection, ids: list[str], reviewer: str
    ) -> tuple[QueueItem, Lease] | None:
        """Lease the first of ``ids`` still open to the reviewer; under the lock."""
        for item_id in ids:
            try:
                item = self.open_item(cursor, item_id, reviewer)
            except ItemUnavailable:
                continue
            return item, self._write(cursor, item_id, reviewer)
        return None

    def _fresh_own_lease(
        self, item_id: str, reviewer: str
    ) -> tuple[QueueItem, Lease] | None:
        """The item and the reviewer's lease on it, if it has over half its time."""
        try:
            item = self.queue.item(item_id, reviewer)
        except KeyError:
            return None
        if item.state(reviewer) is not ItemState.HELD_BY_ME:
            return None
        if item.lease_expires is None or item.lease_started is None:
            return None
        left = item.lease_expires - self.store.clock()
        if left <= self.config.lease / 2:
            return None
        lease = Lease(
            item_id, reviewer, item.lease_started, item.lease_expires, item.revealed
        )
        return item, lease

    def open_item(
        self, cursor: duckdb.DuckDBPyConnection, item_id: str, reviewer: str
    ) -> QueueItem:
        """The item, if ``reviewer`` may work on it now; call under the write lock.

        Raises:
            ItemUnavailable: As for :meth:`acquire`.
        """
        try:
            item = self.queue.item(item_id, reviewer, cursor=cursor)
        except KeyError:
            raise ItemUnavailable(item_id, None) from None
        if not item.open_for(reviewer):
            raise ItemUnavailable(item_id, item.state(reviewer), item.holder)
        return item

    def current(self, item_id: str, reviewer: str) -> Lease | None:
        """The reviewer's unexpired lease on the item, or None."""
        found = self.store.row(
            "SELECT item_id, reviewer, leased_at, expires_at, revealed "
            "FROM yd_review_leases "
            "WHERE item_id = ? AND reviewer = ? AND expires_at > ?",
            [item_id, reviewer, self.store.clock()],
        )
        return None if found is None else Lease(*found)

    def mark_revealed(self, item_id: str, reviewer: str) -> tuple[QueueItem, Lease]:
        """Take or renew the lease, noting that the reviewer asked to see the IDs.

        Raises:
            ItemUnavailable: As for :meth:`acquire`.
        """
        with self.store.write_lock, self.store.transaction() as cursor:
            item = self.open_item(cursor, item_id, reviewer)
            return item, self._write(cursor, item_id, reviewer, revealed=True)

    def release(
        self,
        item_id: str,
        reviewer: str,
        *,
        cursor: duckdb.DuckDBPyConnection | None = None,
    ) -> bool:
        """Give back the reviewer's lease on an item; True if there was one."""
        with self.store.write_lock:
            con = cursor or self.store.cursor()
            found = con.execute(
                "DELETE FROM yd_review_leases WHERE item_id = ? AND reviewer = ?",
                [item_id, reviewer],
            ).fetchone()
        return bool(found and found[0])

    def _write(
        self,
        cursor: duckdb.DuckDBPyConnection,
        item_id: str,
        reviewer: str,
        *,
        revealed: bool = False,
    ) -> Lease:
        """Insert or take over the item's lease row; the caller checked it is free.

        A reviewer holds one item at a time: taking one gives back any other.
        """
        now = self.store.clock()
        expires = now + self.config.lease
        cursor.execute(
            "DELETE FROM yd_review_leases WHERE reviewer = ? AND item_id <> ?",
            [reviewer, item_id],
        )
        existing = cursor.execute(
            "SELECT reviewer, leased_at, expires_at, revealed "
            "FROM yd_review_leases WHERE item_id = ?",
            [item_id],
        ).fetchone()
        if existing is None:
            cursor.execute(
                "INSERT INTO yd_review_leases VALUES (?, ?, ?, ?, ?)",
                [item_id, reviewer, now, expires, revealed],
            )
            return Lease(item_id, reviewer, now, expires, revealed)
        same = existing[0] == reviewer and existing[2] > now
        leased_at = existing[1] if same else now
        keep_revealed = revealed or (same and bool(existing[3]))
        # Conditional: only a lease that is ours or has run out is taken over.
        updated = cursor.execute(
            "UPDATE yd_review_leases "
            "SET reviewer = ?, leased_at = ?, expires_at = ?, revealed = ? "
            "WHERE item_id = ? AND (reviewer = ? OR expires_at <= ?)",
            [reviewer, leased_at, expires, keep_revealed, item_id, reviewer, now],
        ).fetchone()
        if not updated or not updated[0]:
            raise ItemUnavailable(item_id, ItemState.HELD, str(existing[0]))
        return Lease(item_id, reviewer, leased_at, expires, keep_revealed)
