"""The review queue as reviewers see it: items, their status, and who may take them.

An item is a pair of records in ``yd_review_queue``. It needs one decision, or two
from different reviewers when its pair falls in the double-review sample, unless a
supervisor has adjudicated it. Decisions are matched to items by their records, in
either order, so they still apply after a rerun renumbers the queue.

When the app starts it writes ``yd_review_item_keys``: each item's pair key and how
many decisions it needs. The queue cannot change while the app holds the store, so
this is worked out once instead of on every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from linkage.review.audit import PairRef
from linkage.review.config import ReviewConfig
from linkage.review.storage import ReviewStore

logger = logging.getLogger(__name__)


def pair_key_sql(alias: str) -> str:
    """SQL for the order-free key of the pair in the four columns of ``alias``."""
    left = f"({alias}.left_source || chr(31) || {alias}.left_record_id)"
    right = f"({alias}.right_source || chr(31) || {alias}.right_record_id)"
    return f"(least({left}, {right}) || chr(30) || greatest({left}, {right}))"


def pair_key(pair: PairRef) -> str:
    """The order-free key of a pair, equal to :func:`pair_key_sql`'s."""
    left = f"{pair.left_source}\x1f{pair.left_record_id}"
    right = f"{pair.right_source}\x1f{pair.right_record_id}"
    return f"{min(left, right)}\x1e{max(left, right)}"


def pair_token(pair: PairRef) -> str:
    """A short opaque name for a pair, for URLs (the md5 of its key)."""
    return hashlib.md5(pair_key(pair).encode("utf-8")).hexdigest()


class ItemState(StrEnum):
    """Where an item stands for the reviewer who asks."""

    OPEN = "open"
    HELD_BY_ME = "held_by_me"
    HELD = "held"
    SECOND_REVIEW = "second_review"
    DECIDED_BY_ME = "decided_by_me"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One queue item with its status for the reviewer who asked."""

    item_id: str
    priority: int
    reason: str
    match_probability: float | None
    pair: PairRef
    left_person_id: str | None
    right_person_id: str | None
    unique_id_l: int | None
    unique_id_r: int | None
    required: int
    reviewed: int
    decided_by_me: bool
    adjudicated: bool
    holder: str | None
    lease_expires: dt.datetime | None
    lease_started: dt.datetime | None
    revealed: bool

    @property
    def double(self) -> bool:
        """Whether the item is in the double-review sample."""
        return self.required > 1

    def state(self, reviewer: str) -> ItemState:
        """Where the item stands for ``reviewer``."""
        if self.adjudicated or self.reviewed >= self.required:
            return ItemState.DONE
        if self.decided_by_me:
            return ItemState.DECIDED_BY_ME
        if self.holder == reviewer:
            return ItemState.HELD_BY_ME
        if self.holder is not None:
            return ItemState.HELD
        return ItemState.SECOND_REVIEW if self.reviewed else ItemState.OPEN

    def open_for(self, reviewer: str) -> bool:
        """Whether ``reviewer`` may take (or keeps) this item now."""
        return self.state(reviewer) in {
            ItemState.OPEN,
            ItemState.SECOND_REVIEW,
            ItemState.HELD_BY_ME,
        }


_STATUS_SQL = f"""
    WITH items AS (
        SELECT q.*, k.pair_key, k.required
        FROM yd_review_queue AS q
        JOIN yd_review_item_keys AS k USING (item_id)
    ),
    adjudicated AS (
        SELECT DISTINCT {pair_key_sql("a")} AS pair_key
        FROM yd_review_adjudications AS a
    ),
    reviews AS (
        SELECT {pair_key_sql("d")} AS pair_key,
            count(DISTINCT d.reviewer) AS reviewers,
            list(DISTINCT d.reviewer) AS who
        FROM yd_review_reviewer_decisions AS d
        GROUP BY ALL
    ),
    status AS (
        SELECT
            i.item_id, i.priority, i.reason, i.match_probability,
            i.left_source, i.left_record_id, i.right_source, i.right_record_id,
            i.left_person_id, i.right_person_id, i.unique_id_l, i.unique_id_r,
            i.required,
            coalesce(r.reviewers, 0) AS reviewed,
            coalesce(list_contains(r.who, $me), false) AS decided_by_me,
            j.pair_key IS NOT NULL AS adjudicated,
            l.reviewer AS holder,
            l.expires_at,
            l.leased_at,
            coalesce(l.revealed, false) AS revealed
        FROM items AS i
        LEFT JOIN reviews AS r USING (pair_key)
        LEFT JOIN adjudicated AS j USING (pair_key)
        LEFT JOIN yd_review_leases AS l
            ON l.item_id = i.item_id AND l.expires_at > $now
    )
