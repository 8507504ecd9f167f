"""The evaluation report: how well a clustering matches the truth, as one HTML page.

It sets the headline figures of :mod:`evaluation.metrics` (pairwise and B-cubed
precision, recall and F1) beside the records missing from either table, the wrong
merges and splits, breakdowns by source pair and region, a precision-recall curve over
the scored pairs with the threshold that meets a precision target, and a few examples
of errors. Examples show a record's source and id and, when a detail lookup is given,
only what identifies no one: the surname with the given name starred, the ID number
with its middle hidden, the sex, the birth year and the region. The page is
self-contained, like the run report whose frame and charts it shares.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from evaluation.metrics import (
    CROSS_REGION,
    UNKNOWN_REGION,
    LinkageMetrics,
    PairCounts,
    RecordKey,
    ScoredPair,
    SweepPoint,
    cluster_errors,
    evaluate,
    pairwise_by_region,
    pairwise_by_source_pair,
    threshold_for_precision,
    threshold_sweep,
)
from linkage.charts import ORANGE, Marker, Series, bar_chart, line_chart
from linkage.i18n import check_language, text
from linkage.report import (
    Cell,
    CellValue,
    Section,
    match_weight_of,
    percent,
    region_label,
    render_cards,
    render_page,
    render_table,
)

__all__ = [
    "DEFAULT_PRECISION_TARGET",
    "DetailLookup",
    "RecordDetail",
    "mask_id",
    "mask_name",
    "write_evaluation_report",
]

DEFAULT_PRECISION_TARGET = 0.995
"""The pairwise precision a link threshold should reach unless told otherwise."""

MISSING_SHOWN = 20
"""Records missing from one of the tables named in the report, at most."""

_EXAMPLES = 3
_EXAMPLE_RECORDS = 10
_SWEEP_POINTS = 2000
_TABLE_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999)


@dataclass(frozen=True, slots=True)
class RecordDetail:
    """What an error example may show of a record besides its key.

    Identifying values are masked again when shown, so a lookup that forgets to
    mask leaks nothing: names keep their first character, ID numbers their first
    six and last four.
    """

    name: str | None = None
    id_number: str | None = None
    sex: str | None = None
    birth_year: int | None = None
    region: str | None = None


DetailLookup = Callable[[Collection[RecordKey]], Mapping[RecordKey, RecordDetail]]
"""Looks up the details of a few records (those in the error examples) by key."""


def write_evaluation_report(
    path: Path,
    *,
    predicted: Mapping[RecordKey, str],
    truth: Mapping[RecordKey, str],
    scored_pairs: Sequence[ScoredPair] | None = None,
    region_of: Mapping[RecordKey, str] | None = None,
    details: DetailLookup | None = None,
    precision_target: float = DEFAULT_PRECISION_TARGET,
    lang: str = "zh",
    title: str | None = None,
    note: str = "",
) -> None:
    """Write the evaluation report of ``predicted`` against ``truth`` to ``path``.

    Args:
        path: The HTML file to write.
        predicted: (source, record_id) -> cluster id, e.g. a run's clusters.csv.
        truth: (source, record_id) -> true person key.
        scored_pairs: The run's scored candidate pairs; without them the report
            says that no precision-recall curve can be drawn.
        region_of: (source, record_id) -> region code (a province code gives a
            readable table); without it the breakdown by region is left out.
        details: Looks up what the error examples may show of their records;
            without it they show source and record id only.
        precision_target: The pairwise precision the suggested threshold meets.
        lang: ``"zh"`` (the default) or ``"en"``.
        title: The page title; a default in ``lang`` when None.
        note: A sentence shown under the headline figures, e.g. the files read.

    Raises:
        YidangError: ``lang`` is not a report language.
    """
    check_language(lang)
    view = _View(lang, predicted, truth)
    sections = [
        _headline(view, note),
        _missing(view),
        _cluster_errors(view),
        _by_source(view),
        _by_region(view, region_of),
        _thresholds(view, scored_pairs, precision_target),
        _examples(view, details),
    ]
    page = render_page(
        lang=lang,
        title=title or text(lang, "eval_title"),
        subtitle=text(lang, "eval_subtitle"),
        sections=sections,
    )
    path.write_text(page, encoding="utf-8")


def mask_name(name: str | None) -> str | None:
    """A name with all but its first character starred: ``张三丰`` -> ``张**``."""
    if not name:
        return name
    text_ = name.strip()
    if len(text_) <= 1:
        return "*"
    return text_[0] + "*" * (len(text_) - 1)


def mask_id(value: str | None) -> str | None:
    """An ID number with its middle hidden: ``110105********002X``.

    Ten characters or more keep the first six (the region) and the last four;
    shorter values keep only their last two.
    """
    if not value:
        return value
    text_ = value.strip()
    if len(text_) >= 10:
        return text_[:6] + "*" * (len(text_) - 10) + text_[-4:]
    return "*" * max(len(text_) - 2, 0) + text_[-2:]


class _View:
    """The inputs of one report and the figures every section draws on."""

    def __init__(
        self,
        lang: str,
        predicted: Mapping[RecordKey, str],
        truth: Mapping[RecordKey, str],
    ) -> None:
        self.lang = lang
        self.predicted = predicted
        self.truth = truth
        self.metrics = evaluate(predicted, truth)
        self.errors = cluster_errors(predicted, truth, examples=_EXAMPLES)

    def t(self, key: str, **values: object) -> str:
        return text(self.lang, key, **values)


def _headline(view: _View, note: str) -> Section:
    t, m = view.t, view.metrics
    cards = [
        (f"{m.pairwise_precision:.2%}", f"{t('pairwise')} {t('precision')}"),
        (f"{m.pairwise_recall:.2%}", f"{t('pairwise')} {t('recall')}"),
        (f"{m.pairwise_f1:.2%}", f"{t('pairwise')} F1"),
        (f"{m.bcubed_f1:.2%}", f"{t('bcubed')} F1"),
        (f"{m.records:,}", t("records_scored")),
        (f"{m.missing_records:,}", t("missing_records")),
    ]
    figures = render_table(
        [t("measure"), t("precision"), t("recall"), t("f1")],
        [
            [t("pairwise"), *_shares(*_figures(m, "pairwise"))],
            [t("bcubed"), *_shares(*_figures(m, "bcubed"))],
        ],
    )
    pairs = render_table(
        [t("true_pairs"), t("predicted_pairs"), t("correct_pairs")],
        [[m.true_pairs, m.predicted_pairs, m.correct_pairs]],
    )
    body = render_cards(cards) + figures + pairs
    if note:
        body += f'<p class="intro">{escape(note)}</p>'
    return Section("headline", t("headline"), t("headline_intro"), body)


def _figures(metrics: LinkageMetrics, kind: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of one kind, ``pairwise`` or ``bcubed``."""
    return (
        getattr(metrics, f"{kind}_precision"),
        getattr(metrics, f"{kind}_recall"),
        getattr(metrics, f"{kind}_f1"),
    )


