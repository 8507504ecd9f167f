"""What the ``yidang evaluate`` and ``yidang audit`` commands do, parsing aside.

Each function reads its files, checks them, computes with :mod:`evaluation.metrics` or
:mod:`evaluation.audit`, and returns the text the command prints; bad input raises
:class:`EvaluationInputError`, which names the file, and the row and column where there
is one. The store is opened in one place, :func:`_store_connection`: the audit command
reads its scored pairs through :func:`read_scored_pairs`, and the evaluation report its
scored pairs, regions and masked record details, all from ``yd_pairs``,
``yd_link_input`` and ``yd_clusters`` by name over a read-only connection.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb

from evaluation.audit import (
    LABELS,
    AuditEstimate,
    AuditPair,
    Proportion,
    SampleFileError,
    band_midpoint,
    draw_sample,
    estimate,
    read_sample,
    write_sample,
)
from evaluation.metrics import (
    LinkageMetrics,
    RecordKey,
    ScoredPair,
    cluster_errors,
    evaluate,
    pairwise_by_source_pair,
)
from evaluation.report import (
    DEFAULT_PRECISION_TARGET,
    DetailLookup,
    RecordDetail,
    mask_id,
    mask_name,
    write_evaluation_report,
)
from linkage.errors import YidangError
from linkage.i18n import check_language, text

__all__ = [
    "EvaluationInputError",
    "read_scored_pairs",
    "run_audit_estimate",
    "run_audit_sample",
    "run_evaluate",
]

STORE_TABLES = ("yd_pairs", "yd_link_input", "yd_clusters")


class EvaluationInputError(YidangError):
    """A truth, clusters, sample or store file cannot be used for evaluation."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        row: int | None = None,
        column: str = "",
    ) -> None:
        self.path = str(path)
        self.row = row
        self.column = column
        where = self.path
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


# yidang evaluate


def run_evaluate(
    truth: Path,
    clusters: Path,
    *,
    report: Path | None = None,
    as_json: bool = False,
    store: Path | None = None,
    lang: str = "zh",
    precision_target: float = DEFAULT_PRECISION_TARGET,
) -> tuple[str, LinkageMetrics]:
    """Score a run's ``clusters.csv`` against ``truth.csv``, and write a report.

    Args:
        truth: CSV with ``source, record_id, person_key``.
        clusters: CSV with ``source, record_id, person_id`` (a run's clusters.csv).
        report: Where to write the HTML evaluation report; none when None.
        as_json: Return the headline figures as one JSON object instead of text.
        store: The run's store, for the report's precision-recall curve, regions
            and (masked) error examples. When None, the one ``*.duckdb`` file
            beside ``clusters`` is used if there is exactly one and it can be
            read; otherwise the report says what it lacks.
        lang: The report's language, ``"zh"`` or ``"en"``.
        precision_target: The pairwise precision the report's suggested
            threshold meets.

    Returns:
        The text to print (unchanged by ``report``), and the metrics.

    Raises:
        EvaluationInputError: A file is missing, empty, not UTF-8, lacks a column, or
            has a blank or repeated record; or the named store cannot be read.
        YidangError: ``lang`` is not a report language.
    """
    if report is not None:
        check_language(lang)
    true_people = _read_assignment(truth, "person_key")
    predicted = _read_assignment(clusters, "person_id")
    metrics = evaluate(predicted, true_people)
    if report is not None:
        _write_report(
            report,
            predicted,
            true_people,
            store=store if store is not None else _store_beside(clusters),
            must_read=store is not None,
            lang=lang,
            precision_target=precision_target,
        )
    if as_json:
        return json.dumps(metrics.headline()), metrics
    return _evaluation_text(predicted, true_people, metrics), metrics


