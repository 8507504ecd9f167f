"""Sample-based accuracy audits for real data, where there is no ground truth.

An audit draws a stratified random sample of scored pairs (links and non-links apart,
then by probability band and by source pair), sized per stratum for a requested margin
of error; people label each sampled pair match, not_match or unsure; and the labels give
estimates of the precision of the links and of the recall among scored pairs, each with
a confidence interval. Strata are weighted by their share of the population, so a small
sample of the many confident links and a large sample of the few doubtful ones combine
without bias. Recall is relative to the scored pairs: true pairs that blocking never
proposed, or that scored below the threshold at which pairs were kept, are not seen.

Pairs come in as :class:`AuditPair` rows (any iterable of them); the sample goes out to,
and labels come back in, a CSV file with the columns of :data:`SAMPLE_COLUMNS`.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

__all__ = [
    "BANDS",
    "LABELS",
    "SAMPLE_COLUMNS",
    "AuditEstimate",
    "AuditPair",
    "AuditRow",
    "Proportion",
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

BANDS: tuple[float, ...] = (0.0, 0.5, 0.8, 0.95, 0.99, 1.0)
"""Edges of the probability bands: [0, 0.5), [0.5, 0.8), ..., [0.99, 1]."""

LABELS = ("match", "not_match", "unsure")
"""The labels a person may give a sampled pair; a blank label is not yet labelled."""

SAMPLE_COLUMNS = (
    "stratum",
    "linked",
    "band",
    "source_pair",
    "stratum_population",
    "stratum_sample_size",
    "left_source",
    "left_record_id",
    "right_source",
    "right_record_id",
    "match_probability",
    "label",
)
"""Columns of a sample file, in order."""

STRATA_DIMENSIONS = ("band", "source_pair")
ALL = "all"
INTERVALS = ("wilson", "clopper-pearson")


@dataclass(frozen=True, slots=True)
class AuditPair:
    """One scored pair, and whether the run put its two records in one person."""

    left_source: str
    left_record_id: str
    right_source: str
    right_record_id: str
    match_probability: float
    linked: bool

    @property
    def source_pair(self) -> str:
        """The two sources in name order, e.g. ``"hukou|pension"``."""
        return "|".join(sorted((self.left_source, self.right_source)))

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        """A sort key that does not depend on where the pair came from."""
        return (
            self.left_source,
            self.left_record_id,
            self.right_source,
            self.right_record_id,
        )


@dataclass(frozen=True, slots=True)
class StratumKey:
    """What a stratum holds: links or non-links, a probability band, a source pair.

    ``band`` and ``source_pair`` are ``"all"`` when the sample is not stratified by
    them. Bands read ``"0.95-0.99"``: at least 0.95 and below 0.99 (the last band
    includes 1).
    """

    linked: bool
    band: str
    source_pair: str

    @property
    def name(self) -> str:
        """A readable, unique name, e.g. ``"link/0.95-0.99/hukou|pension"``."""
        kind = "link" if self.linked else "non-link"
        return f"{kind}/{self.band}/{self.source_pair}"


@dataclass(frozen=True, slots=True)
class Stratum:
    """A stratum's population, its sample size, and the rate it was sized for."""

    key: StratumKey
    population: int
    sample_size: int
    expected_rate: float


@dataclass(frozen=True, slots=True)
class AuditRow:
    """A sampled pair with its stratum, the stratum's sizes, and its label.

    ``label`` is one of :data:`LABELS`, or blank while the pair waits for a person.
    """

    stratum: StratumKey
    population: int
    sample_size: int
    pair: AuditPair
    label: str = ""


@dataclass(frozen=True, slots=True)
class Sample:
    """A drawn sample: its rows, its strata, and how it was drawn."""

    rows: tuple[AuditRow, ...]
    strata: tuple[Stratum, ...]
    margin: float
    confidence: float
    seed: int


