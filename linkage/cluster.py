"""Clustering scored pairs into persons, under the constraints registries need.

Links are taken strongest first (union-find). Two clusters are not joined when that
would put two different valid ID numbers in one person, or when a reviewer has said
the records are not the same person; a reviewer's must-link joins records whatever the
model says. Person ids are derived from each cluster's anchor record (the most trusted
source, then source name, then record id), so the same inputs give the same ids.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

logger = logging.getLogger(__name__)

OVERWHELMING = 0.99999
"""At or above this probability a pair joins even across two valid IDs, and is queued
for review: a typo in an ID that still passes its check is rare but not impossible."""

_FIRM_ID_CLASSES = ("valid", "upgraded_15", "permit_hmt", "foreign_permanent")


@dataclass(slots=True)
class _Group:
    members: list[int]
    ids: set[str]
    forbidden: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    """What clustering did."""

    records: int
    clusters: int
    links_used: int
    refused_for_ids: int
    seconds: float


class _Clusters:
    """Union-find over record ids, keeping each group's members and firm IDs."""

    def __init__(self, firm_ids: dict[int, str], records: Iterable[int]) -> None:
        self.parent: dict[int, int] = {}
        self.groups: dict[int, _Group] = {}
        for record in records:
            self.parent[record] = record
            ids = {firm_ids[record]} if record in firm_ids else set()
            self.groups[record] = _Group([record], ids)

    def find(self, record: int) -> int:
        root = record
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[record] != root:
            self.parent[record], record = root, self.parent[record]
        return root

    def forbid(self, left: int, right: int) -> None:
        self.groups[self.find(left)].forbidden.add(right)
        self.groups[self.find(right)].forbidden.add(left)

    def blocked(self, a: int, b: int) -> str | None:
        """Why the groups rooted at a and b may not join, or None."""
        left, right = self.groups[a], self.groups[b]
        if len(left.ids | right.ids) > 1:
            return "ids"
        small, large = sorted((left, right), key=lambda g: len(g.members))
        if any(member in large.forbidden for member in small.members):
            return "cannot_link"
        return None

    def union(self, a: int, b: int) -> None:
        if len(self.groups[a].members) < len(self.groups[b].members):
            a, b = b, a
        self.parent[b] = a
        merged, absorbed = self.groups[a], self.groups.pop(b)
        merged.members.extend(absorbed.members)
        merged.ids |= absorbed.ids
        merged.forbidden |= absorbed.forbidden


def cluster(
    con: duckdb.DuckDBPyConnection, *, match_threshold: float
) -> ClusterSummary:
    """Cluster ``yd_link_input`` records over ``yd_pairs`` into ``yd_clusters``.

    Also writes ``yd_conflicts``: pairs at or above the threshold that were kept apart
    (or joined on overwhelming evidence) because their valid ID numbers differ.
    """
    started = time.perf_counter()
    records = [row[0] for row in con.execute(_RECORDS_SQL).fetchall()]
    firm_ids = dict(con.execute(_FIRM_IDS_SQL, [list(_FIRM_ID_CLASSES)]).fetchall())
    clusters = _Clusters(firm_ids, records)

    decisions = con.execute(_DECISIONS_SQL).fetchall()
    for left, right, decision in decisions:
        if decision == "match":
            a, b = clusters.find(left), clusters.find(right)
            if a != b:
                clusters.union(a, b)
        elif decision == "not_match":
            clusters.forbid(left, right)

    used, conflicts = _link(con, clusters, match_threshold)
    _write_clusters(con, clusters, used)
    _write_conflicts(con, conflicts)
    summary = ClusterSummary(
        records=len(records),
        clusters=len(clusters.groups),
        links_used=len(used),
        refused_for_ids=sum(1 for c in conflicts if not c[3]),
        seconds=time.perf_counter() - started,
    )
    logger.info(
        "clustered %s records into %s persons with %s links; "
        "%s links refused for conflicting IDs, in %.1f s",
        f"{summary.records:,}",
        f"{summary.clusters:,}",
        f"{summary.links_used:,}",
        f"{summary.refused_for_ids:,}",
        summary.seconds,
    )
    return summary


_RECORDS_SQL = "SELECT unique_id FROM yd_link_input ORDER BY unique_id"

_FIRM_IDS_SQL = """
    SELECT unique_id, id_key FROM yd_link_input
    WHERE id_key IS NOT NULL AND NOT id_conflict AND NOT id_repaired
        AND list_contains(?, id_class)
"""

