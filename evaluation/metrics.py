"""Linkage metrics on plain tables: (source, record_id) -> cluster id, and the truth.

Pairwise figures count pairs of records placed together; B-cubed figures average, over
records, how much of a record's cluster is right (precision) and how much of its true
person was found (recall). Cluster counts name the wrong merges and wrong splits, and
the pairwise figures break down per source pair and per region. All of these are
computed from group sizes, never by enumerating pairs, so a million records take
seconds. Records present in only one of the two tables are counted and named, never
dropped silently. Scored candidate pairs get a threshold sweep and a blocking recall,
both measured against every true pair, so pairs that blocking never proposed count as
missed.
"""

from __future__ import annotations

import bisect
import csv
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CROSS_REGION",
    "UNKNOWN_REGION",
    "BlockingRecall",
    "ClusterErrors",
    "LinkageMetrics",
    "PairCounts",
    "RecordKey",
    "RecordPair",
    "ScoredPair",
    "SweepPoint",
    "blocking_recall",
    "cluster_errors",
    "evaluate",
    "pairs_of",
    "pairwise_by_region",
    "pairwise_by_source_pair",
    "read_assignment",
    "threshold_for_precision",
    "threshold_sweep",
]

RecordKey = tuple[str, str]
"""(source, record_id): a record's identity across every table yidang writes."""

RecordPair = tuple[RecordKey, RecordKey]
"""Two records; metrics treat (a, b) and (b, a) as the same pair."""

ScoredPair = tuple[RecordKey, RecordKey, float]
"""Two records and the match probability the model gave them."""

CROSS_REGION = "cross-region"
"""The region of a pair whose two records lie in different regions."""

UNKNOWN_REGION = "unknown"
"""The region of a record that ``region_of`` does not place (absent or blank)."""


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


@dataclass(frozen=True, slots=True)
class PairCounts:
    """Pairs in one slice of the data: true, predicted, and both at once."""

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        """Share of predicted pairs that are true (1.0 when none is predicted)."""
        return _ratio(self.correct_pairs, self.predicted_pairs)

    @property
    def recall(self) -> float:
        """Share of true pairs that were predicted (1.0 when there are none)."""
        return _ratio(self.correct_pairs, self.true_pairs)

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        return _f1(self.precision, self.recall)


@dataclass(frozen=True, slots=True)
class ClusterErrors:
    """Whole-cluster mistakes: merges of different persons and splits of one person.

    Attributes:
        predicted_clusters: Clusters in the prediction (records in both tables only).
        true_persons: Persons in the truth (records in both tables only).
        exact_clusters: Predicted clusters that hold exactly one true person's records.
        wrong_merges: Predicted clusters holding records of more than one true person.
        merged_extra_persons: Over those clusters, the persons beyond the first.
        wrong_splits: True persons whose records lie in more than one cluster.
        split_extra_clusters: Over those persons, the clusters beyond the first.
        merge_examples: Up to ``examples`` wrongly merged cluster ids, worst first.
        split_examples: Up to ``examples`` split person keys, worst first.
    """

    predicted_clusters: int
    true_persons: int
    exact_clusters: int
    wrong_merges: int
    merged_extra_persons: int
    wrong_splits: int
    split_extra_clusters: int
    merge_examples: tuple[str, ...] = ()
    split_examples: tuple[str, ...] = ()


def cluster_errors(
    predicted: Mapping[RecordKey, str],
    truth: Mapping[RecordKey, str],
    *,
    examples: int = 10,
) -> ClusterErrors:
    """Count wrong merges and wrong splits of ``predicted`` against the truth.

    Only records present in both tables are counted, as in :func:`evaluate`.
    """
    common = predicted.keys() & truth.keys()
    persons_in: dict[str, set[str]] = defaultdict(set)
    clusters_of: dict[str, set[str]] = defaultdict(set)
    for key in common:
        persons_in[predicted[key]].add(truth[key])
        clusters_of[truth[key]].add(predicted[key])

    cells = Counter((predicted[k], truth[k]) for k in common)
    cluster_sizes = Counter(predicted[k] for k in common)
    person_sizes = Counter(truth[k] for k in common)
    exact = sum(
        1 for (c, t), n in cells.items() if n == cluster_sizes[c] == person_sizes[t]
    )
    merges = _worst_first({c: len(ts) - 1 for c, ts in persons_in.items()})
    splits = _worst_first({t: len(cs) - 1 for t, cs in clusters_of.items()})
    return ClusterErrors(
        predicted_clusters=len(persons_in),
        true_persons=len(clusters_of),
        exact_clusters=exact,
        wrong_merges=len(merges),
        merged_extra_persons=sum(extra for _, extra in merges),
        wrong_splits=len(splits),
        split_extra_clusters=sum(extra for _, extra in splits),
        merge_examples=tuple(name for name, _ in merges[:examples]),
        split_examples=tuple(name for name, _ in splits[:examples]),
    )