def _shares(*values: float) -> list[CellValue]:
    return [percent(value, digits=2) for value in values]


def _missing(view: _View) -> Section:
    t = view.t
    only_truth = view.truth.keys() - view.predicted.keys()
    only_clusters = view.predicted.keys() - view.truth.keys()
    listed = sorted(
        [(key, t("only_truth")) for key in only_truth]
        + [(key, t("only_clusters")) for key in only_clusters]
    )
    if not listed:
        return Section("missing", t("missing_heading"), t("missing_none"), "")
    shown = listed[:MISSING_SHOWN]
    intro = t("missing_intro", count=f"{len(listed):,}", shown=len(shown))
    table = render_table(
        [t("source"), t("record_id"), t("where")],
        [[source, record_id, where] for (source, record_id), where in shown],
    )
    return Section("missing", t("missing_heading"), intro, table)


def _cluster_errors(view: _View) -> Section:
    t, e = view.t, view.errors
    rows: list[list[CellValue]] = [
        [t("predicted_clusters"), e.predicted_clusters],
        [t("true_persons"), e.true_persons],
        [t("exact_clusters"), e.exact_clusters],
        [t("wrong_merges"), e.wrong_merges],
        [t("merged_extra"), e.merged_extra_persons],
        [t("wrong_splits"), e.wrong_splits],
        [t("split_extra"), e.split_extra_clusters],
    ]
    table = render_table([t("measure"), t("count")], rows)
    return Section("errors", t("cluster_errors"), t("cluster_errors_intro"), table)


def _by_source(view: _View) -> Section:
    t = view.t
    breakdown = pairwise_by_source_pair(view.predicted, view.truth)
    if not breakdown:
        body = f'<p class="none">{escape(t("none"))}</p>'
        return Section("by-source", t("by_source"), t("by_source_intro"), body)
    rows = [
        [f"{a} & {b}", *_pair_cells(counts)] for (a, b), counts in breakdown.items()
    ]
    chart = bar_chart(
        "chart-source-f1",
        t("by_source_chart"),
        [(f"{a} & {b}", counts.f1) for (a, b), counts in breakdown.items()],
        value_label=t("f1"),
        value_format=lambda v: f"{v:.2%}",
    )
    table = render_table([t("source_pair"), *_pair_headers(view)], rows)
    return Section("by-source", t("by_source"), t("by_source_intro"), table + chart)