_DECISIONS_SQL = """
    SELECT l.unique_id, r.unique_id, d.decision
    FROM (
        SELECT *, row_number() OVER (
            PARTITION BY left_source, left_record_id, right_source, right_record_id
            ORDER BY decided_at DESC
        ) AS latest
        FROM yd_review_decisions
    ) AS d
    JOIN yd_link_input AS l
        ON l.source = d.left_source AND l.record_id = d.left_record_id
    JOIN yd_link_input AS r
        ON r.source = d.right_source AND r.record_id = d.right_record_id
    WHERE d.latest = 1
    ORDER BY l.unique_id, r.unique_id
"""


def _link(
    con: duckdb.DuckDBPyConnection, clusters: _Clusters, threshold: float
) -> tuple[dict[int, float], list[tuple[int, int, float, bool]]]:
    """Join groups over links strongest first; returns each record's best link."""
    best: dict[int, float] = {}
    conflicts: list[tuple[int, int, float, bool]] = []
    edges = con.execute(
        """
        SELECT unique_id_l, unique_id_r, max(match_probability) AS p
        FROM yd_pairs
        WHERE match_probability >= ?
        GROUP BY ALL
        ORDER BY p DESC, unique_id_l, unique_id_r
        """,
        [threshold],
    ).fetchall()
    for left, right, probability in edges:
        a, b = clusters.find(left), clusters.find(right)
        if a != b:
            reason = clusters.blocked(a, b)
            if reason == "cannot_link":
                continue
            if reason == "ids":
                joined = probability >= OVERWHELMING
                conflicts.append((left, right, probability, joined))
                if not joined:
                    continue
            clusters.union(a, b)
        for record in (left, right):
            best[record] = max(best.get(record, 0.0), probability)
    return best, conflicts


def _write_clusters(
    con: duckdb.DuckDBPyConnection, clusters: _Clusters, best: dict[int, float]
) -> None:
    records = list(clusters.parent)
    roots = [clusters.find(record) for record in records]
    table = pa.table(
        {
            "unique_id": pa.array(records, pa.int64()),
            "root": pa.array(roots, pa.int64()),
            "match_probability": pa.array(
                [best.get(record, 1.0) for record in records], pa.float64()
            ),
        }
    )
    con.register("yd_cluster_batch", table)
    con.execute(
        """
        CREATE OR REPLACE TABLE yd_clusters AS
        WITH members AS (
            SELECT b.unique_id, b.root, b.match_probability,
                i.source, i.record_id, i.trust
            FROM yd_cluster_batch AS b
            JOIN yd_link_input AS i USING (unique_id)
        ),
        anchors AS (
            SELECT root, arg_min(source || chr(31) || record_id,
                (trust, source, record_id)) AS anchor,
                count(*) AS cluster_size
            FROM members
            GROUP BY root
        )
        SELECT m.unique_id, m.source, m.record_id, a.anchor,
            a.cluster_size, m.match_probability
        FROM members AS m
        JOIN anchors AS a USING (root)
        ORDER BY m.unique_id
        """
    )
    con.unregister("yd_cluster_batch")
    anchor_rows = con.execute("SELECT DISTINCT anchor FROM yd_clusters").fetchall()
    anchors = [row[0] for row in anchor_rows]
    ids = pa.table(
        {
            "anchor": pa.array(anchors, pa.string()),
            "person_id": pa.array([person_id(a) for a in anchors], pa.string()),
        }
    )
    con.register("yd_person_ids", ids)
    con.execute(
        """
        CREATE OR REPLACE TABLE yd_clusters AS
        SELECT c.unique_id, c.source, c.record_id, p.person_id, c.cluster_size,
            c.match_probability
        FROM yd_clusters AS c JOIN yd_person_ids AS p USING (anchor)
        ORDER BY c.unique_id
        """
    )
    con.unregister("yd_person_ids")


def person_id(anchor: str) -> str:
    """A stable person id from the anchor record's "source<US>record_id"."""
    return "P" + hashlib.sha256(anchor.encode("utf-8")).hexdigest()[:15].upper()


def _write_conflicts(
    con: duckdb.DuckDBPyConnection, conflicts: list[tuple[int, int, float, bool]]
) -> None:
    con.execute(
        """
        CREATE OR REPLACE TABLE yd_conflicts (
            unique_id_l BIGINT, unique_id_r BIGINT, match_probability DOUBLE,
            joined BOOLEAN
        )
        """
    )
    if conflicts:
        con.executemany("INSERT INTO yd_conflicts VALUES (?, ?, ?, ?)", conflicts)
