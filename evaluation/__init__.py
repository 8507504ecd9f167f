"""Evaluation for yidang: metrics, audits, reports and synthetic registries with truth."""

__all__: list[str] = []
