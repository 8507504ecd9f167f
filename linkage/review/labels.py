"""Reviewers' decisions turned into a labels file: ``source, record_id, person_key``.

What the file says:

- Each pair's effective decision is its latest one (an adjudication, being written
  last, wins), the same rule ``yidang link`` follows.
- The records of every pair decided ``match`` or ``not_match`` are labelled; records
  seen only in ``unsure`` pairs are left out, since nobody knows who they are.
- Records joined by a chain of ``match`` decisions share a person key (connected
  components); every other labelled record is a person of its own (a singleton).
- So the file claims, among the records it lists, that two records are one person
  exactly when reviewers linked them. For a ``not_match`` pair that is what the
  reviewer said; for two records that were never put side by side it is an
  assumption, true of nearly all of them. A ``not_match`` pair that a chain of
  matches puts in one person contradicts itself; such pairs are counted, and the
  chain wins.

The file is what ``yidang train --labels`` and ``yidang evaluate --truth`` read. A
person key is ``L`` and twelve hex digits of the SHA-256 of the component's first
record (by source, then record id), so the same decisions give the same keys.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)

Record = tuple[str, str]

_EFFECTIVE_SQL = """
    WITH keyed AS (
        SELECT d.*,
            least(left_source || chr(31) || left_record_id,
                right_source || chr(31) || right_record_id) AS a,
            greatest(left_source || chr(31) || left_record_id,
                right_source || chr(31) || right_record_id) AS b
        FROM yd_review_decisions AS d
    )
    SELECT left_source, left_record_id, right_source, right_record_id, decision
    FROM keyed
    QUALIFY row_number() OVER (PARTITION BY a, b ORDER BY decided_at DESC) = 1
    ORDER BY a, b
"""


@dataclass(frozen=True, slots=True)
class LabelSummary:
    """What an export wrote."""

    records: int
    persons: int
    contradictions: int


class _Components:
    """Union-find over records."""

    def __init__(self) -> None:
        self.parent: dict[Record, Record] = {}

    def add(self, record: Record) -> None:
        self.parent.setdefault(record, record)

    def find(self, record: Record) -> Record:
        root = record
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[record] != root:
            self.parent[record], record = root, self.parent[record]
        return root

    def union(self, a: Record, b: Record) -> None:
        left, right = self.find(a), self.find(b)
        if left != right:
            self.parent[max(left, right)] = min(left, right)


def person_key(anchor: Record) -> str:
    """The key of the person whose first record is ``anchor``."""
    text = f"{anchor[0]}\x1f{anchor[1]}"
    return "L" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12].upper()


def label_rows(
    con: duckdb.DuckDBPyConnection,
) -> tuple[list[tuple[str, str, str]], LabelSummary]:
    """The labels the decisions in the store imply, sorted by source and record.

    Returns:
        The rows ``(source, record_id, person_key)`` and a summary.
    """
    components = _Components()
    separate: list[tuple[Record, Record]] = []
    for ls, lr, rs, rr, decision in con.execute(_EFFECTIVE_SQL).fetchall():
        left, right = (str(ls), str(lr)), (str(rs), str(rr))
        if decision not in {"match", "not_match"}:
            continue
        components.add(left)
        components.add(right)
        if decision == "match":
            components.union(left, right)
        else:
            separate.append((left, right))
    contradictions = sum(
        1 for a, b in separate if components.find(a) == components.find(b)
    )
    records = sorted(components.parent)
    rows = [(s, r, person_key(components.find((s, r)))) for s, r in records]
    persons = len({key for _, _, key in rows})
    return rows, LabelSummary(len(rows), persons, contradictions)


def write_labels(con: duckdb.DuckDBPyConnection, out: str | Path) -> LabelSummary:
    """Write the labels CSV (UTF-8) atomically: a failed write leaves no file."""
    rows, summary = label_rows(con)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "record_id", "person_key"])
        writer.writerows(rows)
    os.replace(partial, path)
    logger.info(
        "exported labels for %s records (%s persons, %s contradicted non-matches)",
        f"{summary.records:,}",
        f"{summary.persons:,}",
        f"{summary.contradictions:,}",
    )
    return summary


def labels_csv_text(con: duckdb.DuckDBPyConnection) -> str:
    """The labels CSV as text, for a download."""
    rows, _ = label_rows(con)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["source", "record_id", "person_key"])
    writer.writerows(rows)
    return buffer.getvalue()
