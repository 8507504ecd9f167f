"""Scoring candidate pairs: the link input table, splink's predictions, family links.

``yd_link_input`` adds the blocking keys to the standardised records; splink scores the
blocked pairs into ``yd_pairs``. Records with no identity of their own, a birth
certificate's child above all, are linked through their family in
:func:`family_pairs`, and those pairs join ``yd_pairs`` with the evidence they rest on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import duckdb

from blocking.rules import COMMON_NAME_CAP, BlockingRule
from linkage.model import LINK_INPUT, columns_read, make_linker
from linkage.project import FieldComparison, SourceSettings
from linkage.schema import PERSON_FIELDS
from linkage.store import count_rows

logger = logging.getLogger(__name__)

SCORE_INPUT = "yd_score_input"
"""The view splink scores from: only the columns of ``yd_link_input`` the model uses."""

FAMILY_UNIQUE_PROBABILITY = 0.99
"""A child found through its mother's household, the only one born that day with
that sex (and, where the certificate names the child, with that pinyin)."""

FAMILY_AMBIGUOUS_PROBABILITY = 0.6
"""Twins or more: the household has several children born that day with that sex;
the pair goes to review rather than being linked."""


def build_link_input(
    con: duckdb.DuckDBPyConnection,
    comparisons: Sequence[FieldComparison] = (),
    sources: Sequence[SourceSettings] = (),
) -> int:
    """Create ``yd_link_input``: standardised records plus their blocking keys.

    A view over ``yd_persons``: the keys are cheap expressions of one row, so the
    million-row table is not copied; the one key that needs the whole table (how
    common a name is in its county) is counted once into ``yd_name_county``.

    Args:
        con: The store's connection, with ``yd_persons`` built.
        comparisons: A project's own comparisons: each adds a column
            ``extra_<field>`` of cleaned values (:func:`build_extra_values`).
        sources: The project's sources, for the columns their fields come from.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TABLE yd_name_county AS
        SELECT name_pinyin, region_code
        FROM yd_persons
        WHERE name_pinyin IS NOT NULL AND region_code IS NOT NULL
        GROUP BY ALL
        HAVING count(*) > {COMMON_NAME_CAP}
        """
    )
    # A store written by an earlier version holds the link input as a table.
    tables = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [LINK_INPUT]
    ).fetchone()
    if tables and tables[0]:
        con.execute(f"DROP TABLE {LINK_INPUT}")
    extra_columns = ""
    extra_join = ""
    if comparisons:
        build_extra_values(con, comparisons, sources)
        extra_columns = "".join(f"x.{c.column}, " for c in comparisons)
        extra_join = "LEFT JOIN yd_extra_values AS x USING (unique_id)"
    con.execute(
        f"""
        CREATE OR REPLACE VIEW {LINK_INPUT} AS
        SELECT
            p.*,
            {extra_columns}
            CASE WHEN length(p.id_cleaned) = 18 AND p.id_masked IS NULL
                THEN substr(p.id_cleaned, 1, 14) END AS id_head,
            CASE WHEN length(p.id_cleaned) = 18 AND p.id_masked IS NULL
                THEN substr(p.id_cleaned, 7, 11) END AS id_tail,
            CASE
                WHEN p.id_masked IS NOT NULL
                    THEN substr(p.id_masked, 1, 6) || substr(p.id_masked, 15, 4)
                WHEN p.id_key IS NOT NULL AND length(p.id_key) = 18
                    THEN substr(p.id_key, 1, 6) || substr(p.id_key, 15, 4)
            END AS id_mask_key,
            CASE WHEN p.id_class = 'other' AND length(p.id_key) >= 6
                THEN left(p.id_key, length(p.id_key) // 2) END AS id_other_head,
            CASE WHEN p.id_class = 'other' AND length(p.id_key) >= 6
                THEN right(p.id_key, length(p.id_key) - length(p.id_key) // 2)
                END AS id_other_tail,
            coalesce(
                p.id_key,
                p.id_masked,
                CASE WHEN p.id_class = 'checksum_error' THEN p.id_cleaned END
            ) AS id_evidence,
            CASE WHEN p.household_id IS NOT NULL
                THEN p.source || '/' || p.household_id END AS household_key,
            CASE WHEN p.name_pinyin IS NOT NULL AND p.region_code IS NOT NULL
                AND NOT EXISTS (
                    SELECT 1 FROM yd_name_county AS c
                    WHERE c.name_pinyin = p.name_pinyin
                        AND c.region_code = p.region_code
                )
                THEN p.name_pinyin || '/' || p.region_code END AS name_county_key
        FROM yd_persons AS p
        {extra_join}
        """
    )
    return count_rows(con, LINK_INPUT)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_FULL_WIDTH_SQL = ", ".join(
    _sql_text(text)
    for text in (
        "".join(chr(code) for code in range(0xFF01, 0xFF5F)) + "\u3000",
        "".join(chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)) + " ",
    )
)
"""The two arguments of ``translate`` that turn full-width forms half-width."""


def build_extra_values(
    con: duckdb.DuckDBPyConnection,
    comparisons: Sequence[FieldComparison],
    sources: Sequence[SourceSettings],
) -> int:
    """Create ``yd_extra_values``: one row per record, one cleaned column per field.

    A canonical field is read from its column of ``yd_records``; a field of the
    project's own from the record's raw attributes, under the column name its source
    maps it to (``yd_extra_columns``, so that no file's column name is written into
    SQL). Values are NFC-normalised, full-width letters, digits and spaces made
    half-width (what NFKC would do to them), lower-cased, and runs of spaces
    collapsed; an empty value is null.
    """
    con.execute(
        "CREATE OR REPLACE TABLE yd_extra_columns "
        "(source VARCHAR, field VARCHAR, column_name VARCHAR)"
    )
    rows = [
        (source.name, field, column)
        for source in sources
        for field, column in source.extra_fields.items()
    ]
    if rows:
        con.executemany("INSERT INTO yd_extra_columns VALUES (?, ?, ?)", rows)
    selects, joins = [], []
    for index, comparison in enumerate(comparisons):
        # Field names are checked identifiers (lower-case letters, digits, _).
        if comparison.field in PERSON_FIELDS:
            raw = f"r.{comparison.field}"
        else:
            raw = f"r.extra ->> m{index}.column_name"
            alias = f"m{index}"
            joins.append(
                f"LEFT JOIN yd_extra_columns AS {alias} ON {alias}.source = r.source "
                f"AND {alias}.field = '{comparison.field}'"
            )
        selects.append(
            "nullif(trim(regexp_replace(lower(translate(nfc_normalize("
            f"{raw}), {_FULL_WIDTH_SQL})), '\\s+', ' ', 'g')), '') "
            f"AS {comparison.column}"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE yd_extra_values AS
        SELECT p.unique_id, {", ".join(selects)}
        FROM yd_persons AS p
        JOIN yd_records AS r USING (source, record_id)
        {" ".join(joins)}
        ORDER BY p.unique_id
        """
    )
    return count_rows(con, "yd_extra_values")


DECLARED_RULE_MAX_PAIRS = 50_000_000
"""A project's own blocking rule may propose at most this many pairs: one common value
(a lone surname, a state) would otherwise make a block of millions of records."""


def declared_rule_pairs(
    con: duckdb.DuckDBPyConnection, rule: BlockingRule
) -> tuple[int, int]:
    """How many pairs an exact-agreement rule proposes, and its largest block's size.

    Counted from the block sizes, without forming a pair.
    """
    if not rule.columns:
        raise ValueError(f"rule {rule.name!r} is not one of agreement on columns")
    columns = ", ".join(rule.columns)
    present = " AND ".join(f"{column} IS NOT NULL" for column in rule.columns)
    rows = con.execute(
        f"""
        SELECT coalesce(sum(n * (n - 1) // 2), 0), coalesce(max(n), 0) FROM (
            SELECT count(*) AS n FROM {LINK_INPUT} WHERE {present} GROUP BY {columns}
        )
        """
    ).fetchall()
    return int(rows[0][0]), int(rows[0][1])


def score_pairs(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    *,
    threshold: float,
    extra_rules: Sequence[BlockingRule] = (),
) -> int:
    """Score blocked pairs with a trained model into ``yd_pairs``.

    Pairs below ``threshold`` are not kept: they neither link nor need review.
    ``extra_rules`` (a project's ``[[blocking]]``) find candidates besides the
    model's own rules; blocking moves no weight, so any model can use them.
    """
    started = time.perf_counter()
    if extra_rules:
        rules = list(settings["blocking_rules_to_generate_predictions"])
        rules += [
            {"blocking_rule": r.sql, "sql_dialect": "duckdb"} for r in extra_rules
        ]
        settings = {**settings, "blocking_rules_to_generate_predictions": rules}
    # Splink copies its whole input table once for blocking and once for
    # scoring; a view of the columns it reads makes both copies half as wide.
    columns = ", ".join(scoring_columns(con, settings))
    con.execute(
        f"CREATE OR REPLACE VIEW {SCORE_INPUT} AS SELECT {columns} FROM {LINK_INPUT}"
    )
    try:
        linker = make_linker(con, settings, table=SCORE_INPUT)
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        con.execute(
            f"""
            CREATE OR REPLACE TABLE yd_pairs AS
            SELECT
                unique_id_l,
                unique_id_r,
                match_weight,
                match_probability,
                'model' AS evidence
            FROM {predictions.physical_name}
            """
        )
        predictions.drop_table_from_database_and_remove_from_cache()
    finally:
        con.execute(f"DROP VIEW IF EXISTS {SCORE_INPUT}")
    family = family_pairs(con)
    count = count_rows(con, "yd_pairs")
    logger.info(
        "scored %s pairs at or above %.2f (%s through family) in %.1f s",
        f"{count:,}",
        threshold,
        f"{family:,}",
        time.perf_counter() - started,
    )
    return count


def scoring_columns(
    con: duckdb.DuckDBPyConnection, settings: dict[str, Any]
) -> list[str]:
    """The columns of ``yd_link_input`` that splink settings read, in table order.

    See :func:`linkage.model.columns_read`.
    """
    return columns_read(con, LINK_INPUT, settings)


def family_pairs(con: duckdb.DuckDBPyConnection) -> int:
    """Link birth-certificate children to household members through the mother.

    The mother is found by her ID number among the records that carry a household;
    the child is the member of that household born on the certificate's date with its
    sex. A unique such member links; so does the one whose pinyin is the name the
    certificate gives, and then the others born with it are not candidates at all.
    Several with nothing to tell them apart (twins on an unnamed certificate) go to
    review.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE yd_family_candidates AS
        WITH children AS (
            SELECT unique_id, mother_id_key, birth_date, sex, name_pinyin
            FROM {LINK_INPUT}
            WHERE source_kind = 'birth_certificate'
                AND mother_id_key IS NOT NULL AND birth_date IS NOT NULL
        ),
        mothers AS (
            SELECT DISTINCT id_key, household_key
            FROM {LINK_INPUT}
            WHERE household_key IS NOT NULL AND id_key IS NOT NULL
                AND NOT id_conflict
        ),
        members AS (
            SELECT c.unique_id AS child_id, m.unique_id AS member_id,
                c.name_pinyin AS child_pinyin, m.name_pinyin AS member_pinyin
            FROM children AS c
            JOIN mothers AS h ON h.id_key = c.mother_id_key
            JOIN {LINK_INPUT} AS m
                ON m.household_key = h.household_key
                AND (m.birth_date = c.birth_date OR m.id_birth_date = c.birth_date)
                AND (c.sex IS NULL OR m.sex = c.sex)
        ),
        named AS (
            SELECT child_id, member_id,
                count(*) OVER (PARTITION BY child_id) AS candidates,
                coalesce(child_pinyin = member_pinyin, FALSE) AS same_name
            FROM members
        )
        SELECT *
        FROM named
        -- A twin whose name is not the one on the certificate is not its child.
        QUALIFY same_name OR NOT bool_or(same_name) OVER (PARTITION BY child_id)
        """
    )
    con.execute(
        f"""
        INSERT INTO yd_pairs BY NAME
        SELECT
            least(child_id, member_id) AS unique_id_l,
            greatest(child_id, member_id) AS unique_id_r,
            NULL AS match_weight,
            CASE WHEN candidates = 1 OR same_name
                THEN {FAMILY_UNIQUE_PROBABILITY}
                ELSE {FAMILY_AMBIGUOUS_PROBABILITY} END AS match_probability,
            'family' AS evidence
        FROM yd_family_candidates
        WHERE child_id <> member_id
        """
    )
    return count_rows(con, "yd_family_candidates")
