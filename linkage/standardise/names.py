"""Personal names as registries hold them: cleaned, read aloud, keyed for comparison.

:func:`standardise_name` turns one raw name into a :class:`Name` that keeps the raw text
and adds the features the name comparisons use: a clean form (NFKC, simplified, curated
variants merged, minority-name separators unified), toneless pinyin with surname
readings, initials, a similar-shape key, sorted characters, parts of minority names, a
romanised form with Mandarin candidates for Cantonese and Wade-Giles surnames, and flags
(see :data:`NAME_FLAGS`) for everything it noticed.

The tables live in ``linkage/data`` and were curated for yidang; each file's header says
more:

- ``name_variants.csv``: variant pairs from the 1955 First List of Variant Characters,
  the 2013 Table of General Standard Chinese Characters and Japanese shinjitai forms,
  plus the OpenCC ``t2s`` merges of distinct surnames (於, 瀋) and reading changes
  (乾).
- ``shape_groups.csv``: well-known confusions of similar-looking characters (形近字).
- ``compound_surnames.txt``: compound surnames from the classical surname lists.
- ``surname_readings.csv``: surname readings from standard dictionary entries, where
  pypinyin's everyday reading differs (单 shan, 曾 zeng, 区 ou...).
- ``romanised_surnames.csv``: Hong Kong Cantonese, Wade-Giles and informal spellings of
  surnames with their Mandarin pinyin.
- ``common_surnames.txt``: the most common surnames from published national rankings,
  used to find the surname in a romanised name.
- ``pinyin_syllables.txt``: the toneless syllabary of pypinyin (MIT), used to split
  romanised words into syllables.

Pinyin is read character by character with pypinyin's default (first) reading, so the
same character always reads the same in every name; only the surname takes the surname
reading. Tables, the OpenCC converter and pypinyin are loaded on first use.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "NAME_FLAGS",
    "SEPARATOR",
    "Name",
    "name_pinyin",
    "standardise_name",
    "wildcard_match",
]

SEPARATOR = "\u00b7"
"""The one separator between the parts of a minority name in a clean name."""

NAME_FLAGS: dict[str, str] = {
    "name_empty": "no name: missing, blank, or nothing left after cleaning",
    "name_wildcard": (
        "a character was written as '?', '*' or a box, or the given name as 某 "
        "(王某, 欧阳某某): wildcards"
    ),
    "name_traditional": "traditional characters were converted to simplified",
    "name_variant": "a variant character was replaced by its standard form",
    "name_fullwidth": "full-width letters, digits, signs or spaces (NFKC)",
    "name_invisible": "invisible or control characters were removed",
    "name_inner_space": "spaces inside a Han name were removed",
    "name_separator_variant": "a minority-name separator other than U+00B7",
    "name_private_use": "a private-use character (a locally defined glyph)",
    "name_latin": "the name is in Latin letters (romanised)",
    "name_mixed_script": "Han characters mixed with letters of another script",
    "name_other_script": "neither Han characters nor Latin letters",
}
"""Every flag :func:`standardise_name` can set, with what it means."""

_WILDCARDS = frozenset("?*")
_MOU = "某"
_WILDCARD_INPUTS = frozenset("?*？＊")
_SEPARATOR_FORMS = (
    "\u30fb\u2022\u2027\uff65\u22c5\u2219\u0387\u2024\ufe52\u3002"
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d."
)
_BOXES = "\u25a1\u25a0\ufffd"  # a glyph the source could not show
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c"
    "\u206d\u206e\u206f\u3164\ufeff\uffa0\ufff9\ufffa\ufffb"
)
_HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"

_SPACE_IN_HAN_RE = re.compile(
    f" (?=[{_HAN_CLASS}?*{SEPARATOR}])|(?<=[{_HAN_CLASS}?*{SEPARATOR}]) "
)
_SEPARATOR_RUN_RE = re.compile(f"{SEPARATOR}{{2,}}")
_FULLWIDTH_RE = re.compile("[\u3000\uff01-\uff60\uffe0-\uffee]")
_LATIN_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


def _translation() -> dict[int, str | None]:
    """The per-character rewrites applied after NFKC."""
    table: dict[int, str | None] = dict.fromkeys(map(ord, _INVISIBLE))
    table.update(dict.fromkeys(range(0x00, 0x20)))
    table.update(dict.fromkeys(range(0x7F, 0xA0)))
    table.update(dict.fromkeys(range(0xD800, 0xE000)))  # lone surrogates
    table.update(dict.fromkeys(range(0xFE00, 0xFE10)))  # variation selectors
    table.update(dict.fromkeys(range(0xE0000, 0xE0080)))  # tags
    table.update(dict.fromkeys(range(0xE0100, 0xE01F0)))  # ideographic variation
    for char in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85":
        table[ord(char)] = " "
    table.update(dict.fromkeys(map(ord, _SEPARATOR_FORMS), SEPARATOR))
    table.update(dict.fromkeys(map(ord, _BOXES), "?"))
    return table


_TRANSLATION = _translation()
_SEPARATOR_FORMS_RE = re.compile(f"[{re.escape(_SEPARATOR_FORMS)}]")
_HAN_RE = re.compile(f"[{_HAN_CLASS}]")
_HAN_ONLY_RE = re.compile(f"[{_HAN_CLASS}?*{SEPARATOR}]+")
_PRIVATE_USE_RE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")
_PINYIN_CACHE: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Name:
    """One personal name, cleaned, with the features that name comparisons use.

    Attributes:
        raw: The value as given (``""`` for a missing value).
        clean: NFKC, invisible characters and spaces inside Han text removed,
            separators unified to U+00B7, simplified (OpenCC ``t2s``), curated
            variants merged, Latin letters lower-cased; ``?`` and ``*`` kept.
        simplified_raw: As ``clean`` but without the variant table, and keeping the
            surnames that ``t2s`` would merge (於 stays 於).
        script: ``"han"``, ``"latin"``, ``"mixed"``, ``"other"`` or ``"empty"``.
        surname: The surname (compound surnames recognised); ``""`` for a minority
            name with a separator.
        given_name: The rest of the name.
        no_separator: ``clean`` without separators.
        parts: ``clean`` split on the separator.
        pinyin: Toneless pinyin, lower case, no spaces, surname reading for the
            surname; Latin letters as written; ``?`` for a wildcard.
        pinyin_surname: The pinyin of the surname.
        pinyin_given: The pinyin of the given name.
        initials: The first letter of each syllable, surname first.
        shape_key: ``clean`` with each character replaced by the representative of
            its similar-shape group.
        sorted_chars: The characters of ``no_separator`` in sorted order, no spaces.
        romanised: For a Latin name its letters, surname first when recognised; for
            other names the pinyin.
        romanised_variants: For a Latin name with a Cantonese, Wade-Giles or informal
            surname spelling, the Mandarin pinyin candidates followed by the given
            name.
        has_wildcard: Whether ``clean`` holds a wildcard.
        without_first: For a four-character Han name, the name without its first
            character (a Hong Kong or Taiwan married name such as 陈方安生).
        flags: Codes from :data:`NAME_FLAGS`.
    """

    raw: str
    clean: str
    simplified_raw: str
    script: str
    surname: str
    given_name: str
    no_separator: str
    parts: tuple[str, ...]
    pinyin: str
    pinyin_surname: str
    pinyin_given: str
    initials: str
    shape_key: str
    sorted_chars: str
    romanised: str
    romanised_variants: tuple[str, ...]
    has_wildcard: bool
    without_first: str
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Tables:
    """The curated tables, loaded once."""

    protect_re: re.Pattern[str]
    merges: dict[int, str]
    variants: dict[int, str]
    shapes: dict[int, str]
    compounds: frozenset[str]
    readings: dict[str, tuple[str, ...]]
    romanised: dict[str, tuple[str, ...]]
    latin_surnames: frozenset[str]
    syllables: frozenset[str]


def _data_lines(file_name: str) -> list[str]:
    """The non-blank, non-comment lines of a file in ``linkage/data``."""
    text = resources.files("linkage").joinpath(f"data/{file_name}").read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _data_rows(file_name: str) -> list[dict[str, str]]:
    """The rows of a CSV file in ``linkage/data``, by header name."""
    return list(csv.DictReader(_data_lines(file_name)))


@cache
def _tables() -> _Tables:
    """Load every table on first use."""
    rows = _data_rows("name_variants.csv")
    kept = [row["variant"] for row in rows if row["kind"] != "variant"]
    merges = {
        ord(r["variant"]): r["standard"] for r in rows if r["kind"] == "t2s_merge"
    }
    variants = {
        ord(r["variant"]): r["standard"] for r in rows if r["kind"] == "variant"
    }
    shapes = {
        ord(char): group[0]
        for group in (row["characters"] for row in _data_rows("shape_groups.csv"))
        for char in group[1:]
    }
    readings = {
        row["surname"]: tuple(row["reading"].split())
        for row in _data_rows("surname_readings.csv")
    }
    romanised = {
        row["spelling"]: tuple(row["pinyin"].split("|"))
        for row in _data_rows("romanised_surnames.csv")
    }
    compounds = frozenset(_data_lines("compound_surnames.txt"))
    common = [
        word for line in _data_lines("common_surnames.txt") for word in line.split()
    ]
    spoken = {"".join(readings.get(s) or map(_char_pinyin, s)) for s in common}
    spoken |= {"".join(readings.get(s) or map(_char_pinyin, s)) for s in compounds}
    syllables = frozenset(
        word for line in _data_lines("pinyin_syllables.txt") for word in line.split()
    )
    return _Tables(
        protect_re=re.compile(f"([{''.join(kept)}])"),
        merges=merges,
        variants=variants,
        shapes=shapes,
        compounds=compounds,
        readings=readings,
        romanised=romanised,
        latin_surnames=frozenset(spoken | romanised.keys()),
        syllables=syllables,
    )


@cache
def _converter() -> Any:
    """The OpenCC traditional-to-simplified converter."""
    import opencc

    return opencc.OpenCC("t2s")


@cache
def _lazy_pinyin() -> Any:
    """pypinyin's ``lazy_pinyin``, imported on first use (the import takes 0.2 s)."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin


