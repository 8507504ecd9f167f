"""Golden records: survivorship per field, the person's summary and flags."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from linkage import golden
from linkage.errors import YidangError

_COLUMNS = (
    "unique_id INTEGER, source VARCHAR, record_id VARCHAR, source_kind VARCHAR, "
    "trust INTEGER, event_date DATE, name_clean VARCHAR, name_has_wildcard BOOLEAN, "
    "name_script VARCHAR, id_key VARCHAR, id_class VARCHAR, id_conflict BOOLEAN, "
    "id_repaired BOOLEAN, id_sex VARCHAR, id_birth_date DATE, sex VARCHAR, "
    "birth_date DATE, death_date DATE, phone_key VARCHAR, address_raw VARCHAR, "
    "address_county VARCHAR, region_code VARCHAR, enrolled_region VARCHAR, "
    "status VARCHAR"
)
_DEFAULTS: dict[str, Any] = {
    "source_kind": "household_registration",
    "trust": 1,
    "event_date": None,
    "name_clean": "王芳",
    "name_has_wildcard": False,
    "name_script": "han",
    "id_key": "110105198503070027",
    "id_class": "valid",
    "id_conflict": False,
    "id_repaired": False,
    "id_sex": "F",
    "id_birth_date": dt.date(1985, 3, 7),
    "sex": "F",
    "birth_date": dt.date(1985, 3, 7),
    "death_date": None,
    "phone_key": None,
    "address_raw": None,
    "address_county": None,
    "region_code": None,
    "enrolled_region": None,
    "status": None,
}


def _store(persons: dict[str, list[dict[str, Any]]]) -> duckdb.DuckDBPyConnection:
    """A store holding the given records, already clustered into the given persons."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE yd_persons ({_COLUMNS})")
    con.execute(
        "CREATE TABLE yd_clusters (unique_id INTEGER, person_id VARCHAR, "
        "cluster_size INTEGER, match_probability DOUBLE)"
    )
    names = [part.split()[0] for part in _COLUMNS.split(", ")]
    unique_id = 0
    for person_id, records in persons.items():
        for record in records:
            unique_id += 1
            row = {
                **_DEFAULTS,
                "unique_id": unique_id,
                "source": "hukou",
                "record_id": f"r{unique_id}",
                **record,
            }
            con.execute(
                f"INSERT INTO yd_persons VALUES ({', '.join('?' for _ in names)})",
                [row[name] for name in names],
            )
            con.execute(
                "INSERT INTO yd_clusters VALUES (?, ?, ?, ?)",
                [unique_id, person_id, len(records), record.get("probability", 1.0)],
            )
    return con


