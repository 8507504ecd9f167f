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

from linkage.errors import YidangError
from linkage.store import count_rows

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GoldenField:
    """A golden-record field: its value, what makes a value valid, and its text.

    Values are compared (for agreement) in their own type; ``text_sql`` turns the
    surviving value (its ``{}``) into the golden record's text, so that one value per
    person is formatted rather than one per record.
    """

    name: str
    value_sql: str
    valid_sql: str
    text_sql: str = "{}"


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
        "i.birth_date",
        "i.id_birth_date IS NULL OR i.birth_date = i.id_birth_date",
        "strftime({}, '%Y-%m-%d')",
    ),
    GoldenField("phone", "i.phone_key", "TRUE"),
    GoldenField("address", "i.address_raw", "i.address_county IS NOT NULL"),
    GoldenField("region_code", "i.region_code", "i.address_county IS NOT NULL"),
    GoldenField("death_date", "i.death_date", "TRUE", "strftime({}, '%Y-%m-%d')"),
)

_ACTIVE_STATUS = (
    "(i.status IS NULL OR NOT regexp_matches(i.status, '终止|注销|停保|退保|死亡'))"
)

_ENROLLMENT_KINDS = "('pension_enrollment', 'medical_enrollment')"


def build_golden(con: duckdb.DuckDBPyConnection) -> int:
    """Create ``yd_golden`` from ``yd_clusters`` and the standardised records.

    Also creates the views ``yd_person_summary`` (cluster size, confidence,
    sources, schemes) and ``yd_person_flags`` of it. The records are read once
    into a narrow table of candidates and ranked once within their person; every
    field's survivor then comes from one grouping by person, the summary and the
    flags from another.

    Raises:
        YidangError: A person holds :data:`_RANK_BASE` records or more, too many
            for the survivor keys.
    """
    con.execute(_candidates_sql())
    con.execute(_ranks_sql())
    _check_person_sizes(con)
    con.execute(_survivors_sql())
    con.execute(_person_facts_sql())
    con.execute(_golden_sql())
    _replace_with_view(con, "yd_person_summary", _SUMMARY_SQL)
    _replace_with_view(con, "yd_person_flags", _FLAGS_SQL)
    count = count_rows(con, "yd_golden")
    logger.info("built %s golden records", f"{count:,}")
    return count