"""

_INDEX_SQL = f"""
    CREATE OR REPLACE TABLE yd_review_item_keys AS
    WITH keyed AS (
        SELECT q.item_id, {pair_key_sql("q")} AS pair_key
        FROM yd_review_queue AS q
    )
    SELECT item_id, pair_key,
        CASE WHEN md5_number(pair_key) % 10000 < $share THEN 2 ELSE 1 END
            AS required
    FROM keyed
"""

_DOUBLE_COUNT_SQL = "SELECT count(*) FROM yd_review_item_keys WHERE required > 1"

_ALL_SQL = _STATUS_SQL + "SELECT * FROM status ORDER BY priority DESC, item_id"

_NEXT_SQL = f"""
    WITH reviews AS (
        SELECT {pair_key_sql("d")} AS pair_key,
            count(DISTINCT d.reviewer) AS reviewers,
            bool_or(d.reviewer = $me) AS mine
        FROM yd_review_reviewer_decisions AS d
        GROUP BY ALL
    ),
    closed AS (
        SELECT k.item_id
        FROM yd_review_item_keys AS k JOIN reviews AS r USING (pair_key)
        WHERE r.reviewers >= k.required OR r.mine
        UNION ALL
        SELECT k.item_id
        FROM yd_review_item_keys AS k
        JOIN (
            SELECT {pair_key_sql("a")} AS pair_key FROM yd_review_adjudications AS a
        ) USING (pair_key)
        UNION ALL
        SELECT item_id FROM yd_review_leases
        WHERE expires_at > $now AND reviewer <> $me
    ),
    held AS (
        SELECT item_id FROM yd_review_leases
        WHERE expires_at > $now AND reviewer = $me
    )
    SELECT q.item_id
    FROM yd_review_queue AS q
    ANTI JOIN closed USING (item_id)
    LEFT JOIN held AS h USING (item_id)
    ORDER BY h.item_id IS NOT NULL DESC,
        list_contains(CAST($skip AS VARCHAR[]), q.item_id),
        q.priority DESC, q.item_id
    LIMIT $limit
"""
"""The ids of the items open to a reviewer, in the order they should be taken.

Closed items (decided enough, decided by this reviewer, adjudicated, or held by
someone else) are found first and removed, which is much cheaper than working out
every item's status."""


_ONE_ITEM_SQL = """
    SELECT q.item_id, q.priority, q.reason, q.match_probability,
        q.left_source, q.left_record_id, q.right_source, q.right_record_id,
        q.left_person_id, q.right_person_id, q.unique_id_l, q.unique_id_r,
        k.required
    FROM yd_review_queue AS q
    JOIN yd_review_item_keys AS k USING (item_id)
    WHERE q.item_id = ?
"""

_PAIR_FILTER = """
    (left_source = $ls AND left_record_id = $lr
        AND right_source = $rs AND right_record_id = $rr)
    OR (left_source = $rs AND left_record_id = $rr
        AND right_source = $ls AND right_record_id = $lr)
"""

_PAIR_DECISIONS_SQL = (
    f"SELECT reviewer, decided_at FROM yd_review_decisions WHERE {_PAIR_FILTER}"
)

_PAIR_RULINGS_SQL = (
    f"SELECT supervisor, decided_at FROM yd_review_adjudications WHERE {_PAIR_FILTER}"
)

