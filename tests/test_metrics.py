"""Tests of the linkage metrics: worked figures, then brute force on random tables."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import metrics
from evaluation.metrics import (
    CROSS_REGION,
    UNKNOWN_REGION,
    PairCounts,
    RecordKey,
    RecordPair,
    blocking_recall,
    cluster_errors,
    evaluate,
    pairs_of,
    pairwise_by_region,
    pairwise_by_source_pair,
    threshold_for_precision,
    threshold_sweep,
)

# The worked example: eight records of four true persons, clustered into five.
#
#   record      person  cluster  region
#   hukou/1     A       X        110101
#   pension/1   A       X        110101
#   medical/1   A       Y        110102
#   hukou/2     B       X        110101
#   pension/2   B       Z        110102
#   hukou/3     C       W        110101
#   pension/3   C       W        110101
#   medical/4   D       V        110102
#
# plus tax/9, only in the clusters, and hukou/10, only in the truth.
#
# Clusters X = {h1, p1, h2}, Y = {m1}, Z = {p2}, W = {h3, p3}, V = {m4}.
# Persons  A = {h1, p1, m1}, B = {h2, p2}, C = {h3, p3}, D = {m4}.

H1, P1, M1 = ("hukou", "1"), ("pension", "1"), ("medical", "1")
H2, P2 = ("hukou", "2"), ("pension", "2")
H3, P3, M4 = ("hukou", "3"), ("pension", "3"), ("medical", "4")
ONLY_PREDICTED, ONLY_TRUE = ("tax", "9"), ("hukou", "10")

PREDICTED = {
    H1: "X", P1: "X", M1: "Y", H2: "X", P2: "Z", H3: "W", P3: "W", M4: "V",
    ONLY_PREDICTED: "U",
}  # fmt: skip
TRUTH = {
    H1: "A", P1: "A", M1: "A", H2: "B", P2: "B", H3: "C", P3: "C", M4: "D",
    ONLY_TRUE: "E",
}  # fmt: skip
REGION = {
    H1: "110101", P1: "110101", M1: "110102", H2: "110101", P2: "110102",
    H3: "110101", P3: "110101", M4: "110102",
}  # fmt: skip


def test_public_names_are_pinned() -> None:
    assert sorted(metrics.__all__) == [
        "BlockingRecall",
        "CROSS_REGION",
        "ClusterErrors",
        "LinkageMetrics",
        "PairCounts",
        "RecordKey",
        "RecordPair",
        "ScoredPair",
        "SweepPoint",
        "UNKNOWN_REGION",
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


def test_worked_example_pairwise_and_bcubed() -> None:
    result = evaluate(PREDICTED, TRUTH)

    # Predicted pairs: X has 3, W has 1 -> 4. True pairs: A 3, B 1, C 1 -> 5.
    # Correct: (h1, p1) in X and A, (h3, p3) in W and C -> 2.
    assert (result.predicted_pairs, result.true_pairs, result.correct_pairs) == (
        4,
        5,
        2,
    )
    assert result.pairwise_precision == pytest.approx(2 / 4)
    assert result.pairwise_recall == pytest.approx(2 / 5)
    assert result.pairwise_f1 == pytest.approx(2 * 0.5 * 0.4 / 0.9)
    # B-cubed precision per record, |cluster ∩ person| / |cluster|:
    # h1 2/3, p1 2/3, h2 1/3, m1 1, p2 1, h3 1, p3 1, m4 1 -> (20/3) / 8 = 5/6.
    assert result.bcubed_precision == pytest.approx(5 / 6)
    # B-cubed recall per record, |cluster ∩ person| / |person|:
    # h1 2/3, p1 2/3, m1 1/3, h2 1/2, p2 1/2, h3 1, p3 1, m4 1 -> (17/3) / 8 = 17/24.
    assert result.bcubed_recall == pytest.approx(17 / 24)


def test_records_in_one_table_only_are_counted_and_named() -> None:
    result = evaluate(PREDICTED, TRUTH)

    assert result.records == 8
    assert result.missing_records == 2
    assert result.missing_examples == (ONLY_TRUE, ONLY_PREDICTED)


def test_worked_example_cluster_errors() -> None:
    errors = cluster_errors(PREDICTED, TRUTH)

    # X mixes A and B: one wrong merge, one person too many.
    # A lies in X and Y, B in X and Z: two wrong splits, one extra cluster each.
    # W is exactly C and V exactly D.
    assert errors.predicted_clusters == 5
    assert errors.true_persons == 4
    assert errors.exact_clusters == 2
    assert (errors.wrong_merges, errors.merged_extra_persons) == (1, 1)
    assert (errors.wrong_splits, errors.split_extra_clusters) == (2, 2)
    assert errors.merge_examples == ("X",)
    assert errors.split_examples == ("A", "B")


def test_worked_example_by_source_pair() -> None:
    result = pairwise_by_source_pair(PREDICTED, TRUTH)

    # Predicted: X gives (h1,p1) and (p1,h2) hukou-pension, (h1,h2) hukou-hukou;
    # W gives (h3,p3) hukou-pension. True: A gives hukou-pension, hukou-medical and
    # medical-pension; B and C one hukou-pension each. Correct: (h1,p1) and (h3,p3).
    assert result == {
        ("hukou", "hukou"): PairCounts(
            true_pairs=0, predicted_pairs=1, correct_pairs=0
        ),
        ("hukou", "medical"): PairCounts(1, 0, 0),
        ("hukou", "pension"): PairCounts(3, 3, 2),
        ("medical", "pension"): PairCounts(1, 0, 0),
    }
    hukou_pension = result["hukou", "pension"]
    assert hukou_pension.precision == pytest.approx(2 / 3)
    assert hukou_pension.recall == pytest.approx(2 / 3)
    assert result["hukou", "hukou"].precision == 0.0
    assert result["hukou", "medical"].recall == 0.0


def test_worked_example_by_region() -> None:
    result = pairwise_by_region(PREDICTED, TRUTH, REGION)

    # Every predicted pair (X: 3, W: 1) lies in 110101. True pairs in 110101:
    # (h1,p1) and (h3,p3); across regions: (h1,m1), (p1,m1), (h2,p2). 110102 holds
    # no pair at all, so it does not appear.
    assert result == {
        "110101": PairCounts(true_pairs=2, predicted_pairs=4, correct_pairs=2),
        CROSS_REGION: PairCounts(3, 0, 0),
    }
    assert result["110101"].precision == pytest.approx(0.5)
    assert result["110101"].recall == 1.0
    assert result[CROSS_REGION].recall == 0.0


def test_records_without_a_region_are_in_the_unknown_region() -> None:
    result = pairwise_by_region(PREDICTED, TRUTH, {H1: "", P1: "110101"})

    # Only p1 is placed (h1's region is blank): it pairs across regions with h1 and m1;
    # (h1,m1), (h2,p2) and (h3,p3) lie wholly in the unknown region.
    assert result[UNKNOWN_REGION].true_pairs == 3
    assert result[CROSS_REGION].true_pairs == 2


SCORED = [
    (H1, P1, 0.99),  # true
    (P1, H1, 0.30),  # the same pair again, reversed: the higher score stands
    (H1, H2, 0.90),  # false
    (P1, H2, 0.85),  # false
    (H3, P3, 0.97),  # true
    (H1, M1, 0.60),  # true
    (P2, M4, 0.40),  # false
    (ONLY_PREDICTED, H1, 0.95),  # not in the truth: unjudged
    (H1, H1, 1.00),  # a record with itself: ignored
]


def test_worked_example_threshold_sweep() -> None:
    points = threshold_sweep(SCORED, TRUTH, [0.98, 0.5, 0.8, 0.95])

    # True pairs in the truth: A 3, B 1, C 1 -> 5, whatever blocking proposed.
    # At 0.5: .99 .90 .85 .97 .60 -> 5 predicted, 3 correct.
    # At 0.8: .99 .90 .85 .97 -> 4 predicted, 2 correct.
    # At 0.95: .99 .97 -> 2 predicted, 2 correct (and the unjudged .95).
    # At 0.98: .99 -> 1 predicted, 1 correct.
    got = [
        (p.threshold, p.predicted_pairs, p.correct_pairs, p.unjudged_pairs)
        for p in points
    ]
    assert got == [(0.5, 5, 3, 1), (0.8, 4, 2, 1), (0.95, 2, 2, 1), (0.98, 1, 1, 0)]
    assert all(p.true_pairs == 5 for p in points)
    assert [p.precision for p in points] == pytest.approx([0.6, 0.5, 1.0, 1.0])
    assert [p.recall for p in points] == pytest.approx([0.6, 0.4, 0.4, 0.2])
    assert points[0].f1 == pytest.approx(0.6)


def test_threshold_for_precision_is_the_lowest_that_meets_it() -> None:
    points = threshold_sweep(SCORED, TRUTH, [0.5, 0.8, 0.95, 0.98])

    assert threshold_for_precision(points, 0.9) == 0.95
    assert threshold_for_precision(points, 0.6) == 0.5
    assert threshold_for_precision(points, 1.01) is None


def test_threshold_predicting_nothing_does_not_meet_a_precision_target() -> None:
    points = threshold_sweep(SCORED, TRUTH, [0.5, 0.999])

    assert points[1].predicted_pairs == 0
    assert points[1].precision == 1.0
    assert threshold_for_precision(points, 0.9) is None


def test_worked_example_blocking_recall() -> None:
    candidates = [(H1, P1), (H1, H2), (H3, P3), (P1, H1), (ONLY_PREDICTED, H1)]

    result = blocking_recall(candidates, TRUTH)

    # Four distinct candidates; two of the five true pairs among them.
    assert result.candidate_pairs == 4
    assert (result.proposed_true_pairs, result.true_pairs) == (2, 5)
    assert result.recall == pytest.approx(0.4)
    # Missed, person by person in key order: A's (h1,m1) and (m1,p1), then B's (h2,p2).
    assert result.missed_examples == ((H1, M1), (M1, P1), (H2, P2))
    assert blocking_recall(candidates, TRUTH, examples=1).missed_examples == ((H1, M1),)


def test_an_empty_clustering_claims_nothing() -> None:
    assert evaluate({}, {}).pairwise_precision == 1.0
    assert cluster_errors({}, {}).wrong_merges == 0
    assert pairwise_by_source_pair({}, {}) == {}
    assert threshold_sweep([], {}, [0.5])[0].recall == 1.0
    assert blocking_recall([], {}).recall == 1.0


# Brute force: enumerate every pair on small random tables and compare.

KEYS = [
    (source, str(i)) for source in ("hukou", "pension", "medical") for i in range(5)
]

assignments = st.dictionaries(
    st.sampled_from(KEYS), st.sampled_from(["g0", "g1", "g2", "g3"]), max_size=15
)
regions = st.dictionaries(
    st.sampled_from(KEYS), st.sampled_from(["110101", "110102", ""]), max_size=15
)


def _common_pairs(
    predicted: dict[RecordKey, str], truth: dict[RecordKey, str]
) -> tuple[set[RecordPair], set[RecordPair]]:
    common = predicted.keys() & truth.keys()
    return (
        pairs_of({k: predicted[k] for k in common}),
        pairs_of({k: truth[k] for k in common}),
    )


def _brute_counts(
    found: set[RecordPair], true: set[RecordPair], label: Callable[[RecordPair], Any]
) -> dict[Any, PairCounts]:
    labels = Counter(label(p) for p in true)
    predicted = Counter(label(p) for p in found)
    correct = Counter(label(p) for p in found & true)
    return {
        key: PairCounts(labels[key], predicted[key], correct[key])
        for key in labels.keys() | predicted.keys()
    }


@settings(max_examples=150, deadline=None)
@given(predicted=assignments, truth=assignments)
def test_evaluate_agrees_with_pair_enumeration(
    predicted: dict[RecordKey, str], truth: dict[RecordKey, str]
) -> None:
    found, true = _common_pairs(predicted, truth)
    common = predicted.keys() & truth.keys()

    result = evaluate(predicted, truth)

    assert result.predicted_pairs == len(found)
    assert result.true_pairs == len(true)
    assert result.correct_pairs == len(found & true)
    assert result.missing_records == len(predicted.keys() ^ truth.keys())
    b_precision = b_recall = 0.0
    for key in common:
        cluster = {k for k in common if predicted[k] == predicted[key]}
        person = {k for k in common if truth[k] == truth[key]}
        b_precision += len(cluster & person) / len(cluster)
        b_recall += len(cluster & person) / len(person)
    if common:
        assert result.bcubed_precision == pytest.approx(b_precision / len(common))
        assert result.bcubed_recall == pytest.approx(b_recall / len(common))


@settings(max_examples=150, deadline=None)
@given(predicted=assignments, truth=assignments, region_of=regions)
def test_breakdowns_agree_with_pair_enumeration(
    predicted: dict[RecordKey, str],
    truth: dict[RecordKey, str],
    region_of: dict[RecordKey, str],
) -> None:
    found, true = _common_pairs(predicted, truth)

    def source_pair(pair: RecordPair) -> tuple[str, str]:
        a, b = sorted((pair[0][0], pair[1][0]))
        return a, b

    def region(pair: RecordPair) -> str:
        a, b = (region_of.get(k) or UNKNOWN_REGION for k in pair)
        return a if a == b else CROSS_REGION

    assert pairwise_by_source_pair(predicted, truth) == _brute_counts(
        found, true, source_pair
    )
    assert pairwise_by_region(predicted, truth, region_of) == _brute_counts(
        found, true, region
    )


@settings(max_examples=150, deadline=None)
@given(predicted=assignments, truth=assignments)
def test_cluster_errors_agree_with_set_counting(
    predicted: dict[RecordKey, str], truth: dict[RecordKey, str]
) -> None:
    persons_in: dict[str, set[str]] = defaultdict(set)
    clusters_of: dict[str, set[str]] = defaultdict(set)
    for key in predicted.keys() & truth.keys():
        persons_in[predicted[key]].add(truth[key])
        clusters_of[truth[key]].add(predicted[key])

    errors = cluster_errors(predicted, truth)

    assert errors.wrong_merges == sum(1 for ts in persons_in.values() if len(ts) > 1)
    assert errors.merged_extra_persons == sum(len(t) - 1 for t in persons_in.values())
    assert errors.wrong_splits == sum(1 for cs in clusters_of.values() if len(cs) > 1)
    assert errors.split_extra_clusters == sum(len(c) - 1 for c in clusters_of.values())


@settings(max_examples=100, deadline=None)
@given(
    truth=assignments,
    scores=st.dictionaries(
        st.tuples(st.sampled_from(KEYS), st.sampled_from(KEYS)),
        st.sampled_from([0.1, 0.5, 0.7, 0.9, 1.0]),
        max_size=30,
    ),
)
def test_sweep_and_blocking_recall_agree_with_pair_enumeration(
    truth: dict[RecordKey, str], scores: dict[tuple[RecordKey, RecordKey], float]
) -> None:
    true = pairs_of(truth)
    best: dict[RecordPair, float] = {}
    for (a, b), p in scores.items():
        if a != b:
            pair = (min(a, b), max(a, b))
            best[pair] = max(best.get(pair, 0.0), p)
    scored = [(a, b, p) for (a, b), p in scores.items()]

    for point in threshold_sweep(scored, truth, [0.1, 0.5, 0.7, 0.9, 1.0]):
        kept = {pair for pair, p in best.items() if p >= point.threshold}
        judged = {pair for pair in kept if pair[0] in truth and pair[1] in truth}
        assert point.predicted_pairs == len(judged)
        assert point.correct_pairs == len(judged & true)
        assert point.unjudged_pairs == len(kept - judged)
        assert point.true_pairs == len(true)

    recall = blocking_recall(list(scores), truth, examples=100)
    assert recall.proposed_true_pairs == len(set(best) & true)
    assert set(recall.missed_examples) == true - set(best)


def test_pair_enumeration_matches_combinations() -> None:
    assignment = {H1: "X", P1: "X", H2: "X", M1: "Y"}
    assert pairs_of(assignment) == {
        (min(a, b), max(a, b)) for a, b in combinations([H1, P1, H2], 2)
    }
