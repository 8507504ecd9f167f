"""Evaluation for yidang: metrics, audits, reports, and synthetic registries.

The synthetic generator lives in :mod:`evaluation.synth`; metrics in
:mod:`evaluation.metrics` work on plain tables of record keys and cluster ids.
"""

from evaluation.metrics import LinkageMetrics, evaluate, read_assignment

__all__ = ["LinkageMetrics", "evaluate", "read_assignment"]
