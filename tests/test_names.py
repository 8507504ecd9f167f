"""Personal-name standardisation: the error types of DOMAIN section 4, one by one."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from importlib import resources

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.standardise import names
from linkage.standardise.names import (
    NAME_FLAGS,
    Name,
    name_pinyin,
    standardise_name,
    wildcard_match,
)


def _data_rows(file_name: str) -> list[dict[str, str]]:
    text = resources.files("linkage").joinpath(f"data/{file_name}").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


def test_public_surface_is_pinned() -> None:
    assert names.__all__ == [
        "NAME_FLAGS",
        "SEPARATOR",
        "Name",
        "name_pinyin",
        "standardise_name",
        "wildcard_match",
    ]


# Homophones and similar shapes


@pytest.mark.parametrize(("left", "right"), [("张伟", "章伟"), ("王丽", "王莉")])
def test_homophones_share_pinyin(left: str, right: str) -> None:
    a, b = standardise_name(left), standardise_name(right)
    assert a.clean != b.clean
    assert a.pinyin == b.pinyin
    assert a.initials == b.initials


def test_pinyin_is_toneless_lower_case_without_spaces() -> None:
    name = standardise_name("张伟")
    assert (name.pinyin, name.pinyin_surname, name.pinyin_given) == (
        "zhangwei",
        "zhang",
        "wei",
    )
    assert name.initials == "zw"
    assert name_pinyin("张伟") == "zhangwei"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("杨洋", "汤洋"),
        ("王未", "王末"),
        ("李己", "李已"),
        ("侯明", "候明"),
        ("徐静", "涂静"),
    ],
)
def test_similar_shapes_share_shape_key(left: str, right: str) -> None:
    a, b = standardise_name(left), standardise_name(right)
    assert a.clean != b.clean
    assert a.shape_key == b.shape_key


def test_similar_shapes_need_the_shape_key_not_pinyin() -> None:
    assert standardise_name("杨洋").pinyin != standardise_name("汤洋").pinyin


# Traditional characters and variants


def test_traditional_name_is_simplified() -> None:
    name = standardise_name("張偉")
    assert name.clean == "张伟"
    assert name.simplified_raw == "张伟"
    assert name.raw == "張偉"
    assert "name_traditional" in name.flags


def test_surname_merged_by_t2s_is_kept_in_simplified_raw() -> None:
    name = standardise_name("於梨華")
    assert name.clean == "于梨华"
    assert name.simplified_raw == "於梨华"
    assert standardise_name("于梨华").simplified_raw == "于梨华"


def test_qian_is_not_turned_into_gan() -> None:
    name = standardise_name("张乾")
    assert name.clean == "张乾"
    assert name.pinyin == "zhangqian"
    assert "name_traditional" not in name.flags


@pytest.mark.parametrize(
    ("left", "right"),
    [("阎明", "闫明"), ("萧红", "肖红"), ("张喆", "张哲"), ("王堃", "王坤")],
)
def test_variant_pairs_share_clean(left: str, right: str) -> None:
    a, b = standardise_name(left), standardise_name(right)
    assert a.clean == b.clean
    assert a.simplified_raw != b.simplified_raw


def test_ning_variant_merges_with_its_standard_form() -> None:
    assert standardise_name("甯静").clean == standardise_name("宁静").clean


def test_every_variant_row_gives_its_standard_form() -> None:
    for row in _data_rows("name_variants.csv"):
        variant = standardise_name(f"王{row['variant']}").clean
        standard = standardise_name(f"王{row['standard']}").clean
        assert variant == standard, row


def test_table_representatives_survive_t2s() -> None:
    convert = opencc.OpenCC("t2s").convert
    rows = _data_rows("name_variants.csv")
    standards = {row["standard"] for row in rows if row["kind"] == "variant"}
    shapes = "".join(row["characters"] for row in _data_rows("shape_groups.csv"))
    for char in standards | set(shapes):
        assert convert(char) == char, char


def test_shape_groups_are_disjoint_and_hold_no_variant() -> None:
    chars = "".join(row["characters"] for row in _data_rows("shape_groups.csv"))
    variants = {row["variant"] for row in _data_rows("name_variants.csv")}
    assert len(chars) == len(set(chars))
    assert not set(chars) & (variants - {"乾"})


# Encoding damage: full width, spaces, invisible characters


def test_full_width_letters_and_ideographic_space_are_normalised() -> None:
    name = standardise_name("ＬＩ\u3000Ｍｉｎｇ")
    assert name.clean == "li ming"
    assert "name_fullwidth" in name.flags


def test_ideographic_space_inside_han_name_is_removed() -> None:
    assert standardise_name("王\u3000芳").clean == "王芳"


def test_space_inside_han_name_is_removed() -> None:
    name = standardise_name("王 芳")
    assert name.clean == "王芳"
    assert "name_inner_space" in name.flags


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe00"]
)
def test_invisible_characters_are_removed(invisible: str) -> None:
    name = standardise_name(f"{invisible}王{invisible}芳{invisible}")
    assert name.clean == "王芳"
    assert "name_invisible" in name.flags


def test_no_break_space_inside_han_name_is_removed() -> None:
    assert standardise_name("王\u00a0芳").clean == "王芳"


# Minority names


SEPARATOR_FORMS = [
    "\u00b7",
    "\u30fb",
    "\u2022",
    "\uff0e",
    ".",
    "\u2027",
    "\uff65",
    "\u22c5",
    "\u2219",
    "-",
    "\u2010",
    "\u2013",
    "\u2014",
    "\uff0d",
]


def test_every_separator_form_gives_one_clean_name() -> None:
    cleans = {standardise_name(f"买买提{sep}艾力").clean for sep in SEPARATOR_FORMS}
    assert cleans == {"买买提·艾力"}


def test_gb2312_decoded_separator_matches_gbk_decoded_one() -> None:
    raw = "买买提·艾力".encode("gbk")
    assert (
        standardise_name(raw.decode("gb2312")).clean
        == standardise_name(raw.decode("gbk")).clean
    )


def test_minority_name_compares_without_separator() -> None:
    with_sep = standardise_name("买买提·艾力")
    without = standardise_name("买买提艾力")
    assert with_sep.no_separator == without.clean == "买买提艾力"
    assert with_sep.pinyin == without.pinyin


def test_minority_name_has_no_surname_split() -> None:
    name = standardise_name("买买提·艾力")
    assert (name.surname, name.given_name) == ("", "买买提·艾力")
    assert name.without_first == ""


def test_stray_and_doubled_separators_are_tidied() -> None:
    assert standardise_name("·买买提 · · 艾力·").clean == "买买提·艾力"


def test_truncated_minority_name_matches_first_part() -> None:
    full = standardise_name("阿依古丽·吐尔逊")
    truncated = standardise_name("阿依古丽")
    assert full.parts == ("阿依古丽", "吐尔逊")
    assert truncated.parts == ("阿依古丽",)
    assert full.parts[0].startswith(truncated.parts[0])


# Surnames


@pytest.mark.parametrize(
    ("raw", "surname", "given"),
    [
        ("欧阳娜娜", "欧阳", "娜娜"),
        ("司马光", "司马", "光"),
        ("诸葛亮", "诸葛", "亮"),
        ("单于华", "单于", "华"),
        ("上官婉儿", "上官", "婉儿"),
        ("王芳", "王", "芳"),
    ],
)
def test_compound_surnames_are_split(raw: str, surname: str, given: str) -> None:
    name = standardise_name(raw)
    assert (name.surname, name.given_name) == (surname, given)


def test_two_character_name_is_not_a_compound_surname() -> None:
    assert standardise_name("钟离").surname == "钟"


@pytest.mark.parametrize(
    ("raw", "pinyin_surname"),
    [
        ("单田芳", "shan"),
        ("曾国藩", "zeng"),
        ("仇英", "qiu"),
        ("区志强", "ou"),
        ("解缙", "xie"),
        ("朴树", "piao"),
        ("查良镛", "zha"),
        ("翟志刚", "zhai"),
        ("单于华", "chanyu"),
        ("万俟卨", "moqi"),
        ("尉迟恭", "yuchi"),
    ],
)
def test_surnames_take_their_surname_reading(raw: str, pinyin_surname: str) -> None:
    name = standardise_name(raw)
    assert name.pinyin_surname == pinyin_surname
    assert name.pinyin.startswith(pinyin_surname)


def test_surname_reading_applies_to_the_surname_only() -> None:
    assert standardise_name("单田芳").pinyin == "shantianfang"
    assert standardise_name("王单").pinyin == "wangdan"


def test_surname_reading_matches_a_romanised_record() -> None:
    assert (
        standardise_name("曾志伟").pinyin == standardise_name("Zeng Zhiwei").romanised
    )


# Word order and married names


def test_word_order_swap_has_same_sorted_chars() -> None:
    a, b = standardise_name("王建国"), standardise_name("王国建")
    assert a.clean != b.clean
    assert a.sorted_chars == b.sorted_chars


def test_married_name_without_husbands_surname() -> None:
    assert standardise_name("陈方安生").without_first == "方安生"
    assert standardise_name("范徐丽泰").without_first == "徐丽泰"
    assert standardise_name("陈欧阳娜娜").without_first == "欧阳娜娜"


def test_only_four_character_names_have_without_first() -> None:
    assert standardise_name("王芳").without_first == ""
    assert standardise_name("欧阳娜娜").without_first == ""


# Romanised and mixed names


def test_mainland_pinyin_name_matches_han_pinyin() -> None:
    latin = standardise_name("Li Xiaolong")
    assert latin.script == "latin"
    assert latin.romanised == "lixiaolong" == standardise_name("李小龙").pinyin
    assert latin.initials == standardise_name("李小龙").initials == "lxl"


def test_western_order_name_puts_surname_first() -> None:
    name = standardise_name("Xiaolong Li")
    assert name.romanised == "lixiaolong"
    assert name.pinyin == "xiaolongli"
    assert name.surname == "li"


def test_cantonese_spelling_has_mandarin_candidates() -> None:
    name = standardise_name("CHAN Tai Man")
    assert name.clean == "chan tai man"
    assert name.surname == "chan"
    assert name.romanised == "chantaiman"
    assert "chentaiman" in name.romanised_variants
    assert name.flags == ("name_latin",)


def test_capitalised_surname_is_found_after_the_given_name() -> None:
    name = standardise_name("Tai Man CHAN")
    assert name.romanised == "chantaiman"


def test_comma_marks_the_surname() -> None:
    name = standardise_name("Wong, Siu-ming")
    assert name.clean == "wong siu ming"
    assert name.romanised_variants == ("huangsiuming", "wangsiuming")


def test_wade_giles_spelling_has_mandarin_candidate() -> None:
    name = standardise_name("Chang Wei-kuo")
    assert name.romanised_variants == ("zhangweikuo",)
    assert name.flags == ("name_latin",)


def test_mixed_name_reads_latin_letters_as_pinyin() -> None:
    mixed = standardise_name("刘yan")
    assert mixed.script == "mixed"
    assert mixed.pinyin == "liuyan"
    assert (
        mixed.pinyin
        == standardise_name("刘䶮").pinyin
        == standardise_name("刘燕").pinyin
    )
    assert "name_mixed_script" in mixed.flags


def test_mixed_name_upper_case_and_spaces_are_normalised() -> None:
    assert standardise_name("刘 YAN").clean == "刘yan"


# Wildcards


def test_question_mark_is_a_wildcard() -> None:
    name = standardise_name("王?")
    assert name.has_wildcard
    assert "name_wildcard" in name.flags
    assert name.pinyin == "wang?"
    assert wildcard_match(name.clean, standardise_name("王芳").clean)


@pytest.mark.parametrize("raw", ["王？", "王*", "王＊", "王\u25a1"])
def test_wildcard_forms_match_any_one_character(raw: str) -> None:
    name = standardise_name(raw)
    assert name.has_wildcard
    assert wildcard_match(name.clean, "王芳")
    assert not wildcard_match(name.clean, "王小芳")


def test_wildcard_match_is_symmetric_and_exact_otherwise() -> None:
    assert wildcard_match("王芳", "王?")
    assert wildcard_match("王芳", "王芳")
    assert not wildcard_match("王芳", "李?")


# Missing and odd values


@pytest.mark.parametrize("raw", [None, math.nan, float("nan"), "", "   ", "\u200b"])
def test_missing_names_are_empty(raw: object) -> None:
    name = standardise_name(raw)
    assert name.script == "empty"
    assert name.clean == name.pinyin == ""
    assert "name_empty" in name.flags


def test_raw_value_is_kept() -> None:
    assert standardise_name(" 張 偉 ").raw == " 張 偉 "


def test_non_text_values_are_read_as_text() -> None:
    assert standardise_name(12).clean == "12"
    assert standardise_name("王芳".encode()).clean == "王芳"


def test_every_flag_is_documented() -> None:
    samples: list[object] = ["王?", "張偉", "阎明", "ＡＢ", "王\u200b芳", "王 芳"]
    samples += ["买买提・艾力", "Li Ming", "刘yan", "1234", "王\ue000", None]
    seen = {flag for raw in samples for flag in standardise_name(raw).flags}
    assert seen == set(NAME_FLAGS)


def test_importing_pypinyin_prints_and_warns_nothing() -> None:
    code = (
        "import warnings; warnings.simplefilter('error');"
        "from linkage.standardise.names import standardise_name;"
        "standardise_name('单田芳')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout == done.stderr == ""


# Properties


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_standardises_and_clean_is_a_fixed_point(text: str) -> None:
    name = standardise_name(text)
    assert isinstance(name, Name)
    assert standardise_name(name.clean).clean == name.clean


HAN_NAME = st.text(
    alphabet=st.sampled_from("王李张刘陈於張偉闫阎·? 　ａB欧阳单曾喆乾勣"), max_size=6
)


@settings(max_examples=300, deadline=None)
@given(HAN_NAME)
def test_han_like_text_keeps_clean_stable(text: str) -> None:
    name = standardise_name(text)
    again = standardise_name(name.clean)
    assert again.clean == name.clean
    assert again.pinyin == name.pinyin


def test_tone_marked_u_umlaut_reads_as_v() -> None:
    for raw in ("Lǚ Xiǎomíng", "LÜ Xiaoming", "LV Xiaoming", "Lǘ Xiaoming"):
        assert standardise_name(raw).romanised == "lvxiaoming", raw
    assert standardise_name("吕晓明").pinyin == "lvxiaoming"


def test_given_name_first_romanised_name_offers_surname_first_form() -> None:
    name = standardise_name("Mingtao HUANGFU")

    assert name.pinyin == "mingtaohuangfu"
    assert standardise_name("皇甫明涛").pinyin in name.romanised_variants
    assert standardise_name("HUANGFU Mingtao").romanised_variants == ()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("王某", "王*"), ("张某某", "张**"), ("欧阳某", "欧阳*"), ("王某明", "王某明")],
)
def test_given_name_masked_as_mou_is_a_wildcard(raw: str, clean: str) -> None:
    name = standardise_name(raw)

    assert name.clean == clean
    assert name.has_wildcard == ("*" in clean)


def test_mou_masked_name_matches_the_full_name_as_a_wildcard() -> None:
    masked = standardise_name("欧阳某").clean

    assert wildcard_match(masked, standardise_name("欧阳兰").clean)
    assert not wildcard_match(masked, standardise_name("欧阳娜娜").clean)
