"""Scoring: which columns of the link input splink is given."""

from __future__ import annotations

import duckdb

from linkage.link import scoring_columns
from linkage.model import LINK_INPUT


def test_scoring_reads_only_the_columns_the_settings_name() -> None:
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE {LINK_INPUT} (unique_id BIGINT, source VARCHAR, "
        "name_clean VARCHAR, id_key VARCHAR, id_raw VARCHAR, std_flags VARCHAR[])"
    )
    settings = {
        "unique_id_column_name": "unique_id",
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": "l.id_key = r.id_key", "sql_dialect": "duckdb"}
        ],
        "comparisons": [
            {"comparison_levels": [{"sql_condition": "name_clean_l = name_clean_r"}]}
        ],
        "additional_columns_to_retain": ["source"],
    }

    assert scoring_columns(con, settings) == [
        "unique_id",
        "source",
        "name_clean",
        "id_key",
    ]