def _char_pinyin(char: str) -> str:
    """The default toneless reading of one Han character (itself when unknown)."""
    reading = _PINYIN_CACHE.get(char)
    if reading is None:
        from pypinyin import Style

        readings = _lazy_pinyin()(char, style=Style.NORMAL, errors="default")
        reading = _PINYIN_CACHE[char] = "".join(readings) or char
    return reading


@cache
def _latin_letter(char: str) -> str:
    """A Latin letter as a lower-case ASCII letter (ü as v, accents dropped)."""
    lower = char.lower()
    decomposed = unicodedata.normalize("NFKD", lower)
    if decomposed.startswith("u\u0308"):  # ü, and ǖ ǘ ǚ ǜ with their tone marks
        return "v"
    return "".join(c for c in decomposed if "a" <= c <= "z")


@lru_cache(maxsize=65_536)
def _syllabify(word: str) -> tuple[str, ...]:
    """Split a romanised word into the fewest pinyin syllables; else the whole word."""
    syllables = _tables().syllables
    best: list[tuple[str, ...] | None] = [()] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            before = best[start]
            if before is None or word[start:end] not in syllables:
                continue
            candidate = (*before, word[start:end])
            current = best[end]
            if current is None or len(candidate) < len(current):
                best[end] = candidate
    found = best[len(word)]
    return found if found else (word,)