def pairwise_by_source_pair(
    predicted: Mapping[RecordKey, str], truth: Mapping[RecordKey, str]
) -> dict[tuple[str, str], PairCounts]:
    """Pairwise counts per pair of sources, e.g. ``("hukou", "pension")``.

    Keys are sorted pairs of source names; ``("hukou", "hukou")`` holds the pairs within
    one source (duplicates in a registry). Only source pairs with at least one true or
    predicted pair appear. Only records present in both tables are counted.
    """
    return _label_pair_counts(predicted, truth, lambda key: key[0])


def pairwise_by_region(
    predicted: Mapping[RecordKey, str],
    truth: Mapping[RecordKey, str],
    region_of: Mapping[RecordKey, str],
) -> dict[str, PairCounts]:
    """Pairwise counts per region: a pair counts where both its records lie.

    Pairs whose records lie in different regions count under :data:`CROSS_REGION`;
    records that ``region_of`` does not place (absent or blank) are in
    :data:`UNKNOWN_REGION`. Only regions with a true or a predicted pair appear.
    """

    def region(key: RecordKey) -> str:
        return region_of.get(key) or UNKNOWN_REGION

    by_pair = _label_pair_counts(predicted, truth, region)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (a, b), counts in by_pair.items():
        total = totals[a if a == b else CROSS_REGION]
        total[0] += counts.true_pairs
        total[1] += counts.predicted_pairs
        total[2] += counts.correct_pairs
    return {name: PairCounts(*total) for name, total in sorted(totals.items())}


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """Pairwise figures of the candidate pairs scored at or above one threshold.

    Attributes:
        threshold: Pairs with a match probability at or above this are predicted.
        predicted_pairs: Predicted pairs whose two records are both in the truth.
        correct_pairs: Predicted pairs of the same true person.
        true_pairs: Every true pair in the truth, proposed by blocking or not.
        unjudged_pairs: Predicted pairs with a record absent from the truth; they
            count in neither precision nor recall.
        precision: ``correct_pairs / predicted_pairs`` (1.0 when none is predicted).
        recall: ``correct_pairs / true_pairs``.
        f1: Harmonic mean of precision and recall.
    """

    threshold: float
    predicted_pairs: int
    correct_pairs: int
    true_pairs: int
    unjudged_pairs: int
    precision: float
    recall: float
    f1: float


def threshold_sweep(
    scored_pairs: Iterable[ScoredPair],
    truth: Mapping[RecordKey, str],
    thresholds: Iterable[float],
) -> list[SweepPoint]:
    """Pairwise precision, recall and F1 of the scored pairs at each threshold.

    A pair is predicted at a threshold when its probability is at or above it (the
    project file's "link at or above"). A pair given twice, in either order, keeps its
    highest probability; a record paired with itself is ignored. Recall is relative to
    all true pairs in ``truth``, so true pairs that blocking never proposed count as
    missed at every threshold.

    Returns:
        One point per distinct threshold, in increasing order of threshold.
    """
    best = _best_probabilities(scored_pairs)
    judged: list[float] = []
    correct: list[float] = []
    unjudged: list[float] = []
    for (a, b), probability in best.items():
        if a not in truth or b not in truth:
            unjudged.append(probability)
            continue
        judged.append(probability)
        if truth[a] == truth[b]:
            correct.append(probability)
    for values in (judged, correct, unjudged):
        values.sort()
    true_pairs = sum(_pairs(n) for n in Counter(truth.values()).values())

    points = []
    for threshold in sorted(set(thresholds)):
        predicted_pairs = _at_or_above(judged, threshold)
        correct_pairs = _at_or_above(correct, threshold)
        precision = _ratio(correct_pairs, predicted_pairs)
        recall = _ratio(correct_pairs, true_pairs)
        points.append(
            SweepPoint(
                threshold=threshold,
                predicted_pairs=predicted_pairs,
                correct_pairs=correct_pairs,
                true_pairs=true_pairs,
                unjudged_pairs=_at_or_above(unjudged, threshold),
                precision=precision,
                recall=recall,
                f1=_f1(precision, recall),
            )
        )
    return points


def threshold_for_precision(
    points: Iterable[SweepPoint], target: float
) -> float | None:
    """The lowest threshold whose precision meets ``target``, or None if none does.

    The lowest such threshold keeps the most true pairs. Points that predict no pair
    are passed over: their precision of 1.0 is a convention, not a measurement.
    """
    meeting = [
        point.threshold
        for point in points
        if point.predicted_pairs > 0 and point.precision >= target
    ]
    return min(meeting) if meeting else None


