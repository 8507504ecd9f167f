"""How blocking rules behave on a link input: pairs per rule, largest blocks, recall.

Counts come from splink's blocking analysis on the DuckDB link input; recall against
labels is counted directly: the true pairs (records sharing a label) that each rule,
and all rules together, propose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
from splink import DuckDBAPI
from splink.blocking_analysis import (
    count_comparisons_from_blocking_rules,
    n_largest_blocks,
)

from blocking.rules import PERSON_RULES, BlockingRule


@dataclass(frozen=True, slots=True)
class RuleCount:
    """Pairs a rule proposes, alone and beyond the rules before it."""

    rule: str
    pairs: int
    new_pairs: int
    cumulative_pairs: int


@dataclass(frozen=True, slots=True)
class RuleRecall:
    """True pairs a rule proposes, alone and together with the rules before it."""

    rule: str
    true_pairs_found: int
    cumulative_found: int
    true_pairs: int

    @property
    def cumulative_recall(self) -> float:
        """Share of all true pairs proposed by this rule or an earlier one."""
        return self.cumulative_found / self.true_pairs if self.true_pairs else 1.0


def pairs_per_rule(
    con: duckdb.DuckDBPyConnection,
    table: str = "yd_link_input",
    rules: Sequence[BlockingRule] = PERSON_RULES,
    *,
    sample: float = 1.0,
) -> list[RuleCount]:
    """Count the pairs each rule generates, and the new pairs it adds in order."""
    frame = DuckDBAPI(con.cursor()).register(table)
    records = count_comparisons_from_blocking_rules(
        frame,
        blocking_rules=[rule.sql for rule in rules],
        link_type="dedupe_only",
        record_sample_proportion=sample,
    )
    alone = [
        count_comparisons_from_blocking_rules(
            frame,
            blocking_rules=rule.sql,
            link_type="dedupe_only",
            record_sample_proportion=sample,
        )[0]["marginal_comparison_count"]
        for rule in rules
    ]
    return [
        RuleCount(
            rule=rule.name,
            pairs=int(pairs),
            new_pairs=int(record["marginal_comparison_count"]),
            cumulative_pairs=int(record["cumulative_comparison_count"]),
        )
        for rule, pairs, record in zip(rules, alone, records, strict=True)
    ]


def largest_blocks(
    con: duckdb.DuckDBPyConnection,
    rule: BlockingRule,
    table: str = "yd_link_input",
    *,
    n: int = 5,
) -> list[tuple[object, ...]]:
    """The key values that make a rule's largest blocks, with their pair counts.

    Keys are personal data (names, ID fragments): show them to analysts, never log
    them.
    """
    frame = DuckDBAPI(con.cursor()).register(table)
    result = n_largest_blocks(
        frame, blocking_rule=rule.sql, link_type="dedupe_only", n_largest=n
    )
    rows: list[tuple[object, ...]] = [
        tuple(row.values()) for row in result.as_record_list()
    ]
    return rows


def recall_against_labels(
    con: duckdb.DuckDBPyConnection,
    label_column: str,
    table: str = "yd_link_input",
    rules: Sequence[BlockingRule] = PERSON_RULES,
) -> list[RuleRecall]:
    """How many labelled true pairs each rule proposes, alone and cumulatively.

    Args:
        con: The store connection.
        label_column: A column of ``table`` holding a person key per labelled record.
        table: The link input.
        rules: The rules, in the order they run.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE yd_true_pairs AS
        SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r
        FROM {table} AS l JOIN {table} AS r
            ON l.{label_column} = r.{label_column} AND l.unique_id < r.unique_id
        """
    )
    total = _scalar(con, "SELECT count(*) FROM yd_true_pairs")
    found: list[RuleRecall] = []
    covered: list[str] = []
    for rule in rules:
        covered.append(f"({rule.sql})")
        alone = _count_true_pairs(con, table, rule.sql)
        cumulative = _count_true_pairs(con, table, " OR ".join(covered))
        found.append(RuleRecall(rule.name, alone, cumulative, total))
    return found


def _count_true_pairs(
    con: duckdb.DuckDBPyConnection, table: str, condition: str
) -> int:
    return _scalar(
        con,
        f"""
        SELECT count(*) FROM yd_true_pairs AS t
        JOIN {table} AS l ON l.unique_id = t.unique_id_l
        JOIN {table} AS r ON r.unique_id = t.unique_id_r
        WHERE coalesce({condition}, FALSE)
        """,
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