def _is_han(char: str) -> bool:
    """Whether a character is a CJK ideograph (〇 included)."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x323AF
        or 0xF900 <= code <= 0xFAFF
        or code == 0x3007
    )


def _is_latin(char: str) -> bool:
    """Whether a character is a Latin letter."""
    code = ord(char)
    if code < 0x80:
        return "a" <= char <= "z" or "A" <= char <= "Z"
    return (0xC0 <= code <= 0x24F or 0x1E00 <= code <= 0x1EFF) and char.isalpha()


def _as_text(raw: object) -> str | None:
    """The value as text, or ``None`` when it is missing (None, NaN, pandas NA)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    if isinstance(raw, float) and math.isnan(raw):
        return None
    if type(raw).__name__ in {"NAType", "NaTType"}:
        return None
    if isinstance(raw, bytes | bytearray):
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(raw).decode("gb18030", errors="replace")
    return str(raw)


def _tidy(text: str, flags: set[str]) -> str:
    """Rewrite characters, then fix spaces and separators (after NFKC)."""
    tidy = text.translate(_TRANSLATION)
    if len(tidy) != len(text):
        flags.add("name_invisible")
    if _SEPARATOR_FORMS_RE.search(text):
        flags.add("name_separator_variant")
    if "," in tidy:
        tidy = tidy.replace(",", " ")
    tidy = " ".join(tidy.split())
    if " " in tidy:
        joined = _SPACE_IN_HAN_RE.sub("", tidy)
        if joined != tidy:
            flags.add("name_inner_space")
            tidy = joined
    if SEPARATOR in tidy:
        tidy = _SEPARATOR_RUN_RE.sub(SEPARATOR, tidy).strip(SEPARATOR)
    return tidy