@dataclass(frozen=True, slots=True)
class BlockingRecall:
    """How many true pairs blocking proposed as candidates.

    Attributes:
        candidate_pairs: Distinct candidate pairs proposed (a record with itself is
            not a pair).
        true_pairs: Every true pair in the truth.
        proposed_true_pairs: True pairs among the candidates.
        recall: ``proposed_true_pairs / true_pairs`` (1.0 when there are none).
        missed_examples: Up to ``examples`` true pairs never proposed, in key order.
    """

    candidate_pairs: int
    true_pairs: int
    proposed_true_pairs: int
    recall: float
    missed_examples: tuple[RecordPair, ...] = ()


def blocking_recall(
    candidate_pairs: Iterable[RecordPair],
    truth: Mapping[RecordKey, str],
    *,
    examples: int = 10,
) -> BlockingRecall:
    """Share of the true pairs that blocking proposed, with a few it missed."""
    proposed = {_ordered(a, b) for a, b in candidate_pairs if a != b}
    found = sum(
        1 for a, b in proposed if a in truth and b in truth and truth[a] == truth[b]
    )
    true_pairs = sum(_pairs(n) for n in Counter(truth.values()).values())

    missed: list[RecordPair] = []
    if found < true_pairs:
        for pair in _true_pairs_in_order(truth):
            if pair not in proposed:
                missed.append(pair)
                if len(missed) >= examples:
                    break
    return BlockingRecall(
        candidate_pairs=len(proposed),
        true_pairs=true_pairs,
        proposed_true_pairs=found,
        recall=_ratio(found, true_pairs),
        missed_examples=tuple(missed),
    )


def _label_pair_counts(
    predicted: Mapping[RecordKey, str],
    truth: Mapping[RecordKey, str],
    label: Callable[[RecordKey], str],
) -> dict[tuple[str, str], PairCounts]:
    """Pairwise counts per unordered pair of record labels (sources or regions)."""
    common = predicted.keys() & truth.keys()
    labelled = [(key, label(key)) for key in common]
    true = _pairs_per_label_pair(Counter((truth[k], s) for k, s in labelled))
    found = _pairs_per_label_pair(Counter((predicted[k], s) for k, s in labelled))
    both = _pairs_per_label_pair(
        Counter(((predicted[k], truth[k]), s) for k, s in labelled)
    )
    return {
        pair: PairCounts(true[pair], found[pair], both[pair])
        for pair in sorted(true.keys() | found.keys())
    }


def _pairs_per_label_pair(
    cells: Mapping[tuple[Hashable, str], int],
) -> Counter[tuple[str, str]]:
    """Pairs inside groups, per unordered label pair, from counts per (group, label).

    A group holding n_a records labelled a and n_b labelled b holds n_a * n_b pairs
    labelled (a, b) and n_a (n_a - 1) / 2 labelled (a, a); summing over groups costs
    one step per pair of labels present in a group, not one per pair of records.
    """
    by_group: dict[Hashable, list[tuple[str, int]]] = defaultdict(list)
    for (group, label), n in cells.items():
        by_group[group].append((label, n))
    pairs: Counter[tuple[str, str]] = Counter()
    for labels in by_group.values():
        labels.sort()
        for i, (a, n_a) in enumerate(labels):
            if n_a > 1:
                pairs[a, a] += _pairs(n_a)
            for b, n_b in labels[i + 1 :]:
                pairs[a, b] += n_a * n_b
    return pairs


def _worst_first(extras: Mapping[str, int]) -> list[tuple[str, int]]:
    """The names with a positive extra count, largest first, then by name."""
    return sorted(
        ((name, extra) for name, extra in extras.items() if extra > 0),
        key=lambda item: (-item[1], item[0]),
    )


def _best_probabilities(scored_pairs: Iterable[ScoredPair]) -> dict[RecordPair, float]:
    best: dict[RecordPair, float] = {}
    for a, b, probability in scored_pairs:
        if a == b or math.isnan(probability):
            continue
        pair = _ordered(a, b)
        best[pair] = max(best.get(pair, probability), probability)
    return best


def _true_pairs_in_order(truth: Mapping[RecordKey, str]) -> Iterator[RecordPair]:
    """Every true pair, person by person in key order, enumerated lazily."""
    members: dict[str, list[RecordKey]] = defaultdict(list)
    for key, person in truth.items():
        members[person].append(key)
    for person in sorted(members):
        keys = sorted(members[person])
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                yield a, b


def _at_or_above(ascending: Sequence[float], threshold: float) -> int:
    return len(ascending) - bisect.bisect_left(ascending, threshold)


def _ordered(a: RecordKey, b: RecordKey) -> RecordPair:
    return (a, b) if a < b else (b, a)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _ratio(numerator: int, denominator: int) -> float:
    # No predicted pairs: nothing claimed, nothing wrong; precision is 1 by convention.
    return numerator / denominator if denominator else 1.0


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0
