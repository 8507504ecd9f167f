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


def build_golden(con: duckdb.DuckDBPyConnection) -> int:
    """Create ``yd_golden`` from ``yd_clusters`` and the standardised records."""
    # One join of clusters to records, read by every field's ranking below.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE yd_clustered AS
        SELECT c.person_id, c.match_probability, p.* EXCLUDE (unique_id)
        FROM yd_clusters AS c JOIN yd_persons AS p USING (unique_id)
        """
    )
    con.execute(_CANDIDATES_SQL)
    selects = [_field_sql(f) for f in GOLDEN_FIELDS]
    joins = "\n".join(
        f"LEFT JOIN ({sql}) AS g_{f.name} USING (person_id)"
        for f, sql in zip(GOLDEN_FIELDS, selects, strict=True)
    )
    columns = ",\n".join(
        f"g_{f.name}.value AS {f.name}, g_{f.name}.source AS {f.name}_source, "
        f"g_{f.name}.record_id AS {f.name}_record_id"
        for f in GOLDEN_FIELDS
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE yd_golden AS
        SELECT p.person_id, {columns},
            p.cluster_size, p.confidence, p.sources, p.schemes,
            f.flags
        FROM yd_person_summary AS p
        {joins}
        LEFT JOIN yd_person_flags AS f USING (person_id)
        ORDER BY p.person_id
        """
    )
    count = count_rows(con, "yd_golden")
    logger.info("built %s golden records", f"{count:,}")
    return count


_CANDIDATES_SQL = f"""
CREATE OR REPLACE TABLE yd_person_summary AS
SELECT
    i.person_id,
    count(*) AS cluster_size,
    round(min(i.match_probability), 4) AS confidence,
    string_agg(DISTINCT i.source, ';' ORDER BY i.source) AS sources,
    string_agg(DISTINCT CASE WHEN i.source_kind IN
        ('pension_enrollment', 'medical_enrollment')
        THEN i.source_kind || '@' || coalesce(i.enrolled_region, '?') END, ';'
        ORDER BY CASE WHEN i.source_kind IN
        ('pension_enrollment', 'medical_enrollment')
        THEN i.source_kind || '@' || coalesce(i.enrolled_region, '?') END
    ) AS schemes
FROM yd_clustered AS i
GROUP BY i.person_id;

CREATE OR REPLACE TABLE yd_person_flags AS
WITH facts AS (
    SELECT
        i.person_id,
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
)
SELECT person_id, list_filter([
    CASE WHEN pension_regions > 1 OR medical_regions > 1
        THEN 'duplicate_enrollment' END,
    CASE WHEN deceased AND active_enrollments > 0
        THEN 'deceased_still_enrolled' END,
    CASE WHEN firm_ids > 1 THEN 'conflicting_ids' END,
    CASE WHEN NOT deceased AND pension = 0 AND medical = 0
        THEN 'not_enrolled' END
], lambda x: x IS NOT NULL) AS flags
FROM facts;
"""


def _field_sql(golden_field: GoldenField) -> str:
    value, valid = golden_field.value_sql, golden_field.valid_sql
    return f"""
        SELECT person_id, value, source, record_id FROM (
            SELECT *, row_number() OVER (
                PARTITION BY person_id
                ORDER BY valid DESC NULLS LAST, trust, agreement DESC,
                    event_date DESC NULLS LAST, source, record_id
            ) AS rank
            FROM (
                SELECT i.person_id, {value} AS value, ({valid}) AS valid,
                    i.trust, i.event_date, i.source, i.record_id,
                    count(*) OVER (PARTITION BY i.person_id, {value}) AS agreement
                FROM yd_clustered AS i
                WHERE {value} IS NOT NULL
            )
        ) WHERE rank = 1
    """
