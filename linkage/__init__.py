"""yidang's engine: read registry extracts, standardise, score, cluster, and report.

The names below are the engine's public entry points; they are imported on first use,
so that ``import linkage.standardise`` stays free of DuckDB and splink.
"""

import importlib
import logging
from typing import Any

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_PUBLIC = {
    "Project": "linkage.project",
    "ProjectError": "linkage.errors",
    "SourceError": "linkage.errors",
    "Store": "linkage.store",
    "YidangError": "linkage.errors",
    "load_project": "linkage.project",
    "prepare_project": "linkage.pipeline",
    "run_project": "linkage.pipeline",
    "train_project": "linkage.pipeline",
}

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'linkage' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
