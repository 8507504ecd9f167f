"""Standardise loaded records inside the store: ``yd_records`` -> ``yd_persons``.

Each standardisation function runs once per distinct value (names, dates and addresses
repeat across millions of rows), the results land in ``yd_std_*`` lookup tables, and
one SQL join lays the derived columns beside every record. Quality flags go to
``yd_flags``, one row per record and problem, with a code and a readable reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from linkage.errors import YidangError
from linkage.regions import issued_codes
from linkage.standardise.addresses import AddressRegion, parse_address
from linkage.standardise.dates import parse_date, plain_date_sql
from linkage.standardise.ids import (
    ID_FLAGS,
    standardise_id,
    standardise_other_document,
    valid_resident_id_sql,
)
from linkage.standardise.names import NAME_FLAGS, standardise_name
from linkage.standardise.phones import (
    allocated_mobile_prefixes,
    plain_mobile_sql,
    standardise_phone,
)
from linkage.standardise.sex import parse_sex
from linkage.store import Store, count_rows

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

_RECORD_FLAGS: dict[str, str] = {
    "born_after_death": "born after the recorded death",
    "born_in_future": "birth date after the reference date",
    "pension_under_age": "enrolled in a pension scheme before age 16",
    "birth_certificate_too_old": "birth certificate for a person over 7",
    "too_little_to_link": "no name and no ID number",
}
_DATE_REASONS: dict[str, str] = {
    "date_missing": "no date given",
    "date_unparsed": "date cannot be read",
    "date_impossible": "date does not exist (such as 30 February)",
    "date_two_digit_year": "two-digit year: century assumed",
    "date_excel_serial": "date given as an Excel serial number",
}
_PHONE_REASONS: dict[str, str] = {
    "phone_excel_float": "phone number stored as a number in Excel",
    "phone_scientific_notation": "phone number in scientific notation: digits lost",
    "phone_extension": "phone number with an extension",
    "phone_multiple": "several phone numbers in one field: the first is used",
    "phone_unknown_prefix": "mobile number with a prefix not yet allocated",
    "phone_placeholder": "phone number looks like a placeholder",
    "phone_invalid": "phone number is not valid",
}
_ADDRESS_REASONS: dict[str, str] = {
    "address_missing": "no address given",
    "address_unmatched": "no region name found in the address",
    "address_ambiguous": "county name shared by several regions; none chosen",
}
FLAG_REASONS: dict[str, str] = {
    **ID_FLAGS,
    **NAME_FLAGS,
    **_DATE_REASONS,
    **_PHONE_REASONS,
    **_ADDRESS_REASONS,
    **_RECORD_FLAGS,
}
"""Quality-flag codes that :func:`standardise_store` writes, with their reasons."""


@dataclass(frozen=True, slots=True)
class PrepareSummary:
    """What standardisation did, in counts."""

    records: int
    distinct_names: int
    distinct_ids: int
    flags: int
    seconds: float


def standardise_store(
    store: Store,
    *,
    reference_date: dt.date | None = None,
    progress: Progress | None = None,
    fast_paths: bool = True,
) -> PrepareSummary:
    """Build ``yd_persons`` and ``yd_flags`` from ``yd_records``.

    Args:
        store: The store, with sources loaded.
        reference_date: "Today" for age checks; defaults to the latest load date.
        progress: Called with (stage, done, total) after each step.
        fast_paths: Standardise the common forms of dates, ID numbers and phones
            in SQL; False sends every value through Python, with the same result.
    """
    started = time.perf_counter()
    con = store.con
    steps: list[tuple[str, Step]] = [
        ("dates", _standardise_dates),
        ("sex", _standardise_sex),
        ("names", _standardise_names),
        ("ids", _standardise_ids),
        ("phones", _standardise_phones),
        ("addresses", _standardise_addresses),
    ]
    counts: dict[str, int] = {}
    for done, (name, step) in enumerate(steps, start=1):
        step_started = time.perf_counter()
        counts[name] = step(con, fast_paths)
        logger.info(
            "standardised %s distinct %s in %.1f s",
            f"{counts[name]:,}",
            name,
            time.perf_counter() - step_started,
        )
        if progress is not None:
            progress("standardise", done, len(steps) + 1)
    reference = reference_date or _reference_date(store)
    con.execute(_PERSONS_SQL)
    flags = _write_flags(con, reference)
    if progress is not None:
        progress("standardise", len(steps) + 1, len(steps) + 1)
    records = int(store.scalar("SELECT count(*) FROM yd_persons"))
    seconds = time.perf_counter() - started
    logger.info(
        "standardised %s records, %s quality flags, in %.1f s",
        f"{records:,}",
        f"{flags:,}",
        seconds,
    )
    return PrepareSummary(records, counts["names"], counts["ids"], flags, seconds)


def _reference_date(store: Store) -> dt.date:
    loaded = store.scalar("SELECT max(loaded_at) FROM yd_files")
    return loaded.date() if loaded is not None else dt.date.today()


@dataclass(frozen=True, slots=True)
class _FastPath:
    """The common values of a step, standardised in SQL instead of one call each.

    ``condition`` selects the values handled (over the step query's columns) and
    ``values`` gives the derived columns for them, in the schema's order. A fast
    path must give exactly what the step's Python function gives for those values;
    ``standardise_store(fast_paths=False)`` lets the tests compare the two.
    """

    condition: str
    values: tuple[str, ...]


def _map_distinct(
    con: duckdb.DuckDBPyConnection,
    table: str,
    query: str,
    schema: pa.Schema,
    convert: Converter,
    fast: _FastPath | None = None,
) -> int:
    """Standardise every row of ``query`` and store the results as ``table``.

    ``convert`` receives the query's row and returns the values of the schema's
    columns after the query's own (the query's columns are kept as the key). Rows
    that ``fast`` selects are standardised in SQL and never reach ``convert``.
    """
    # The fast condition is decided once per value here, not again for the rest.
    condition = "FALSE" if fast is None else f"coalesce({fast.condition}, FALSE)"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE yd_std_input AS "
        f"SELECT row_number() OVER () AS yd_row, *, {condition} AS yd_fast "
        f"FROM ({query})"
    )
    con.register("yd_std_empty", schema.empty_table())
    con.execute(f"CREATE OR REPLACE TABLE {table} AS FROM yd_std_empty")
    con.unregister("yd_std_empty")
    keys = ", ".join(
        column
        for column in _columns(con, "yd_std_input")
        if column not in {"yd_row", "yd_fast"}
    )
    if fast is not None:
        con.execute(
            f"INSERT INTO {table} SELECT {keys}, {', '.join(fast.values)} "
            f"FROM yd_std_input WHERE yd_fast"
        )

    rows = con.execute(f"SELECT {keys} FROM yd_std_input WHERE NOT yd_fast").fetchall()
    arrow = convert_rows(rows, convert, schema)
    con.register("yd_std_batch", arrow)
    con.execute(f"INSERT INTO {table} SELECT * FROM yd_std_batch")
    con.unregister("yd_std_batch")
    con.execute("DROP TABLE yd_std_input")
    return count_rows(con, table)


PARALLEL_MIN_ROWS = 20_000
"""Below this many values a step converts them in this process: forking costs more."""


def convert_rows(
    rows: list[tuple[Any, ...]],
    convert: Converter,
    schema: pa.Schema,
    *,
    workers: int | None = None,
) -> pa.Table:
    """Each row followed by what ``convert`` gives for it, as a table of ``schema``.

    The conversions are pure Python and hold the interpreter lock, so a thread pool
    would not help; forked worker processes share the loaded tables (regions, pinyin,
    variants) without pickling them, and need no ``__main__`` guard in the caller's
    script, unlike spawned ones. Each worker returns its rows as Arrow columns, which
    cross between processes far more cheaply than as Python tuples. Where ``fork`` is
    not available the rows are converted here.

    Args:
        rows: The values to convert, as the step's query returned them.
        convert: A module-level function of one row (the workers import it).
        schema: The columns of a row and then of its converted values.
        workers: Processes to use; defaults to the cores this process may run on.
    """
    workers = workers or _usable_cores()
    if (
        workers < 2
        or len(rows) < PARALLEL_MIN_ROWS
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return _convert_chunk(rows, convert, schema)
    size = -(-len(rows) // (workers * 4))
    chunks = [rows[start : start + size] for start in range(0, len(rows), size)]
    job = functools.partial(_convert_chunk, convert=convert, schema=schema)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pa.concat_tables(pool.map(job, chunks, chunksize=1))


def _convert_chunk(
    rows: list[tuple[Any, ...]], convert: Converter, schema: pa.Schema
) -> pa.Table:
    records = [(*row, *convert(row)) for row in rows]
    columns = list(zip(*records, strict=True)) if records else [()] * len(schema)
    return pa.table(
        [
            pa.array(values, type=field.type)
            for values, field in zip(columns, schema, strict=True)
        ],
        schema=schema,
    )


WORKERS_VARIABLE = "YIDANG_WORKERS"
"""Environment variable that caps the worker processes; 1 keeps every step here."""


def _usable_cores() -> int:
    setting = os.environ.get(WORKERS_VARIABLE, "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise YidangError(
                f"{WORKERS_VARIABLE}={setting!r} is not a number of processes "
                "(use a whole number from 1; 1 standardises in this process only)"
            )
        return int(setting)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    description = con.execute(f"SELECT * FROM {table} LIMIT 0").description
    return [column[0] for column in description or ()]


Converter = Callable[[tuple[Any, ...]], tuple[Any, ...]]
Step = Callable[[duckdb.DuckDBPyConnection, bool], int]


_TEXT = pa.string()
_FLAGS = pa.list_(pa.string())


def _standardise_dates(con: duckdb.DuckDBPyConnection, fast_paths: bool) -> int:
    query = """
        SELECT DISTINCT raw FROM (
            SELECT birth_date AS raw FROM yd_records
            UNION ALL SELECT death_date FROM yd_records
            UNION ALL SELECT event_date FROM yd_records
        ) WHERE raw IS NOT NULL
    """
    schema = pa.schema([("raw", _TEXT), ("value", pa.date32()), ("flags", _FLAGS)])
    fast = _FastPath(*plain_date_sql("raw")) if fast_paths else None
    return _map_distinct(con, "yd_std_dates", query, schema, _convert_date, fast)


def _standardise_sex(con: duckdb.DuckDBPyConnection, fast_paths: bool) -> int:
    query = "SELECT DISTINCT sex FROM yd_records WHERE sex IS NOT NULL"
    schema = pa.schema([("raw", _TEXT), ("value", _TEXT)])
    return _map_distinct(con, "yd_std_sex", query, schema, _convert_sex)


_NAME_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("clean", _TEXT),
    ("simplified_raw", _TEXT),
    ("script", _TEXT),
    ("surname", _TEXT),
    ("given_name", _TEXT),
    ("no_separator", _TEXT),
    ("first_part", _TEXT),
    ("pinyin", _TEXT),
    ("pinyin_surname", _TEXT),
    ("pinyin_given", _TEXT),
    ("initials", _TEXT),
    ("shape_key", _TEXT),
    ("sorted_chars", _TEXT),
    ("romanised_variants", _FLAGS),
    ("has_wildcard", pa.bool_()),
    ("without_first", _TEXT),
    ("flags", _FLAGS),
)


def _standardise_names(con: duckdb.DuckDBPyConnection, fast_paths: bool) -> int:
    query = f"""
        SELECT DISTINCT raw FROM (
            SELECT {_FULL_NAME_SQL} AS raw FROM yd_records
            UNION ALL SELECT mother_name FROM yd_records
            UNION ALL SELECT father_name FROM yd_records
            UNION ALL SELECT former_name FROM yd_records
        ) WHERE raw IS NOT NULL
    """
    schema = pa.schema([("raw", _TEXT), *_NAME_COLUMNS])

    return _map_distinct(con, "yd_std_names", query, schema, _convert_name)


# A split name joins without a space in Chinese (王 + 芳), with one in Latin letters.
_FULL_NAME_SQL = """coalesce(
    name,
    nullif(
        CASE WHEN regexp_matches(coalesce(surname, '') || coalesce(given_name, ''),
                '^[A-Za-z .''-]+$')
            THEN concat_ws(' ', surname, given_name)
            ELSE concat(surname, given_name) END,
        ''
    )
)"""

_ID_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("cleaned", _TEXT),
    ("id_class", _TEXT),
    ("key", _TEXT),
    ("birth_date", pa.date32()),
    ("sex", _TEXT),
    ("region_code", _TEXT),
    ("repair_candidates", _FLAGS),
    ("repaired", pa.bool_()),
    ("masked_pattern", _TEXT),
    ("flags", _FLAGS),
)


def _standardise_ids(con: duckdb.DuckDBPyConnection, fast_paths: bool) -> int:
    query = """
        SELECT DISTINCT
            r.id_number AS raw,
            d.value AS own_birth_date,
            s.value AS own_sex,
            f.id_scheme AS scheme
        FROM yd_records AS r
        JOIN yd_files AS f USING (source)
        LEFT JOIN yd_std_dates AS d ON d.raw = r.birth_date
        LEFT JOIN yd_std_sex AS s ON s.raw = r.sex
        WHERE r.id_number IS NOT NULL
        UNION
        SELECT DISTINCT id_number, NULL::DATE, NULL::VARCHAR, id_scheme FROM (
            SELECT mother_id_number AS id_number, source FROM yd_records
            UNION ALL SELECT father_id_number, source FROM yd_records
        ) JOIN yd_files USING (source)
        WHERE id_number IS NOT NULL
    """
    schema = pa.schema(
        [
            ("raw", _TEXT),
            ("own_birth_date", pa.date32()),
            ("own_sex", _TEXT),
            ("scheme", _TEXT),
            *_ID_COLUMNS,
        ]
    )

    fast = None
    if fast_paths:
        con.register("yd_std_issued", pa.table({"code": sorted(issued_codes())}))
        condition, values = valid_resident_id_sql(
            "raw", "own_birth_date", "own_sex", "yd_std_issued"
        )
        fast = _FastPath(f"scheme = 'resident' AND {condition}", values)
    count = _map_distinct(con, "yd_std_ids", query, schema, _convert_id, fast)
    if fast_paths:
        con.unregister("yd_std_issued")
    return count


def _standardise_phones(con: duckdb.DuckDBPyConnection, fast_paths: bool) -> int:
    query = "SELECT DISTINCT phone AS raw FROM yd_records WHERE phone IS NOT NULL"
    schema = pa.schema(
        [("raw", _TEXT), ("key", _TEXT), ("kind", _TEXT), ("flags", _FLAGS)]
    )
    if not fast_paths:
        return _map_distinct(con, "yd_std_phones", query, schema, _convert_phone)

    # The allocation plan is per five-digit prefix: decide each prefix seen once.
    seen = con.execute(
        """
        SELECT DISTINCT substr(phone, 1, 5) FROM yd_records
        WHERE regexp_full_match(phone, '1[3-9][0-9]{9}')
        """
    ).fetchall()
    allocated = allocated_mobile_prefixes(row[0] for row in seen)
    con.register("yd_std_prefixes", pa.table({"prefix": pa.array(allocated, _TEXT)}))
    fast = _FastPath(*plain_mobile_sql("raw", "yd_std_prefixes"))
    count = _map_distinct(con, "yd_std_phones", query, schema, _convert_phone, fast)
    con.unregister("yd_std_prefixes")
    return count


def _standardise_addresses(con: duckdb.DuckDBPyConnection, fast_paths: bool) -> int:
    # The prior region (from the record's ID) only breaks ties between regions that
    # share a name: each distinct text is parsed once alone (prior NULL), and again
    # with a prior only where it was ambiguous and a record carries one. The persons
    # table takes the row with the record's prior where there is one, else the text's.
    parsed = pa.schema(
        [
            ("county_code", _TEXT),
            ("prefecture_code", _TEXT),
            ("province_code", _TEXT),
            ("detail", _TEXT),
            ("flags", _FLAGS),
        ]
    )
    alone = pa.schema([("raw", _TEXT), *parsed])
    _map_distinct(
        con,
        "yd_std_address_texts",
        "SELECT DISTINCT address AS raw FROM yd_records WHERE address IS NOT NULL",
        alone,
        _convert_address,
    )
    with_prior = pa.schema([("raw", _TEXT), ("prior", _TEXT), *parsed])
    _map_distinct(
        con,
        "yd_std_address_priors",
        """
        SELECT DISTINCT r.address AS raw, i.region_code AS prior
        FROM yd_records AS r
        JOIN yd_std_address_texts AS t
            ON t.raw = r.address AND list_contains(t.flags, 'address_ambiguous')
        JOIN yd_files AS f USING (source)
        LEFT JOIN yd_std_dates AS d ON d.raw = r.birth_date
        LEFT JOIN yd_std_sex AS s ON s.raw = r.sex
        JOIN yd_std_ids AS i
            ON i.raw = r.id_number
            AND i.own_birth_date IS NOT DISTINCT FROM d.value
            AND i.own_sex IS NOT DISTINCT FROM s.value
            AND i.scheme = f.id_scheme
        WHERE i.region_code IS NOT NULL
        """,
        with_prior,
        _convert_address_with_prior,
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE yd_std_addresses AS
        SELECT raw, NULL::VARCHAR AS prior, * EXCLUDE (raw) FROM yd_std_address_texts
        UNION ALL
        FROM yd_std_address_priors
        """
    )
    for table in ("yd_std_address_texts", "yd_std_address_priors"):
        con.execute(f"DROP TABLE {table}")
    return count_rows(con, "yd_std_addresses")


