"""Tests of sample-based audits: sizing, drawing, the sample file, and the estimates."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from evaluation import audit
from evaluation.audit import (
    AuditPair,
    AuditRow,
    SampleFileError,
    StratumKey,
    band_midpoint,
    clopper_pearson_interval,
    draw_sample,
    estimate,
    read_sample,
    regularised_incomplete_beta,
    sample_size,
    wilson_interval,
    write_sample,
)


def test_public_names_are_pinned() -> None:
    assert sorted(audit.__all__) == [
        "AuditEstimate",
        "AuditPair",
        "AuditRow",
        "BANDS",
        "LABELS",
        "Proportion",
        "SAMPLE_COLUMNS",
        "Sample",
        "SampleFileError",
        "Stratum",
        "StratumEstimate",
        "StratumKey",
        "band_midpoint",
        "clopper_pearson_interval",
        "draw_sample",
        "estimate",
        "read_sample",
        "regularised_incomplete_beta",
        "sample_size",
        "wilson_interval",
        "write_sample",
        "z_score",
    ]


# Sizing. At 95%, z = 1.959964 and z² = 3.841459; for a margin e = 0.05 and p = 0.5,
# n0 = 3.841459 × 0.25 / 0.0025 = 384.146.


@pytest.mark.parametrize(
    ("population", "rate", "minimum", "expected"),
    [
        # 384.146 / (1 + 383.146 / 1000) = 277.73 -> 278
        (1000, 0.5, 10, 278),
        # 384.146 / (1 + 383.146 / 200) = 131.75 -> 132
        (200, 0.5, 10, 132),
        # 384.146 / (1 + 383.146 / 5) = 4.95 -> 5, the whole stratum
        (5, 0.5, 10, 5),
        # n0 = 3.841459 × 0.09 / 0.0025 = 138.29; 138.29 / 1.13729 = 121.60 -> 122
        (1000, 0.9, 10, 122),
        # n0 = 15.21; 15.21 / 1.01421 = 15.00 -> 15
        (1000, 0.99, 10, 15),
        # ... raised to the minimum of 30
        (1000, 0.99, 30, 30),
        # a certain rate needs no sample but the minimum
        (1000, 1.0, 10, 10),
        (0, 0.5, 10, 0),
    ],
)
def test_stratum_size_follows_the_formula_with_finite_population_correction(
    population: int, rate: float, minimum: int, expected: int
) -> None:
    assert (
        sample_size(population, margin=0.05, expected_rate=rate, minimum=minimum)
        == expected
    )


def test_stratum_size_grows_towards_n0_for_large_populations() -> None:
    assert sample_size(10**9, margin=0.05) == 385  # ceil(384.146)
    assert sample_size(10**9, margin=0.05, confidence=0.99) == 664  # 2.5758² / 0.01


def test_sizing_rejects_impossible_settings() -> None:
    with pytest.raises(ValueError, match="margin"):
        sample_size(100, margin=0)
    with pytest.raises(ValueError, match="confidence"):
        sample_size(100, margin=0.05, confidence=1)
    with pytest.raises(ValueError, match="expected rate"):
        sample_size(100, margin=0.05, expected_rate=1.5)


# Drawing.


def _pairs(
    count: int, probability: float, *, linked: bool, right: str = "pension"
) -> list[AuditPair]:
    return [
        AuditPair(
            "hukou", f"{linked}-{probability}-{i}", right, str(i), probability, linked
        )
        for i in range(count)
    ]


POPULATION = [
    *_pairs(1000, 0.995, linked=True),
    *_pairs(200, 0.9, linked=True),
    *_pairs(5, 0.9, linked=True, right="medical"),
    *_pairs(300, 0.6, linked=False),
    *_pairs(3, 0.5, linked=False),  # 0.5 opens the band [0.5, 0.8)
    *_pairs(2, 1.0, linked=False),  # 1 closes the last band [0.99, 1]
]


def test_strata_split_links_from_non_links_then_by_band_and_source_pair() -> None:
    sample = draw_sample(POPULATION, margin=0.05, seed=1)

    got = [(s.key.name, s.population, s.sample_size) for s in sample.strata]
    assert got == [
        ("link/0.8-0.95/hukou|medical", 5, 5),
        ("link/0.8-0.95/hukou|pension", 200, 132),
        ("link/0.99-1/hukou|pension", 1000, 278),
        ("non-link/0.5-0.8/hukou|pension", 303, 170),
        ("non-link/0.99-1/hukou|pension", 2, 2),
    ]
    assert len(sample.rows) == 5 + 132 + 278 + 170 + 2
    for stratum in sample.strata:
        rows = [r for r in sample.rows if r.stratum == stratum.key]
        assert len(rows) == len({r.pair for r in rows}) == stratum.sample_size
        assert all(r.population == stratum.population for r in rows)


def test_the_same_seed_draws_the_same_sample_whatever_the_input_order() -> None:
    shuffled = list(POPULATION)
    random.Random(7).shuffle(shuffled)

    first = draw_sample(POPULATION, margin=0.1, seed=3)
    again = draw_sample(shuffled, margin=0.1, seed=3)
    other = draw_sample(POPULATION, margin=0.1, seed=4)

    assert first == again
    assert first.rows != other.rows


def test_strata_can_be_coarser_and_sized_by_a_prior() -> None:
    sample = draw_sample(
        POPULATION, margin=0.05, seed=1, strata_by=(), expected_rate=band_midpoint
    )

    assert [(s.key.name, s.population) for s in sample.strata] == [
        ("link/all/all", 1205),
        ("non-link/all/all", 305),
    ]
    assert band_midpoint(StratumKey(True, "0.95-0.99", "all")) == pytest.approx(0.97)
    with pytest.raises(ValueError, match="stratify"):
        draw_sample(POPULATION, margin=0.05, seed=1, strata_by=("region",))
    with pytest.raises(ValueError, match="probability"):
        draw_sample(_pairs(1, 1.2, linked=True), margin=0.05, seed=1)


# The sample file.


def test_sample_file_round_trips_with_blank_labels(tmp_path: Path) -> None:
    sample = draw_sample(POPULATION, margin=0.1, seed=2)
    path = tmp_path / "sample.csv"

    write_sample(sample, path)
    rows = read_sample(path)

    assert rows == list(sample.rows)
    assert all(row.label == "" for row in rows)
    assert path.read_text(encoding="utf-8-sig").splitlines()[0] == ",".join(
        audit.SAMPLE_COLUMNS
    )


def test_labels_are_read_regardless_of_case_and_spaces(tmp_path: Path) -> None:
    path = _labelled_file(tmp_path, [" Match ", "NOT_MATCH", "unsure", ""])

    assert [row.label for row in read_sample(path)] == [
        "match",
        "not_match",
        "unsure",
        "",
    ]


def test_an_unknown_label_is_named_with_its_row_and_column(tmp_path: Path) -> None:
    path = _labelled_file(tmp_path, ["match", "yes"])

    with pytest.raises(SampleFileError, match=r"row 3, column 'label'.*'yes'"):
        read_sample(path)


def test_unreadable_sample_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(audit.SAMPLE_COLUMNS) + "\n", encoding="utf-8")
    no_label = tmp_path / "no_label.csv"
    no_label.write_text("stratum,linked\n", encoding="utf-8")

    with pytest.raises(SampleFileError, match="empty"):
        read_sample(empty)
    with pytest.raises(SampleFileError, match="no rows"):
        read_sample(header_only)
    with pytest.raises(SampleFileError, match=r"missing column.*label"):
        read_sample(no_label)


def test_a_bad_number_is_named_with_its_row_and_column(tmp_path: Path) -> None:
    path = _labelled_file(tmp_path, ["match"])
    text = path.read_text(encoding="utf-8-sig").replace(",5,", ",five,", 1)
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SampleFileError, match="row 2, column 'stratum_population'"):
        read_sample(path)


def _labelled_file(tmp_path: Path, labels: list[str]) -> Path:
    key = StratumKey(True, "0.99-1", "hukou|pension")
    rows = [
        AuditRow(key, 5, 5, _pairs(1, 0.999, linked=True)[0], label) for label in labels
    ]
    sample = audit.Sample(tuple(rows), (), 0.05, 0.95, 0)
    path = tmp_path / "labelled.csv"
    write_sample(sample, path)
    return path


# Intervals for one proportion.


def test_wilson_interval_matches_known_values() -> None:
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)


def test_clopper_pearson_interval_matches_known_values() -> None:
    assert clopper_pearson_interval(8, 10) == pytest.approx((0.4439, 0.9748), abs=1e-4)
    # k = 0 and k = n: the one-sided bounds 1 - (alpha/2)^(1/n).
    upper = 1 - 0.025 ** (1 / 10)
    assert clopper_pearson_interval(0, 10) == pytest.approx((0.0, upper))
    assert clopper_pearson_interval(10, 10) == pytest.approx((1 - upper, 1.0))
    assert clopper_pearson_interval(1, 1, confidence=0.9) == pytest.approx((0.05, 1.0))


def test_exact_interval_is_wider_than_wilson() -> None:
    for successes, trials in [(8, 10), (48, 50), (400, 1000)]:
        w_low, w_high = wilson_interval(successes, trials)
        c_low, c_high = clopper_pearson_interval(successes, trials)
        assert c_low < w_low and c_high > w_high


@pytest.mark.parametrize(("n", "k", "p"), [(10, 3, 0.2), (25, 20, 0.9), (300, 7, 0.01)])
def test_incomplete_beta_is_the_binomial_tail(n: int, k: int, p: float) -> None:
    # For X ~ Bin(n, p): P(X >= k) = I_p(k, n - k + 1).
    tail = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))

    assert regularised_incomplete_beta(p, k, n - k + 1) == pytest.approx(tail, rel=1e-9)


def test_intervals_refuse_an_empty_count() -> None:
    with pytest.raises(ValueError):
        wilson_interval(0, 0)
    with pytest.raises(ValueError):
        clopper_pearson_interval(3, 2)


# Estimating.


def _rows(key: StratumKey, population: int, labels: dict[str, int]) -> list[AuditRow]:
    pair = _pairs(1, 0.9, linked=key.linked)[0]
    size = sum(labels.values())
    return [
        AuditRow(key, population, size, pair, label)
        for label, count in labels.items()
        for _ in range(count)
    ]


SURE = StratumKey(True, "0.99-1", "all")
DOUBTFUL = StratumKey(True, "0.5-0.8", "all")
LEFT_OUT = StratumKey(False, "0.5-0.8", "all")


def test_worked_example_estimate() -> None:
    rows = [
        *_rows(SURE, 900, {"match": 9, "not_match": 1}),
        *_rows(DOUBTFUL, 100, {"match": 5, "not_match": 5, "unsure": 2}),
        *_rows(LEFT_OUT, 1000, {"match": 2, "not_match": 18, "unsure": 1, "": 1}),
    ]

    result = estimate(rows)

    # Precision: W = 0.9, 0.1; p = 0.9, 0.5 -> 0.9 × 0.9 + 0.1 × 0.5 = 0.86.
    # Var = 0.81 × (1 - 10/900) × 0.9 × 0.1 / 10 + 0.01 × (1 - 10/100) × 0.25 / 10
    #     = 0.0072090 + 0.0002250 = 0.0074340; se = 0.086221; z se = 0.168990.
    assert result.precision is not None
    assert result.precision.estimate == pytest.approx(0.86)
    assert result.precision.low == pytest.approx(0.86 - 0.168990, abs=1e-5)
    assert result.precision.high == 1.0  # 1.0290, clipped
    # Recall: T_L = 1000 × 0.86 = 860, T_N = 1000 × 2/20 = 100 -> 860 / 960.
    assert result.true_links == pytest.approx(860)
    assert result.missed_matches == pytest.approx(100)
    assert result.recall is not None
    assert result.recall.estimate == pytest.approx(860 / 960)
    # Var(T_L) = 1000² × 0.0074340 = 7434; Var(T_N) = 1000² × (1 - 20/1000) × 0.09 / 20
    # = 4410; Var(R) = (100² × 7434 + 860² × 4410) / 960⁴ = 0.0039277; z se = 0.122834.
    assert result.recall.low == pytest.approx(860 / 960 - 0.122834, abs=1e-5)
    assert (result.labelled, result.unsure, result.unlabelled) == (40, 3, 1)
    strata = {s.stratum: s for s in result.strata}
    assert strata[DOUBTFUL].match_rate is not None
    assert strata[DOUBTFUL].match_rate.estimate == 0.5
    assert (strata[DOUBTFUL].match_rate.low, strata[DOUBTFUL].match_rate.high) == (
        pytest.approx(wilson_interval(5, 10))
    )


def test_exact_stratum_intervals_on_request() -> None:
    result = estimate(
        _rows(SURE, 900, {"match": 8, "not_match": 2}), interval="clopper-pearson"
    )

    rate = result.strata[0].match_rate
    assert rate is not None
    assert (rate.low, rate.high) == pytest.approx((0.4439, 0.9748), abs=1e-4)
    with pytest.raises(ValueError, match="interval"):
        estimate([], interval="bayes")


def test_a_stratum_without_labels_is_named_and_stood_in_for() -> None:
    rows = [
        *_rows(SURE, 900, {"match": 9, "not_match": 1}),
        *_rows(DOUBTFUL, 100, {"unsure": 3}),
    ]

    result = estimate(rows)

    assert result.strata_without_labels == ("link/0.5-0.8/all",)
    assert result.precision is not None
    assert result.precision.estimate == pytest.approx(0.9)
    # With no non-link stratum at all, no match can have been left unlinked.
    assert result.recall is not None
    assert result.recall.estimate == 1.0


def test_nothing_labelled_gives_no_estimate() -> None:
    result = estimate([*_rows(SURE, 900, {"": 5}), *_rows(LEFT_OUT, 50, {"unsure": 2})])

    assert result.precision is None
    assert result.recall is None
    assert result.true_links is None
    assert result.missed_matches is None


def test_inconsistent_stratum_sizes_are_refused() -> None:
    rows = [*_rows(SURE, 900, {"match": 1}), *_rows(SURE, 800, {"match": 1})]

    with pytest.raises(ValueError, match="two populations"):
        estimate(rows)
    with pytest.raises(ValueError, match="more labelled pairs"):
        estimate(_rows(SURE, 2, {"match": 3}))


def test_stratified_intervals_cover_the_true_precision_about_95_times_in_100() -> None:
    rng = random.Random(20261203)
    population: list[AuditPair] = []
    truth: set[AuditPair] = set()
    for band, size, rate in [(0.995, 1200, 0.97), (0.9, 600, 0.85), (0.6, 400, 0.6)]:
        pairs = _pairs(size, band, linked=True)
        population.extend(pairs)
        truth.update(rng.sample(pairs, round(rate * size)))
    true_precision = len(truth) / len(population)

    covered = 0
    audits = 300
    for seed in range(audits):
        sample = draw_sample(population, margin=0.1, seed=seed)
        labelled = [
            AuditRow(
                r.stratum,
                r.population,
                r.sample_size,
                r.pair,
                "match" if r.pair in truth else "not_match",
            )
            for r in sample.rows
        ]
        precision = estimate(labelled).precision
        assert precision is not None
        covered += precision.low <= true_precision <= precision.high

    assert 0.90 <= covered / audits <= 0.99
