"""Clustering honours ID constraints and review decisions, with stable person ids."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.cluster import cluster, person_id
from linkage.store import Store

RECORDS = [
    # unique_id, source, record_id, trust, id_key, id_class
    (1, "hukou", "H1", 1, "110105198503070012", "valid"),
    (2, "pension", "P1", 2, "110105198503070012", "valid"),
    (3, "pension", "P2", 2, "110105198503070039", "valid"),
    (4, "medical", "M1", 3, None, "missing"),
    (5, "medical", "M2", 3, None, "missing"),
]


@pytest.fixture
def con(tmp_path) -> duckdb.DuckDBPyConnection:
    store = Store(tmp_path / "store.duckdb")
    connection = store.con
    connection.execute(
        """
        CREATE TABLE yd_link_input (
            unique_id BIGINT, source VARCHAR, record_id VARCHAR, trust INTEGER,
            id_key VARCHAR, id_class VARCHAR, id_conflict BOOLEAN, id_repaired BOOLEAN
        )
        """
    )
    connection.executemany(
        "INSERT INTO yd_link_input VALUES (?, ?, ?, ?, ?, ?, FALSE, FALSE)", RECORDS
    )
    connection.execute(
        "CREATE TABLE yd_pairs (unique_id_l BIGINT, unique_id_r BIGINT, "
        "match_probability DOUBLE, evidence VARCHAR)"
    )
    return connection


def _pairs(con: duckdb.DuckDBPyConnection, *pairs: tuple[int, int, float]) -> None:
    con.executemany("INSERT INTO yd_pairs VALUES (?, ?, ?, 'model')", list(pairs))


def _persons(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT record_id, person_id FROM yd_clusters").fetchall()
    return dict(rows)


def test_two_valid_different_ids_are_not_joined(con) -> None:
    _pairs(con, (1, 2, 0.999), (2, 3, 0.99), (1, 3, 0.98))

    summary = cluster(con, match_threshold=0.95)

    persons = _persons(con)
    assert persons["H1"] == persons["P1"]
    assert persons["P2"] != persons["H1"]
    assert summary.refused_for_ids == 2
    conflicts = con.execute("SELECT count(*) FROM yd_conflicts").fetchone()
    assert conflicts == (2,)


def test_even_certain_links_across_two_valid_ids_wait_for_a_reviewer(con) -> None:
    _pairs(con, (1, 3, 1.0))

    cluster(con, match_threshold=0.95)

    persons = _persons(con)
    assert persons["H1"] != persons["P2"]
    conflicts = con.execute("SELECT match_probability FROM yd_conflicts").fetchall()
    assert conflicts == [(1.0,)]


def test_a_reviewer_must_link_joins_across_two_valid_ids(con) -> None:
    _pairs(con, (1, 3, 1.0))
    con.execute(
        "INSERT INTO yd_review_decisions VALUES "
        "('hukou', 'H1', 'pension', 'P2', 'match', 'r1', NULL, ?)",
        [dt.datetime(2026, 12, 1)],
    )

    cluster(con, match_threshold=0.95)

    persons = _persons(con)
    assert persons["H1"] == persons["P2"]


def test_records_without_ids_join_through_strong_links(con) -> None:
    _pairs(con, (1, 4, 0.97), (4, 5, 0.96), (3, 5, 0.4))

    cluster(con, match_threshold=0.95)

    persons = _persons(con)
    assert persons["H1"] == persons["M1"] == persons["M2"]
    assert persons["P2"] != persons["M2"]


def test_a_cluster_cannot_collect_two_ids_through_an_id_less_record(con) -> None:
    _pairs(con, (1, 4, 0.99), (3, 4, 0.98))

    cluster(con, match_threshold=0.95)

    persons = _persons(con)
    assert persons["M1"] == persons["H1"]
    assert persons["P2"] != persons["H1"]


def test_reviewer_decisions_are_honoured(con) -> None:
    _pairs(con, (4, 5, 0.99))
    now = dt.datetime(2026, 12, 1)
    con.executemany(
        "INSERT INTO yd_review_decisions VALUES (?, ?, ?, ?, ?, 'r1', NULL, ?)",
        [
            ("medical", "M1", "medical", "M2", "not_match", now),
            ("hukou", "H1", "medical", "M2", "match", now),
        ],
    )

    cluster(con, match_threshold=0.95)

    persons = _persons(con)
    assert persons["M1"] != persons["M2"]
    assert persons["H1"] == persons["M2"]


def test_latest_decision_wins(con) -> None:
    _pairs(con, (4, 5, 0.99))
    con.executemany(
        "INSERT INTO yd_review_decisions VALUES (?, ?, ?, ?, ?, 'r1', NULL, ?)",
        [
            ("medical", "M1", "medical", "M2", "not_match", dt.datetime(2026, 1, 1)),
            ("medical", "M1", "medical", "M2", "match", dt.datetime(2026, 2, 1)),
        ],
    )

    cluster(con, match_threshold=0.95)

    persons = _persons(con)
    assert persons["M1"] == persons["M2"]


def test_person_ids_come_from_the_most_trusted_record(con) -> None:
    _pairs(con, (1, 2, 0.99), (4, 5, 0.99))

    cluster(con, match_threshold=0.95)
    first = _persons(con)
    cluster(con, match_threshold=0.95)

    assert first == _persons(con)
    assert first["P1"] == person_id("hukou\x1fH1")
    assert first["M2"] == person_id("medical\x1fM1")


def test_best_link_is_each_records_match_probability(con) -> None:
    _pairs(con, (1, 2, 0.99), (2, 4, 0.96))

    cluster(con, match_threshold=0.95)

    rows = dict(
        con.execute("SELECT record_id, match_probability FROM yd_clusters").fetchall()
    )
    assert rows == {"H1": 0.99, "P1": 0.99, "P2": 1.0, "M1": 0.96, "M2": 1.0}


def _greedy(
    ids: list[str | None], links: list[tuple[int, int, float]]
) -> tuple[set[frozenset[int]], dict[int, float]]:
    """The clustering rule spelled out: links strongest first, one firm ID a person.

    Returns the persons as sets of record numbers, and each record's best link.
    """
    group = {record: frozenset([record]) for record in range(len(ids))}
    best = dict.fromkeys(range(len(ids)), 1.0)
    touched: set[int] = set()
    for a, b, probability in sorted(links, key=lambda x: (-x[2], x[0], x[1])):
        joined = group[a] | group[b]
        if group[a] != group[b] and len({ids[r] for r in joined} - {None}) > 1:
            continue
        for record in joined:
            group[record] = joined
        for record in (a, b):
            if record not in touched:
                touched.add(record)
                best[record] = probability
    return set(group.values()), best


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([None, "A", "B", "C"]), min_size=1, max_size=12).flatmap(
        lambda ids: st.tuples(
            st.just(ids),
            st.lists(
                st.tuples(
                    st.integers(0, len(ids) - 1),
                    st.integers(0, len(ids) - 1),
                    st.sampled_from([0.5, 0.95, 0.97, 0.99, 1.0]),
                ),
                max_size=20,
                unique_by=lambda x: (x[0], x[1]),
            ),
        )
    )
)
def test_clusters_follow_the_strongest_first_rule(
    case: tuple[list[str | None], list[tuple[int, int, float]]],
) -> None:
    ids, links = case
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE yd_link_input (unique_id BIGINT, source VARCHAR, "
        "record_id VARCHAR, trust INTEGER, id_key VARCHAR, id_class VARCHAR, "
        "id_conflict BOOLEAN, id_repaired BOOLEAN)"
    )
    con.executemany(
        "INSERT INTO yd_link_input VALUES (?, 'hukou', ?, 1, ?, 'valid', FALSE, FALSE)",
        [(10 * r + 7, f"R{r}", key) for r, key in enumerate(ids)],
    )
    con.execute(
        "CREATE TABLE yd_pairs (unique_id_l BIGINT, unique_id_r BIGINT, "
        "match_probability DOUBLE, evidence VARCHAR)"
    )
    if links:
        con.executemany(
            "INSERT INTO yd_pairs VALUES (?, ?, ?, 'model')",
            [(10 * a + 7, 10 * b + 7, p) for a, b, p in links],
        )
    con.execute(
        "CREATE TABLE yd_review_decisions (left_source VARCHAR, "
        "left_record_id VARCHAR, right_source VARCHAR, right_record_id VARCHAR, "
        "decision VARCHAR, "
        "reviewer VARCHAR, note VARCHAR, decided_at TIMESTAMP)"
    )
    strong = [link for link in links if link[2] >= 0.95]

    cluster(con, match_threshold=0.95)

    rows = con.execute(
        "SELECT list(CAST(substr(record_id, 2) AS INTEGER)) FROM yd_clusters "
        "GROUP BY person_id"
    ).fetchall()
    persons = {frozenset(records) for (records,) in rows}
    best = dict(
        con.execute(
            "SELECT CAST(substr(record_id, 2) AS INTEGER), match_probability "
            "FROM yd_clusters"
        ).fetchall()
    )
    assert (persons, best) == _greedy(ids, strong)