@dataclass(frozen=True, slots=True)
class Proportion:
    """An estimated proportion and its confidence interval."""

    estimate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class StratumEstimate:
    """The labels of one stratum and the share of matches they show.

    Attributes:
        stratum: Which stratum.
        population: Pairs in the stratum.
        matches: Sampled pairs labelled match.
        not_matches: Sampled pairs labelled not_match.
        unsure: Sampled pairs labelled unsure (left out of the estimate).
        unlabelled: Sampled pairs with a blank label (left out of the estimate).
        match_rate: Share of matches among the labelled pairs, with the per-stratum
            interval; None when no pair of the stratum is labelled.
    """

    stratum: StratumKey
    population: int
    matches: int
    not_matches: int
    unsure: int
    unlabelled: int
    match_rate: Proportion | None

    @property
    def labelled(self) -> int:
        """Pairs labelled match or not_match."""
        return self.matches + self.not_matches


@dataclass(frozen=True, slots=True)
class AuditEstimate:
    """What a labelled sample says about the run.

    Attributes:
        precision: Share of links that are true matches, weighted over the link
            strata; None when no link is labelled.
        recall: Estimated true matches among links over those among all scored pairs;
            None when no link, or no sampled non-link, is labelled, or no match is
            seen at all.
        true_links: Estimated number of links that are true matches; None when no
            link is labelled.
        missed_matches: Estimated number of true matches among the non-links; None
            when no sampled non-link is labelled.
        strata: Per-stratum counts and intervals.
        confidence: Confidence level of every interval.
        interval: Method of the per-stratum intervals: "wilson" or "clopper-pearson".
        labelled: Pairs labelled match or not_match.
        unsure: Pairs labelled unsure (excluded).
        unlabelled: Pairs not labelled yet (excluded).
        strata_without_labels: Strata with no usable label; the other strata of their
            kind (links or non-links) stand in for them.
    """

    precision: Proportion | None
    recall: Proportion | None
    true_links: float | None
    missed_matches: float | None
    strata: tuple[StratumEstimate, ...]
    confidence: float
    interval: str
    labelled: int
    unsure: int
    unlabelled: int
    strata_without_labels: tuple[str, ...]


class SampleFileError(ValueError):
    """A sample file cannot be read; names the file, and the row and column if any."""

    def __init__(
        self, path: str, message: str, *, row: int | None = None, column: str = ""
    ) -> None:
        self.path = path
        self.row = row
        self.column = column
        where = path
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


# Sizing.