def _convert_date(row: tuple[Any, ...]) -> tuple[Any, ...]:
    parsed = parse_date(row[0])
    return parsed.value, list(parsed.flags)


def _convert_name(row: tuple[Any, ...]) -> tuple[Any, ...]:
    name = standardise_name(row[0])
    return (
        _blank(name.clean),
        _blank(name.simplified_raw),
        name.script,
        _blank(name.surname),
        _blank(name.given_name),
        _blank(name.no_separator),
        _blank(name.parts[0] if name.parts else ""),
        _blank(name.pinyin),
        _blank(name.pinyin_surname),
        _blank(name.pinyin_given),
        _blank(name.initials),
        _blank(name.shape_key),
        _blank(name.sorted_chars),
        list(name.romanised_variants),
        name.has_wildcard,
        _blank(name.without_first),
        list(name.flags),
    )


def _convert_id(row: tuple[Any, ...]) -> tuple[Any, ...]:
    if row[3] == "other":
        number = standardise_other_document(row[0])
    else:
        number = standardise_id(row[0], birth_date=row[1], sex=row[2])
    return (
        _blank(number.cleaned),
        number.id_class.value,
        number.key,
        number.birth_date,
        number.sex,
        number.region_code,
        list(number.repair_candidates),
        number.repaired,
        number.masked_pattern,
        list(number.flags),
    )


