"""Golden records: one row per person, each field chosen by survivorship rules.

For every field, the candidate values of a person's records are ranked by validity (a
value that passes its own checks beats one that does not), source trust (1 is the most
trusted), agreement (how many of the person's records carry the same value) and recency
(the latest event date), and the first one survives, with the source and record it came
from. Flags name what the enrollment drive acts on: duplicate enrollment across regions,
a death on record while still enrolled, conflicting ID numbers, no enrollment at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from linkage.store import count_rows

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GoldenField:
    """A golden-record field: its value expression and what makes a value valid."""

    name: str
    value_sql: str
    valid_sql: str


GOLDEN_FIELDS: tuple[GoldenField, ...] = (
    GoldenField(
        "name", "i.name_clean", "NOT i.name_has_wildcard AND i.name_script <> 'mixed'"
    ),
    GoldenField(
        "id_number",
        "i.id_key",
        "i.id_class IN ('valid', 'upgraded_15', 'permit_hmt', 'foreign_permanent') "
        "AND NOT i.id_conflict",
    ),
    GoldenField("sex", "i.sex", "i.id_sex IS NULL OR i.sex = i.id_sex"),
    GoldenField(
        "birth_date",
        "strftime(i.birth_date, '%Y-%m-%d')",
        "i.id_birth_date IS NULL OR i.birth_date = i.id_birth_date",
    ),
    GoldenField("phone", "i.phone_key", "TRUE"),
    GoldenField("address", "i.address_raw", "i.address_county IS NOT NULL"),
    GoldenField("region_code", "i.region_code", "i.address_county IS NOT NULL"),
    GoldenField("death_date", "strftime(i.death_date, '%Y-%m-%d')", "TRUE"),
)

_ACTIVE_STATUS = (
    "(i.status IS NULL OR NOT regexp_matches(i.status, '终止|注销|停保|退保|死亡'))"
)


# The columns of the standardised records that the fields, the summary and the flags
# read; carrying only these through the join keeps every later pass narrow.
_RECORD_COLUMNS: tuple[str, ...] = (
    "source",
    "record_id",
    "source_kind",
    "trust",
    "event_date",
    "name_clean",
    "name_has_wildcard",
    "name_script",
    "id_key",
    "id_class",
    "id_conflict",
    "id_repaired",
    "id_sex",
    "id_birth_date",
    "sex",
    "birth_date",
    "death_date",
    "phone_key",
    "address_raw",
    "address_county",
    "region_code",
    "enrolled_region",
    "status",
)


def build_golden(con: duckdb.DuckDBPyConnection) -> int:
    """Create ``yd_golden`` from ``yd_clusters`` and the standardised records.

    Also creates ``yd_person_summary`` (cluster size, confidence, sources, schemes)
    and ``yd_person_flags``, all three from one grouping of records by person and
    one ranking of every field's candidates.
    """
    columns = ", ".join(f"p.{name}" for name in _RECORD_COLUMNS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE yd_clustered AS
        SELECT c.unique_id, c.person_id, c.match_probability, {columns}
        FROM yd_clusters AS c JOIN yd_persons AS p USING (unique_id)
        """
    )
    con.execute(_candidates_sql())
    con.execute(_survivors_sql())
    con.execute(_person_facts_sql())
    con.execute(_SUMMARY_SQL)
    con.execute(_FLAGS_SQL)
    con.execute(_golden_sql())
    count = count_rows(con, "yd_golden")
    logger.info("built %s golden records", f"{count:,}")
    return count


SELF_JOIN_LIMIT = 200
"""Persons with at most this many records count agreement by joining their records
with each other; larger ones (a wrong merge, a placeholder shared by thousands) by a
window, whose cost grows with n log n rather than n squared."""


def _candidates_sql() -> str:
    """Each record's value, validity and agreement for every golden field.

    Agreement (how many of the person's records carry the same value) comes from one
    join of each person's records with each other: persons are small, and this is
    cheaper than a window or a grouping per field. Persons larger than
    :data:`SELF_JOIN_LIMIT` take the window instead.
    """
    values = ",\n".join(
        f"{f.value_sql} AS {f.name}_value, ({f.valid_sql}) AS {f.name}_valid"
        for f in GOLDEN_FIELDS
    )
    joined = ",\n".join(
        f"count(*) FILTER (WHERE o.{f.name}_value = c.{f.name}_value) "
        f"AS {f.name}_agreement"
        for f in GOLDEN_FIELDS
    )
    windowed = ",\n".join(
        f"CASE WHEN {f.name}_value IS NULL THEN 0 ELSE count(*) OVER "
        f"(PARTITION BY person_id, {f.name}_value) END AS {f.name}_agreement"
        for f in GOLDEN_FIELDS
    )
    return f"""
        CREATE OR REPLACE TEMP TABLE yd_golden_candidates AS
        WITH candidates AS (
            SELECT i.*, {values}
            FROM yd_clustered AS i
        ),
        large AS (
            SELECT person_id FROM candidates
            GROUP BY person_id HAVING count(*) > {SELF_JOIN_LIMIT}
        ),
        agreements AS (
            SELECT c.unique_id, {joined}
            FROM candidates AS c JOIN candidates AS o USING (person_id)
            WHERE c.person_id NOT IN (SELECT person_id FROM large)
            GROUP BY c.unique_id
            UNION ALL
            SELECT unique_id, {windowed}
            FROM candidates
            WHERE person_id IN (SELECT person_id FROM large)
        )
        SELECT c.*, a.* EXCLUDE (unique_id)
        FROM candidates AS c JOIN agreements AS a USING (unique_id)
    """