def z_score(confidence: float) -> float:
    """The two-sided standard normal quantile: 1.96 for 95% confidence."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, not {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def sample_size(
    population: int,
    *,
    margin: float,
    confidence: float = 0.95,
    expected_rate: float = 0.5,
    minimum: int = 10,
) -> int:
    """Pairs to sample from a stratum to estimate its match rate within ``margin``.

    The normal approximation gives a margin of error e = z sqrt(p(1-p)/n) for a
    proportion p from n draws with replacement, so n0 = z² p(1-p) / e². Drawing
    without replacement from N pairs shrinks the variance by (N-n)/(N-1), and solving
    e again gives n = n0 / (1 + (n0-1)/N). The result is rounded up, raised to
    ``minimum`` and capped at the population (a small stratum is taken whole).
    """
    if not 0 < margin < 1:
        raise ValueError(f"margin must lie between 0 and 1, not {margin}")
    if not 0 <= expected_rate <= 1:
        raise ValueError(f"expected rate must lie in [0, 1], not {expected_rate}")
    if minimum < 1:
        raise ValueError(f"the minimum per stratum must be at least 1, not {minimum}")
    if population <= 0:
        return 0
    z = z_score(confidence)
    n0 = z * z * expected_rate * (1 - expected_rate) / (margin * margin)
    n = n0 / (1 + (n0 - 1) / population)
    # Rounding first keeps a float error from adding a whole pair.
    return min(population, max(minimum, math.ceil(round(n, 9))))


def band_midpoint(key: StratumKey) -> float:
    """A prior match rate for sizing: the middle of the stratum's probability band.

    Pass as ``draw_sample(expected_rate=band_midpoint)``: confident bands then need
    far fewer pairs than the worst case of 0.5. Unbanded strata get 0.5.
    """
    if key.band == ALL:
        return 0.5
    low, high = (float(edge) for edge in key.band.split("-"))
    return (low + high) / 2


# Drawing.


def draw_sample(
    pairs: Iterable[AuditPair],
    *,
    margin: float,
    seed: int,
    confidence: float = 0.95,
    strata_by: Sequence[str] = STRATA_DIMENSIONS,
    expected_rate: float | Callable[[StratumKey], float] = 0.5,
    bands: Sequence[float] = BANDS,
    minimum: int = 10,
) -> Sample:
    """Draw a stratified random sample of scored pairs for people to label.

    Links and non-links are always separate strata; within each, pairs are further
    split by ``strata_by`` (any of "band" and "source_pair"). Each stratum is sized by
    :func:`sample_size`. The same pairs and seed give the same sample, whatever order
    the pairs come in.

    Args:
        pairs: The scored pairs, each with whether the run linked it.
        margin: Margin of error wanted for each stratum's match rate, e.g. 0.05.
        seed: Seed of the random draw.
        confidence: Confidence level the margin holds at.
        strata_by: Dimensions to stratify by besides link / non-link.
        expected_rate: Match rate assumed when sizing: one for all strata, or a
            function of the stratum (e.g. :func:`band_midpoint`). 0.5 is the worst
            case and never undersizes.
        bands: Increasing band edges from 0 to 1.
        minimum: Fewest pairs drawn from a stratum (all of it when smaller).

    Returns:
        The sample, with rows ordered by stratum and randomly within a stratum.
    """
    unknown = set(strata_by) - set(STRATA_DIMENSIONS)
    if unknown:
        raise ValueError(
            f"cannot stratify by {sorted(unknown)}: use {list(STRATA_DIMENSIONS)}"
        )
    _check_bands(bands)
    members: dict[StratumKey, list[AuditPair]] = defaultdict(list)
    for pair in pairs:
        members[_stratum_of(pair, strata_by, bands)].append(pair)

    rng = random.Random(seed)
    rows: list[AuditRow] = []
    strata: list[Stratum] = []
    for key in sorted(members, key=lambda k: _stratum_order(k, bands)):
        population = sorted(members[key], key=lambda p: p.sort_key)
        rate = expected_rate(key) if callable(expected_rate) else expected_rate
        size = sample_size(
            len(population),
            margin=margin,
            confidence=confidence,
            expected_rate=rate,
            minimum=minimum,
        )
        strata.append(Stratum(key, len(population), size, rate))
        chosen = rng.sample(range(len(population)), size)
        rows.extend(AuditRow(key, len(population), size, population[i]) for i in chosen)
    return Sample(tuple(rows), tuple(strata), margin, confidence, seed)


def _check_bands(bands: Sequence[float]) -> None:
    edges = list(bands)
    increasing = all(a < b for a, b in itertools.pairwise(edges))
    if len(edges) < 2 or edges[0] != 0 or edges[-1] != 1 or not increasing:
        raise ValueError(f"bands must increase from 0 to 1, not {edges}")


def _stratum_of(
    pair: AuditPair, strata_by: Sequence[str], bands: Sequence[float]
) -> StratumKey:
    band = ALL
    if "band" in strata_by:
        band = _band_label(bands, _band_index(bands, pair.match_probability))
    source_pair = pair.source_pair if "source_pair" in strata_by else ALL
    return StratumKey(pair.linked, band, source_pair)


def _band_index(bands: Sequence[float], probability: float) -> int:
    if not 0 <= probability <= 1:
        raise ValueError(f"match probability must lie in [0, 1], not {probability}")
    # Bands are closed below and open above, except the last, which includes 1.
    return min(bisect.bisect_right(bands, probability) - 1, len(bands) - 2)


def _band_label(bands: Sequence[float], index: int) -> str:
    return f"{bands[index]:g}-{bands[index + 1]:g}"


def _stratum_order(key: StratumKey, bands: Sequence[float]) -> tuple[bool, int, str]:
    labels = [_band_label(bands, i) for i in range(len(bands) - 1)]
    band = labels.index(key.band) if key.band in labels else -1
    return (not key.linked, band, key.source_pair)


# The sample file.


def write_sample(sample: Sample, path: str | Path) -> None:
    """Write the sample as CSV (UTF-8 with a byte-order mark, for spreadsheets).

    Each row carries its stratum's population and sample size, so the file alone is
    enough to weight the labels; the ``label`` column is blank in a fresh sample.
    """
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SAMPLE_COLUMNS)
        for row in sample.rows:
            pair = row.pair
            writer.writerow(
                [
                    row.stratum.name,
                    "true" if row.stratum.linked else "false",
                    row.stratum.band,
                    row.stratum.source_pair,
                    row.population,
                    row.sample_size,
                    pair.left_source,
                    pair.left_record_id,
                    pair.right_source,
                    pair.right_record_id,
                    repr(pair.match_probability),
                    row.label,
                ]
            )


def read_sample(path: str | Path) -> list[AuditRow]:
    """Read a sample file, labelled or not.

    Labels are read without regard to case or surrounding spaces.

    Raises:
        SampleFileError: The file is empty, lacks a column, or a row has a value that
            cannot be read (naming the row and column).
    """
    name = str(path)
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise SampleFileError(name, "the file is empty")
        missing = [c for c in SAMPLE_COLUMNS if c not in reader.fieldnames]
        if missing:
            raise SampleFileError(
                name,
                f"missing column(s) {missing}; is this a file from `audit sample`?",
            )
        rows = [
            _row_from_csv(record, name, line)
            for line, record in enumerate(reader, start=2)
        ]
    if not rows:
        raise SampleFileError(name, "the file has a header but no rows")
    return rows


def _row_from_csv(record: dict[str, str], path: str, line: int) -> AuditRow:
    def value(column: str) -> str:
        return (record.get(column) or "").strip()

    def number(column: str, kind: Callable[[str], float | int]) -> float | int:
        try:
            return kind(value(column))
        except ValueError:
            raise SampleFileError(
                path, f"{value(column)!r} is not a number", row=line, column=column
            ) from None

    linked = value("linked").lower()
    if linked not in ("true", "false"):
        raise SampleFileError(
            path, f"{linked!r} is neither true nor false", row=line, column="linked"
        )
    label = value("label").lower()
    if label and label not in LABELS:
        raise SampleFileError(
            path,
            f"unknown label {value('label')!r}; use {', '.join(LABELS)} or blank",
            row=line,
            column="label",
        )
    pair = AuditPair(
        left_source=value("left_source"),
        left_record_id=value("left_record_id"),
        right_source=value("right_source"),
        right_record_id=value("right_record_id"),
        match_probability=float(number("match_probability", float)),
        linked=linked == "true",
    )
    return AuditRow(
        stratum=StratumKey(linked == "true", value("band"), value("source_pair")),
        population=int(number("stratum_population", int)),
        sample_size=int(number("stratum_sample_size", int)),
        pair=pair,
        label=label,
    )


# Estimating.


def estimate(
    rows: Iterable[AuditRow], *, confidence: float = 0.95, interval: str = "wilson"
) -> AuditEstimate:
    """Estimate precision and recall from a labelled sample.

    Each stratum's match rate p_h comes from its pairs labelled match or not_match
    ("unsure" and blank labels are left out and counted, as if missing at random).
    Precision weights the link strata by population; recall is the estimated true
    links over those plus the estimated matches among the non-links. The overall
    intervals are normal intervals on the stratified variance, clipped to [0, 1];
    the per-stratum intervals are Wilson's or, with ``interval="clopper-pearson"``,
    the exact ones.

    Raises:
        ValueError: Rows of one stratum disagree on its population, a stratum has
            more labels than pairs, or ``interval`` is unknown.
    """
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; use one of {INTERVALS}")
    strata = _tally(rows)
    z = z_score(confidence)
    by_kind = {
        linked: [s for s in strata if s.stratum.linked is linked]
        for linked in (True, False)
    }
    links = _stratified_rate(by_kind[True])
    non_links = _stratified_rate(by_kind[False])
    if not by_kind[False]:
        # No scored pair was left unlinked: nothing among them can be a missed match.
        non_links = _StratifiedRate(0.0, 0.0, 0)

    precision = recall = None
    if links is not None:
        precision = _normal_interval(links.rate, links.variance, z)
    if links is not None and non_links is not None:
        recall = _recall(links, non_links, z)
    return AuditEstimate(
        precision=precision,
        recall=recall,
        true_links=None if links is None else links.matches,
        missed_matches=None if non_links is None else non_links.matches,
        strata=tuple(_with_interval(s, confidence, interval) for s in strata),
        confidence=confidence,
        interval=interval,
        labelled=sum(s.labelled for s in strata),
        unsure=sum(s.unsure for s in strata),
        unlabelled=sum(s.unlabelled for s in strata),
        strata_without_labels=tuple(s.stratum.name for s in strata if not s.labelled),
    )


def _tally(rows: Iterable[AuditRow]) -> list[StratumEstimate]:
    counts: dict[StratumKey, dict[str, int]] = {}
    populations: dict[StratumKey, int] = {}
    for row in rows:
        known = populations.setdefault(row.stratum, row.population)
        if known != row.population:
            raise ValueError(
                f"stratum {row.stratum.name} has two populations: "
                f"{known} and {row.population}"
            )
        tally = counts.setdefault(row.stratum, dict.fromkeys((*LABELS, ""), 0))
        tally[row.label] += 1
    strata = []
    for key, tally in counts.items():
        if tally["match"] + tally["not_match"] > populations[key]:
            raise ValueError(
                f"stratum {key.name} has more labelled pairs than its population "
                f"of {populations[key]}"
            )
        strata.append(
            StratumEstimate(
                key,
                populations[key],
                tally["match"],
                tally["not_match"],
                tally["unsure"],
                tally[""],
                None,
            )
        )
    # Links first, then in the order the file lists them (the order they were drawn).
    return sorted(strata, key=lambda s: not s.stratum.linked)


@dataclass(frozen=True, slots=True)
class _StratifiedRate:
    rate: float
    variance: float
    population: int

    @property
    def matches(self) -> float:
        """Estimated matches in the population: N p."""
        return self.rate * self.population


def _stratified_rate(strata: Sequence[StratumEstimate]) -> _StratifiedRate | None:
    """The stratified match rate, its variance, and the population it covers.

    p = Σ W_h p_h with W_h = N_h / N, and, the strata being sampled independently,
    Var(p) = Σ W_h² (1 - n_h/N_h) p_h (1 - p_h) / n_h, where (1 - n_h/N_h) is the
    finite population correction. Strata without labels are left out and the weights
    of the others renormalised over them, which assumes the missing strata resemble
    the rest. None when no stratum has a label.
    """
    labelled = [s for s in strata if s.labelled]
    if not labelled:
        return None
    covered = sum(s.population for s in labelled)
    rate = variance = 0.0
    for s in labelled:
        weight = s.population / covered
        p = s.matches / s.labelled
        fpc = 1 - s.labelled / s.population
        rate += weight * p
        variance += weight * weight * fpc * p * (1 - p) / s.labelled
    return _StratifiedRate(rate, variance, sum(s.population for s in strata))


def _recall(
    links: _StratifiedRate, non_links: _StratifiedRate, z: float
) -> Proportion | None:
    """Recall among scored pairs, R = T_L / (T_L + T_N), by the delta method.

    T_L = N_L p_L are the true matches among links and T_N = N_N p_N those among
    non-links, independent estimates with Var(T) = N² Var(p). With T = T_L + T_N,
    dR/dT_L = T_N / T² and dR/dT_N = -T_L / T², so
    Var(R) ≈ (T_N² Var(T_L) + T_L² Var(T_N)) / T⁴. None when no match is seen at
    all, as recall is then undefined.
    """
    t_links, t_non_links = links.matches, non_links.matches
    total = t_links + t_non_links
    if total == 0:
        return None
    var_links = links.population**2 * links.variance
    var_non_links = non_links.population**2 * non_links.variance
    variance = (t_non_links**2 * var_links + t_links**2 * var_non_links) / total**4
    return _normal_interval(t_links / total, variance, z)


def _normal_interval(rate: float, variance: float, z: float) -> Proportion:
    half = z * math.sqrt(variance)
    return Proportion(rate, max(0.0, rate - half), min(1.0, rate + half))


def _with_interval(
    stratum: StratumEstimate, confidence: float, interval: str
) -> StratumEstimate:
    if not stratum.labelled:
        return stratum
    bounds = (wilson_interval if interval == "wilson" else clopper_pearson_interval)(
        stratum.matches, stratum.labelled, confidence
    )
    rate = Proportion(stratum.matches / stratum.labelled, *bounds)
    return StratumEstimate(
        stratum.stratum,
        stratum.population,
        stratum.matches,
        stratum.not_matches,
        stratum.unsure,
        stratum.unlabelled,
        rate,
    )


# Intervals for one proportion.


def wilson_interval(
    successes: int, trials: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson's score interval for a binomial proportion.

    It holds the p for which the observed p̂ lies within z standard errors of p,
    |p̂ - p| <= z sqrt(p(1-p)/n); solving that quadratic in p gives
    centre (p̂ + z²/2n) / (1 + z²/n) and half-width
    z sqrt(p̂(1-p̂)/n + z²/4n²) / (1 + z²/n). Unlike p̂ ± z se it stays inside [0, 1]
    and keeps a width when p̂ is 0 or 1.
    """
    _check_counts(successes, trials)
    z = z_score(confidence)
    p = successes / trials
    z2n = z * z / trials
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / trials + z2n / (4 * trials)) / (1 + z2n)
    return max(0.0, centre - half), min(1.0, centre + half)