def _simplify(text: str, tables: _Tables) -> str:
    """OpenCC ``t2s``, leaving the characters it would merge or misread unchanged."""
    convert = _converter().convert
    if not tables.protect_re.search(text):
        return str(convert(text))
    pieces = tables.protect_re.split(text)
    return "".join(
        piece if index % 2 else str(convert(piece))
        for index, piece in enumerate(pieces)
    )


def _script(clean: str) -> str:
    """Classify the letters of a clean name by script."""
    if _HAN_ONLY_RE.fullmatch(clean):
        return "han" if _HAN_RE.search(clean) else "other"
    han = latin = other = False
    for char in clean:
        if _is_han(char):
            han = True
        elif _is_latin(char):
            latin = True
        elif char.isalpha():
            other = True
    if han:
        return "mixed" if latin or other else "han"
    if latin:
        return "mixed" if other else "latin"
    return "other" if clean else "empty"


def _units(text: str) -> list[str]:
    """The pinyin syllables of a piece of a clean name, in order.

    Han characters take their default reading; runs of Latin letters are split into
    pinyin syllables; wildcards become ``?``; spaces and separators are dropped; any
    other character stands for itself.
    """
    if _HAN_ONLY_RE.fullmatch(text):
        cache = _PINYIN_CACHE
        return [
            "?" if char in _WILDCARDS else cache.get(char) or _char_pinyin(char)
            for char in text.replace(SEPARATOR, "")
        ]
    units: list[str] = []
    run: list[str] = []
    for char in text:
        if _is_latin(char):
            run.append(_latin_letter(char))
            continue
        if run:
            units.extend(_syllabify("".join(run)))
            run.clear()
        if _is_han(char):
            units.append(_char_pinyin(char))
        elif char in _WILDCARDS:
            units.append("?")
        elif char not in {" ", SEPARATOR}:
            units.append(char)
    if run:
        units.extend(_syllabify("".join(run)))
    return [unit for unit in units if unit]


def _split_surname(clean: str, tables: _Tables) -> tuple[str, str]:
    """Split a Han or mixed clean name into surname and given name."""
    if SEPARATOR in clean:
        return "", clean
    if _is_latin(clean[0]):
        end = 1
        while end < len(clean) and _is_latin(clean[end]):
            end += 1
        return clean[:end], clean[end:]
    if len(clean) >= 3 and clean[:2] in tables.compounds:
        return clean[:2], clean[2:]
    return clean[0], clean[1:]


def _unmask_mou(clean: str, tables: _Tables) -> str:
    """A name whose given name is only 某 (王某, 欧阳某某), with wildcards for it.

    Exports that hide personal data write the surname and 某 ("a certain") for each
    hidden character. 某 inside a real given name (王某明) is left as written.
    """
    if SEPARATOR in clean:
        return clean
    surname, given = _split_surname(clean, tables)
    if given and given.strip(_MOU) == "":
        return surname + "*" * len(given)
    return clean


def _without_first(clean: str, tables: _Tables) -> str:
    """A four-character name without its first character (陈方安生 -> 方安生).

    Also a five-character name whose last four start with a compound surname
    (陈欧阳娜娜 -> 欧阳娜娜); never a name that itself starts with a compound surname.
    """
    if len(clean) == 4 and clean[:2] not in tables.compounds:
        return clean[1:]
    if len(clean) == 5 and clean[1:3] in tables.compounds:
        return clean[1:]
    return ""


@dataclass(frozen=True, slots=True)
class _Reading:
    """The script-dependent features of a name."""

    surname: str
    given_name: str
    pinyin: str
    pinyin_surname: str
    pinyin_given: str
    initials: str
    romanised: str
    romanised_variants: tuple[str, ...] = ()
    without_first: str = ""


def _read_han(clean: str, script: str, tables: _Tables) -> _Reading:
    """Surname, pinyin and initials of a Han or mixed-script name."""
    surname, given = _split_surname(clean, tables)
    surname_units = list(tables.readings.get(surname, ())) or _units(surname)
    given_units = _units(given)
    pinyin_surname = "".join(surname_units)
    pinyin_given = "".join(given_units)
    pinyin = pinyin_surname + pinyin_given
    plain = script == "han" and SEPARATOR not in clean
    return _Reading(
        surname=surname,
        given_name=given,
        pinyin=pinyin,
        pinyin_surname=pinyin_surname,
        pinyin_given=pinyin_given,
        initials="".join(unit[0] for unit in surname_units + given_units),
        romanised=pinyin,
        without_first=_without_first(clean, tables) if plain else "",
    )