def _convert_phone(row: tuple[Any, ...]) -> tuple[Any, ...]:
    phone = standardise_phone(row[0])
    flags = [*phone.flags, *(["phone_invalid"] if phone.kind == "invalid" else [])]
    return phone.key, phone.kind, flags


def _convert_address(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return _address_values(parse_address(row[0]))


def _convert_address_with_prior(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return _address_values(parse_address(row[0], prior_region=row[1]))


def _address_values(parsed: AddressRegion) -> tuple[Any, ...]:
    return (
        parsed.county_code,
        parsed.prefecture_code,
        parsed.province_code,
        _blank(parsed.detail),
        list(parsed.flags),
    )


def _convert_sex(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (parse_sex(row[0]),)


def _blank(value: str) -> str | None:
    return value or None


# An address parsed with the record's prior region where there is one, else alone.
_ADDRESS_SQL = "CASE WHEN ap.raw IS NULL THEN ad.{column} ELSE ap.{column} END"

# The record's own birth date or sex contradicts its ID number: the number is
# someone else's (an infant enrolled under the mother's, two people sharing one).
_ID_CONFLICT_SQL = (
    "list_has_any(coalesce(id.flags, []), ['id_birth_mismatch', 'id_sex_mismatch'])"
)

# The numbering sorts only each record's key and row id: sorting whole records
# costs seconds at a million. The table is left in join order, not sorted by
# unique_id: every reader that needs an order asks for it.
_PERSONS_SQL = f"""
CREATE OR REPLACE TABLE yd_persons AS
WITH numbers AS (
    SELECT
        r.rowid AS record_rowid,
        row_number() OVER (ORDER BY f.trust, r.source, r.row_number) AS unique_id
    FROM yd_records AS r
    JOIN yd_files AS f USING (source)
),
numbered AS (
    SELECT
        n.unique_id,
        r.*,
        f.kind AS source_kind,
        f.trust,
        f.id_scheme,
        {_FULL_NAME_SQL} AS full_name
    FROM yd_records AS r
    JOIN numbers AS n ON n.record_rowid = r.rowid
    JOIN yd_files AS f USING (source)
),
dated AS (
    SELECT
        n.*,
        bd.value AS own_birth_date,
        bd.flags AS birth_date_flags,
        dd.value AS death_date_value,
        ed.value AS event_date_value,
        sx.value AS own_sex
    FROM numbered AS n
    LEFT JOIN yd_std_dates AS bd ON bd.raw = n.birth_date
    LEFT JOIN yd_std_dates AS dd ON dd.raw = n.death_date
    LEFT JOIN yd_std_dates AS ed ON ed.raw = n.event_date
    LEFT JOIN yd_std_sex AS sx ON sx.raw = n.sex
)
SELECT
    d.unique_id,
    d.source,
    d.record_id,
    d.row_number,
    d.source_kind,
    d.trust,
    nm.clean AS name_clean,
    nm.simplified_raw AS name_simplified,
    nm.script AS name_script,
    nm.surname,
    nm.given_name,
    nm.no_separator AS name_no_separator,
    nm.first_part AS name_first_part,
    nm.pinyin AS name_pinyin,
    nm.pinyin_surname AS surname_pinyin,
    nm.pinyin_given AS given_pinyin,
    nm.initials AS name_initials,
    nm.shape_key AS name_shape,
    nm.sorted_chars AS name_sorted,
    nm.romanised_variants AS name_romanised_variants,
    coalesce(nm.has_wildcard, FALSE) AS name_has_wildcard,
    nm.without_first AS name_without_first,
    id.cleaned AS id_cleaned,
    coalesce(id.id_class, 'missing') AS id_class,
    id.key AS id_key,
    id.birth_date AS id_birth_date,
    id.sex AS id_sex,
    id.region_code AS id_region,
    id.repair_candidates AS id_repair_candidates,
    coalesce(id.repaired, FALSE) AS id_repaired,
    id.masked_pattern AS id_masked,
    {_ID_CONFLICT_SQL} AS id_conflict,
    d.own_birth_date,
    coalesce(d.own_birth_date, id.birth_date) AS birth_date,
    coalesce(d.own_sex, id.sex) AS sex,
    d.death_date_value AS death_date,
    d.event_date_value AS event_date,
    ph.key AS phone_key,
    {_ADDRESS_SQL.format(column="county_code")} AS address_county,
    {_ADDRESS_SQL.format(column="prefecture_code")} AS address_prefecture,
    {_ADDRESS_SQL.format(column="province_code")} AS address_province,
    {_ADDRESS_SQL.format(column="detail")} AS address_detail,
    d.address AS address_raw,
    coalesce(
        {_ADDRESS_SQL.format(column="county_code")},
        nullif(trim(d.region_code), ''),
        -- A conflicting number's region is someone else's too.
        CASE WHEN NOT {_ID_CONFLICT_SQL} THEN id.region_code END
    ) AS region_code,
    nullif(d.household_id, '') AS household_id,
    d.relation_to_head,
    d.enrolled_region,
    d.scheme,
    d.status,
    mnm.clean AS mother_name_clean,
    mnm.pinyin AS mother_name_pinyin,
    mid.key AS mother_id_key,
    fid.key AS father_id_key,
    d.full_name AS name_raw,
    d.id_number AS id_raw,
    coalesce(nm.flags, []) || coalesce(id.flags, []) || coalesce(ph.flags, [])
        || coalesce(d.birth_date_flags, [])
        || coalesce({_ADDRESS_SQL.format(column="flags")}, []) AS std_flags
FROM dated AS d
LEFT JOIN yd_std_names AS nm ON nm.raw = d.full_name
LEFT JOIN yd_std_ids AS id
    ON id.raw = d.id_number
    AND id.own_birth_date IS NOT DISTINCT FROM d.own_birth_date
    AND id.own_sex IS NOT DISTINCT FROM d.own_sex
    AND id.scheme = d.id_scheme
LEFT JOIN yd_std_phones AS ph ON ph.raw = d.phone
LEFT JOIN yd_std_addresses AS ad ON ad.raw = d.address AND ad.prior IS NULL
LEFT JOIN yd_std_addresses AS ap ON ap.raw = d.address AND ap.prior = id.region_code
LEFT JOIN yd_std_names AS mnm ON mnm.raw = d.mother_name
LEFT JOIN yd_std_ids AS mid
    ON mid.raw = d.mother_id_number
    AND mid.own_birth_date IS NULL AND mid.own_sex IS NULL
    AND mid.scheme = d.id_scheme
LEFT JOIN yd_std_ids AS fid
    ON fid.raw = d.father_id_number
    AND fid.own_birth_date IS NULL AND fid.own_sex IS NULL
    AND fid.scheme = d.id_scheme
"""


def _write_flags(con: duckdb.DuckDBPyConnection, reference: dt.date) -> int:
    """One row per record and quality problem, with its code and reason."""
    con.execute(
        "CREATE OR REPLACE TABLE yd_flag_reasons (code VARCHAR, reason VARCHAR)"
    )
    con.executemany(
        "INSERT INTO yd_flag_reasons VALUES (?, ?)", list(FLAG_REASONS.items())
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE yd_flags AS
        WITH raised AS (
            SELECT source, record_id, unnest(std_flags) AS code FROM yd_persons
            UNION ALL
            SELECT source, record_id, 'born_after_death' FROM yd_persons
            WHERE birth_date > death_date
            UNION ALL
            SELECT source, record_id, 'born_in_future' FROM yd_persons
            WHERE birth_date > $reference
            UNION ALL
            SELECT source, record_id, 'pension_under_age' FROM yd_persons
            WHERE source_kind = 'pension_enrollment'
                AND date_diff('year', birth_date, coalesce(event_date, $reference)) < 16
            UNION ALL
            SELECT source, record_id, 'birth_certificate_too_old' FROM yd_persons
            WHERE source_kind = 'birth_certificate'
                AND date_diff('year', birth_date, coalesce(event_date, $reference)) > 7
            UNION ALL
            SELECT source, record_id, 'too_little_to_link' FROM yd_persons
            WHERE name_clean IS NULL AND id_key IS NULL AND id_masked IS NULL
                AND source_kind <> 'birth_certificate'
        )
        SELECT DISTINCT r.source, r.record_id, r.code,
            coalesce(fr.reason, r.code) AS reason
        FROM raised AS r
        LEFT JOIN yd_flag_reasons AS fr USING (code)
        ORDER BY r.source, r.record_id, r.code
        """,
        {"reference": reference},
    )
    return count_rows(con, "yd_flags")