def clopper_pearson_interval(
    successes: int, trials: int, confidence: float = 0.95
) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval for a binomial proportion.

    The bounds are the p at which seeing ``successes`` or more (below), or that many
    or fewer (above), has probability alpha/2. As P(X >= k) = I_p(k, n-k+1) for
    X ~ Bin(n, p), they are quantiles of beta distributions: the lower bound solves
    I_p(k, n-k+1) = alpha/2 and the upper one I_p(k+1, n-k) = 1 - alpha/2; the lower
    bound is 0 when k = 0 and the upper one 1 when k = n.
    """
    _check_counts(successes, trials)
    alpha = 1 - confidence
    if not 0 < alpha < 1:
        raise ValueError(f"confidence must lie between 0 and 1, not {confidence}")
    k, n = successes, trials
    low = 0.0 if k == 0 else _beta_quantile(alpha / 2, k, n - k + 1)
    high = 1.0 if k == n else _beta_quantile(1 - alpha / 2, k + 1, n - k)
    return low, high


def regularised_incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the distribution function of a Beta(a, b) variable at x.

    I_x(a, b) = x^a (1-x)^b / (a B(a, b)) × 1 / (1 + d1 / (1 + d2 / (1 + ...))), with
    d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)) and
    d_{2m} = m(b-m) x / ((a+2m-1)(a+2m)). The fraction converges fast for
    x < (a+1)/(a+b+2); above that, I_x(a, b) = 1 - I_{1-x}(b, a) is used instead.
    """
    if a <= 0 or b <= 0:
        raise ValueError(f"beta parameters must be positive, not a={a}, b={b}")
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1 - regularised_incomplete_beta(1 - x, b, a)
    log_front = (
        a * math.log(x)
        + b * math.log1p(-x)
        - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    )
    return math.exp(log_front) / a * _beta_fraction(x, a, b)