def _read_assignment(path: Path, column: str) -> dict[RecordKey, str]:
    """Read ``source, record_id, <column>``, refusing blanks and repeated records."""
    assignment: dict[RecordKey, str] = {}
    first_row: dict[RecordKey, int] = {}
    for line, record in _csv_rows(path, ("source", "record_id", column)):
        for name in ("source", "record_id", column):
            if not (record.get(name) or "").strip():
                raise EvaluationInputError(
                    path, "the value is blank", row=line, column=name
                )
        key = (record["source"].strip(), record["record_id"].strip())
        if key in assignment:
            raise EvaluationInputError(
                path,
                f"record {key[0]}/{key[1]} appears again (first on row "
                f"{first_row[key]}); each record belongs to one cluster",
                row=line,
            )
        assignment[key] = record[column].strip()
        first_row[key] = line
    if not assignment:
        raise EvaluationInputError(path, "the file has a header but no rows")
    return assignment


def _csv_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a UTF-8 CSV with their line numbers (the header is line 1)."""
    if not path.is_file():
        raise EvaluationInputError(path, "no such file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            if not header:
                raise EvaluationInputError(path, "the file is empty")
            missing = [c for c in columns if c not in header]
            if missing:
                raise EvaluationInputError(
                    path,
                    f"missing column(s) {', '.join(missing)}; "
                    f"the file has {', '.join(header)}",
                    column=missing[0],
                )
            return list(enumerate(reader, start=2))
    except UnicodeDecodeError:
        raise EvaluationInputError(
            path, "the file is not UTF-8; save it as UTF-8 and try again"
        ) from None


def _evaluation_text(
    predicted: Mapping[RecordKey, str],
    truth: Mapping[RecordKey, str],
    metrics: LinkageMetrics,
) -> str:
    errors = cluster_errors(predicted, truth)
    lines = [
        f"records scored: {metrics.records:,}",
        _figures("pairwise", *_pairwise(metrics)),
        _figures(
            "B-cubed",
            metrics.bcubed_precision,
            metrics.bcubed_recall,
            metrics.bcubed_f1,
        ),
        f"pairs: {metrics.true_pairs:,} true, {metrics.predicted_pairs:,} predicted, "
        f"{metrics.correct_pairs:,} both",
        f"clusters: {errors.predicted_clusters:,} for "
        f"{_many(errors.true_persons, 'true person')}, "
        f"{errors.exact_clusters:,} exactly right",
        f"wrong merges: {_many(errors.wrong_merges, 'cluster')} holding "
        f"{_many(errors.merged_extra_persons, 'person')} too many",
        f"wrong splits: {_many(errors.wrong_splits, 'person')} spread over "
        f"{_many(errors.split_extra_clusters, 'cluster')} too many",
    ]
    lines.extend(_missing_lines(predicted, truth))
    breakdown = pairwise_by_source_pair(predicted, truth)
    if breakdown:
        lines.append("by source pair:")
        width = max(len(f"{a} & {b}") for a, b in breakdown)
        for (a, b), counts in breakdown.items():
            lines.append(
                f"  {f'{a} & {b}':<{width}}  precision {counts.precision:.4f}  "
                f"recall {counts.recall:.4f}  ({counts.true_pairs:,} true, "
                f"{counts.predicted_pairs:,} predicted)"
            )
    return "\n".join(lines)


def _many(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _pairwise(metrics: LinkageMetrics) -> tuple[float, float, float]:
    return metrics.pairwise_precision, metrics.pairwise_recall, metrics.pairwise_f1


def _figures(name: str, precision: float, recall: float, f1: float) -> str:
    return f"{name:<9} precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}"


def _missing_lines(
    predicted: Mapping[RecordKey, str], truth: Mapping[RecordKey, str]
) -> list[str]:
    """Name the records found in one table only, and which one."""
    lines = []
    for keys, where in (
        (truth.keys() - predicted.keys(), "in the truth but not in the clusters"),
        (predicted.keys() - truth.keys(), "in the clusters but not in the truth"),
    ):
        if keys:
            shown = ", ".join(f"{s}/{r}" for s, r in sorted(keys)[:5])
            more = ", ..." if len(keys) > 5 else ""
            lines.append(
                f"missing: {_many(len(keys), 'record')} {where} ({shown}{more})"
            )
    return lines


# yidang evaluate --report


def _write_report(
    report: Path,
    predicted: Mapping[RecordKey, str],
    truth: Mapping[RecordKey, str],
    *,
    store: Path | None,
    must_read: bool,
    lang: str,
    precision_target: float,
) -> None:
    """Write the evaluation report atomically, with what the store can add.

    A store found beside the clusters file but unreadable is passed over (the
    report says what it lacks); a store that was named must be read.
    """
    scored: list[ScoredPair] | None = None
    regions: dict[RecordKey, str] | None = None
    details: DetailLookup | None = None
    if store is not None:
        try:
            scored = [_scored(pair) for pair in read_scored_pairs(store)]
            regions = _read_provinces(store)
            details = _detail_lookup(store)
        except EvaluationInputError:
            if must_read:
                raise
            store, scored, regions = None, None, None
    report.parent.mkdir(parents=True, exist_ok=True)
    partial = report.with_name(report.name + ".part")
    try:
        write_evaluation_report(
            partial,
            predicted=predicted,
            truth=truth,
            scored_pairs=scored,
            region_of=regions,
            details=details,
            precision_target=precision_target,
            lang=lang,
            note=text(lang, "store_used", store=store) if store is not None else "",
        )
        os.replace(partial, report)
    finally:
        partial.unlink(missing_ok=True)


def _scored(pair: AuditPair) -> ScoredPair:
    left = (pair.left_source, pair.left_record_id)
    return left, (pair.right_source, pair.right_record_id), pair.match_probability


def _store_beside(clusters: Path) -> Path | None:
    """The run's store, when it is the only DuckDB file beside the clusters file."""
    stores = sorted(clusters.parent.glob("*.duckdb"))
    return stores[0] if len(stores) == 1 else None


