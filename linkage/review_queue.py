"""The clerical review queue: the pairs and clusters that need a person to decide.

Three reasons put an item in the queue, each with a priority from 0 to 100 (higher
first): two records whose valid ID numbers differ but whose other evidence says they
are one person (100); a pair scored between the review and match thresholds and left
in different clusters (the nearer its probability to one half, the higher); a family
link that found several children (twins) for one birth certificate (80). Pairs that a
reviewer has already decided are not queued again.
"""

from __future__ import annotations

import logging

import duckdb

from linkage.store import count_rows

logger = logging.getLogger(__name__)

REASONS: dict[str, str] = {
    "conflicting_ids": "two different valid ID numbers, other evidence says one person",
    "uncertain_pair": "match probability between the review and match thresholds",
    "family_ambiguous": "several household members fit a birth certificate (twins?)",
}
"""Review reasons, with the sentence a reviewer sees."""


def build_review_queue(
    con: duckdb.DuckDBPyConnection, *, review_threshold: float, match_threshold: float
) -> int:
    """Create ``yd_review_queue`` from pairs, conflicts and clusters."""
    con.execute(
        """
        CREATE OR REPLACE TABLE yd_review_queue AS
        WITH pairs AS (
            SELECT unique_id_l, unique_id_r, max(match_probability) AS p,
                bool_or(evidence = 'family') AS family
            FROM yd_pairs GROUP BY ALL
        ),
        items AS (
            SELECT unique_id_l, unique_id_r, match_probability AS p,
                'conflicting_ids' AS reason,
                100 AS priority
            FROM yd_conflicts
            UNION ALL
            SELECT p.unique_id_l, p.unique_id_r, p.p,
                CASE WHEN p.family THEN 'family_ambiguous' ELSE 'uncertain_pair' END,
                CASE WHEN p.family THEN 80
                    ELSE CAST(round(100 - 200 * abs(p.p - 0.5)) AS INTEGER) END
            FROM pairs AS p
            JOIN yd_clusters AS cl ON cl.unique_id = p.unique_id_l
            JOIN yd_clusters AS cr ON cr.unique_id = p.unique_id_r
            WHERE p.p >= $review AND p.p < $match
                AND cl.person_id <> cr.person_id
        ),
        described AS (
            SELECT
                i.*,
                l.source AS left_source, l.record_id AS left_record_id,
                r.source AS right_source, r.record_id AS right_record_id,
                cl.person_id AS left_person_id, cr.person_id AS right_person_id
            FROM items AS i
            JOIN yd_link_input AS l ON l.unique_id = i.unique_id_l
            JOIN yd_link_input AS r ON r.unique_id = i.unique_id_r
            JOIN yd_clusters AS cl ON cl.unique_id = i.unique_id_l
            JOIN yd_clusters AS cr ON cr.unique_id = i.unique_id_r
        )
        SELECT
            'R' || lpad(CAST(row_number() OVER (
                ORDER BY priority DESC, left_source, left_record_id,
                    right_source, right_record_id
            ) AS VARCHAR), 7, '0') AS item_id,
            d.priority, d.reason, round(d.p, 6) AS match_probability,
            d.left_source, d.left_record_id, d.left_person_id,
            d.right_source, d.right_record_id, d.right_person_id,
            d.unique_id_l, d.unique_id_r
        FROM described AS d
        ANTI JOIN yd_review_decisions AS done
            ON (done.left_source = d.left_source
                AND done.left_record_id = d.left_record_id
                AND done.right_source = d.right_source
                AND done.right_record_id = d.right_record_id)
            OR (done.left_source = d.right_source
                AND done.left_record_id = d.right_record_id
                AND done.right_source = d.left_source
                AND done.right_record_id = d.left_record_id)
        ORDER BY item_id
        """,
        {"review": review_threshold, "match": match_threshold},
    )
    count = count_rows(con, "yd_review_queue")
    logger.info("queued %s items for review", f"{count:,}")
    return count