def _golden(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    golden.build_golden(con)
    cursor = con.execute("SELECT * FROM yd_golden")
    names = [column[0] for column in cursor.description or []]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _without(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in keys}


def test_a_valid_value_beats_a_more_trusted_invalid_one() -> None:
    con = _store(
        {
            "P1": [
                {
                    "source": "hukou",
                    "trust": 1,
                    "name_clean": "王?",
                    "name_has_wildcard": True,
                },
                {"source": "pension", "trust": 2, "name_clean": "王芳"},
            ]
        }
    )
    person = _golden(con)["P1"]
    assert person["name"] == "王芳"
    assert person["name_source"] == "pension"
    assert person["name_record_id"] == "r2"


def test_the_most_trusted_source_wins_among_valid_values() -> None:
    con = _store(
        {
            "P1": [
                {"source": "medical", "trust": 3, "phone_key": "+8613912345678"},
                {"source": "medical", "trust": 3, "phone_key": "+8613912345678"},
                {"source": "hukou", "trust": 1, "phone_key": "+8613812345678"},
            ]
        }
    )
    assert _golden(con)["P1"]["phone"] == "+8613812345678"


def test_agreement_then_recency_break_ties_of_trust() -> None:
    con = _store(
        {
            "agreement": [
                {"phone_key": "+8613800000001", "event_date": dt.date(2020, 1, 1)},
                {"phone_key": "+8613800000002", "event_date": dt.date(2024, 1, 1)},
                {"phone_key": "+8613800000001", "event_date": dt.date(2019, 1, 1)},
            ],
            "recency": [
                {"phone_key": "+8613800000003", "event_date": dt.date(2020, 1, 1)},
                {"phone_key": "+8613800000004", "event_date": dt.date(2024, 1, 1)},
                {"phone_key": "+8613800000005", "event_date": None},
            ],
        }
    )
    persons = _golden(con)
    assert persons["agreement"]["phone"] == "+8613800000001"
    assert persons["recency"]["phone"] == "+8613800000004"


def test_a_birth_date_that_contradicts_the_id_does_not_survive() -> None:
    con = _store(
        {
            "P1": [
                {"source": "hukou", "trust": 1, "birth_date": dt.date(2024, 5, 1)},
                {"source": "pension", "trust": 2},
            ]
        }
    )
    person = _golden(con)["P1"]
    assert person["birth_date"] == "1985-03-07"
    assert person["birth_date_source"] == "pension"


def test_summary_counts_sources_and_the_weakest_link() -> None:
    con = _store(
        {
            "P1": [
                {"source": "pension", "probability": 0.97},
                {"source": "hukou", "probability": 0.99},
                {"source": "pension", "probability": 1.0},
            ]
        }
    )
    person = _golden(con)["P1"]
    assert person["cluster_size"] == 3
    assert person["confidence"] == pytest.approx(0.97)
    assert person["sources"] == "hukou;pension"


def test_flags_name_what_the_enrollment_drive_acts_on() -> None:
    pension = {"source_kind": "pension_enrollment", "source": "pension"}
    con = _store(
        {
            "twice": [
                {**pension, "enrolled_region": "110105"},
                {**pension, "enrolled_region": "440106"},
            ],
            "dead": [
                {**pension, "enrolled_region": "110105"},
                {"source_kind": "death_register", "source": "death"},
            ],
            "two_ids": [
                {**pension},
                {"id_key": "440106199001011234"},
            ],
            "nowhere": [{}],
            "ended": [
                {**pension, "enrolled_region": "110105"},
                {**pension, "enrolled_region": "440106", "status": "终止"},
            ],
        }
    )
    flags = {person: row["flags"] for person, row in _golden(con).items()}
    assert flags["twice"] == ["duplicate_enrollment"]
    assert flags["dead"] == ["deceased_still_enrolled"]
    assert flags["two_ids"] == ["conflicting_ids"]
    assert flags["nowhere"] == ["not_enrolled"]
    assert flags["ended"] == []


def test_large_persons_count_agreement_the_same_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [
        {
            "phone_key": f"+861380000000{n % 3}",
            "trust": 1 + n % 2,
            "event_date": dt.date(2000 + n, 1, 1),
        }
        for n in range(9)
    ]
    persons = {"big": records, "small": records[:2]}
    joined = _golden(_store(persons))
    monkeypatch.setattr(golden, "SELF_JOIN_LIMIT", 3)
    windowed = _golden(_store(persons))
    assert windowed == joined
    assert joined["big"]["phone"] == "+8613800000002"


def test_a_person_too_large_to_rank_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(golden, "_RANK_BASE", 3)
    with pytest.raises(YidangError, match="3 records"):
        _golden(_store({"P1": [{}, {}, {}]}))


def test_summary_and_flags_replace_the_tables_of_an_older_store() -> None:
    con = _store({"P1": [{}]})
    con.execute("CREATE TABLE yd_person_summary AS SELECT 1 AS person_id")
    con.execute("CREATE TABLE yd_person_flags AS SELECT 1 AS person_id")
    golden.build_golden(con)
    kinds = con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_name IN ('yd_person_summary', 'yd_person_flags') ORDER BY 1"
    ).fetchall()
    assert kinds == [("yd_person_flags", "VIEW"), ("yd_person_summary", "VIEW")]
    summary = con.execute("SELECT person_id, sources FROM yd_person_summary")
    assert summary.fetchall() == [("P1", "hukou")]
