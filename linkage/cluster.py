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
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from linkage.errors import YidangError

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

    Records are numbered 0..n-1 (their position in ``members``). A group's firm ID is
    the code of the single valid ID number among its members, or 0 when it has none;
    a group holding two (only through a reviewer's must-link) is marked conflicted and
    joins no other group that has an ID. Cannot-link pairs are kept per group root and
    checked on every join; there are few of them, so the check is cheap.
    """

    _CONFLICTED = -1

    def __init__(self, members: list[int], firm_ids: list[int]) -> None:
        self.index = {member: i for i, member in enumerate(members)}
        self.parent = list(range(len(members)))
        self.size = [1] * len(members)
        self.firm = firm_ids
        self.cannot: dict[int, list[tuple[int, int]]] = {}

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
        if left and right and left != right:
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
        if left and right and left != right:
            self.firm[a] = self._CONFLICTED
        elif not left:
            self.firm[a] = right
        self.parent[b] = a
        self.size[a] += self.size[b]
        if b in self.cannot:
            self.cannot.setdefault(a, []).extend(self.cannot.pop(b))


@dataclass(frozen=True, slots=True)
class _Links:
    """Links at or above the threshold, strongest first, between record positions."""

    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    probability: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Decisions:
    """Reviewers' latest decisions between record positions, must-links apart."""

    must: list[tuple[int, int]]
    cannot: list[tuple[int, int]]
    in_order: list[tuple[int, int, str]]


def cluster(
    con: duckdb.DuckDBPyConnection, *, match_threshold: float
) -> ClusterSummary:
    """Cluster ``yd_link_input`` records over ``yd_pairs`` into ``yd_clusters``.

    Also writes ``yd_conflicts``: pairs at or above the threshold that were kept apart
    because their valid ID numbers differ; a reviewer decides them.
    """
    started = time.perf_counter()
    found = con.execute(_RECORDS_SQL, [list(_FIRM_ID_CLASSES)]).fetchnumpy()
    records: npt.NDArray[np.int64] = found["unique_id"]
    firm: npt.NDArray[np.int64] = found["firm_id"]
    links = _read_links(con, records, match_threshold)
    decisions = _read_decisions(con, records)

    # Links are taken one by one only where that can change the outcome: in the
    # components (of all links and must-links) that hold two different firm IDs or
    # both records of a cannot-link. Everywhere else every link is taken, so each
    # component is one person and each record's best link is its strongest.
    must = np.array(decisions.must, dtype=np.int64).reshape(-1, 2)
    component = _components(
        len(records),
        np.concatenate([links.left, must[:, 0]]),
        np.concatenate([links.right, must[:, 1]]),
    )
    tangled = _tangled(component, firm, decisions.cannot)
    root = component  # the tangled components' records get their own roots below
    best = np.full(len(records), np.nan)
    np.fmax.at(best, links.left, links.probability)
    np.fmax.at(best, links.right, links.probability)
    linked = ~np.isnan(best)
    conflicts = _link_one_by_one(
        records, firm, links, decisions, tangled[component], root, best, linked
    )
    best[~linked] = 1.0

    _write_clusters(con, records, records[root], best)
    _write_conflicts(con, conflicts)
    summary = ClusterSummary(
        records=len(records),
        clusters=int(np.count_nonzero(root == np.arange(len(records)))),
        linked_records=int(np.count_nonzero(linked)),
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


# Firm IDs are numbered from 1 in the order of their keys; 0 is a record without one.
_RECORDS_SQL = """
    SELECT unique_id,
        CASE WHEN firm THEN dense_rank() OVER (ORDER BY firm_key) ELSE 0 END
            AS firm_id
    FROM (
        SELECT unique_id, firm, CASE WHEN firm THEN id_key END AS firm_key
        FROM (
            SELECT unique_id, id_key,
                coalesce(id_key IS NOT NULL AND NOT id_conflict AND NOT id_repaired
                    AND list_contains(?, id_class), FALSE) AS firm
            FROM yd_link_input
        )
    )
    ORDER BY unique_id
"""

_LINKS_SQL = """
    SELECT unique_id_l, unique_id_r, max(match_probability) AS p
    FROM yd_pairs
    WHERE match_probability >= ?
    GROUP BY ALL
    ORDER BY p DESC, unique_id_l, unique_id_r
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


def _positions(
    records: npt.NDArray[np.int64], unique_ids: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Where each unique id stands in the sorted ``records``."""
    positions: npt.NDArray[np.int64]
    if len(records) and records[-1] - records[0] == len(records) - 1:
        # Sorted ids without gaps (the usual numbering) are their own offsets.
        positions = (unique_ids - records[0]).astype(np.int64)
    else:
        positions = np.searchsorted(records, unique_ids).astype(np.int64)
    if len(positions) and (
        positions.min() < 0
        or positions.max() >= len(records)
        or not np.array_equal(records[positions], unique_ids)
    ):
        raise YidangError("internal error: a scored pair names an unknown record")
    return positions


def _read_links(
    con: duckdb.DuckDBPyConnection, records: npt.NDArray[np.int64], threshold: float
) -> _Links:
    edges = con.execute(_LINKS_SQL, [threshold]).fetchnumpy()
    return _Links(
        left=_positions(records, edges["unique_id_l"]),
        right=_positions(records, edges["unique_id_r"]),
        probability=np.asarray(edges["p"], dtype=np.float64),
    )


def _read_decisions(
    con: duckdb.DuckDBPyConnection, records: npt.NDArray[np.int64]
) -> _Decisions:
    rows = con.execute(_DECISIONS_SQL).fetchall()
    ids = np.array([[left, right] for left, right, _ in rows], dtype=np.int64)
    positions = _positions(records, ids.reshape(-1)).reshape(-1, 2).tolist()
    in_order = [(a, b, row[2]) for (a, b), row in zip(positions, rows, strict=True)]
    return _Decisions(
        must=[(a, b) for a, b, decision in in_order if decision == "match"],
        cannot=[(a, b) for a, b, decision in in_order if decision == "not_match"],
        in_order=in_order,
    )


def _components(
    nodes: int, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Each node's connected component, named by one of its nodes.

    Hook and compress: every edge whose ends are in different trees hangs the tree
    with the higher root under the lower root, then every node is pointed straight
    at its root. Roots only ever move down, so no cycle can form; an edge whose ends
    share a root keeps sharing it and is dropped from the next round.
    """
    label = np.arange(nodes, dtype=np.int64)
    while len(left):
        low = np.minimum(label[left], label[right])
        high = np.maximum(label[left], label[right])
        apart = low != high
        left, right = left[apart], right[apart]
        np.minimum.at(label, high[apart], low[apart])
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
    return label


def _tangled(
    component: npt.NDArray[np.int64],
    firm: npt.NDArray[np.int64],
    cannot: list[tuple[int, int]],
) -> npt.NDArray[np.bool_]:
    """Which components need their links taken one by one (indexed by name)."""
    has_id = firm > 0
    lowest = np.full(len(component), np.iinfo(np.int64).max)
    highest = np.zeros(len(component), dtype=np.int64)
    np.minimum.at(lowest, component[has_id], firm[has_id])
    np.maximum.at(highest, component[has_id], firm[has_id])
    tangled = highest > lowest
    for a, b in cannot:
        if component[a] == component[b]:
            tangled[component[a]] = True
    return tangled


def _link_one_by_one(
    records: npt.NDArray[np.int64],
    firm: npt.NDArray[np.int64],
    links: _Links,
    decisions: _Decisions,
    tangled: npt.NDArray[np.bool_],
    root: npt.NDArray[np.int64],
    best: npt.NDArray[np.float64],
    linked: npt.NDArray[np.bool_],
) -> list[tuple[int, int, float]]:
    """Join the tangled records' groups over their links strongest first.

    ``tangled`` marks each record whose component is tangled; their ``root``,
    ``best`` and ``linked`` are set here in place.

    Returns:
        The links refused across two valid IDs, as (unique_id, unique_id, p).
    """
    members = np.flatnonzero(tangled)
    clusters = _Clusters(members.tolist(), firm[members].tolist())
    index = clusters.index
    for left, right, decision in decisions.in_order:
        # A must-link's records share a component; a cannot-link between two
        # components can never bind.
        if not (tangled[left] and tangled[right]):
            continue
        a, b = index[left], index[right]
        if decision == "match":
            root_a, root_b = clusters.find(a), clusters.find(b)
            if root_a != root_b:
                clusters.union(root_a, root_b)
        elif decision == "not_match":
            clusters.forbid(a, b)

    taken = tangled[links.left]
    sub_best = [1.0] * len(members)
    sub_linked = [False] * len(members)
    conflicts: list[tuple[int, int, float]] = []
    find = clusters.find
    for left, right, probability in zip(
        links.left[taken].tolist(),
        links.right[taken].tolist(),
        links.probability[taken].tolist(),
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
                conflicts.append((int(records[left]), int(records[right]), probability))
                continue
            clusters.union(root_a, root_b)
        for node in (a, b):
            if not sub_linked[node]:
                sub_linked[node], sub_best[node] = True, probability

    roots = [clusters.find(i) for i in range(len(members))]
    root[members] = members[roots]
    best[members] = sub_best
    linked[members] = sub_linked
    return conflicts


def _write_clusters(
    con: duckdb.DuckDBPyConnection,
    records: npt.NDArray[np.int64],
    roots: npt.NDArray[np.int64],
    best: npt.NDArray[np.float64],
) -> None:
    table = pa.table(
        {
            "unique_id": pa.array(records, pa.int64()),
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
    # One table in from Arrow: an INSERT per row costs about a millisecond each.
    table = pa.table(
        {
            "unique_id_l": pa.array([c[0] for c in conflicts], pa.int64()),
            "unique_id_r": pa.array([c[1] for c in conflicts], pa.int64()),
            "match_probability": pa.array([c[2] for c in conflicts], pa.float64()),
        }
    )
    con.register("yd_conflict_batch", table)
    con.execute("CREATE OR REPLACE TABLE yd_conflicts AS FROM yd_conflict_batch")
    con.unregister("yd_conflict_batch")
