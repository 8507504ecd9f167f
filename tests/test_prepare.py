"""Standardisation inside the store: derived columns and quality flags per record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from linkage.errors import ProjectError
from linkage.load import load_project as load_into_store
from linkage.prepare import FLAG_REASONS, standardise_store
from linkage.project import load_project
from linkage.standardise.dates import DATE_FLAGS
from linkage.standardise.ids import ID_FLAGS
from linkage.standardise.names import NAME_FLAGS
from linkage.standardise.phones import PHONE_FLAGS
from linkage.store import Store

HEADER = "编号,姓名,身份证号,性别,出生日期,死亡日期,电话,地址\n"
ROWS = [
    # an upgraded 15-digit number, traditional characters
    "1,張偉,130503670401001,男,1967-04-01,,13812345678,河北省邢台市桥西区中兴路1号",
    # the same person's 18-digit number with one digit wrong: a unique repair
    "2,张伟,130503196704010026,1,19670401,,,",
    # born after death, wildcard in the name, invalid phone
    "3,王?,110105198503070027,女,1985年3月7日,1980-01-01,12345,",
    # nothing to link on
    "4,,,,,,,",
    # ID whose encoded birth date contradicts the record's own (an infant on a
    # mother's number)
    "5,李小宝,110105198503070027,男,2024-05-01,,,",
]
FIELDS = {
    "record_id": "编号",
    "name": "姓名",
    "id_number": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "death_date": "死亡日期",
    "phone": "电话",
    "address": "地址",
}


@pytest.fixture
def store(write_project, tmp_path: Path):
    path = write_project(HEADER + "\n".join(ROWS) + "\n", fields=FIELDS)
    project = load_project(path)
    with Store(tmp_path / "store.duckdb") as opened:
        load_into_store(project, opened)
        standardise_store(opened, reference_date=dt.date(2026, 11, 30))
        yield opened


def _person(store: Store, record_id: str) -> dict[str, object]:
    cursor = store.con.execute(
        "SELECT * FROM yd_persons WHERE record_id = ?", [record_id]
    )
    names = [column[0] for column in cursor.description or []]
    row = cursor.fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))


def _flags(store: Store, record_id: str) -> set[str]:
    rows = store.rows("SELECT code FROM yd_flags WHERE record_id = ?", [record_id])
    return {row[0] for row in rows}


def test_every_record_is_standardised(store: Store) -> None:
    assert store.scalar("SELECT count(*) FROM yd_persons") == len(ROWS)


def test_fifteen_digit_id_is_upgraded_and_name_simplified(store: Store) -> None:
    person = _person(store, "1")

    assert person["id_key"] == "130503196704010016"
    assert person["id_class"] == "upgraded_15"
    assert person["name_clean"] == "张伟"
    assert person["name_pinyin"] == "zhangwei"
    assert person["sex"] == "M"
    assert person["phone_key"] == "+8613812345678"
    assert person["address_county"] == "130503"


def test_unique_repair_restores_the_original_number(store: Store) -> None:
    person = _person(store, "2")

    assert person["id_class"] == "checksum_error"
    assert person["id_key"] == "130503196704010016"
    assert person["id_repaired"] is True
    assert person["birth_date"] == dt.date(1967, 4, 1)


def test_impossible_dates_wildcards_and_bad_phones_are_flagged(store: Store) -> None:
    flags = _flags(store, "3")

    assert {"born_after_death", "name_wildcard", "phone_invalid"} <= flags


def test_a_record_with_nothing_to_link_on_is_kept_and_flagged(store: Store) -> None:
    assert _flags(store, "4") == {"too_little_to_link"}


def test_an_id_that_contradicts_the_record_marks_a_conflict(store: Store) -> None:
    person = _person(store, "5")

    assert person["id_conflict"] is True
    assert person["birth_date"] == dt.date(2024, 5, 1)
    assert "id_birth_mismatch" in _flags(store, "5")
    # The number is someone else's, and so is the region it encodes; a record whose
    # number is its own takes its region from it.
    assert person["region_code"] is None
    assert _person(store, "3")["region_code"] == "110105"


def test_every_flag_has_a_readable_reason(store: Store) -> None:
    codes = {row[0] for row in store.rows("SELECT DISTINCT code FROM yd_flags")}
    reasons = dict(store.rows("SELECT DISTINCT code, reason FROM yd_flags"))

    assert all(reasons[code] != code for code in codes)
    for code in [*ID_FLAGS, *NAME_FLAGS, *DATE_FLAGS, *PHONE_FLAGS]:
        assert code in FLAG_REASONS, code


def test_another_document_scheme_is_compared_as_plain_text(
    write_project, tmp_path: Path
) -> None:
    text = "rec_id,surname,given_name,soc_sec_id,postcode\n"
    text += "rec-1-org,neumann,michaela, 1234-567 ,2262\nrec-2-org,,,,\n"
    fields = {
        "record_id": "rec_id",
        "surname": "surname",
        "given_name": "given_name",
        "id_number": "soc_sec_id",
        "region_code": "postcode",
    }
    path = write_project(text, fields=fields, extra_toml='id_scheme = "other"')
    project = load_project(path)

    with Store(tmp_path / "other.duckdb") as opened:
        load_into_store(project, opened)
        standardise_store(opened, reference_date=dt.date(2026, 11, 30))
        row = opened.rows(
            "SELECT id_class, id_key, name_raw, name_pinyin, region_code "
            "FROM yd_persons WHERE record_id = 'rec-1-org'"
        )[0]
        empty = opened.rows(
            "SELECT id_class FROM yd_persons WHERE record_id = 'rec-2-org'"
        )[0]

    assert row == ("other", "1234567", "neumann michaela", "neumannmichaela", "2262")
    assert empty == ("missing",)


def test_unknown_id_scheme_is_a_project_problem(write_project) -> None:
    path = write_project(HEADER + ROWS[0] + "\n", extra_toml='id_scheme = "ssn"')

    with pytest.raises(ProjectError, match="unknown id_scheme 'ssn'"):
        load_project(path)


def test_a_shared_district_name_is_settled_by_each_records_own_id(
    write_project, tmp_path: Path
) -> None:
    # 朝阳区 is a district of Beijing and of Changchun: the same text settles on each
    # record's own ID region, and stays ambiguous for a record without an ID.
    text = HEADER + "\n".join(
        [
            "1,张伟,110105198503070027,女,,,,朝阳区建国路88号",
            "2,李娜,220104198503070026,女,,,,朝阳区建国路88号",
            "3,王芳,,女,,,,朝阳区建国路88号",
        ]
    )
    project = load_project(write_project(text + "\n", fields=FIELDS))
    with Store(tmp_path / "ambiguous.duckdb") as store:
        load_into_store(project, store)
        standardise_store(store, reference_date=dt.date(2026, 11, 30))
        counties = {
            record_id: _person(store, record_id)["address_county"]
            for record_id in ("1", "2", "3")
        }
        assert "address_ambiguous" in _flags(store, "3")
        assert "address_ambiguous" not in _flags(store, "1")

    assert counties == {"1": "110105", "2": "220104", "3": None}
