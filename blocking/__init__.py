"""Candidate-pair generation for yidang: blocking rules and their analysis."""

from blocking.analysis import (
    RuleCount,
    RuleRecall,
    largest_blocks,
    pairs_per_rule,
    recall_against_labels,
)
from blocking.rules import (
    COMMON_NAME_CAP,
    DETERMINISTIC_RULE,
    PERSON_RULES,
    TRAINING_RULES,
    BlockingRule,
)

__all__ = [
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