def _person_facts_sql() -> str:
    """One row per person: the summary and what the flags need."""
    return f"""
CREATE OR REPLACE TEMP TABLE yd_person_facts AS
SELECT
    i.person_id,
    count(*) AS cluster_size,
    round(min(i.match_probability), 4) AS confidence,
    {_sorted_distinct("i.source")} AS sources,
    {_sorted_distinct(_SCHEME)} AS schemes,
    count(DISTINCT CASE WHEN i.source_kind = 'pension_enrollment'
        AND {_ACTIVE_STATUS} THEN coalesce(i.enrolled_region, i.source) END)
        AS pension_regions,
    count(DISTINCT CASE WHEN i.source_kind = 'medical_enrollment'
        AND {_ACTIVE_STATUS} THEN coalesce(i.enrolled_region, i.source) END)
        AS medical_regions,
    count(*) FILTER (WHERE i.source_kind = 'pension_enrollment') AS pension,
    count(*) FILTER (WHERE i.source_kind = 'medical_enrollment') AS medical,
    count(*) FILTER (WHERE i.source_kind IN
        ('pension_enrollment', 'medical_enrollment') AND {_ACTIVE_STATUS})
        AS active_enrollments,
    bool_or(i.source_kind = 'death_register' OR i.death_date IS NOT NULL)
        AS deceased,
    count(DISTINCT CASE WHEN i.id_class IN ('valid', 'upgraded_15')
        AND NOT i.id_conflict AND NOT i.id_repaired THEN i.id_key END)
        AS firm_ids
FROM yd_clustered AS i
GROUP BY i.person_id
"""


def _survivors_sql() -> str:
    """One row per person: every field's surviving value, source and record."""
    survivors = ",\n".join(
        f"""
        first({{'value': i.{f.name}_value, 'source': i.source,
            'record_id': i.record_id}}
            ORDER BY i.{f.name}_valid DESC NULLS LAST, i.trust,
                i.{f.name}_agreement DESC, i.event_date DESC NULLS LAST,
                i.source, i.record_id
        ) FILTER (WHERE i.{f.name}_value IS NOT NULL) AS g_{f.name}
        """
        for f in GOLDEN_FIELDS
    )
    return f"""
        CREATE OR REPLACE TEMP TABLE yd_golden_survivors AS
        SELECT i.person_id, {survivors}
        FROM yd_golden_candidates AS i
        GROUP BY i.person_id
    """


def _sorted_distinct(expression: str) -> str:
    """The distinct non-null values of a group, sorted and joined by ";" (or NULL).

    The same text as ``string_agg(DISTINCT x, ';' ORDER BY x)``, built from a list,
    which DuckDB does faster.
    """
    return (
        f"array_to_string(list_sort(list_distinct("
        f"list({expression}) FILTER (WHERE ({expression}) IS NOT NULL))), ';')"
    )


_SCHEME = (
    "CASE WHEN i.source_kind IN ('pension_enrollment', 'medical_enrollment') "
    "THEN i.source_kind || '@' || coalesce(i.enrolled_region, '?') END"
)

_SUMMARY_SQL = """
CREATE OR REPLACE TABLE yd_person_summary AS
SELECT person_id, cluster_size, confidence, sources, schemes
FROM yd_person_facts
"""

# The flags a person's facts raise, in a fixed order.
_FLAGS = """
list_filter([
    CASE WHEN pension_regions > 1 OR medical_regions > 1
        THEN 'duplicate_enrollment' END,
    CASE WHEN deceased AND active_enrollments > 0
        THEN 'deceased_still_enrolled' END,
    CASE WHEN firm_ids > 1 THEN 'conflicting_ids' END,
    CASE WHEN NOT deceased AND pension = 0 AND medical = 0
        THEN 'not_enrolled' END
], lambda x: x IS NOT NULL)
"""

_FLAGS_SQL = f"""
CREATE OR REPLACE TABLE yd_person_flags AS
SELECT person_id, {_FLAGS} AS flags
FROM yd_person_facts
"""


def _golden_sql() -> str:
    columns = ",\n".join(
        f"g_{f.name}.value AS {f.name}, g_{f.name}.source AS {f.name}_source, "
        f"g_{f.name}.record_id AS {f.name}_record_id"
        for f in GOLDEN_FIELDS
    )
    return f"""
        CREATE OR REPLACE TABLE yd_golden AS
        SELECT person_id, {columns},
            cluster_size, confidence, sources, schemes, {_FLAGS} AS flags
        FROM yd_person_facts
        LEFT JOIN yd_golden_survivors USING (person_id)
        ORDER BY person_id
    """
