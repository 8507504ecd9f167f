"""Each package exports a short, pinned public surface."""

from __future__ import annotations

import subprocess
import sys

import blocking
import evaluation
import linkage
import linkage.standardise


def test_linkage_exports() -> None:
    assert linkage.__all__ == [
        "__version__",
        "Project",
        "ProjectError",
        "SourceError",
        "Store",
        "YidangError",
        "load_project",
        "prepare_project",
        "run_project",
        "train_project",
    ]
    for name in linkage.__all__:
        assert getattr(linkage, name) is not None


def test_blocking_and_evaluation_exports() -> None:
    assert blocking.__all__ == [
        "COMMON_NAME_CAP",
        "DETERMINISTIC_RULE",
        "PERSON_RULES",
        "TRAINING_RULES",
        "BlockingRule",
        "RuleCount",
        "RuleRecall",
        "largest_blocks",
        "pairs_per_rule",
        "recall_against_labels",
    ]
    assert evaluation.__all__ == ["LinkageMetrics", "evaluate", "read_assignment"]


def test_standardise_exports() -> None:
    assert "standardise_id" in linkage.standardise.__all__
    assert "standardise_name" in linkage.standardise.__all__
    assert len(linkage.standardise.__all__) == 14


def test_standardisation_imports_neither_duckdb_nor_splink() -> None:
    code = (
        "import sys, linkage.standardise; "
        "print(sorted(m for m in ('duckdb', 'splink') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