def _check_person_sizes(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a person whose ranks would not fit in a survivor key."""
    largest = con.execute("SELECT max(precedence) + 1 FROM yd_golden_ranks").fetchone()
    if largest is not None and largest[0] is not None and largest[0] >= _RANK_BASE:
        raise YidangError(
            f"one person holds {largest[0]:,} records, more than golden records can "
            f"rank ({_RANK_BASE - 1:,}); check the clustering thresholds"
        )


SELF_JOIN_LIMIT = 200
"""Persons with at most this many records count agreement by joining their records
with each other; larger ones (a wrong merge, a placeholder shared by thousands) by a
window, whose cost grows with n log n rather than n squared."""


def _candidates_sql() -> str:
    """Each record's value and validity rank for every field, and what the summary
    and the flags read of it.

    ``order_key`` packs the tie-breakers that every field shares (source trust, then
    the latest event date, then source and record) into one comparable value.
    """
    values = ",\n".join(
        f"{f.value_sql} AS {f.name}_value, "
        f"{_validity_rank(f.valid_sql)} AS {f.name}_validity"
        for f in GOLDEN_FIELDS
    )
    return f"""
        CREATE OR REPLACE TEMP TABLE yd_golden_candidates AS
        SELECT
            c.unique_id, c.person_id, c.cluster_size, c.match_probability,
            i.source, i.record_id, i.source_kind, i.enrolled_region, i.trust,
            {values},
            create_sort_key(i.trust, 'ASC NULLS LAST', i.event_date,
                'DESC NULLS LAST', i.source, 'ASC NULLS LAST', i.record_id,
                'ASC NULLS LAST') AS order_key,
            i.source_kind IN {_ENROLLMENT_KINDS} AND {_ACTIVE_STATUS} AS active,
            i.source_kind = 'death_register' OR i.death_date IS NOT NULL AS dead,
            CASE WHEN i.id_class IN ('valid', 'upgraded_15')
                AND NOT i.id_conflict AND NOT i.id_repaired THEN i.id_key END
                AS firm_id
        FROM yd_clusters AS c JOIN yd_persons AS i USING (unique_id)
    """


def _validity_rank(valid_sql: str) -> str:
    """0 for a valid value, 1 for an invalid one, 2 where validity is unknown."""
    return f"CASE WHEN ({valid_sql}) THEN 0 WHEN NOT ({valid_sql}) THEN 1 ELSE 2 END"


def _ranks_sql() -> str:
    """Where each record stands among its person's records, field by field.

    Agreement is how many of the person's records carry the record's value;
    ``trust_rank`` how many come from a more trusted source; ``precedence`` how many
    come before it by the shared tie-breakers. One join of each person's records
    with each other counts them all: persons are small, and this is cheaper than a
    window or a grouping per field. Persons larger than :data:`SELF_JOIN_LIMIT`
    take windows instead. Trust is never NULL (every source has one), so the two
    ways rank it alike.
    """
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
        CREATE OR REPLACE TEMP TABLE yd_golden_ranks AS
        SELECT c.unique_id,
            count(*) FILTER (WHERE o.trust < c.trust) AS trust_rank,
            count(*) FILTER (WHERE o.order_key < c.order_key) AS precedence,
            {joined}
        FROM yd_golden_candidates AS c
        JOIN yd_golden_candidates AS o USING (person_id)
        WHERE c.cluster_size <= {SELF_JOIN_LIMIT}
            AND o.cluster_size <= {SELF_JOIN_LIMIT}
        GROUP BY c.unique_id
        UNION ALL
        SELECT unique_id,
            rank() OVER (PARTITION BY person_id ORDER BY trust) - 1,
            row_number() OVER (PARTITION BY person_id ORDER BY order_key) - 1,
            {windowed}
        FROM yd_golden_candidates
        WHERE cluster_size > {SELF_JOIN_LIMIT}
    """


_RANK_BASE = 2**20
"""Above any count of a person's records (checked), so that the parts of a survivor
key do not overlap."""


def _survivor_key(field: GoldenField) -> str:
    """One integer that orders a person's candidates for a field, best first.

    Validity, source trust, agreement (more is better), then the shared precedence,
    which settles every tie the first three leave. Each part is below
    ``B = _RANK_BASE``, so ``((validity * B + trust_rank) * B + (B - agreement))
    * B + precedence`` sorts as the four do in turn and stays below 3 * 2**60,
    inside a BIGINT, which DuckDB compares far faster than a struct.
    """
    base = f"CAST({_RANK_BASE} AS BIGINT)"
    return (
        f"((i.{field.name}_validity * {base} + r.trust_rank) * {base}"
        f" + ({base} - r.{field.name}_agreement)) * {base} + r.precedence"
    )


def _survivors_sql() -> str:
    """One row per person: every field's surviving value, source and record."""
    survivors = ",\n".join(
        f"arg_min({{'v': i.{f.name}_value, 'source': i.source, "
        f"'record_id': i.record_id}}, {_survivor_key(f)}) "
        f"FILTER (WHERE i.{f.name}_value IS NOT NULL) AS g_{f.name}"
        for f in GOLDEN_FIELDS
    )
    return f"""
        CREATE OR REPLACE TEMP TABLE yd_golden_survivors AS
        SELECT i.person_id, {survivors}
        FROM yd_golden_candidates AS i
        JOIN yd_golden_ranks AS r USING (unique_id)
        GROUP BY i.person_id
    """


def _person_facts_sql() -> str:
    """One row per person: the summary and what the flags need.

    A grouping of its own: DuckDB groups the narrow facts and the survivors
    separately faster than both at once.
    """
    return f"""
        CREATE OR REPLACE TEMP TABLE yd_person_facts AS
        SELECT
            i.person_id,
            count(*) AS cluster_size,
            round(min(i.match_probability), 4) AS confidence,
            {_sorted_distinct("i.source")} AS sources,
            {_sorted_distinct(_SCHEME)} AS schemes,
            {_enrolled_regions_differ("pension_enrollment")} AS pension_regions_differ,
            {_enrolled_regions_differ("medical_enrollment")} AS medical_regions_differ,
            count(*) FILTER (WHERE i.source_kind = 'pension_enrollment') AS pension,
            count(*) FILTER (WHERE i.source_kind = 'medical_enrollment') AS medical,
            count(*) FILTER (WHERE i.active) AS active_enrollments,
            bool_or(i.dead) AS deceased,
            {_differ("i.firm_id")} AS firm_ids_differ
        FROM yd_golden_candidates AS i
        GROUP BY i.person_id
    """


def _golden_sql() -> str:
    """One row per person: survivors, summary and flags.

    In no particular order: whoever reads the golden records sorts them (the
    golden.csv output by person), so sorting the table as well would be wasted.
    """
    columns = ",\n".join(
        f"{f.text_sql.format(f'g_{f.name}.v')} AS {f.name}, "
        f"g_{f.name}.source AS {f.name}_source, "
        f"g_{f.name}.record_id AS {f.name}_record_id"
        for f in GOLDEN_FIELDS
    )
    return f"""
        CREATE OR REPLACE TABLE yd_golden AS
        SELECT person_id, {columns},
            cluster_size, confidence, sources, schemes, {_FLAGS} AS flags
        FROM yd_person_facts
        LEFT JOIN yd_golden_survivors USING (person_id)
    """


def _enrolled_regions_differ(kind: str) -> str:
    """Whether a person is actively enrolled in one scheme in more than one region
    (or source, where the region is unknown)."""
    return _differ(
        f"CASE WHEN i.active AND i.source_kind = '{kind}' "
        "THEN coalesce(i.enrolled_region, i.source) END"
    )


def _differ(expression: str) -> str:
    """Whether a group holds more than one distinct non-null value.

    The same as ``count(DISTINCT x) > 1``: a group's values differ exactly when its
    least and greatest differ, and plain ``min`` and ``max`` are far cheaper.
    """
    return f"coalesce(min({expression}) < max({expression}), false)"


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
    f"CASE WHEN i.source_kind IN {_ENROLLMENT_KINDS} "
    "THEN i.source_kind || '@' || coalesce(i.enrolled_region, '?') END"
)

# The flags a person's facts raise, in a fixed order.
_FLAGS = """
list_filter([
    CASE WHEN pension_regions_differ OR medical_regions_differ
        THEN 'duplicate_enrollment' END,
    CASE WHEN deceased AND active_enrollments > 0
        THEN 'deceased_still_enrolled' END,
    CASE WHEN firm_ids_differ THEN 'conflicting_ids' END,
    CASE WHEN NOT deceased AND pension = 0 AND medical = 0
        THEN 'not_enrolled' END
], lambda x: x IS NOT NULL)
"""


def _replace_with_view(con: duckdb.DuckDBPyConnection, name: str, select: str) -> None:
    """(Re)create a view of the golden records, where a store may hold a table.

    The summary and the flags are columns of the golden records; a view shows them
    without writing them to the store a second time. Stores written before they
    were views hold them as tables, which a view cannot replace.
    """
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = ?",
        [name],
    ).fetchone()
    if kind is not None and kind[0] == "BASE TABLE":
        con.execute(f"DROP TABLE {name}")
    con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")


_SUMMARY_SQL = """
SELECT person_id, cluster_size, confidence, sources, schemes
FROM yd_golden
"""

_FLAGS_SQL = """
SELECT person_id, flags
FROM yd_golden
"""
