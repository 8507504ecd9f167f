"""Agreement between reviewers on double-reviewed pairs: percent agreement and kappa.

Each pair decided by two reviewers gives one observation: the first decision and the
second, in the order they were made. Cohen's kappa corrects the share of agreements
for the agreement expected by chance from each position's own mix of decisions:

    kappa = (p_o - p_e) / (1 - p_e)
    p_e = sum over decisions k of p_first(k) * p_second(k)

With many reviewers the two positions are filled by different people from pair to
pair, so the overall kappa describes the team; the table per pair of reviewers gives
each pair's own figure.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from linkage.review.decisions import PairReview

logger = logging.getLogger(__name__)

Observation = tuple[str, str]
"""The first and the second decision on one pair."""


def percent_agreement(observations: Sequence[Observation]) -> float | None:
    """The share of pairs on which both decisions are the same, or None if none."""
    if not observations:
        return None
    agreed = sum(1 for first, second in observations if first == second)
    return agreed / len(observations)


def cohen_kappa(observations: Sequence[Observation]) -> float | None:
    """Cohen's kappa of the first against the second decision.

    Returns:
        Kappa, or None when there is no observation or chance agreement is certain
        (both positions always gave one and the same decision), where it is undefined.
    """
    observed = percent_agreement(observations)
    if observed is None:
        return None
    count = len(observations)
    firsts = Counter(first for first, _ in observations)
    seconds = Counter(second for _, second in observations)
    expected = sum(firsts[k] * seconds[k] for k in firsts) / count**2
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """Agreement of one pair of reviewers (or of everyone, named '全部')."""

    reviewers: str
    pairs: int
    agreed: int
    percent: float | None
    kappa: float | None


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """The figures a supervisor sees."""

    overall: AgreementRow
    by_reviewers: list[AgreementRow]
    confusion: dict[tuple[str, str], int]


def observations(reviews: Sequence[PairReview]) -> list[tuple[str, str, str, str]]:
    """(first reviewer, second reviewer, first decision, second decision) per pair."""
    found = []
    for review in reviews:
        ordered = review.in_order()
        if len(ordered) >= 2:
            first, second = ordered[0], ordered[1]
            found.append(
                (first.reviewer, second.reviewer, first.decision, second.decision)
            )
    return found


def agreement_report(reviews: Sequence[PairReview]) -> AgreementReport:
    """Percent agreement and kappa overall and per pair of reviewers."""
    seen = observations(reviews)
    overall = _row("全部", [(a, b) for _, _, a, b in seen])
    groups: dict[tuple[str, str], list[Observation]] = {}
    for first_name, second_name, first, second in seen:
        # Alphabetical order fixes which reviewer is "rater A" for the pair.
        if first_name <= second_name:
            key, decisions = (first_name, second_name), (first, second)
        else:
            key, decisions = (second_name, first_name), (second, first)
        groups.setdefault(key, []).append(decisions)
    rows = [_row(f"{a} / {b}", group) for (a, b), group in sorted(groups.items())]
    confusion = Counter((a, b) for _, _, a, b in seen)
    return AgreementReport(overall, rows, dict(confusion))


def _row(name: str, group: Sequence[Observation]) -> AgreementRow:
    return AgreementRow(
        reviewers=name,
        pairs=len(group),
        agreed=sum(1 for a, b in group if a == b),
        percent=percent_agreement(group),
        kappa=cohen_kappa(group),
    )
