"""The peers yidang is measured against, run on the same registries.

- ``deterministic``: records with the same ID number (spaces removed, upper-cased) are
  one person; records without an ID number stand alone.
- ``plain_splink``: splink 5 configured as a careful user would without Chinese-specific
  features: the project file's columns read as text, names compared by Jaro-Winkler on
  the raw string, ID numbers by exact match, dates parsed with pandas, blocking on ID,
  name with birth date, and phone; trained without labels; linked at the same match
  threshold as yidang. The lean version: two Jaro-Winkler bands, no term frequencies,
  u from 2 million random pairs.
- ``plain_splink_advised``: the same data, blocking and training rules, with what
  splink's own documentation advises: its name and date-of-birth comparison templates,
  term-frequency adjustment on the name, and u from 1e8 random pairs (the docstring of
  ``estimate_u_using_random_sampling`` recommends "1e8 or 1e9").

Each writes ``clusters.csv`` in yidang's format so that one evaluation serves all.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

_SEX = {"男": "M", "女": "F", "1": "M", "2": "F", "M": "M", "F": "F"}


def read_registries(project_path: Path) -> pd.DataFrame:
    """Every source of a project as one table of text columns, as a user would."""
    project = tomllib.loads(project_path.read_text(encoding="utf-8"))
    frames = []
    for source in project["sources"]:
        path = project_path.parent / source["path"]
        encoding = source.get("encoding", "auto")
        encoding = "gb18030" if encoding == "gb18030" else "utf-8-sig"
        raw = pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False)
        fields = source["fields"]
        frame = pd.DataFrame({"source": source["name"]}, index=raw.index)
        for canonical in (
            "record_id",
            "name",
            "id_number",
            "sex",
            "birth_date",
            "phone",
        ):
            column = fields.get(canonical)
            frame[canonical] = raw[column] if column else ""
        if "surname" in fields:
            frame["name"] = raw[fields["surname"]] + raw[fields["given_name"]]
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "unique_id", range(len(table)))
    return table


def deterministic(project_path: Path, out: Path) -> None:
    """Exact ID-number linkage."""
    table = read_registries(project_path)
    ids = table["id_number"].str.replace(r"\s", "", regex=True).str.upper()
    alone = table["source"] + "/" + table["record_id"]
    table["person_id"] = ids.where(ids != "", "solo:" + alone)
    table["match_probability"] = 1.0
    _write(table, out)


def plain_splink(
    project_path: Path, out: Path, *, threshold: float, advised: bool = False
) -> None:
    """A careful splink 5 user's model, trained without labels.

    Args:
        project_path: The project file whose sources are linked.
        out: Where ``clusters.csv`` goes.
        threshold: Match probability at which pairs link and clusters form.
        advised: Use the comparison templates, term frequencies and u sample size
            that splink's documentation advises, rather than the lean settings.
    """
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    table = _clean_for_splink(read_registries(project_path))
    con = duckdb.connect()
    con.register("records_frame", table)
    con.execute("CREATE TABLE records AS SELECT * FROM records_frame")
    db_api = DuckDBAPI(con.cursor())
    if advised:
        name: Any = cl.NameComparison("name").configure(term_frequency_adjustments=True)
        birth: Any = cl.DateOfBirthComparison("birth_date", input_is_string=True)
        u_pairs = 1e8
    else:
        name = cl.JaroWinklerAtThresholds("name", [0.92, 0.8])
        birth = cl.LevenshteinAtThresholds("birth_date", [1, 2])
        u_pairs = 2e6
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            name,
            cl.ExactMatch("id_number"),
            birth,
            cl.ExactMatch("sex"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("name", "birth_date"),
            block_on("phone"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db_api.register("records"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
    for rule in (block_on("id_number"), block_on("name", "birth_date")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold
    )
    result = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    joined = table.merge(result, on="unique_id", how="left")
    joined["person_id"] = joined["cluster_id"].astype(str)
    joined["match_probability"] = 1.0
    _write(joined, out)


def _clean_for_splink(table: pd.DataFrame) -> pd.DataFrame:
    cleaned = table.copy()
    for column in ("name", "id_number", "phone"):
        cleaned[column] = cleaned[column].str.strip().replace("", None)
    cleaned["id_number"] = cleaned["id_number"].str.upper()
    dates = pd.to_datetime(cleaned["birth_date"], errors="coerce", format="mixed")
    cleaned["birth_date"] = dates.dt.strftime("%Y-%m-%d")
    cleaned["sex"] = cleaned["sex"].str.strip().map(_SEX)
    return cleaned


def _write(table: Any, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    table[["source", "record_id", "person_id", "match_probability"]].to_csv(
        out / "clusters.csv", index=False
    )
