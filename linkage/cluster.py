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
from dataclasses import dataclass

import duckdb
import pyarrow as pa

logger = logging.getLogger(__name__)

_FIRM_ID_CLASSES = ("valid", "upgraded_15", "permit_hmt", "foreign_permanent")


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    """What clustering did."""

    records: int
    clusters: int
    linked_records: int
    refused_for_ids: int
    seconds: float


class _Clusters:
    """Union-find over dense record ids, keeping each group's firm ID.

    Records are numbered 0..n-1 (their position in ``records``). A group's firm ID is
    the single valid ID number among its members, or None; a group holding two (only
    through a reviewer's must-link) is marked conflicted and joins no other group that
    has an ID. Cannot-link pairs are kept per group root and
    checked on every join; there are few of them, so the check is cheap.
    """

    _CONFLICTED = "\0conflicted"

    def __init__(self, records: list[int], firm_ids: dict[int, str]) -> None:
        self.records = records
        self.index = {record: i for i, record in enumerate(records)}
        self.parent = list(range(len(records)))
        self.size = [1] * len(records)
        self.firm: list[str | None] = [firm_ids.get(record) for record in records]
        self.cannot: dict[int, list[tuple[int, int]]] = {}
        self.groups = len(records)

    def find(self, node: int) -> int:
        parent = self.parent
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def forbid(self, a: int, b: int) -> None:
        for root in {self.find(a), self.find(b)}:
            self.cannot.setdefault(root, []).append((a, b))

    def blocked(self, a: int, b: int) -> str | None:
        """Why the groups rooted at a and b may not join, or None."""
        left, right = self.firm[a], self.firm[b]
        if left is not None and right is not None and left != right:
            return "ids"
        for x, y in self.cannot.get(a, []) + self.cannot.get(b, []):
            roots = {self.find(x), self.find(y)}
            if roots == {a, b}:
                return "cannot_link"
        return None

    def union(self, a: int, b: int) -> None:
        if self.size[a] < self.size[b]:
            a, b = b, a
        left, right = self.firm[a], self.firm[b]
        if left is not None and right is not None and left != right:
            self.firm[a] = self._CONFLICTED
        elif left is None:
            self.firm[a] = right
        self.parent[b] = a
        self.size[a] += self.size[b]
        self.groups -= 1
        if b in self.cannot:
            self.cannot.setdefault(a, []).extend(self.cannot.pop(b))


def cluster(
    con: duckdb.DuckDBPyConnection, *, match_threshold: float
) -> ClusterSummary:
    """Cluster ``yd_link_input`` records over ``yd_pairs`` into ``yd_clusters``.

    Also writes ``yd_conflicts``: pairs at or above the threshold that were kept apart
    because their valid ID numbers differ; a reviewer decides them.
    """
    started = time.perf_counter()
    records = [row[0] for row in con.execute(_RECORDS_SQL).fetchall()]
    firm_ids = dict(con.execute(_FIRM_IDS_SQL, [list(_FIRM_ID_CLASSES)]).fetchall())
    clusters = _Clusters(records, firm_ids)
    index = clusters.index

    decisions = con.execute(_DECISIONS_SQL).fetchall()
    for left, right, decision in decisions:
        a, b = index[left], index[right]
        if decision == "match":
            root_a, root_b = clusters.find(a), clusters.find(b)
            if root_a != root_b:
                clusters.union(root_a, root_b)
        elif decision == "not_match":
            clusters.forbid(a, b)

    best, linked, conflicts = _link(con, clusters, match_threshold)
    _write_clusters(con, clusters, best)
    _write_conflicts(con, conflicts)
    summary = ClusterSummary(
        records=len(records),
        clusters=clusters.groups,
        linked_records=linked,
        refused_for_ids=len(conflicts),
        seconds=time.perf_counter() - started,
    )
    logger.info(
        "clustered %s records into %s persons (%s records linked); "
        "%s links refused for conflicting IDs, in %.1f s",
        f"{summary.records:,}",
        f"{summary.clusters:,}",
        f"{summary.linked_records:,}",
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
) -> tuple[list[float], int, list[tuple[int, int, float]]]:
    """Join groups over links strongest first.

    Returns:
        Each record's best link inside its cluster (1.0 when it has none), how many
        records have a link, and the links refused across two valid IDs.
    """
    best = [1.0] * len(clusters.records)
    linked = [False] * len(clusters.records)
    conflicts: list[tuple[int, int, float]] = []
    edges = con.execute(
        """
        SELECT unique_id_l, unique_id_r, max(match_probability) AS p
        FROM yd_pairs
        WHERE match_probability >= ?
        GROUP BY ALL
        ORDER BY p DESC, unique_id_l, unique_id_r
        """,
        [threshold],
    ).fetchnumpy()
    index, find = clusters.index, clusters.find
    for left, right, probability in zip(
        edges["unique_id_l"].tolist(),
        edges["unique_id_r"].tolist(),
        edges["p"].tolist(),
        strict=True,
    ):
        a, b = index[left], index[right]
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            reason = clusters.blocked(root_a, root_b)
            if reason == "cannot_link":
                continue
            if reason == "ids":
                # Two valid, different ID numbers are two people unless a reviewer
                # says otherwise (a must-link): even twins with the same name and
                # address score near 1.0 on everything else.
                conflicts.append((left, right, probability))
                continue
            clusters.union(root_a, root_b)
        for node in (a, b):
            if not linked[node]:
                linked[node], best[node] = True, probability
    return best, sum(linked), conflicts


def _write_clusters(
    con: duckdb.DuckDBPyConnection, clusters: _Clusters, best: list[float]
) -> None:
    roots = [clusters.records[clusters.find(i)] for i in range(len(clusters.records))]
    table = pa.table(
        {
            "unique_id": pa.array(clusters.records, pa.int64()),
            "root": pa.array(roots, pa.int64()),
            "match_probability": pa.array(best, pa.float64()),
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
        SELECT m.unique_id, m.source, m.record_id,
            'P' || upper(substr(sha256(a.anchor), 1, 15)) AS person_id,
            a.cluster_size, m.match_probability
        FROM members AS m
        JOIN anchors AS a USING (root)
        ORDER BY m.unique_id
        """
    )
    con.unregister("yd_cluster_batch")


def person_id(anchor: str) -> str:
    """A stable person id from the anchor record's "source<US>record_id".

    The definition of the ids that :func:`cluster` computes in SQL, for callers that
    need to derive one outside the store.
    """
    return "P" + hashlib.sha256(anchor.encode("utf-8")).hexdigest()[:15].upper()


def _write_conflicts(
    con: duckdb.DuckDBPyConnection, conflicts: list[tuple[int, int, float]]
) -> None:
    con.execute(
        """
        CREATE OR REPLACE TABLE yd_conflicts (
            unique_id_l BIGINT, unique_id_r BIGINT, match_probability DOUBLE
        )
        """
    )
    if conflicts:
        con.executemany("INSERT INTO yd_conflicts VALUES (?, ?, ?)", conflicts)
