"""yidang's engine: read registry extracts, standardise, score, cluster, and report."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