def _by_region(view: _View, region_of: Mapping[RecordKey, str] | None) -> Section:
    t = view.t
    if region_of is None:
        body = f'<p class="none">{escape(t("by_region_none"))}</p>'
        return Section("by-region", t("by_region"), t("by_region_intro"), body)
    breakdown = pairwise_by_region(view.predicted, view.truth, region_of)
    rows = [
        [_region_name(view, region), *_pair_cells(counts)]
        for region, counts in sorted(
            breakdown.items(), key=lambda item: (-item[1].true_pairs, item[0])
        )
    ]
    table = render_table([t("region"), *_pair_headers(view)], rows)
    return Section("by-region", t("by_region"), t("by_region_intro"), table)


def _region_name(view: _View, region: str) -> str:
    if region == CROSS_REGION:
        return view.t("cross_region")
    if region == UNKNOWN_REGION:
        return view.t("unknown_region")
    return region_label(region)


def _pair_headers(view: _View) -> list[str]:
    keys = ("true_pairs", "predicted_pairs", "correct_pairs", "precision", "recall")
    return [view.t(key) for key in keys] + [view.t("f1")]


def _pair_cells(counts: PairCounts) -> list[CellValue]:
    return [
        counts.true_pairs,
        counts.predicted_pairs,
        counts.correct_pairs,
        *_shares(counts.precision, counts.recall, counts.f1),
    ]


def _thresholds(
    view: _View, scored_pairs: Sequence[ScoredPair] | None, target: float
) -> Section:
    t = view.t
    if not scored_pairs:
        body = f'<p class="none">{escape(t("thresholds_none"))}</p>'
        return Section("thresholds", t("thresholds"), t("thresholds_intro"), body)
    candidates = _sweep_thresholds([p for _, _, p in scored_pairs])
    points = threshold_sweep(scored_pairs, view.truth, candidates)
    chosen = threshold_for_precision(points, target)
    body = f"<p>{escape(_target_sentence(view, points, chosen, target))}</p>"
    body += _pr_chart(view, points) + _weight_chart(view, points, chosen, target)
    shown = sorted({*_TABLE_THRESHOLDS, *([chosen] if chosen is not None else [])})
    table_points = threshold_sweep(scored_pairs, view.truth, shown)
    body += render_table(
        [t("threshold"), t("match_weight"), *_pair_headers(view)[1:]],
        [_sweep_row(point) for point in table_points],
    )
    return Section("thresholds", t("thresholds"), t("thresholds_intro"), body)


def _sweep_thresholds(probabilities: Sequence[float]) -> list[float]:
    """Every distinct probability, or evenly spaced quantiles of them if too many.

    Each distinct probability is a threshold where the figures change, so sweeping
    all of them finds the exact lowest threshold that meets a target.
    """
    distinct = sorted(set(probabilities))
    if len(distinct) <= _SWEEP_POINTS:
        return distinct
    step = (len(distinct) - 1) / (_SWEEP_POINTS - 1)
    return [distinct[round(i * step)] for i in range(_SWEEP_POINTS)]


def _target_sentence(
    view: _View, points: Sequence[SweepPoint], chosen: float | None, target: float
) -> str:
    if chosen is None:
        return view.t("target_missed", target=f"{target:.2%}")
    point = next(p for p in points if p.threshold == chosen)
    return view.t(
        "target_met",
        target=f"{target:.2%}",
        threshold=f"{chosen:.6g}",
        weight=f"{match_weight_of(chosen):.2f}",
        precision=f"{point.precision:.2%}",
        recall=f"{point.recall:.2%}",
    )


def _pr_chart(view: _View, points: Sequence[SweepPoint]) -> str:
    curve = tuple((p.recall, p.precision) for p in points if p.predicted_pairs)
    return line_chart(
        "chart-pr",
        view.t("pr_chart"),
        [Series(view.t("precision"), curve)],
        x_label=view.t("recall"),
        y_label=view.t("precision"),
        x_domain=(_floor_to(min(x for x, _ in curve)), 1.0),
        y_domain=(_floor_to(min(y for _, y in curve)), 1.0),
    )


def _weight_chart(
    view: _View, points: Sequence[SweepPoint], chosen: float | None, target: float
) -> str:
    used = [p for p in points if p.predicted_pairs]
    weights = [match_weight_of(p.threshold) for p in used]
    precision = tuple(zip(weights, (p.precision for p in used), strict=True))
    recall = tuple(zip(weights, (p.recall for p in used), strict=True))
    markers = []
    if chosen is not None:
        label = view.t("target_label", target=f"{target:.2%}")
        markers.append(Marker(match_weight_of(chosen), label))
    return line_chart(
        "chart-threshold",
        view.t("pr_vs_weight"),
        [
            Series(view.t("precision"), precision),
            Series(view.t("recall"), recall, colour=ORANGE),
        ],
        x_label=view.t("match_weight"),
        y_label=f"{view.t('precision')} / {view.t('recall')}",
        y_domain=(_floor_to(min(min(p.precision, p.recall) for p in used)), 1.0),
        markers=markers,
    )


