"""Identity numbers: the ISO 7064 MOD 11-2 check, unique sequences, and the old forms.

A resident identity number is a 17-digit body (region, birth date, sequence) and a check
character. Residence permits for Hong Kong, Macao and Taiwan residents share the shape
with regions 810000/820000/830000; the 2023 foreigners' permanent residence number
starts with 9 and carries a province and a numeric country code instead of a county.
Bodies are handled as int64 (17 digits fit) so that a million can be checked and made
unique at once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evaluation.synth.error_model import SynthError

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

WEIGHTS = np.array(
    [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64
)
"""Weights of positions 1..17: 2^(17-i) mod 11."""

CHECK_CHARACTERS = "10X98765432"
"""The check character for each value of the weighted sum mod 11."""

_POWERS = 10 ** np.arange(16, -1, -1, dtype=np.int64)
_MAX_ROUNDS = 50


def check_character(body: str) -> str:
    """The MOD 11-2 check character of a 17-digit body.

    Args:
        body: the first 17 digits of an identity number.

    Returns:
        One of ``"10X98765432"``.
    """
    total = sum(
        int(digit) * int(weight) for digit, weight in zip(body, WEIGHTS, strict=True)
    )
    return CHECK_CHARACTERS[total % 11]


def is_valid(number: str) -> bool:
    """Whether an 18-character number has 17 digits and the right check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return check_character(number[:17]) == number[17]


def body_digits(bodies: IntArray) -> IntArray:
    """The 17 digits of each body as a (n, 17) array."""
    return (bodies[:, None] // _POWERS[None, :]) % 10


def check_characters(bodies: IntArray) -> list[str]:
    """The check character of each 17-digit body."""
    sums = body_digits(bodies) @ WEIGHTS
    return [CHECK_CHARACTERS[value] for value in (sums % 11).tolist()]


def format_numbers(bodies: IntArray) -> list[str]:
    """Full 18-character numbers from bodies."""
    checks = check_characters(bodies)
    return [
        f"{body:017d}{check}"
        for body, check in zip(bodies.tolist(), checks, strict=True)
    ]


def resident_bodies(region: IntArray, ymd: IntArray, sequence: IntArray) -> IntArray:
    """Bodies from six-digit regions, YYYYMMDD dates and three-digit sequences."""
    return region.astype(np.int64) * 10**11 + ymd.astype(np.int64) * 1000 + sequence


def foreign_bodies(
    province: IntArray, country: IntArray, ymd: IntArray, sequence: IntArray
) -> IntArray:
    """Bodies of the 2023 foreigners' number: 9, province, country, date, sequence."""
    prefix = 9 * 10**5 + province.astype(np.int64) * 1000 + country
    return prefix * 10**11 + ymd.astype(np.int64) * 1000 + sequence


def to_fifteen(number: str) -> str:
    """The 1989 15-digit form: drop the century and the check character."""
    return number[:6] + number[8:17]


def draw_sequences(rng: np.random.Generator, male: BoolArray) -> IntArray:
    """Three-digit sequences with the sex parity (odd for men).

    Args:
        rng: the random generator.
        male: whether each person is a man.

    Returns:
        Sequences in 0..989 (room is left for a twin's consecutive number).
    """
    half = rng.integers(0, 495, size=male.size, dtype=np.int64)
    return half * 2 + male.astype(np.int64)


def twin_sequence(first: IntArray, first_male: BoolArray, male: BoolArray) -> IntArray:
    """The number after a twin's: the next one of the right parity."""
    same_sex = first_male == male
    return first + np.where(same_sex, 2, 1)


def make_unique(
    rng: np.random.Generator,
    prefix: IntArray,
    male: BoolArray,
    twin_of: IntArray,
) -> IntArray:
    """Sequences such that every body ``prefix * 1000 + sequence`` is unique.

    Args:
        rng: the random generator.
        prefix: region and date part of each body (the body without the sequence).
        male: whether each person is a man.
        twin_of: index of the first-born twin for second-borns, else -1.

    Returns:
        The three-digit sequences.

    Raises:
        SynthError: when no unique assignment is found (an absurdly dense population).
    """
    sequence = draw_sequences(rng, male)
    second = np.flatnonzero(twin_of >= 0)
    first = twin_of[second]
    for _ in range(_MAX_ROUNDS):
        sequence[second] = twin_sequence(sequence[first], male[first], male[second])
        clashes = _clashing(prefix * 1000 + sequence)
        if clashes.size == 0:
            return sequence
        redraw = np.where(twin_of[clashes] >= 0, twin_of[clashes], clashes)
        sequence[redraw] = draw_sequences(rng, male[redraw])
    raise SynthError("could not give every person a unique identity number")


def _clashing(bodies: IntArray) -> IntArray:
    """Indices of every body after the first with the same value."""
    order = np.argsort(bodies, kind="stable")
    repeated = np.flatnonzero(bodies[order][1:] == bodies[order][:-1]) + 1
    return np.sort(order[repeated])
