"""Candidate-pair generation for yidang: blocking rules and their analysis."""

__all__: list[str] = []
