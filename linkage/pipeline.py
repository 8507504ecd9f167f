"""The batch run: a project file in, the outputs of DESIGN.md out.

Stages run in order over one store: load, standardise, then the linking stages. Each
logs its counts and seconds; the outputs are written atomically at the end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from blocking.rules import BlockingRule
from linkage.cluster import cluster
from linkage.errors import Problem, ProjectError, YidangError
from linkage.golden import build_golden
from linkage.link import (
    DECLARED_RULE_MAX_PAIRS,
    build_link_input,
    declared_rule_pairs,
    score_pairs,
)
from linkage.load import load_project as load_sources
from linkage.model import (
    ModelCard,
    check_model_fits,
    load_model,
    now_text,
    save_model,
    train,
    trained_settings,
)
from linkage.outputs import copy_query_to_csv, staged_outputs
from linkage.prepare import standardise_store
from linkage.project import Project, Thresholds, load_project
from linkage.report import write_run_report
from linkage.review_queue import build_review_queue
from linkage.store import Store

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class RunResult:
    """What a run did: counts, seconds per stage, and where the outputs are."""

    project: Project
    out_dir: Path
    records_in: int = 0
    records_rejected: int = 0
    records_kept: int = 0
    persons: int = 0
    review_items: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    model_source: str = ""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)

    def describe(self) -> str:
        """A few lines for the person who ran it."""
        lines = [
            f"run {self.project.run.name!r}: {self.records_in:,} records read, "
            f"{self.records_kept:,} clustered, {self.records_rejected:,} rejected",
            f"{self.persons:,} persons; {self.review_items:,} items for review; "
            f"model: {self.model_source}",
            "flags: "
            + (", ".join(f"{k} {v:,}" for k, v in self.flags.items()) or "none"),
            "stages: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in self.stage_seconds.items()),
            f"store: {self.project.run.store}",
        ]
        lines += [f"{name}: {path}" for name, path in self.outputs.items()]
        return "\n".join(lines)


def run_project(
    project_path: str | Path,
    *,
    out_dir: Path | None = None,
    model: Path | None = None,
    lang: str = "zh",
    progress: Progress | None = None,
) -> RunResult:
    """Run every stage of a project and write its outputs.

    Args:
        project_path: The project TOML file.
        out_dir: Where the output files go; defaults to the store's folder.
        model: A model file to use instead of the project's ``[run] model``.
        lang: The language of the run report, "zh" or "en".
        progress: Called with (stage, done, total).
    """
    project = load_project(project_path)
    if model is not None:
        project = replace(project, run=replace(project.run, model=model))
    out = out_dir or project.run.store.parent
    result = RunResult(project=project, out_dir=out)
    with Store(project.run.store) as store:
        _prepare(project, store, result, progress)
        settings = _model_settings(project, store, result)
        thresholds = project.thresholds
        _timed(
            result,
            "score",
            lambda: _score(project, store, settings, thresholds.review, progress),
        )
        _timed(result, "cluster", lambda: _cluster(store, result, thresholds.match))
        _timed(result, "golden", lambda: _golden(store, result, thresholds))
        _check_accounting(store, result)
        _timed(result, "outputs", lambda: _write_outputs(store, out, result, lang))
    return result


def train_project(
    project_path: str | Path,
    *,
    save: Path,
    labels: Path | None = None,
    progress: Progress | None = None,
) -> tuple[RunResult, ModelCard]:
    """Load and standardise a project's sources, train the model, and save it.

    Args:
        project_path: The project TOML file.
        save: The model file to write.
        labels: Optional CSV of ``source, record_id, person_key`` (a truth file or
            exported review labels): m is then counted from labelled matches.
        progress: Called with (stage, done, total).
    """
    project = load_project(project_path)
    result = RunResult(project=project, out_dir=save.parent)
    with Store(project.run.store) as store:
        _prepare(project, store, result, progress)
        started = time.perf_counter()
        if labels is None:
            linker = train(store.con, comparisons=project.comparisons)
        else:
            table = _attach_labels(store, labels)
            linker = train(
                store.con,
                table=table,
                label_column="label_key",
                comparisons=project.comparisons,
            )
        result.stage_seconds["train"] = time.perf_counter() - started
        sources = ", ".join(source.name for source in project.sources)
        card = ModelCard(
            trained_on=f"project {project.run.name!r} (sources: {sources})"
            + (f", labels from {labels.name}" if labels else ", without labels"),
            records=result.records_kept,
            trained_at=now_text(),
        )
        save_model(save, trained_settings(linker), card)
    result.model_source = str(save)
    return result, card


def _attach_labels(store: Store, labels: Path) -> str:
    """The link input with a ``label_key`` column from a labels CSV, by name."""
    con = store.con
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE yd_labels AS "
            "SELECT source, record_id, person_key AS label_key "
            "FROM read_csv(?, all_varchar = true, header = true)",
            [str(labels)],
        )
    except duckdb.Error as error:
        raise YidangError(
            f"{labels}: cannot read labels; it needs the columns source, record_id "
            f"and person_key ({error})"
        ) from error
    con.execute(
        """
        CREATE OR REPLACE TABLE yd_labelled_input AS
        SELECT i.*, l.label_key
        FROM yd_link_input AS i LEFT JOIN yd_labels AS l USING (source, record_id)
        ORDER BY i.unique_id
        """
    )
    return "yd_labelled_input"


def prepare_project(
    project_path: str | Path, *, progress: Progress | None = None
) -> tuple[Project, Store]:
    """Load and standardise a project into its store, ready for training or SQL.

    For notebooks: the caller owns the returned store and closes it.
    """
    project = load_project(project_path)
    store = Store(project.run.store)
    _prepare(project, store, RunResult(project=project, out_dir=Path()), progress)
    return project, store


def _prepare(
    project: Project, store: Store, result: RunResult, progress: Progress | None
) -> None:
    _timed(result, "load", lambda: _load(project, store, result, progress))
    _timed(result, "standardise", lambda: _standardise(store, result, progress))
    _timed(result, "link input", lambda: _link_input(project, store))


def _timed(result: RunResult, stage: str, run: Callable[[], None]) -> None:
    started = time.perf_counter()
    run()
    result.stage_seconds[stage] = time.perf_counter() - started
    logger.info("stage %s done in %.1f s", stage, result.stage_seconds[stage])


def _load(
    project: Project, store: Store, result: RunResult, progress: Progress | None
) -> None:
    summaries = load_sources(project, store, progress=progress)
    result.records_in = sum(s.rows_read for s in summaries)
    result.records_rejected = sum(s.rejected for s in summaries)


def _standardise(store: Store, result: RunResult, progress: Progress | None) -> None:
    summary = standardise_store(store, progress=progress)
    result.records_kept = summary.records


def _link_input(project: Project, store: Store) -> None:
    build_link_input(store.con, project.comparisons, project.sources)


def _model_settings(
    project: Project, store: Store, result: RunResult
) -> dict[str, Any]:
    """The project's model if it names one that exists, else one trained now."""
    path = project.run.model
    if path is not None and path.is_file():
        settings, card = load_model(path)
        check_model_fits(settings, project.comparisons, where=str(path))
        result.model_source = f"{path} (trained on {card.trained_on})"
        return settings
    started = time.perf_counter()
    settings = trained_settings(train(store.con, comparisons=project.comparisons))
    result.stage_seconds["train"] = time.perf_counter() - started
    result.model_source = "trained on this run's data"
    if path is not None:
        card = ModelCard(
            trained_on=f"project {project.run.name}",
            records=result.records_kept,
            trained_at=now_text(),
        )
        save_model(path, settings, card)
        result.model_source += f", saved to {path}"
    return settings


