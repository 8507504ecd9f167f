"""The SQL fast paths of standardisation give exactly what the Python functions give.

Dates, resident ID numbers and mobile phones in their common forms are standardised in
DuckDB for speed; everything else goes through Python. These tests run both ways on
the same values and require identical tables, on hand-picked edge cases, on synthetic
registries and on generated ID numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.synth import generate
from linkage import prepare
from linkage.errors import YidangError
from linkage.load import load_project as load_into_store
from linkage.prepare import standardise_store
from linkage.project import load_project
from linkage.regions import issued_codes
from linkage.standardise.dates import parse_date, plain_date_sql
from linkage.standardise.ids import (
    check_character,
    valid_resident_id_sql,
)
from linkage.standardise.phones import (
    allocated_mobile_prefixes,
    plain_mobile_sql,
    standardise_phone,
)
from linkage.store import Store

STD_TABLES = (
    "yd_std_dates",
    "yd_std_ids",
    "yd_std_phones",
    "yd_std_names",
    "yd_std_addresses",
    "yd_persons",
    "yd_flags",
)

EDGE_ROWS = [
    # record id, ID number, sex, birth date, phone
    ("1", "110105198503070027", "女", "1985-03-07", "13812345678"),
    ("2", "110105198503070027", "男", "2024-05-01", "13888888888"),
    ("3", "11010519850307002x", "女", "19850307", "+86 138 1234 5678"),
    ("4", "810000199001011234", "男", "1990-01-01", "1381234567"),
    ("5", "931000199001011230", "男", "1985-3-7", "10012345678"),
    ("6", "110105209901010017", "男", "2023-02-29", "13912345678-801"),
    ("7", "110105187001010014", "男", "1985-13-01", "010-62345678"),
    ("8", "999999198001010012", "女", " 1985-03-07", "19912345678"),
    ("9", "110105198001011000", "女", "0000-01-01", "16612345678"),
    ("10", "110105198503070028", "女", "1985年3月7日", "13800000000"),
    ("11", "110105 19850307 0027", "女", "85.3.7", "1.3812345678E10"),
    ("12", "130503670401001", "男", "31141", "13812345678"),
]


def _write_edge_project(tmp_path: Path) -> Path:
    data = tmp_path / "edge.csv"
    lines = ["编号,身份证号,性别,出生日期,电话"]
    lines += [",".join(row) for row in EDGE_ROWS]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    project = tmp_path / "project.toml"
    project.write_text(
        "\n".join(
            [
                "[run]",
                'name = "edge"',
                'store = "store.duckdb"',
                "[[sources]]",
                'name = "edge"',
                'kind = "household_registration"',
                'path = "edge.csv"',
                "[sources.fields]",
                'record_id = "编号"',
                'id_number = "身份证号"',
                'sex = "性别"',
                'birth_date = "出生日期"',
                'phone = "电话"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return project


def _standardised_tables(project_path: Path, store_path: Path, fast: bool) -> dict:
    project = load_project(project_path)
    with Store(store_path) as store:
        load_into_store(project, store)
        standardise_store(store, reference_date=dt.date(2026, 12, 1), fast_paths=fast)
        return {
            table: sorted(store.rows(f"SELECT * FROM {table}"), key=repr)
            for table in STD_TABLES
        }


@pytest.mark.parametrize("source", ["edge cases", "synthetic registries"])
def test_fast_paths_change_no_standardised_value(tmp_path: Path, source: str) -> None:
    if source == "edge cases":
        project = _write_edge_project(tmp_path)
    else:
        project = generate(tmp_path / "synth", persons=300, seed=11).project_path
    slow = _standardised_tables(project, tmp_path / "slow.duckdb", fast=False)
    fast = _standardised_tables(project, tmp_path / "fast.duckdb", fast=True)
    for table in STD_TABLES:
        assert fast[table] == slow[table], table
    assert len(fast["yd_persons"]) > 0


def _sql_rows(
    values: list[tuple[Any, ...]],
    schema: pa.Schema,
    condition: str,
    expressions: tuple[str, ...],
    tables: dict[str, pa.Table] | None = None,
) -> dict[Any, tuple[Any, ...]]:
    """What a fast path makes of each value it selects, keyed by the first column."""
    con = duckdb.connect()
    columns = list(zip(*values, strict=True)) if values else [[] for _ in schema]
    con.register(
        "input_values",
        pa.table(
            {
                name: pa.array(list(column), type=schema.field(name).type)
                for name, column in zip(schema.names, columns, strict=True)
            }
        ),
    )
    for name, table in (tables or {}).items():
        con.register(name, table)
    rows = con.execute(
        f"SELECT {schema.names[0]}, {', '.join(expressions)} "
        f"FROM input_values WHERE {condition}"
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


_ID_SCHEMA = pa.schema(
    [("raw", pa.string()), ("born", pa.date32()), ("sex", pa.string())]
)


def _python_id(raw: str, born: dt.date | None, sex: str | None) -> tuple[Any, ...]:
    """What the Python path stores for a resident-scheme value."""
    return prepare._convert_id((raw, born, sex, "resident"))


_REGIONS = sorted(issued_codes())


@st.composite
def _id_numbers(draw: st.DrawFn) -> tuple[str, dt.date | None, str | None]:
    region = draw(
        st.one_of(
            st.sampled_from(_REGIONS),
            st.text("0123456789", min_size=6, max_size=6),
        )
    )
    born = draw(st.dates(dt.date(1850, 1, 1), dt.date(2030, 12, 31)))
    sequence = draw(st.text("0123456789", min_size=3, max_size=3))
    first17 = region + born.strftime("%Y%m%d") + sequence
    check = check_character(first17)
    if draw(st.booleans()):
        check = draw(st.sampled_from("0123456789X"))
    own_born = draw(st.one_of(st.none(), st.just(born), st.dates()))
    own_sex = draw(st.sampled_from([None, "M", "F"]))
    return first17 + check, own_born, own_sex


@settings(max_examples=300, deadline=None)
@given(st.lists(_id_numbers(), min_size=1, max_size=20, unique_by=lambda v: v[0]))
def test_valid_id_sql_agrees_with_python(
    values: list[tuple[str, dt.date | None, str | None]],
) -> None:
    condition, expressions = valid_resident_id_sql("raw", "born", "sex", "issued")
    issued = {"issued": pa.table({"code": _REGIONS})}
    handled = _sql_rows(values, _ID_SCHEMA, condition, expressions, issued)
    for raw, born, sex in values:
        if raw in handled:
            assert handled[raw] == _python_id(raw, born, sex), raw


def test_valid_id_sql_takes_the_common_case_and_leaves_the_rest() -> None:
    values = [
        ("110105198503070027", None, None),  # valid
        ("110105198503070028", None, None),  # check fails: repair is Python's
        ("110105198001011000", None, None),  # ends in 000: possible truncation
        ("810000199001011234", None, None),  # a permit, not a resident ID
        ("110105209901010017", None, None),  # born in the future
    ]
    condition, expressions = valid_resident_id_sql("raw", "born", "sex", "issued")
    issued = {"issued": pa.table({"code": _REGIONS})}
    handled = _sql_rows(values, _ID_SCHEMA, condition, expressions, issued)
    assert set(handled) == {"110105198503070027"}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.dates(dt.date(1000, 1, 1), dt.date(2999, 12, 31)).map(str),
            st.dates().map(lambda d: d.strftime("%Y%m%d")),
            st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
            st.from_regex(r"[0-9]{8}", fullmatch=True),
        ),
        min_size=1,
        max_size=20,
        unique=True,
    )
)
def test_plain_date_sql_agrees_with_python(values: list[str]) -> None:
    schema = pa.schema([("raw", pa.string())])
    condition, expressions = plain_date_sql("raw")
    handled = _sql_rows([(v,) for v in values], schema, condition, expressions)
    for value in values:
        if value in handled:
            parsed = parse_date(value)
            assert handled[value] == (parsed.value, list(parsed.flags)), value


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.from_regex(r"1[0-9]{10}", fullmatch=True), min_size=1, max_size=20).map(
        lambda v: sorted(set(v))
    )
)
def test_plain_mobile_sql_agrees_with_python(values: list[str]) -> None:
    schema = pa.schema([("raw", pa.string())])
    prefixes = allocated_mobile_prefixes({value[:5] for value in values})
    condition, expressions = plain_mobile_sql("raw", "allocated")
    tables = {"allocated": pa.table({"prefix": pa.array(prefixes, pa.string())})}
    handled = _sql_rows([(v,) for v in values], schema, condition, expressions, tables)
    for value in values:
        if value in handled:
            phone = standardise_phone(value)
            assert handled[value] == (phone.key, phone.kind, list(phone.flags)), value


def test_placeholder_mobiles_are_left_to_python() -> None:
    schema = pa.schema([("raw", pa.string())])
    values = ["13812345678", "13888888888"]
    prefixes = allocated_mobile_prefixes({"13812", "13888"})
    condition, expressions = plain_mobile_sql("raw", "allocated")
    tables = {"allocated": pa.table({"prefix": pa.array(prefixes, pa.string())})}
    handled = _sql_rows([(v,) for v in values], schema, condition, expressions, tables)
    assert set(handled) == {"13812345678"}


def test_forked_workers_convert_like_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every step goes through the worker processes, however few its values.
    monkeypatch.setattr(prepare, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(prepare, "_usable_cores", lambda: 2)
    project = generate(tmp_path / "synth", persons=200, seed=5).project_path
    forked = _standardised_tables(project, tmp_path / "forked.duckdb", fast=True)
    monkeypatch.setattr(prepare, "_usable_cores", lambda: 1)
    here = _standardised_tables(project, tmp_path / "here.duckdb", fast=True)
    for table in STD_TABLES:
        assert forked[table] == here[table], table


def _reverse(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (row[0][::-1],)


def test_convert_rows_keeps_the_order_of_the_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(prepare, "PARALLEL_MIN_ROWS", 1)
    rows = [(str(n),) for n in range(50)]
    schema = pa.schema([("raw", pa.string()), ("reversed", pa.string())])
    converted = prepare.convert_rows(rows, _reverse, schema, workers=2)
    assert converted.to_pylist() == [
        {"raw": str(n), "reversed": str(n)[::-1]} for n in range(50)
    ]


def test_the_workers_variable_caps_the_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(prepare.WORKERS_VARIABLE, "1")
    assert prepare._usable_cores() == 1
    monkeypatch.setenv(prepare.WORKERS_VARIABLE, "two")
    with pytest.raises(YidangError, match="YIDANG_WORKERS='two'"):
        prepare._usable_cores()