def _read_provinces(store: Path) -> dict[RecordKey, str]:
    """Each record's province code, from its region (address county, else ID)."""
    with _store_connection(store) as con:
        rows = con.execute(_REGIONS_SQL).fetchall()
    return {(str(s), str(r)): f"{str(code)[:2]}0000" for s, r, code in rows}


def _detail_lookup(store: Path) -> DetailLookup:
    """Looks up records' details in the store, masking names and ID numbers."""

    def lookup(keys: Collection[RecordKey]) -> dict[RecordKey, RecordDetail]:
        wanted = sorted({f"{source}\x1f{record_id}" for source, record_id in keys})
        with _store_connection(store) as con:
            rows = con.execute(_DETAILS_SQL, [wanted]).fetchall()
        return {
            (str(s), str(r)): RecordDetail(
                name=mask_name(name),
                id_number=mask_id(id_number),
                sex=sex,
                birth_year=year,
                region=region,
            )
            for s, r, name, id_number, sex, year, region in rows
        }

    return lookup


_REGIONS_SQL = """
    SELECT CAST(source AS VARCHAR), CAST(record_id AS VARCHAR), region_code
    FROM yd_link_input
    WHERE region_code IS NOT NULL AND length(region_code) = 6
"""

_DETAILS_SQL = """
    SELECT CAST(source AS VARCHAR), CAST(record_id AS VARCHAR), name_clean,
        coalesce(id_key, id_cleaned), sex, year(birth_date), region_code
    FROM yd_link_input
    WHERE list_contains($1, source || chr(31) || record_id)
"""


# yidang audit sample


def read_scored_pairs(store: Path) -> list[AuditPair]:
    """Read every scored pair from a store, with whether the run linked it.

    A pair scored twice (by the model and through a family link) keeps its highest
    probability; it is linked when both records have the same ``person_id`` in
    ``yd_clusters``.

    Raises:
        EvaluationInputError: The store is missing, in use, or lacks a table.
    """
    with _store_connection(store) as con:
        rows = con.execute(_SCORED_PAIRS_SQL).fetchall()
    return [
        AuditPair(str(ls), str(lr), str(rs), str(rr), float(p), bool(linked))
        for ls, lr, rs, rr, p, linked in rows
    ]


