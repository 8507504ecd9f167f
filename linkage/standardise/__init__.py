"""Standardisation of Chinese identity fields: plain functions over values.

Nothing here imports DuckDB or splink: the same functions serve DuckDB, Spark and
tests.
"""

__all__: list[str] = []
