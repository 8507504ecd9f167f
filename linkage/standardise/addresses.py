"""Addresses split into region codes and a normalised, tokenised remainder.

:func:`parse_address` matches the province, prefecture and county names at the head of
an address against the embedded GB/T 2260 table (:mod:`linkage.regions`), in full
(广西壮族自治区, 延边朝鲜族自治州) and short forms (广西, 延边, 延边州). A name
that several regions share (朝阳区 in Beijing and Changchun, 鼓楼区 in five cities) is
resolved by the regions named before it, else by a prior region such as the one in the
person's ID number, else left at the level all candidates agree on and flagged. Names
in force in 2024 win over abolished ones, but abolished names still resolve. Below the
county no dictionary helps: the remainder is normalised (号/號, 栋/幢/座, full-width
digits) and :func:`address_tokens` cuts it into road, number, building, unit and room
tokens.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from linkage.regions import all_regions

__all__ = ["ADDRESS_FLAGS", "AddressRegion", "address_tokens", "parse_address"]

ADDRESS_FLAGS: tuple[str, ...] = (
    "address_missing",
    "address_unmatched",
    "address_ambiguous",
)
"""Every flag :func:`parse_address` can raise."""

_PROVINCE, _PREFECTURE, _COUNTY = 1, 2, 3
_LEVELS = {"province": _PROVINCE, "prefecture": _PREFECTURE, "county": _COUNTY}
_FULL, _ALIAS, _SHORT = 0, 1, 2  # how a name was written, most trusted first

# Placeholder prefecture names under which the table files municipal districts and
# directly administered counties; they name no place and may appear in addresses.
_PLACEHOLDERS = ("省直辖县级行政区划", "自治区直辖县级行政区划", "市辖区", "直辖县")
_PLACEHOLDER_STARTS = frozenset(p[0] for p in _PLACEHOLDERS)

_ETHNIC_GROUPS = (
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
)
# How the groups appear inside place names: 朝鲜族, or bare for names such as 哈萨克.
_ETHNIC_WRITTEN = tuple(
    sorted(
        [group + "族" for group in _ETHNIC_GROUPS]
        + [group for group in _ETHNIC_GROUPS if len(group) >= 2],
        key=len,
        reverse=True,
    )
)

# Generic suffixes, longest first; stripping one gives a short form (朝阳区 -> 朝阳).
_AUTONOMOUS_SUFFIXES = ("自治区", "自治州", "自治县", "自治旗")
_SUFFIXES = (
    "特别行政区",
    "工农区",
    "工矿区",
    "新区",
    "矿区",
    "林区",
    "特区",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
)
_COMPOUND_DISTRICT_SUFFIXES = frozenset(
    {"工农区", "工矿区", "新区", "矿区", "林区", "特区"}
)
_ALIAS_SUFFIX = {"自治州": "州", "自治县": "县", "自治旗": "旗"}

# Short forms too generic to stand for one place (市中区 -> 市中, 城关区 -> 城关).
_GENERIC_SHORT_FORMS = frozenset(
    {"市中", "城中", "城东", "城西", "城南", "城北", "城关", "市区", "郊区", "中心"}
)

# Official names so generic that they count only after the city they belong to.
_NEEDS_CONTEXT = frozenset({"郊区", "城区", "矿区", "新区", "市区", "市中区"})

# A bare short form followed by one of these is the start of a street or building
# name (湖南路, 中山公园, 新城花园), not a region.
_STREET_AHEAD = re.compile(
    r"大道|大街|大厦|大学|花园|小区|社区|广场|公园|新村|胡同|中路|东路|西路|南路|北路"
    r"|医院|学校|中学|小学|宾馆|酒店|[路街道巷弄里村镇乡号苑庄屯组栋楼门桥]"
)

_MISSING_TEXT = frozenset(
    {"", "nan", "none", "null", "na", "n/a", "-", "--", "无", "不详", "未知"}
)
_COUNTRY_PREFIX = re.compile(r"(?:中华人民共和国|中国)|\d{6}(?=\D)")
_DROPPED = re.compile(r"[\s,，、;；:：]+")
_DETAIL_CHARS = str.maketrans(
    {"號": "号", "幢": "栋", "棟": "栋", "座": "栋", "樓": "楼", "單": "单", "層": "层"}
)


@dataclass(frozen=True, slots=True)
class AddressRegion:
    """The regions an address names, and what follows them.

    Attributes:
        raw: The value as given, as text ("" for None).
        province_code: Six-digit code of the province (``xx0000``), or None.
        prefecture_code: Six-digit code of the prefecture (``xxxx00``; for municipal
            districts the GB/T 2260 ``xx0100`` code), or None.
        county_code: Six-digit code of the county-level region, or None.
        detail: The remainder after the region names, normalised: whitespace and commas
            removed, full-width characters folded, letters upper-cased, 號 -> 号,
            幢/棟/座 -> 栋.
        flags: Zero or more of :data:`ADDRESS_FLAGS`.
    """

    raw: str
    province_code: str | None
    prefecture_code: str | None
    county_code: str | None
    detail: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Candidate:
    code: str
    level: int
    last_year: int
    form: int


@dataclass(frozen=True, slots=True)
class _Index:
    names: dict[str, tuple[_Candidate, ...]]
    lengths: dict[str, tuple[int, ...]]  # by first character, longest first
    latest_year: int


def parse_address(raw: object, *, prior_region: str | None = None) -> AddressRegion:
    """Find the province, prefecture and county an address names.

    Args:
        raw: The address text, or None/NaN.
        prior_region: A region code known from elsewhere (the first six digits of the
            ID number, the registry's own region), used only to choose between regions
            that share a name.

    Returns:
        The codes at every level the address settles and the normalised remainder.
        An address naming no known region has ``address_unmatched`` and its whole text
        as ``detail``; a shared name that neither earlier names nor the prior settle has
        ``address_ambiguous`` and only the levels its candidates agree on.

    Examples:
        >>> parse_address("北京市朝阳区建国路88号").county_code
        '110105'
        >>> parse_address("朝阳区建国路88号", prior_region="220104").county_code
        '220104'
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return AddressRegion("", None, None, None, "", ("address_missing",))
    prior = _prior_prefix(prior_region)
    return _parse_text(str(raw), prior)


def address_tokens(detail: str) -> tuple[str, ...]:
    """Cut an address remainder into tokens that can be compared between records.

    Chinese numerals before a unit become digits (三号楼 -> 3栋), 号楼 and ``#楼``
    become 栋, and dash runs are read as building-unit-room (``3-2-501`` -> 3栋,
    2单元, 501室). A bare number after a road is its house number; a bare number
    ending the address after a building or unit is the room.

    Args:
        detail: The ``detail`` of an :class:`AddressRegion`, or any address text.

    Returns:
        Road and place names (建国路, 幸福小区) and numbered tokens (88号, 3栋, 2单元,
        501室), in the order they appear.

    Examples:
        >>> address_tokens("建国路88號3幢2单元501")
        ('建国路', '88号', '3栋', '2单元', '501室')
    """
    text = _normalise_detail(unicodedata.normalize("NFKC", detail))
    text = _CHINESE_NUMERAL.sub(_chinese_numeral_to_digits, text)
    for pattern, replacement in _TOKEN_REWRITES:
        text = pattern.sub(replacement, text)
    return tuple(_label_tokens(list(_raw_tokens(text))))


# --- parsing ------------------------------------------------------------------------


def _prior_prefix(prior_region: str | None) -> str:
    if not prior_region:
        return ""
    digits = str(prior_region).strip()[:6]
    return digits if digits.isdigit() else ""


@lru_cache(maxsize=1 << 18)
def _parse_text(raw: str, prior: str) -> AddressRegion:
    text = _DROPPED.sub("", unicodedata.normalize("NFKC", raw))
    if text.lower() in _MISSING_TEXT:
        return AddressRegion(raw, None, None, None, "", ("address_missing",))
    text = text.translate(_DETAIL_CHARS)
    head = _COUNTRY_PREFIX.match(text)
    if head:
        text = text[head.end() :]

    match = _match_regions(text, prior)
    flags = match.flags if match.end else ("address_unmatched",)
    detail = _normalise_detail(text[match.end :])
    return AddressRegion(
        raw,
        _at_level(match.code, _PROVINCE),
        _at_level(match.code, _PREFECTURE),
        _at_level(match.code, _COUNTY),
        detail,
        flags,
    )


def _normalise_detail(text: str) -> str:
    return _DROPPED.sub("", text).translate(_DETAIL_CHARS).upper()


def _at_level(code: str, level: int) -> str | None:
    """The ancestor (or self) at ``level`` of a 2-, 4- or 6-digit code, in 6 digits."""
    digits = 2 * level
    if len(code) < digits:
        return None
    return code[:digits].ljust(6, "0")


@dataclass(frozen=True, slots=True)
class _Match:
    code: str  # the settled prefix: 2, 4 or 6 digits, "" when nothing matched
    end: int
    flags: tuple[str, ...]


def _match_regions(text: str, prior: str) -> _Match:
    index = _index()
    code, level, pos = "", 0, 0
    while level < _COUNTY:
        pos = _skip_placeholders(text, pos)
        step = _next_name(index, text, pos, code, level)
        if step is None:
            break
        length, candidates = step
        pos += length
        if not candidates:
            continue
        chosen = _resolve(candidates, prior, index.latest_year)
        if len(chosen) > 1:
            return _Match(_common_prefix(chosen, code), pos, ("address_ambiguous",))
        code, level = _settled_prefix(chosen[0]), chosen[0].level
    return _Match(code, pos, ())


def _skip_placeholders(text: str, pos: int) -> int:
    if pos >= len(text) or text[pos] not in _PLACEHOLDER_STARTS:
        return pos
    for placeholder in _PLACEHOLDERS:
        if text.startswith(placeholder, pos):
            return pos + len(placeholder)
    return pos


def _next_name(
    index: _Index, text: str, pos: int, code: str, level: int
) -> tuple[int, tuple[_Candidate, ...]] | None:
    """The longest region name at ``pos`` below what is already settled.

    Returns its length and the regions it may name; no regions means the name repeats
    one already settled (北京市北京市朝阳区) and is only to be skipped.
    """
    if pos >= len(text):
        return None
    for length in index.lengths.get(text[pos], ()):
        written = text[pos : pos + length]
        candidates = index.names.get(written)
        if candidates is None or (not code and written in _NEEDS_CONTEXT):
            continue
        if _STREET_AHEAD.match(text, pos + length):
            candidates = tuple(c for c in candidates if c.form != _SHORT)
        deeper = tuple(
            c for c in candidates if c.level > level and c.code.startswith(code)
        )
        if deeper:
            return length + _changed_suffix(text, pos + length, deeper), deeper
        if any(c.code == _at_level(code, c.level) for c in candidates):
            return length, ()
    return None


def _changed_suffix(text: str, end: int, candidates: tuple[_Candidate, ...]) -> int:
    """1 when a short form has another suffix than its region (兴城县 as 兴城市)."""
    # Counties are turned into cities and districts (撤县设市, 撤县设区) and people
    # keep writing the old suffix, or the new one against an old table.
    changed = end < len(text) and text[end] in "市县区旗"
    return int(changed and all(c.form == _SHORT for c in candidates))


def _resolve(
    candidates: tuple[_Candidate, ...], prior: str, latest_year: int
) -> tuple[_Candidate, ...]:
    """Narrow the regions sharing a name, most decisive evidence first."""
    if len(candidates) == 1:
        return candidates
    best_form = min(c.form for c in candidates)
    chosen = tuple(c for c in candidates if c.form == best_form)
    if prior and len(chosen) > 1:
        shared = {c.code: _shared_digits(c.code, prior) for c in chosen}
        most = max(shared.values())
        if most > 0:
            chosen = tuple(c for c in chosen if shared[c.code] == most)
    current = tuple(c for c in chosen if c.last_year >= latest_year)
    chosen = current or _latest_if_same_province(chosen)
    return _shallowest_if_containing(chosen)


def _latest_if_same_province(
    candidates: tuple[_Candidate, ...],
) -> tuple[_Candidate, ...]:
    # Abolished codes sharing a name inside one province are, in practice, one place
    # re-coded when its prefecture changed (武鸣县: 452122, then 450122).
    if len({c.code[:2] for c in candidates}) == 1:
        return (max(candidates, key=lambda c: c.last_year),)
    return candidates


def _shallowest_if_containing(
    candidates: tuple[_Candidate, ...],
) -> tuple[_Candidate, ...]:
    # A short form naming a province and a city in it (吉林) means the province, and
    # one naming a province and places elsewhere (海南) means the province too. A city
    # and an unrelated district (朝阳: 朝阳市 in Liaoning, 朝阳区 in Beijing) stay
    # ambiguous.
    top = min(c.level for c in candidates)
    shallowest = tuple(c for c in candidates if c.level == top)
    if top == _PROVINCE or len(shallowest) == len(candidates):
        return shallowest
    prefixes = {_settled_prefix(c) for c in shallowest}
    if all(c.code[: 2 * top] in prefixes for c in candidates):
        return shallowest
    return candidates


def _shared_digits(code: str, prior: str) -> int:
    shared = 0
    for start in (0, 2, 4):
        if code[start : start + 2] != prior[start : start + 2]:
            break
        shared += 2
    return shared


def _settled_prefix(candidate: _Candidate) -> str:
    return candidate.code[: 2 * candidate.level]


def _common_prefix(candidates: tuple[_Candidate, ...], settled: str) -> str:
    for digits in (4, 2):
        prefixes = {c.code[:digits] for c in candidates}
        if len(prefixes) == 1 and all(c.level * 2 >= digits for c in candidates):
            return prefixes.pop()
    return settled


# --- the name index -----------------------------------------------------------------


@cache
def _index() -> _Index:
    merged: dict[tuple[str, str], _Candidate] = {}
    for region in all_regions():
        level = _LEVELS[region.level]
        name = (region.province, region.prefecture, region.county)[level - 1]
        if len(name) < 2 or name in _PLACEHOLDERS:
            continue
        for written, form in _written_forms(name):
            key = (written, region.code)
            previous = merged.get(key)
            merged[key] = _Candidate(
                region.code,
                level,
                max(region.last_year, previous.last_year if previous else 0),
                min(form, previous.form if previous else form),
            )

    names: dict[str, list[_Candidate]] = {}
    for (written, _), candidate in merged.items():
        names.setdefault(written, []).append(candidate)
    lengths: dict[str, set[int]] = {}
    for written in names:
        lengths.setdefault(written[0], set()).add(len(written))
    return _Index(
        names={name: tuple(group) for name, group in names.items()},
        lengths={c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()},
        latest_year=max(region.last_year for region in all_regions()),
    )


def _written_forms(name: str) -> Iterator[tuple[str, int]]:
    """The official name, aliases such as 延边州, and bare short forms such as 延边."""
    yield name, _FULL
    for short, alias_suffix in _short_forms(name):
        if len(short) < 2 or short in _GENERIC_SHORT_FORMS or short == name:
            continue
        yield short, _SHORT
        if alias_suffix:
            yield short + alias_suffix, _ALIAS


def _short_forms(name: str) -> Iterable[tuple[str, str]]:
    for suffix in _AUTONOMOUS_SUFFIXES:
        if name.endswith(suffix):
            stem = _strip_ethnic_groups(name[: -len(suffix)])
            return [(stem, _ALIAS_SUFFIX.get(suffix, ""))]
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stems = [name[: -len(suffix)]]
            if suffix in _COMPOUND_DISTRICT_SUFFIXES:
                stems.append(name[:-1])  # 清新区 is 清新, not 清 of a 新区
            if stems[0].endswith("族"):
                stems.append(_strip_ethnic_groups(stems[0]))  # 向阳回族区 -> 向阳
            return [(stem, "") for stem in stems]
    return []


def _strip_ethnic_groups(stem: str) -> str:
    """Strip trailing ethnic groups (延边朝鲜族 -> 延边), never below two characters."""
    stripped = True
    while stripped:
        stripped = False
        for written in _ETHNIC_WRITTEN:
            if stem.endswith(written) and len(stem) - len(written) >= 2:
                stem = stem[: -len(written)]
                stripped = True
                break
    if stem.endswith("族") and stem[:-1] in _ETHNIC_WRITTEN:
        return stem[:-1]  # 东乡族自治县 -> 东乡
    return stem


# --- tokens -------------------------------------------------------------------------

_CHINESE_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = "号|栋|单元|楼|层|室|户|组|弄|巷|排|门|期|区"
_CHINESE_NUMERAL = re.compile(rf"[零〇一二两三四五六七八九十百]+(?=(?:{_UNITS}))")
_TOKEN_REWRITES = (
    (re.compile(r"第(?=[0-9A-Z])"), ""),
    (re.compile(r"号楼|#楼"), "栋"),
    (re.compile(r"号院"), "号"),
    (re.compile(r"#"), "号"),
)
_PLACE_END = (
    "大道|大街|胡同|街道|社区|小区|花园|大厦|广场|公寓|新村|家园|"
    "路|街|巷|弄|里|村|苑|镇|乡|道|院"
)
_TOKEN = re.compile(
    rf"(?P<numbered>[0-9A-Z]+(?:-[0-9A-Z]+)*(?:{_UNITS}))"
    r"|(?P<run>\d+(?:-\d+)+)"
    r"|(?P<bare>[0-9A-Z]+)"
    rf"|(?P<place>[\u3400-\u9fff]+?(?:{_PLACE_END})(?!{_PLACE_END}))"
    r"|(?P<other>[\u3400-\u9fff]+)"
)
_ROAD_END = re.compile(r"(?:大道|大街|胡同|路|街|巷|弄)$")
_UNIT_AT_END = re.compile(rf"(?:{_UNITS})$")
_RUN_UNITS = {2: ("栋", "室"), 3: ("栋", "单元", "室"), 4: ("号", "栋", "单元", "室")}


def _chinese_numeral_to_digits(match: re.Match[str]) -> str:
    text = match.group()
    if "十" not in text and "百" not in text:
        return "".join(str(_CHINESE_DIGITS[c]) for c in text)
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CHINESE_DIGITS[char]
    return str(total + current)


def _raw_tokens(text: str) -> Iterator[tuple[str, str]]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        yield kind, match.group()


def _label_tokens(tokens: list[tuple[str, str]]) -> Iterator[str]:
    previous = ""
    for position, (kind, token) in enumerate(tokens):
        if kind == "run":
            parts = token.split("-")
            units = _RUN_UNITS.get(len(parts), ("",) * len(parts))
            yield from (part + unit for part, unit in zip(parts, units, strict=True))
        elif kind == "bare":
            yield token + _bare_unit(previous, is_last=position == len(tokens) - 1)
        elif kind != "other" or len(token) >= 2:
            yield token
        previous = _token_role(kind, token)


def _token_role(kind: str, token: str) -> str:
    if kind == "place":
        return "road" if _ROAD_END.search(token) else "place"
    unit = _UNIT_AT_END.search(token) if kind == "numbered" else None
    return unit.group() if unit else kind


def _bare_unit(previous: str, *, is_last: bool) -> str:
    if previous == "road":
        return "号"  # 建国路88
    if is_last and previous in {"号", "栋", "单元", "楼"}:
        return "室"  # 3栋2单元501
    return ""
