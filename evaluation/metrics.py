"""Linkage metrics on plain tables: (source, record_id) -> cluster id, and the truth.

Pairwise figures count pairs of records placed together; B-cubed figures average, over
records, how much of a record's cluster is right (precision) and how much of its true
person was found (recall). Both are computed from group sizes, never by enumerating
pairs, so a million records take seconds. Records present in only one of the two tables
are counted and named, never dropped silently.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RecordKey = tuple[str, str]
"""(source, record_id): a record's identity across every table yidang writes."""


@dataclass(frozen=True, slots=True)
class LinkageMetrics:
    """Headline figures of a clustering against the truth."""

    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    records: int
    missing_records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    missing_examples: tuple[RecordKey, ...] = ()

    def headline(self) -> dict[str, float | int]:
        """The JSON object ``yidang evaluate --json`` prints."""
        return {
            "pairwise_precision": self.pairwise_precision,
            "pairwise_recall": self.pairwise_recall,
            "pairwise_f1": self.pairwise_f1,
            "bcubed_precision": self.bcubed_precision,
            "bcubed_recall": self.bcubed_recall,
            "bcubed_f1": self.bcubed_f1,
            "records": self.records,
            "missing_records": self.missing_records,
        }


def read_assignment(path: str | Path, column: str) -> dict[RecordKey, str]:
    """Read ``source, record_id, <column>`` from a CSV (clusters.csv or truth.csv)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"source", "record_id", column} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing column(s) {sorted(missing)}")
        return {(row["source"], row["record_id"]): row[column] for row in reader}


def evaluate(
    predicted: Mapping[RecordKey, str], truth: Mapping[RecordKey, str]
) -> LinkageMetrics:
    """Pairwise and B-cubed precision, recall and F1 of ``predicted`` against truth.

    Only records present in both tables are scored; the others are counted in
    ``missing_records`` and the first few named in ``missing_examples``.
    """
    common = predicted.keys() & truth.keys()
    missing = sorted((predicted.keys() | truth.keys()) - common)
    cells = Counter((predicted[k], truth[k]) for k in common)
    cluster_sizes = Counter(predicted[k] for k in common)
    person_sizes = Counter(truth[k] for k in common)

    correct = sum(_pairs(n) for n in cells.values())
    predicted_pairs = sum(_pairs(n) for n in cluster_sizes.values())
    true_pairs = sum(_pairs(n) for n in person_sizes.values())
    precision = _ratio(correct, predicted_pairs)
    recall = _ratio(correct, true_pairs)

    # B-cubed: each record in cell (c, t) has precision n_ct/|c| and recall n_ct/|t|;
    # summing over the n_ct records of a cell gives n_ct^2/|c| and n_ct^2/|t|.
    records = len(common)
    b_precision = sum(n * n / cluster_sizes[c] for (c, _), n in cells.items())
    b_recall = sum(n * n / person_sizes[t] for (_, t), n in cells.items())
    b_precision = b_precision / records if records else 1.0
    b_recall = b_recall / records if records else 1.0
    return LinkageMetrics(
        pairwise_precision=precision,
        pairwise_recall=recall,
        pairwise_f1=_f1(precision, recall),
        bcubed_precision=b_precision,
        bcubed_recall=b_recall,
        bcubed_f1=_f1(b_precision, b_recall),
        records=records,
        missing_records=len(missing),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct,
        missing_examples=tuple(missing[:10]),
    )


def pairs_of(assignment: Mapping[RecordKey, str]) -> set[tuple[RecordKey, RecordKey]]:
    """Every unordered pair placed together, enumerated: for small tables and tests."""
    groups: dict[str, list[RecordKey]] = {}
    for key, group in assignment.items():
        groups.setdefault(group, []).append(key)
    return {
        (a, b) if a < b else (b, a)
        for members in groups.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    }


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _ratio(numerator: int, denominator: int) -> float:
    # No predicted pairs: nothing claimed, nothing wrong; precision is 1 by convention.
    return numerator / denominator if denominator else 1.0


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0

