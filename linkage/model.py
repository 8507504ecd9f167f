"""The person match model: splink 5 settings, training without labels, and model files.

A model file (``models/*.json``) wraps splink's settings, with trained m and u, in an
envelope that says which format it is, which yidang wrote it, what it was trained on,
and what it measured. Training follows the usual Fellegi-Sunter recipe: u from random
pairs, the prior from a deterministic rule, m by expectation maximisation over several
blocking rules, each leaving different comparisons free to be estimated.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from blocking.rules import DETERMINISTIC_RULE, PERSON_RULES, TRAINING_RULES
from linkage import __version__
from linkage.comparisons import (
    EXTRA_PREFIX,
    field_comparison,
    field_comparisons,
    person_comparisons,
)
from linkage.errors import ModelError
from linkage.project import FieldComparison

logger = logging.getLogger(__name__)

MODEL_FORMAT = "yidang-model"
MODEL_FORMAT_VERSION = 1
LINK_INPUT = "yd_link_input"

_PRIOR_RECALL = 0.8
"""Share of true matches the deterministic rule is assumed to find: ID numbers are
missing, masked or mistyped in about a fifth of the records that should match."""


@dataclass(frozen=True, kw_only=True)
class ModelCard:
    """What a model was trained on and what it measured."""

    trained_on: str
    records: int
    trained_at: str
    metrics: dict[str, float] = field(default_factory=dict)
    notes: str = ""


def settings_dict(comparisons: Sequence[FieldComparison] = ()) -> dict[str, Any]:
    """Untrained splink settings for the person model.

    Args:
        comparisons: A project's own ``[[comparisons]]``, weighed after the person
            model's comparisons.
    """
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-5,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule.sql, "sql_dialect": "duckdb"}
            for rule in PERSON_RULES
        ],
        "comparisons": [*person_comparisons(), *field_comparisons(comparisons)],
        "retain_intermediate_calculation_columns": False,
        "retain_matching_columns": False,
        "additional_columns_to_retain": ["source"],
        "em_convergence": 0.001,
        "max_iterations": 25,
    }


def make_linker(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    *,
    table: str = LINK_INPUT,
) -> Linker:
    """A splink linker over a table of the store, ``yd_link_input`` by default.

    Splink gets a cursor of its own: with duckdb 2 an unfinished result on a shared
    connection would block splink's SQL.
    """
    db_api = DuckDBAPI(con.cursor())
    return Linker(db_api.register(table), settings, log_level=None)


TRAIN_INPUT = "yd_train_input"
"""The view training reads: the link input narrowed to the columns the model uses.
It stays in the store, so that the linker :func:`train` returns can still be used."""

U_PAIRS = 2e6
"""Random pairs u is estimated from."""

EM_PAIRS = 2.5e5
"""Most blocked pairs an EM session compares. At a million records each training
rule finds 0.4 to 0.9 million pairs; splink then samples records by a hash of their
ID, so that about this many pairs remain. A level seen in one pair in a thousand is
still counted some 250 times: on a million synthetic records the m values move on
the rarest levels only, and pairwise precision and recall stay the same to the fourth
decimal. Below this many pairs (20,000 persons, say) nothing is sampled."""


def train(
    con: duckdb.DuckDBPyConnection,
    *,
    seed: int = 42,
    table: str = LINK_INPUT,
    label_column: str | None = None,
    comparisons: Sequence[FieldComparison] = (),
) -> Linker:
    """Train the person model on the store's link input.

    Without labels: u from random pairs, m by EM over :data:`TRAINING_RULES` (on at
    most :data:`EM_PAIRS` pairs each), and the prior from :data:`DETERMINISTIC_RULE`.
    With a label column (a person key per record, from clerical review or a truth
    file), m is counted from the labelled matches instead of estimated by EM. A
    project's own ``comparisons`` are trained with the rest; the link input must
    carry their columns (:func:`linkage.link.build_link_input`).

    Returns:
        A linker holding the trained parameters.
    """
    started = time.perf_counter()
    settings = settings_dict(comparisons)
    # As for scoring: splink copies its input while sampling and for each EM rule, so
    # it reads a view of the columns the settings, the rules and the labels use.
    rules = [rule.sql for rule in TRAINING_RULES] + [DETERMINISTIC_RULE]
    columns = columns_read(con, table, settings, *rules, label_column or "")
    con.execute(
        f"CREATE OR REPLACE VIEW {TRAIN_INPUT} AS "
        f"SELECT {', '.join(columns)} FROM {table}"
    )
    linker = make_linker(con, settings, table=TRAIN_INPUT)
    # Some levels are rare among non-matches (two numbers of another scheme, say),
    # so splink's early stop by level counts never comes and it would take the
    # sample in ten chunks for nothing: one chunk reads the same pairs faster.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=U_PAIRS, seed=seed, num_chunks=1, min_count_per_level=None
    )
    if label_column is not None:
        linker.training.estimate_m_from_label_column(label_column)
        linker.training.estimate_probability_two_random_records_match(
            [DETERMINISTIC_RULE], recall=_PRIOR_RECALL
        )
        logger.info("trained from labels in %.1f s", time.perf_counter() - started)
        return linker
    _estimate_m_by_em(con, table, linker, settings)
    # Last, so that nothing in the EM sessions can move the prior it sets.
    linker.training.estimate_probability_two_random_records_match(
        [DETERMINISTIC_RULE], recall=_PRIOR_RECALL
    )
    logger.info("trained the person model in %.1f s", time.perf_counter() - started)
    return linker


def _estimate_m_by_em(
    con: duckdb.DuckDBPyConnection,
    table: str,
    linker: Linker,
    settings: dict[str, Any],
) -> None:
    """Estimate m by EM over :data:`TRAINING_RULES`, in order, as far as needed.

    A rule is used only if it leaves free a comparison that no rule before it did:
    each session costs a blocking pass and comparison vectors for its pairs, and
    once every comparison has had a session of its own, a further one only averages
    in another estimate of the same m values. With ID numbers and names the first two
    rules suffice; the third trains the name when the data have no ID numbers.
    """
    untrained = {str(c["output_column_name"]) for c in settings["comparisons"]}
    trained = 0
    for rule in TRAINING_RULES:
        free = _comparisons_left_free(settings, rule.sql)
        if not free & untrained:
            logger.info("EM rule %s estimates nothing new here; skipped", rule.name)
            continue
        # A rule that finds no pairs (no phones in the data, say) must be skipped
        # before EM starts: a failed EM session has already taken the comparisons
        # it would have left free out of the linker's settings.
        if not _finds_pairs(con, table, rule.sql):
            logger.warning("EM rule %s finds no pairs here; skipped", rule.name)
            continue
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule.sql, estimate_without_term_frequencies=True, max_pairs=EM_PAIRS
        )
        untrained -= free
        trained += 1
    if not trained:
        raise ModelError(
            "no training rule found pairs to learn from: the data has too few "
            "records that share an ID number, a name and birth date, or a phone"
        )


def _comparisons_left_free(settings: dict[str, Any], rule: str) -> set[str]:
    """The comparisons whose levels read none of the columns ``rule`` blocks on.

    Within a block those columns agree by construction, so EM can estimate m only
    for the other comparisons (splink draws the same line).
    """
    blocked = set(re.findall(r"\b[lr]\.(\w+)", rule))
    free = set()
    for comparison in settings["comparisons"]:
        levels = json.dumps(comparison["comparison_levels"], ensure_ascii=False)
        if not any(re.search(rf"\b{re.escape(c)}_[lr]\b", levels) for c in blocked):
            free.add(str(comparison["output_column_name"]))
    return free


def columns_read(
    con: duckdb.DuckDBPyConnection,
    table: str,
    settings: dict[str, Any],
    *sql: str,
) -> list[str]:
    """The columns of ``table`` that splink settings (and further SQL) read.

    A column counts as read when its name appears as a whole word in the settings or
    the SQL, bare (blocking rules, retained columns, term frequencies) or with
    splink's ``_l``/``_r`` suffix (comparison levels). A word that only looks like a
    column (in a chart label, say) keeps a column splink does not need, which costs
    a little width and nothing else; a column missed would fail loudly.

    Returns:
        The columns, in the table's order.
    """
    text = json.dumps(settings, ensure_ascii=False) + "\n" + "\n".join(sql)
    names = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
    unique_id = str(settings.get("unique_id_column_name", "unique_id"))
    return [
        name
        for name in names
        if name == unique_id or re.search(rf"\b{re.escape(name)}(_l|_r)?\b", text)
    ]


def _finds_pairs(con: duckdb.DuckDBPyConnection, table: str, rule: str) -> bool:
    row = con.execute(
        f"SELECT 1 FROM {table} AS l JOIN {table} AS r "
        f"ON ({rule}) AND l.unique_id < r.unique_id LIMIT 1"
    ).fetchone()
    return row is not None


def check_model_fits(
    settings: dict[str, Any], comparisons: Sequence[FieldComparison], *, where: str
) -> None:
    """Check that a model weighs exactly the project's own comparisons.

    A model trained without a project's ``[[comparisons]]`` has no weights for them,
    and one trained with comparisons the project lacks would read columns the link
    input does not have; either way the scores would be wrong or the run would fail
    halfway, so the mismatch is reported before scoring.

    Args:
        settings: The model's splink settings.
        comparisons: The project's own comparisons.
        where: The model file, for the message.

    Raises:
        ModelError: Naming every field that differs and what to do.
    """
    trained = {
        str(c["output_column_name"]): c
        for c in settings.get("comparisons", [])
        if str(c.get("output_column_name", "")).startswith(EXTRA_PREFIX)
    }
    wanted = {spec.column: spec for spec in comparisons}
    retrain = "retrain with 'yidang train' on this project, or drop [run] model"
    problems = []
    for column in sorted(wanted.keys() - trained.keys()):
        problems.append(
            f"the project compares {wanted[column].field!r}, the model was trained "
            "without it"
        )
    for column in sorted(trained.keys() - wanted.keys()):
        problems.append(
            f"the model compares {column.removeprefix(EXTRA_PREFIX)!r}, which the "
            "project declares in no [[comparisons]] table"
        )
    for column in sorted(wanted.keys() & trained.keys()):
        if _conditions(trained[column]) != _conditions(
            field_comparison(wanted[column])
        ):
            problems.append(
                f"the model compares {wanted[column].field!r} with other levels than "
                "the project's [[comparisons]] table"
            )
    if problems:
        raise ModelError(
            f"{where}: does not fit the project: "
            + "; ".join(problems)
            + f" ({retrain})"
        )


def _conditions(comparison: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [
        (str(level["sql_condition"]), level.get("tf_adjustment_column"))
        for level in comparison.get("comparison_levels", [])
    ]


def trained_settings(linker: Linker) -> dict[str, Any]:
    """The trained settings of a linker, as the dict splink saves."""
    settings: dict[str, Any] = linker.misc.save_model_to_json()
    return settings


def save_model(path: str | Path, settings: dict[str, Any], card: ModelCard) -> Path:
    """Write a model file: splink settings inside yidang's envelope."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    envelope = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "yidang_version": __version__,
        "card": {
            "trained_on": card.trained_on,
            "records": card.records,
            "trained_at": card.trained_at,
            "metrics": card.metrics,
            "notes": card.notes,
        },
        "splink_settings": settings,
    }
    path.write_text(json.dumps(envelope, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return path


def load_model(path: str | Path) -> tuple[dict[str, Any], ModelCard]:
    """Read a model file; raises ModelError if it is not one yidang can use."""
    path = Path(path)
    try:
        envelope = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ModelError(f"{path}: model file not found") from error
    except json.JSONDecodeError as error:
        raise ModelError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(envelope, dict) or envelope.get("format") != MODEL_FORMAT:
        raise ModelError(f"{path}: not a yidang model file (no 'format' envelope)")
    version = envelope.get("format_version")
    if version != MODEL_FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format version {version!r}, this yidang reads "
            f"{MODEL_FORMAT_VERSION}: retrain with 'yidang train'"
        )
    card = envelope.get("card", {})
    return envelope["splink_settings"], ModelCard(
        trained_on=str(card.get("trained_on", "")),
        records=int(card.get("records", 0)),
        trained_at=str(card.get("trained_at", "")),
        metrics=dict(card.get("metrics", {})),
        notes=str(card.get("notes", "")),
    )


def now_text() -> str:
    """The current UTC time, to the second, for model cards."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