def _check_declared_rules(
    project: Project, store: Store, rules: tuple[BlockingRule, ...]
) -> None:
    """Refuse a ``[[blocking]]`` rule whose blocks would propose too many pairs."""
    problems = []
    for block, rule in zip(project.blocking, rules, strict=True):
        pairs, largest = declared_rule_pairs(store.con, rule)
        if pairs > DECLARED_RULE_MAX_PAIRS:
            problems.append(
                Problem(
                    f"[[blocking]] on = {list(block.on)}",
                    f"proposes {pairs:,} pairs on this data (the largest block has "
                    f"{largest:,} records); at most {DECLARED_RULE_MAX_PAIRS:,} "
                    "are allowed",
                    "add a field that splits the blocks, such as birth_date or "
                    "region_code",
                )
            )
    if problems:
        raise ProjectError(str(project.path), problems)


def _score(
    project: Project,
    store: Store,
    settings: dict[str, Any],
    threshold: float,
    progress: Progress | None,
) -> None:
    rules = project.blocking_rules()
    _check_declared_rules(project, store, rules)
    score_pairs(store.con, settings, threshold=threshold, extra_rules=rules)
    if progress is not None:
        progress("score", 1, 1)


def _cluster(store: Store, result: RunResult, threshold: float) -> None:
    summary = cluster(store.con, match_threshold=threshold)
    result.persons = summary.clusters


def _golden(store: Store, result: RunResult, thresholds: Thresholds) -> None:
    build_golden(store.con)
    result.review_items = build_review_queue(
        store.con,
        review_threshold=thresholds.review,
        match_threshold=thresholds.match,
    )
    rows = store.rows(
        "SELECT flag, count(*) FROM (SELECT unnest(flags) AS flag FROM yd_golden) "
        "GROUP BY flag ORDER BY flag"
    )
    result.flags = {str(flag): int(count) for flag, count in rows}


def _check_accounting(store: Store, result: RunResult) -> None:
    """Records in = records clustered + records rejected, or the run fails."""
    clustered = int(store.scalar("SELECT count(*) FROM yd_clusters"))
    result.records_kept = clustered
    if clustered + result.records_rejected != result.records_in:
        raise YidangError(
            f"internal error: {result.records_in:,} records read but "
            f"{clustered:,} clustered and {result.records_rejected:,} rejected"
        )


OUTPUT_QUERIES: dict[str, str] = {
    "clusters.csv": (
        "SELECT source, record_id, person_id, round(match_probability, 6) "
        "AS match_probability FROM yd_clusters ORDER BY source, record_id"
    ),
    "golden.csv": (
        "SELECT * REPLACE (array_to_string(flags, ';') AS flags) FROM yd_golden "
        "ORDER BY person_id"
    ),
    "review_queue.csv": (
        "SELECT item_id, priority, reason, match_probability, left_source, "
        "left_record_id, left_person_id, right_source, right_record_id, "
        "right_person_id FROM yd_review_queue ORDER BY item_id"
    ),
    "rejects.csv": (
        "SELECT source, file, row_number AS row, field, reason, raw "
        "FROM yd_rejects ORDER BY source, row_number"
    ),
}


def _write_outputs(store: Store, out: Path, result: RunResult, lang: str) -> None:
    with staged_outputs(out) as staging:
        for name, query in OUTPUT_QUERIES.items():
            copy_query_to_csv(store.con, query, staging / name)
        write_run_report(
            store,
            staging / "report.html",
            result.describe(),
            lang=lang,
            thresholds=result.project.thresholds,
        )
    for name in (*OUTPUT_QUERIES, "report.html"):
        result.outputs[name] = out / name