def _beta_fraction(x: float, a: float, b: float) -> float:
    """1 / (1 + d1 / (1 + d2 / ...)) by the modified Lentz method.

    Lentz evaluates f = b0 + a1 / (b1 + a2 / (b2 + ...)) front to back, keeping the
    ratios C_j = f_j / f_{j-1} numerators and D_j denominators; here b0 = 0, a1 = 1,
    every b_j = 1 and a_{j+1} = d_j. A tiny number stands in for a zero divisor.
    """
    tiny = 1e-300
    f = c = tiny
    d = 0.0
    for j in range(1, 10_000):
        m, odd = divmod(j - 1, 2)
        if j == 1:
            numerator = 1.0
        elif odd:
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        else:
            numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1 + numerator * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + numerator / c
        c = c if abs(c) > tiny else tiny
        f *= c * d
        if abs(c * d - 1) < 1e-14:
            break
    return f


def _beta_quantile(q: float, a: float, b: float) -> float:
    """The x with I_x(a, b) = q, by bisection: I_x rises from 0 to 1 with x."""
    low, high = 0.0, 1.0
    for _ in range(100):
        middle = (low + high) / 2
        if regularised_incomplete_beta(middle, a, b) < q:
            low = middle
        else:
            high = middle
        if high - low < 1e-15:
            break
    return (low + high) / 2


def _check_counts(successes: int, trials: int) -> None:
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(
            f"need 0 <= successes <= trials, trials > 0: {successes}/{trials}"
        )
