"""Reviewers' decisions and supervisors' adjudications, written to the store at once.

A decision goes to ``yd_review_decisions`` (the table ``yidang link`` reads) in one
transaction with its audit entry and the release of the item's lease, committed before
the reviewer's next page is served. An adjudication settles a pair on which reviewers
disagreed: it is kept in ``yd_review_adjudications`` and also written as the pair's
latest decision, so that the next run follows the supervisor.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from linkage.errors import ReviewError
from linkage.review import audit
from linkage.review.audit import Action, PairRef
from linkage.review.leases import LeaseManager
from linkage.review.queue import pair_key, pair_token
from linkage.review.storage import ReviewStore

logger = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 500


class Decision(StrEnum):
    """What a reviewer says of a pair."""

    MATCH = "match"
    NOT_MATCH = "not_match"
    UNSURE = "unsure"


def parse_decision(value: str | None) -> Decision:
    """The decision named by a form value.

    Raises:
        ReviewError: Not one of match, not_match, unsure.
    """
    try:
        return Decision(value or "")
    except ValueError:
        raise ReviewError(f"unknown decision {value!r}") from None


def clean_note(note: str | None) -> str | None:
    """A note trimmed to :data:`MAX_NOTE_LENGTH` characters, None when blank."""
    text = (note or "").strip()
    return text[:MAX_NOTE_LENGTH] or None


_INSERT_DECISION = (
    "INSERT INTO yd_review_decisions (left_source, left_record_id, right_source, "
    "right_record_id, decision, reviewer, note, decided_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def record_decision(
    store: ReviewStore,
    leases: LeaseManager,
    item_id: str,
    reviewer: str,
    decision: Decision,
    note: str | None,
) -> PairRef:
    """Write a reviewer's decision on a queue item and release its lease.

    The item must still be open to the reviewer: not held by someone else, not
    already decided by them, and still needing a decision.

    Returns:
        The pair decided.

    Raises:
        ItemUnavailable: The item cannot take this reviewer's decision.
    """
    with store.write_lock, store.transaction() as cursor:
        item = leases.open_item(cursor, item_id, reviewer)
        now = store.clock()
        cursor.execute(
            _INSERT_DECISION,
            [*item.pair.as_list(), decision.value, reviewer, clean_note(note), now],
        )
        audit.record(
            store,
            reviewer,
            Action.DECIDE,
            item_id=item_id,
            pair=item.pair,
            detail=decision.value,
            cursor=cursor,
        )
        cursor.execute("DELETE FROM yd_review_leases WHERE item_id = ?", [item_id])
    logger.debug("decision recorded on item %s", item_id)
    return item.pair


def adjudicate(
    store: ReviewStore,
    supervisor: str,
    pair: PairRef,
    decision: Decision,
    note: str | None,
) -> None:
    """Settle a pair as a supervisor; the next run follows this decision."""
    with store.write_lock, store.transaction() as cursor:
        now = store.clock()
        values = [*pair.as_list(), decision.value, supervisor, clean_note(note), now]
        cursor.execute(
            "INSERT INTO yd_review_adjudications (left_source, left_record_id, "
            "right_source, right_record_id, decision, supervisor, note, decided_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        cursor.execute(_INSERT_DECISION, values)
        audit.record(
            store,
            supervisor,
            Action.ADJUDICATE,
            pair=pair,
            detail=decision.value,
            cursor=cursor,
        )


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One row of ``yd_review_decisions``, as a supervisor reads it."""

    pair: PairRef
    decision: str
    reviewer: str
    note: str | None
    decided_at: dt.datetime
    adjudication: bool


@dataclass(slots=True)
class PairReview:
    """Every decision on one pair: each reviewer's latest, and any adjudication."""

    pair: PairRef
    by_reviewer: dict[str, DecisionRow] = field(default_factory=dict)
    adjudication: DecisionRow | None = None

    @property
    def token(self) -> str:
        """The pair's name in URLs."""
        return pair_token(self.pair)

    def in_order(self) -> list[DecisionRow]:
        """The reviewers' latest decisions, earliest first."""
        return sorted(self.by_reviewer.values(), key=lambda row: row.decided_at)

    @property
    def disputed(self) -> bool:
        """Reviewers disagree and no adjudication came after their decisions."""
        decisions = {row.decision for row in self.by_reviewer.values()}
        if len(decisions) < 2:
            return False
        if self.adjudication is None:
            return True
        latest = max(row.decided_at for row in self.by_reviewer.values())
        return self.adjudication.decided_at < latest


def decision_rows(
    store: ReviewStore, *, reviewer: str | None = None, limit: int | None = None
) -> list[DecisionRow]:
    """Decisions, newest first, optionally of one reviewer."""
    found = store.rows(
        """
        SELECT d.left_source, d.left_record_id, d.right_source, d.right_record_id,
            d.decision, d.reviewer, d.note, d.decided_at,
            a.supervisor IS NOT NULL AS adjudication
        FROM yd_review_decisions AS d
        LEFT JOIN yd_review_adjudications AS a
            ON a.left_source = d.left_source
            AND a.left_record_id = d.left_record_id
            AND a.right_source = d.right_source
            AND a.right_record_id = d.right_record_id
            AND a.supervisor = d.reviewer
            AND a.decided_at = d.decided_at
        WHERE $reviewer IS NULL OR d.reviewer = $reviewer
        ORDER BY d.decided_at DESC, d.reviewer
        LIMIT $limit
        """,
        {"reviewer": reviewer, "limit": limit},
    )
    return [
        DecisionRow(
            pair=PairRef(*row[0:4]),
            decision=row[4],
            reviewer=row[5],
            note=row[6],
            decided_at=row[7],
            adjudication=bool(row[8]),
        )
        for row in found
    ]


def pair_reviews(store: ReviewStore) -> list[PairReview]:
    """Every decided pair with its reviewers' latest decisions, oldest first."""
    reviews: dict[str, PairReview] = {}
    latest: defaultdict[str, dict[str, DecisionRow]] = defaultdict(dict)
    for row in reversed(decision_rows(store)):
        key = pair_key(row.pair)
        review = reviews.setdefault(key, PairReview(row.pair))
        if row.adjudication:
            review.adjudication = row
        else:
            latest[key][row.reviewer] = row
    for key, review in reviews.items():
        review.by_reviewer = latest[key]
    return list(reviews.values())


def find_pair(store: ReviewStore, token: str) -> PairReview | None:
    """The decided pair with that URL token, or None."""
    for review in pair_reviews(store):
        if review.token == token:
            return review
    return None


def disputed_pairs(store: ReviewStore) -> list[PairReview]:
    """Pairs on which reviewers disagree and no supervisor has ruled since."""
    return [review for review in pair_reviews(store) if review.disputed]


def decision_counts(store: ReviewStore) -> dict[str, int]:
    """How many decisions each reviewer has made (adjudications excluded)."""
    counts: dict[str, int] = {}
    for row in decision_rows(store):
        if not row.adjudication:
            counts[row.reviewer] = counts.get(row.reviewer, 0) + 1
    return counts


def count_by(store: ReviewStore, reviewer: str) -> int:
    """How many decisions one reviewer has made."""
    return int(
        store.scalar(
            "SELECT count(*) FROM yd_review_decisions WHERE reviewer = ?", [reviewer]
        )
    )