def _latin_words(text: str) -> tuple[list[str], bool]:
    """The words of a romanised name, and whether a comma marked the first as surname.

    The words keep their case, which :func:`_surname_index` uses.
    """
    if "," in text:
        before, after = text.split(",", 1)
        words = _LATIN_WORD_RE.findall(before)
        return words + _LATIN_WORD_RE.findall(after), len(words) == 1
    return _LATIN_WORD_RE.findall(text), False


def _surname_index(
    words: list[str], lowered: list[str], marked: bool, tables: _Tables
) -> int | None:
    """Which word of a romanised name is the surname, if it can be told."""
    if len(words) < 2:
        return None
    if marked:
        return 0
    capitals = [i for i, word in enumerate(words) if len(word) > 1 and word.isupper()]
    if len(capitals) == 1:
        return capitals[0]
    if lowered[0] in tables.latin_surnames:
        return 0
    if lowered[-1] in tables.latin_surnames:
        return len(words) - 1
    return None


def _read_latin(clean: str, text: str, tables: _Tables) -> _Reading:
    """Surname, romanised form and Mandarin candidates of a Latin-script name."""
    words, marked = _latin_words(text)
    lowered = ["".join(map(_latin_letter, word)) for word in words]
    index = _surname_index(words, lowered, marked, tables)
    if index is None and len(lowered) > 1:
        index = 0  # Chinese order when nothing tells otherwise
    surname = lowered[index] if index is not None else ""
    given = [word for i, word in enumerate(lowered) if i != index and word]
    given_letters = "".join(given)
    candidates = tables.romanised.get(surname, ())
    variants = tuple(f"{c}{given_letters}" for c in candidates if c != surname)
    pinyin = "".join(
        _latin_letter(c) or ("?" if c in _WILDCARDS else "") for c in clean
    )
    if surname + given_letters not in {pinyin, *variants}:
        # Written given name first (Mingtao HUANGFU): the surname-first form is
        # what a Han name's pinyin reads.
        variants += (surname + given_letters,)
    units = [u for word in (surname, *given) if word for u in _syllabify(word)]
    return _Reading(
        surname=surname,
        given_name=" ".join(given),
        pinyin=pinyin,
        pinyin_surname=surname,
        pinyin_given=given_letters,
        initials="".join(unit[0] for unit in units),
        romanised=surname + given_letters,
        romanised_variants=variants,
    )


def _read_other(clean: str) -> _Reading:
    """The features of a name in neither Han nor Latin script."""
    units = _units(clean)
    pinyin = "".join(units)
    return _Reading(
        surname="",
        given_name=clean,
        pinyin=pinyin,
        pinyin_surname="",
        pinyin_given=pinyin,
        initials="".join(unit[0] for unit in units),
        romanised=pinyin,
    )


def _empty(raw: str, flags: set[str]) -> Name:
    """The standardised form of a missing or blank name."""
    flags.add("name_empty")
    return Name(
        raw=raw,
        clean="",
        simplified_raw="",
        script="empty",
        surname="",
        given_name="",
        no_separator="",
        parts=(),
        pinyin="",
        pinyin_surname="",
        pinyin_given="",
        initials="",
        shape_key="",
        sorted_chars="",
        romanised="",
        romanised_variants=(),
        has_wildcard=False,
        without_first="",
        flags=_ordered(flags),
    )


def _ordered(flags: set[str]) -> tuple[str, ...]:
    """Flags in the order of :data:`NAME_FLAGS`."""
    if not flags:
        return ()
    return tuple(flag for flag in NAME_FLAGS if flag in flags)


def _clean_forms(text: str, flags: set[str]) -> tuple[str, str, str]:
    """The tidied text (case kept), the ``simplified_raw`` form and the clean form."""
    nfkc = unicodedata.normalize("NFKC", text)
    tidy = _tidy(nfkc, flags)
    if tidy.isascii():
        lower = tidy.lower()
        return tidy, lower, lower

    tables = _tables()
    simplified = _simplify(tidy, tables)
    # Again, as removing a character or lower-casing can leave a combinable sequence.
    simplified_raw = unicodedata.normalize("NFKC", simplified.lower())
    merged = simplified_raw.translate(tables.merges)
    if simplified != tidy or merged != simplified_raw:
        flags.add("name_traditional")
    clean = merged.translate(tables.variants)
    if clean != merged:
        flags.add("name_variant")
    return tidy, simplified_raw, clean


