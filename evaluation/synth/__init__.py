"""Synthetic population and registry extracts with ground truth (``yidang synth``).

``generate(out_dir, persons=N, seed=S)`` writes one CSV per registry, ``truth.csv``,
``errors.csv``, ``error_rates.csv`` and ``project.toml``; :class:`ErrorModel` sets how
often each registry garbles each field.
"""

from evaluation.synth.error_model import ErrorModel, ErrorRates, SynthError
from evaluation.synth.generate import SynthSummary, generate

__all__ = ["ErrorModel", "ErrorRates", "SynthError", "SynthSummary", "generate"]
