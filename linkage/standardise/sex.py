"""Sex as registries code it, reduced to "M", "F" or None.

Registries write 男/女, 男性/女性, English words or letters, or the GB/T 2261.1 codes
(1 male, 2 female, 0 unknown, 9 unspecified), sometimes in full-width characters, as
Excel floats ("1.0"), zero-padded ("01") or as a code beside its label ("1-男",
"男(1)") the way code tables are exported. Unknown and unspecified codes become None,
as does anything unrecognised or self-contradictory ("1-女"): a missing sex must not
count as disagreement.
"""

from __future__ import annotations

import math
import re
import unicodedata

__all__ = ["parse_sex"]

_SEX_BY_TEXT: dict[str, str] = {
    "男": "M",
    "男性": "M",
    "男士": "M",
    "m": "M",
    "male": "M",
    "man": "M",
    "1": "M",
    "1.0": "M",
    "女": "F",
    "女性": "F",
    "女士": "F",
    "f": "F",
    "female": "F",
    "woman": "F",
    "2": "F",
    "2.0": "F",
}

# A code and its label in either order, with a separator or brackets between them.
_CODE_AND_LABEL = re.compile(
    r"[(\[]?(?P<code>\d{1,2})[)\]]?[-_:|/.、]?(?P<label>[^\d()\[\]]+)"
    r"|(?P<label2>[^\d()\[\]]+?)[-_:|/.、]?[(\[]?(?P<code2>\d{1,2})[)\]]?"
)


def parse_sex(raw: object) -> str | None:
    """Read a sex code or word as "M", "F" or None.

    Args:
        raw: A string or number as found in a registry extract, or None/NaN.

    Returns:
        "M" for male, "F" for female, and None for missing, GB/T 2261.1 codes 0
        (unknown) and 9 (unspecified), and anything unrecognised.

    Examples:
        >>> parse_sex(" 女性 ")
        'F'
        >>> parse_sex(9) is None
        True
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, float) and math.isnan(raw):
        return None
    text = str(raw)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = "".join(text.split()).lower()
    if text in _SEX_BY_TEXT:
        return _SEX_BY_TEXT[text]
    if text.isdigit():
        return _SEX_BY_TEXT.get(text.lstrip("0"))
    return _code_and_label(text)


def _code_and_label(text: str) -> str | None:
    """The sex of a "code-label" value when the code and the label agree."""
    match = _CODE_AND_LABEL.fullmatch(text)
    if match is None:
        return None
    code = match["code"] or match["code2"]
    label = (match["label"] or match["label2"]).strip("-_:|/.、")
    by_code = _SEX_BY_TEXT.get(code.lstrip("0"))
    by_label = _SEX_BY_TEXT.get(label)
    return by_code if by_code is not None and by_code == by_label else None