@contextmanager
def _store_connection(store: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a finished run's store, closed on leaving.

    Raises:
        EvaluationInputError: The store is missing, in use, or lacks a table.
    """
    if not store.is_file():
        raise EvaluationInputError(store, "no such store; run `yidang link` first")
    try:
        con = duckdb.connect(str(store), read_only=True)
    except duckdb.Error as error:
        raise EvaluationInputError(
            store, f"cannot open the store ({error}); is a run still writing to it?"
        ) from None
    try:
        tables = {row[0] for row in con.execute(_TABLES_SQL).fetchall()}
        for table in STORE_TABLES:
            if table not in tables:
                raise EvaluationInputError(
                    store,
                    f"the store has no {table} table; run `yidang link` to the end "
                    "first",
                )
        yield con
    finally:
        con.close()


_TABLES_SQL = "SELECT table_name FROM information_schema.tables"

_SCORED_PAIRS_SQL = """
    WITH scored AS (
        SELECT
            least(unique_id_l, unique_id_r) AS id_l,
            greatest(unique_id_l, unique_id_r) AS id_r,
            max(match_probability) AS match_probability
        FROM yd_pairs
        WHERE match_probability IS NOT NULL AND unique_id_l <> unique_id_r
        GROUP BY ALL
    )
    SELECT
        CAST(l.source AS VARCHAR), CAST(l.record_id AS VARCHAR),
        CAST(r.source AS VARCHAR), CAST(r.record_id AS VARCHAR),
        s.match_probability,
        cl.person_id = cr.person_id AS linked
    FROM scored AS s
    JOIN yd_link_input AS l ON l.unique_id = s.id_l
    JOIN yd_link_input AS r ON r.unique_id = s.id_r
    JOIN yd_clusters AS cl ON cl.unique_id = s.id_l
    JOIN yd_clusters AS cr ON cr.unique_id = s.id_r
    ORDER BY s.id_l, s.id_r
"""


def run_audit_sample(
    store: Path,
    out: Path,
    *,
    margin: float,
    seed: int = 0,
    confidence: float = 0.95,
    minimum: int = 10,
    band_prior: bool = False,
) -> str:
    """Draw an audit sample of a store's scored pairs and write it for labelling.

    Args:
        store: The run's DuckDB store.
        out: Where to write the sample CSV. A file there that already holds labels
            is never overwritten.
        margin: Margin of error wanted per stratum, e.g. 0.05.
        seed: Seed of the random draw.
        confidence: Confidence level of the margin.
        minimum: Fewest pairs drawn from a stratum.
        band_prior: Size strata for the middle of their probability band rather
            than for the worst case of 0.5 (a smaller sample).

    Returns:
        The text to print: what was written, and the strata.
    """
    if not 0 < margin < 1:
        raise YidangError(f"--margin must lie between 0 and 1, not {margin}")
    if not 0 < confidence < 1:
        raise YidangError(f"--confidence must lie between 0 and 1, not {confidence}")
    _refuse_to_overwrite_labels(out)
    pairs = read_scored_pairs(store)
    if not pairs:
        raise EvaluationInputError(store, "the store holds no scored pairs to audit")
    sample = draw_sample(
        pairs,
        margin=margin,
        seed=seed,
        confidence=confidence,
        expected_rate=band_midpoint if band_prior else 0.5,
        minimum=minimum,
    )
    partial = out.with_name(out.name + ".part")
    write_sample(sample, partial)
    os.replace(partial, out)

    lines = [
        f"wrote {len(sample.rows):,} of {len(pairs):,} scored pairs in "
        f"{len(sample.strata)} strata to {out} "
        f"(margin {margin:g} at {confidence:.0%} confidence, seed {seed})",
        f"label each row {_either(LABELS)}, then run `yidang audit estimate {out}`",
    ]
    width = max(len(s.key.name) for s in sample.strata)
    lines.append(f"  {'stratum':<{width}}  {'pairs':>11}  {'drawn':>7}")
    lines.extend(
        f"  {s.key.name:<{width}}  {s.population:>11,}  {s.sample_size:>7,}"
        for s in sample.strata
    )
    return "\n".join(lines)


def _either(words: tuple[str, ...]) -> str:
    return ", ".join(words[:-1]) + " or " + words[-1]


def _refuse_to_overwrite_labels(out: Path) -> None:
    if not out.is_file():
        return
    try:
        rows = read_sample(out)
    except (SampleFileError, UnicodeDecodeError):
        raise EvaluationInputError(
            out,
            "a file that is not an audit sample is in the way; choose another --out",
        ) from None
    labelled = sum(1 for row in rows if row.label)
    if labelled:
        raise EvaluationInputError(
            out,
            f"holds {labelled:,} labels, which a new sample would overwrite; "
            "choose another --out or move the file",
        )


# yidang audit estimate


def run_audit_estimate(
    labelled: Path, *, confidence: float = 0.95, exact: bool = False
) -> str:
    """Estimate precision and recall from a labelled audit sample.

    Args:
        labelled: A sample file from :func:`run_audit_sample` with labels filled in.
        confidence: Confidence level of the intervals.
        exact: Give per-stratum Clopper-Pearson intervals instead of Wilson's.

    Returns:
        The text to print.

    Raises:
        EvaluationInputError: The file is missing or unreadable, a label is unknown,
            no pair is labelled, or the stratum sizes disagree.
    """
    if not labelled.is_file():
        raise EvaluationInputError(labelled, "no such file")
    try:
        rows = read_sample(labelled)
    except SampleFileError as error:
        raise EvaluationInputError(
            labelled, str(error).removeprefix(f"{labelled}: ")
        ) from None
    except UnicodeDecodeError:
        raise EvaluationInputError(labelled, "the file is not UTF-8") from None
    if not any(row.label for row in rows):
        raise EvaluationInputError(
            labelled,
            f"no pair is labelled yet; fill in {_either(LABELS)}",
            column="label",
        )
    try:
        result = estimate(
            rows,
            confidence=confidence,
            interval="clopper-pearson" if exact else "wilson",
        )
    except ValueError as error:
        raise EvaluationInputError(labelled, str(error)) from None
    return _estimate_text(result)


def _estimate_text(result: AuditEstimate) -> str:
    level = f"{result.confidence:.0%}"
    lines = [
        f"labelled {_many(result.labelled, 'pair')}; left out {result.unsure:,} "
        f"unsure and {result.unlabelled:,} not yet labelled",
        f"precision of links: {_proportion(result.precision, level)}",
        f"recall among scored pairs: {_proportion(result.recall, level)}",
        f"  true matches: {_estimated(result.true_links)} linked, "
        f"{_estimated(result.missed_matches)} left unlinked; pairs never scored "
        "are not seen",
    ]
    if result.strata_without_labels:
        lines.append(
            "strata with no usable label (the others of their kind stand in): "
            + ", ".join(result.strata_without_labels)
        )
    lines.append(f"by stratum ({result.interval} intervals):")
    width = max(len(s.stratum.name) for s in result.strata)
    lines.append(
        f"  {'stratum':<{width}}  {'pairs':>11}  {'match':>6}  {'not':>6}  match rate"
    )
    lines.extend(
        f"  {s.stratum.name:<{width}}  {s.population:>11,}  {s.matches:>6,}  "
        f"{s.not_matches:>6,}  {_proportion(s.match_rate, level)}"
        for s in result.strata
    )
    return "\n".join(lines)


def _estimated(count: float | None) -> str:
    return "unknown" if count is None else f"about {count:,.0f}"


def _proportion(value: Proportion | None, level: str) -> str:
    if value is None:
        return "cannot be estimated from these labels"
    return (
        f"{value.estimate:.1%} ({level} interval {value.low:.1%} to {value.high:.1%})"
    )