_LEASE_SQL = (
    "SELECT reviewer, expires_at, leased_at, revealed FROM yd_review_leases "
    "WHERE item_id = ? AND expires_at > ?"
)


class ReviewQueue:
    """Reads the queue with each item's status.

    Args:
        store: The review store.
        config: The app settings (the double-review share).
    """

    def __init__(self, store: ReviewStore, config: ReviewConfig) -> None:
        self.store = store
        self.config = config
        self._index_items()

    def _index_items(self) -> None:
        """Key every queue item by its pair and draw the double-review sample.

        The queue cannot change while the app holds the store (a run needs the
        file to itself), so this is done once, when the app starts; a pair is in
        the sample when the md5 of its key, modulo 10,000, falls below the share.
        """
        with self.store.write_lock:
            self.store.execute(
                _INDEX_SQL, {"share": self.config.double_review_basis_points}
            )
        logger.info(
            "review queue indexed: %s items, %s for double review",
            f"{self.store.scalar('SELECT count(*) FROM yd_review_item_keys'):,}",
            f"{self.store.scalar(_DOUBLE_COUNT_SQL):,}",
        )

    def items(self, reviewer: str, *, cursor: Any = None) -> list[QueueItem]:
        """Every queue item, highest priority first, with its status."""
        params = {"me": reviewer, "now": self.store.clock()}
        con = cursor or self.store.cursor()
        return [_item(row) for row in con.execute(_ALL_SQL, params).fetchall()]

    def item(self, item_id: str, reviewer: str, *, cursor: Any = None) -> QueueItem:
        """One queue item with its status, as :meth:`items` would give it.

        A few point queries rather than the whole-queue statement: this runs on
        every lease, page and decision.

        Raises:
            KeyError: No queue item has that id.
        """
        con = cursor or self.store.cursor()
        base = con.execute(_ONE_ITEM_SQL, [item_id]).fetchone()
        if base is None:
            raise KeyError(item_id)
        pair = {"ls": base[4], "lr": base[5], "rs": base[6], "rr": base[7]}
        rulings = con.execute(_PAIR_RULINGS_SQL, pair).fetchall()
        ruling_rows = {(str(who), at) for who, at in rulings}
        decided = {
            str(who)
            for who, at in con.execute(_PAIR_DECISIONS_SQL, pair).fetchall()
            if (str(who), at) not in ruling_rows
        }
        lease = con.execute(_LEASE_SQL, [item_id, self.store.clock()]).fetchone()
        holder, expires, started, revealed = lease or (None, None, None, False)
        status = (len(decided), reviewer in decided, bool(rulings), holder, expires)
        return _item((*base, *status, started, revealed))

    def next_ids(
        self,
        reviewer: str,
        skip: Collection[str],
        *,
        limit: int = 1,
        cursor: Any = None,
    ) -> list[str]:
        """The ids of the items the reviewer should take next, best first.

        The reviewer's current item comes first, then open items by priority;
        skipped items come round again only when nothing else is left.
        """
        params = {
            "me": reviewer,
            "now": self.store.clock(),
            "skip": list(skip),
            "limit": limit,
        }
        con = cursor or self.store.cursor()
        return [str(row[0]) for row in con.execute(_NEXT_SQL, params).fetchall()]


def _item(row: tuple[Any, ...]) -> QueueItem:
    probability = row[3]
    return QueueItem(
        item_id=str(row[0]),
        priority=int(row[1]),
        reason=str(row[2]),
        match_probability=None if probability is None else float(probability),
        pair=PairRef(str(row[4]), str(row[5]), str(row[6]), str(row[7])),
        left_person_id=row[8],
        right_person_id=row[9],
        unique_id_l=row[10],
        unique_id_r=row[11],
        required=int(row[12]),
        reviewed=int(row[13]),
        decided_by_me=bool(row[14]),
        adjudicated=bool(row[15]),
        holder=row[16],
        lease_expires=row[17],
        lease_started=row[18],
        revealed=bool(row[19]),
    )