def _space_romanised(clean: str) -> str:
    """A romanised name with spaces in place of separators.

    In romanised names hyphens and dots join syllables (Tai-man) or follow initials
    (J. Li); they do not split a name into parts.
    """
    spaced = " ".join(clean.replace(SEPARATOR, " ").split())
    return _SPACE_IN_HAN_RE.sub("", spaced)


def _script_flags(clean: str, script: str, flags: set[str]) -> None:
    """Add the flags that depend on the script and on special characters."""
    if script == "latin":
        flags.add("name_latin")
        flags.discard("name_separator_variant")  # hyphens are usual in romanised names
    elif script == "mixed":
        flags.add("name_mixed_script")
    elif script == "other":
        flags.add("name_other_script")
    if not clean.isascii() and _PRIVATE_USE_RE.search(clean):
        flags.add("name_private_use")


def standardise_name(raw: object) -> Name:
    """Standardise one personal name for comparison.

    Never raises: any value is turned into text first, and a missing value (``None``,
    NaN, pandas ``NA``, blank text) gives a name of script ``"empty"`` with the flag
    ``name_empty``. Standardising a clean form gives the same clean form again.

    Args:
        raw: The name as the registry holds it.

    Returns:
        The standardised :class:`Name`.

    Examples:
        >>> standardise_name("張偉").clean
        '张伟'
        >>> standardise_name("单田芳").pinyin
        'shantianfang'
    """
    text = _as_text(raw)
    flags: set[str] = set()
    if text is None:
        return _empty("", flags)
    if _FULLWIDTH_RE.search(text):
        flags.add("name_fullwidth")
    tidy, simplified_raw, clean = _clean_forms(text, flags)
    if not clean:
        return _empty(text, flags)

    tables = _tables()
    script = _script(clean)
    if script == "han" and _MOU in clean:
        clean = _unmask_mou(clean, tables)
    if script == "latin" and SEPARATOR in clean:
        clean = simplified_raw = _space_romanised(clean)
    _script_flags(clean, script, flags)
    if script in {"han", "mixed"}:
        reading = _read_han(clean, script, tables)
    elif script == "latin":
        reading = _read_latin(clean, tidy, tables)
    else:
        reading = _read_other(clean)

    has_wildcard = not _WILDCARDS.isdisjoint(clean)
    if has_wildcard:
        flags.add("name_wildcard")
    no_separator = clean.replace(SEPARATOR, "")
    return Name(
        raw=text,
        clean=clean,
        simplified_raw=simplified_raw,
        script=script,
        surname=reading.surname,
        given_name=reading.given_name,
        no_separator=no_separator,
        parts=tuple(clean.split(SEPARATOR)),
        pinyin=reading.pinyin,
        pinyin_surname=reading.pinyin_surname,
        pinyin_given=reading.pinyin_given,
        initials=reading.initials,
        shape_key=clean.translate(tables.shapes),
        sorted_chars="".join(sorted(no_separator.replace(" ", ""))),
        romanised=reading.romanised,
        romanised_variants=reading.romanised_variants,
        has_wildcard=has_wildcard,
        without_first=reading.without_first,
        flags=_ordered(flags),
    )


def name_pinyin(text: str) -> str:
    """The toneless pinyin of a name, as :attr:`Name.pinyin`.

    Args:
        text: A personal name in any form :func:`standardise_name` accepts.

    Returns:
        Lower-case pinyin without spaces, the surname read as a surname.
    """
    return standardise_name(text).pinyin


def wildcard_match(pattern: str, name: str) -> bool:
    """Whether two clean names agree, a wildcard on either side matching one character.

    ``?`` and ``*`` (and their full-width forms) each stand for exactly one unknown
    character, as legacy systems write a character they cannot encode.

    Args:
        pattern: A clean name, usually one with wildcards (``王?``).
        name: Another clean name (``王芳``).

    Returns:
        True when both have the same length and agree at every position that holds
        no wildcard.
    """
    if len(pattern) != len(name):
        return False
    return all(
        a == b or a in _WILDCARD_INPUTS or b in _WILDCARD_INPUTS
        for a, b in zip(pattern, name, strict=True)
    )
