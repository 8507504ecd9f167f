"""Addresses: region codes from the names at their head, and tokens of the rest."""

from __future__ import annotations

import pytest

from linkage.standardise.addresses import (
    ADDRESS_FLAGS,
    AddressRegion,
    address_tokens,
    parse_address,
)


def codes(address: AddressRegion) -> tuple[str | None, str | None, str | None]:
    return address.province_code, address.prefecture_code, address.county_code


def test_full_province_and_district_give_all_three_codes() -> None:
    address = parse_address("北京市朝阳区建国路88号")

    assert codes(address) == ("110000", "110100", "110105")
    assert address.detail == "建国路88号"
    assert address.flags == ()


def test_shared_district_name_follows_the_id_region_prior() -> None:
    changchun = parse_address("朝阳区建国路88号", prior_region="22010419850307123X")
    beijing = parse_address("朝阳区建国路88号", prior_region="110101")

    assert changchun.county_code == "220104"
    assert beijing.county_code == "110105"


def test_shared_district_name_without_prior_is_ambiguous_not_guessed() -> None:
    address = parse_address("朝阳区建国路88号")

    assert codes(address) == (None, None, None)
    assert address.flags == ("address_ambiguous",)
    assert address.detail == "建国路88号"


def test_prior_sharing_nothing_with_the_candidates_does_not_decide() -> None:
    address = parse_address("朝阳区建国路88号", prior_region="440305")

    assert address.flags == ("address_ambiguous",)


def test_earlier_names_in_the_text_beat_the_prior() -> None:
    address = parse_address("吉林省长春市朝阳区人民大街1号", prior_region="110101")

    assert codes(address) == ("220000", "220100", "220104")
    assert address.detail == "人民大街1号"


def test_ambiguity_below_a_named_province_keeps_the_province() -> None:
    address = parse_address("江苏省鼓楼区中山路1号")

    assert codes(address) == ("320000", None, None)
    assert address.flags == ("address_ambiguous",)


def test_province_alone_settles_a_name_shared_across_provinces() -> None:
    assert parse_address("福建鼓楼区").county_code == "350102"
    assert parse_address("广东南山区").county_code == "440305"


@pytest.mark.parametrize(
    ("raw", "county", "detail"),
    [
        ("广西壮族自治区南宁市青秀区民族大道100号", "450103", "民族大道100号"),
        ("新疆乌鲁木齐市天山区解放北路1号", "650102", "解放北路1号"),
        ("新疆维吾尔自治区乌鲁木齐市天山区", "650102", ""),
        ("广东深圳南山区科技园", "440305", "科技园"),
        ("延边朝鲜族自治州延吉市", "222401", ""),
        ("吉林延边州延吉市", "222401", ""),
        ("内蒙古鄂温克族自治旗", "150724", ""),
        ("上海浦东张江", "310115", "张江"),
        ("上海市市辖区浦东新区", "310115", ""),
        ("北京市北京市东城区", "110101", ""),
        ("中国北京市东城区", "110101", ""),
        ("湖北省仙桃市", "429004", ""),
        ("浙江义乌稠城街道", "330782", "稠城街道"),
        ("山西省阳泉市城区", "140302", ""),
    ],
)
def test_full_and_short_region_names(raw: str, county: str, detail: str) -> None:
    address = parse_address(raw)

    assert (address.county_code, address.detail, address.flags) == (county, detail, ())


def test_province_short_form_that_is_also_a_city_means_the_province() -> None:
    assert codes(parse_address("吉林")) == ("220000", None, None)
    assert codes(parse_address("吉林吉林市")) == ("220000", "220200", None)


def test_abolished_district_still_resolves() -> None:
    assert parse_address("北京市崇文区").county_code == "110103"


def test_current_code_wins_over_an_abolished_one_of_the_same_name() -> None:
    assert parse_address("广西南宁市武鸣区").county_code == "450110"


def test_abolished_county_recoded_within_its_province_takes_its_last_code() -> None:
    assert parse_address("广西武鸣县").county_code == "450122"


def test_short_form_with_another_suffix_matches_and_consumes_it() -> None:
    address = parse_address("辽宁省锦州市兴城市人民路")

    assert address.county_code == "210722"
    assert address.detail == "人民路"


def test_short_form_starting_a_street_name_is_not_a_region() -> None:
    assert parse_address("湖南路12号").flags == ("address_unmatched",)
    assert parse_address("新城花园5栋").flags == ("address_unmatched",)
    assert parse_address("西安市新城花园").county_code is None


def test_detail_unifies_traditional_characters_and_full_width_digits() -> None:
    address = parse_address("北京市海淀区中关村大街２７號　Ａ座")

    assert address.detail == "中关村大街27号A栋"


def test_foreign_address_is_unmatched_with_its_text_as_detail() -> None:
    address = parse_address("123 Main Street, New York, USA")

    assert codes(address) == (None, None, None)
    assert address.flags == ("address_unmatched",)
    assert address.detail == "123MAINSTREETNEWYORKUSA"


@pytest.mark.parametrize("raw", [None, "", "  ", float("nan"), "不详"])
def test_blank_address_is_missing(raw: object) -> None:
    address = parse_address(raw)

    assert codes(address) == (None, None, None)
    assert address.flags == ("address_missing",)


def test_flags_are_declared() -> None:
    for raw in ["朝阳区", "Paris", None, "北京市朝阳区"]:
        assert set(parse_address(raw).flags) <= set(ADDRESS_FLAGS)


def test_every_current_county_resolves_from_its_full_name() -> None:
    from linkage.regions import current_counties

    placeholders = {"市辖区", "县", "直辖县"}
    for region in current_counties():
        prefecture = "" if region.prefecture in placeholders else region.prefecture
        text = region.province + prefecture + region.county + "人民路1号"
        address = parse_address(text)
        assert (address.county_code, address.detail) == (region.code, "人民路1号")


@pytest.mark.parametrize(
    ("detail", "tokens"),
    [
        ("建国路88号", ("建国路", "88号")),
        ("建国路88號3幢2单元501", ("建国路", "88号", "3栋", "2单元", "501室")),
        ("建国路88", ("建国路", "88号")),
        ("幸福小区3-2-501", ("幸福小区", "3栋", "2单元", "501室")),
        ("三号楼二单元五零一室", ("3栋", "2单元", "501室")),
        ("88号院3号楼2单元501", ("88号", "3栋", "2单元", "501室")),
        ("3#楼201", ("3栋", "201室")),
        ("人民路一百零五号", ("人民路", "105号")),
        ("中关村大街27号", ("中关村大街", "27号")),
        ("建国门外街道建国路88号", ("建国门外街道", "建国路", "88号")),
        ("第三单元", ("3单元",)),
        ("", ()),
    ],
)
def test_address_tokens(detail: str, tokens: tuple[str, ...]) -> None:
    assert address_tokens(detail) == tokens


def test_building_written_three_ways_gives_the_same_tokens() -> None:
    forms = ["建国路88号5栋", "建国路88号5幢", "建国路88号5号楼", "建国路88號5座"]

    assert {address_tokens(parse_address(f).detail) for f in forms} == {
        ("建国路", "88号", "5栋")
    }


def test_generic_district_name_counts_only_after_its_city() -> None:
    assert parse_address("新区大道8号").flags == ("address_unmatched",)
    assert parse_address("河北省唐山市新区").county_code == "130206"
