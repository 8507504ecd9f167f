"""The peers yidang meets on FEBRL: recordlinkage with ECM, and plain splink 5.

Both take the FEBRL tables as ``bench_febrl.load_tables`` returns them (one table per
source, indexed by ``rec_id``, every column text, missing values as NA) and return
clusters in yidang's ``clusters.csv`` form (``source, record_id, person_id,
match_probability``), so that one evaluation serves every system.

- ``recordlinkage_ecm``: candidate pairs from the union of blocks on given name,
  surname, date of birth, social security number and postcode, and a sorted
  neighbourhood on surname; binary features (exact agreement, or a string similarity
  at or above a threshold); the ECM classifier, unsupervised; links joined into
  clusters by connected components.
- ``plain_splink``: splink 5 on DuckDB as a careful user would set it up for these
  columns: Jaro-Winkler on names, Levenshtein on date of birth, social security
  number, address and suburb, exact street number, postcode and state; predictions
  blocked on five single columns; u from random pairs, m by EM on two rules; linked
  and clustered at probability 0.5.

A record's ``match_probability`` is its strongest link inside its cluster (1.0 alone).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "BLOCKING_COLUMNS",
    "clusters_from_links",
    "plain_splink",
    "recordlinkage_ecm",
]

BLOCKING_COLUMNS = ("given_name", "surname", "date_of_birth", "soc_sec_id", "postcode")
"""Columns each peer blocks on, one at a time; candidates are the union."""

SPLINK_THRESHOLD = 0.5
"""Probability at which plain splink links and clusters."""

Key = tuple[str, str]
Link = tuple[Key, Key, float]


def recordlinkage_ecm(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Link (two tables) or deduplicate (one table) with recordlinkage's ECM.

    Args:
        tables: One or two FEBRL tables by source name, indexed by ``rec_id``.

    Returns:
        One row per record: source, record_id, person_id, match_probability.
    """
    import recordlinkage

    names = list(tables)
    frames = [tables[name] for name in names]
    indexer = recordlinkage.Index()
    for column in BLOCKING_COLUMNS:
        indexer.block(column)
    indexer.sortedneighbourhood("surname", window=5)
    candidates = indexer.index(*frames)

    features = _ecm_features().compute(candidates, *frames)
    classifier = recordlinkage.ECMClassifier(binarize=None)
    matches = classifier.fit_predict(features)
    probability = pd.Series(classifier.prob(features), index=features.index)

    left, right = names[0], names[-1]
    links = [
        ((left, a), (right, b), float(p))
        for (a, b), p in probability.loc[matches].items()
    ]
    return clusters_from_links(_keys(tables), links)


def _ecm_features() -> Any:
    """Binary agreement features: ECM wants each to be 0 or 1."""
    import recordlinkage

    compare = recordlinkage.Compare()
    for column in ("given_name", "surname"):
        compare.string(
            column, column, method="jarowinkler", threshold=0.85, label=column
        )
    for column in ("address_1", "suburb"):
        compare.string(
            column, column, method="levenshtein", threshold=0.85, label=column
        )
    for column in ("date_of_birth", "soc_sec_id", "street_number", "postcode", "state"):
        compare.exact(column, column, label=column)
    return compare


def plain_splink(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Link (two tables) or deduplicate (one table) with splink 5 on DuckDB.

    Args:
        tables: One or two FEBRL tables by source name, indexed by ``rec_id``.

    Returns:
        One row per record: source, record_id, person_id, match_probability.
    """
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    db_api = DuckDBAPI()
    inputs = [
        db_api.register(_for_splink(frame), table_name=name)
        for name, frame in tables.items()
    ]
    settings = SettingsCreator(
        link_type="link_only" if len(inputs) > 1 else "dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("surname", [0.9, 0.8]),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.LevenshteinAtThresholds("address_1", [1, 3]),
            cl.LevenshteinAtThresholds("suburb", [1, 3]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on(column) for column in BLOCKING_COLUMNS
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(inputs if len(inputs) > 1 else inputs[0], settings, log_level=None)

    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id", "date_of_birth")], recall=0.6
    )
    training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    for rule in (block_on("given_name", "surname"), block_on("date_of_birth")):
        training.estimate_parameters_using_expectation_maximisation(rule)

    predictions = linker.inference.predict(threshold_match_probability=SPLINK_THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, SPLINK_THRESHOLD
    )
    return _splink_clusters(
        clusters.as_pandas_dataframe(), predictions.as_pandas_dataframe(), tables
    )


def _for_splink(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns, trimmed, blanks as nulls; ``rec_id`` becomes ``unique_id``."""
    table = frame.reset_index().rename(columns={frame.index.name: "unique_id"})
    for column in table.columns:
        table[column] = table[column].astype("string").str.strip().replace("", pd.NA)
    return table


def _splink_clusters(
    clusters: pd.DataFrame,
    predictions: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
) -> pd.DataFrame:
    """Clusters in yidang's form, with each record's strongest link in its cluster."""
    only = next(iter(tables))
    if "source_dataset" not in clusters:
        clusters = clusters.assign(source_dataset=only)
    for side in ("l", "r"):
        if f"source_dataset_{side}" not in predictions:
            predictions = predictions.assign(**{f"source_dataset_{side}": only})
    cluster_of = {
        (str(row.source_dataset), str(row.unique_id)): str(row.cluster_id)
        for row in clusters.itertuples(index=False)
    }

    strongest: dict[Key, float] = {}
    for row in predictions.itertuples(index=False):
        left = (str(row.source_dataset_l), str(row.unique_id_l))
        right = (str(row.source_dataset_r), str(row.unique_id_r))
        if cluster_of.get(left) is None or cluster_of.get(left) != cluster_of.get(
            right
        ):
            continue
        for key in (left, right):
            strongest[key] = max(strongest.get(key, 0.0), float(row.match_probability))
    return _table(
        (key, cluster_of[key], strongest.get(key, 1.0)) for key in _keys(tables)
    )


def clusters_from_links(keys: Iterable[Key], links: Iterable[Link]) -> pd.DataFrame:
    """Connected components of the links, in yidang's ``clusters.csv`` form.

    Args:
        keys: Every record, as (source, record_id); records without a link stand
            alone.
        links: (record, record, match probability) for each pair linked.

    Returns:
        One row per record: source, record_id, person_id (the component's smallest
        key as ``source/record_id``) and match_probability (the record's strongest
        link, 1.0 for a lone record).
    """
    keys = list(keys)
    parent = {key: key for key in keys}
    strongest: dict[Key, float] = {}

    def root(key: Key) -> Key:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for left, right, probability in links:
        a, b = root(left), root(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
        for key in (left, right):
            strongest[key] = max(strongest.get(key, 0.0), probability)

    smallest: dict[Key, Key] = {}
    for key in keys:
        top = root(key)
        smallest[top] = min(smallest.get(top, key), key)
    return _table(
        (key, "/".join(smallest[root(key)]), strongest.get(key, 1.0)) for key in keys
    )


def _keys(tables: Mapping[str, pd.DataFrame]) -> list[Key]:
    return [
        (name, str(rec_id)) for name, frame in tables.items() for rec_id in frame.index
    ]


def _table(rows: Iterable[tuple[Key, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(s, r, person, p) for (s, r), person, p in rows],
        columns=["source", "record_id", "person_id", "match_probability"],
    )