def _floor_to(value: float, step: float = 0.01) -> float:
    """``value`` rounded down to a multiple of ``step``, a little room below it."""
    return max(0.0, (int(value / step) - 1) * step) if value < 1 else 1 - step


def _sweep_row(point: SweepPoint) -> list[CellValue]:
    return [
        Cell(f"{point.threshold:.6g}", numeric=True),
        Cell(f"{match_weight_of(point.threshold):.2f}", numeric=True),
        point.predicted_pairs,
        point.correct_pairs,
        *_shares(point.precision, point.recall, point.f1),
    ]


def _examples(view: _View, details: DetailLookup | None) -> Section:
    t = view.t
    merges = view.errors.merge_examples[:_EXAMPLES]
    splits = view.errors.split_examples[:_EXAMPLES]
    if not merges and not splits:
        body = f'<p class="none">{escape(t("no_errors"))}</p>'
        return Section("examples", t("examples"), t("examples_intro"), body)
    by_cluster = _members(view.predicted, view.truth)
    by_person = _members(view.truth, view.predicted)
    groups = [(t("merge_example", cluster=c), by_cluster[c], True) for c in merges]
    groups += [
        (t("split_example", person=n), by_person[p], False)
        for n, p in enumerate(splits, start=1)
    ]
    keys = [key for _, members, _ in groups for key in members[:_EXAMPLE_RECORDS]]
    found = details(keys) if details is not None else {}
    body = "" if details is not None else f"<p>{escape(t('examples_keys_only'))}</p>"
    for heading, members, merged in groups:
        body += f"<h3>{escape(heading)}</h3>"
        body += _example_table(view, members, merged, found, details is not None)
    return Section("examples", t("examples"), t("examples_intro"), body)


def _members(
    grouping: Mapping[RecordKey, str], other: Mapping[RecordKey, str]
) -> dict[str, list[RecordKey]]:
    """The records of each group that the other table also holds, in key order."""
    members: dict[str, list[RecordKey]] = defaultdict(list)
    for key in sorted(grouping.keys() & other.keys()):
        members[grouping[key]].append(key)
    return members


def _example_table(
    view: _View,
    members: Sequence[RecordKey],
    merged: bool,
    found: Mapping[RecordKey, RecordDetail],
    with_details: bool,
) -> str:
    """One example's records, grouped by true person (a merge) or cluster (a split)."""
    t = view.t
    shown = _grouped(view, members[:_EXAMPLE_RECORDS], merged)
    headers = [t("source"), t("record_id"), t("true_person" if merged else "cluster")]
    if with_details:
        headers += [t("name"), t("id_number"), t("sex"), t("birth_year"), t("region")]
    rows: list[list[CellValue]] = []
    for key, group in shown:
        extra = _detail_cells(view, found.get(key)) if with_details else []
        rows.append([key[0], key[1], group, *extra])
    table = render_table(headers, rows)
    if len(members) > len(shown):
        more = t("more_records", count=f"{len(members) - len(shown):,}")
        table += f'<p class="intro">{escape(more)}</p>'
    return table


def _grouped(
    view: _View, keys: Sequence[RecordKey], merged: bool
) -> list[tuple[RecordKey, str]]:
    """Records with the group each belongs to, sorted by group.

    In a wrong merge the groups are the true persons, numbered 1, 2 ... in order of
    appearance: a true person key may itself be an ID number, so it is never shown.
    In a wrong split they are the clusters the records went to.
    """
    if not merged:
        ordered = sorted(keys, key=lambda key: (view.predicted[key], key))
        return [(key, view.predicted[key]) for key in ordered]
    numbers: dict[str, int] = {}
    for key in keys:
        numbers.setdefault(view.truth[key], len(numbers) + 1)
    ordered = sorted(keys, key=lambda key: (numbers[view.truth[key]], key))
    return [(key, str(numbers[view.truth[key]])) for key in ordered]


def _detail_cells(view: _View, detail: RecordDetail | None) -> list[CellValue]:
    if detail is None:
        return [None] * 5
    sex = view.t(f"sex_{detail.sex}") if detail.sex in ("M", "F") else detail.sex
    return [
        mask_name(detail.name),
        mask_id(detail.id_number),
        sex,
        Cell(str(detail.birth_year)) if detail.birth_year else None,
        region_label(detail.region) if detail.region else None,
    ]
