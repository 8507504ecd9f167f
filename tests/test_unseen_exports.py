"""The batch run on registry extracts written unlike the synthetic generator's.

A small person maker of its own (names, regions, resident ID numbers with their
check character) writes four extracts the way other offices export them: their own
column headers, compact, Chinese, dotted and Excel-serial dates, sex as codes, words
or letters, ID numbers with lower-case ``x``, spaces, full-width digits, 15-digit and
masked forms, traditional characters, minority-name separators, stray spaces, ``+86``
phones, cells written as Excel text formulas (``="..."``), GB18030, a BOM, UTF-16
tab-separated text, CRLF line ends, unnamed trailing columns and blank trailing rows,
plus a few homophone and one-digit ID typos. It shares no code with
``evaluation.synth``, so that the engine is measured on habits its own generator does
not have.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from unseen import Measured, SourceEntry, check_character, measure, project_file

PERSONS = 300
SEED = 20261204
REGIONS = Path(__file__).resolve().parents[1] / "linkage" / "data" / "regions.csv"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_COMPOUND = ("欧阳", "司马", "诸葛", "上官")
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉春海燕晨宇浩然"
_MINORITY = (
    "阿依古丽·买买提",
    "热依拉·艾力",
    "古丽娜尔·吐尔逊",
    "艾尔肯·阿不都",
    "迪丽娜尔·热合曼",
    "买买提江·吾斯曼",
)
_TRADITIONAL = dict(
    zip(
        "张刘陈杨黄赵吴马孙郑谢韩冯邓伟丽军涛霞刚华国红春海燕浩兰艳杰娟",
        "張劉陳楊黃趙吳馬孫鄭謝韓馮鄧偉麗軍濤霞剛華國紅春海燕浩蘭艷傑娟",
        strict=True,
    )
)
_HOMOPHONES = dict(zip("伟芳丽明华军静杰", "玮方莉铭桦君靜洁", strict=True))
_MOBILE_PREFIXES = ("130", "135", "138", "139", "150", "158", "177", "186", "189")
_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    sex: str
    birth: dt.date
    region: str
    sequence: int
    phone: str

    @property
    def id_number(self) -> str:
        body = f"{self.region}{self.birth:%Y%m%d}{self.sequence:03d}"
        return body + check_character(body)

    @property
    def old_id_number(self) -> str:
        return f"{self.region}{self.birth:%y%m%d}{self.sequence:03d}"


@cache
def _county_codes() -> tuple[str, ...]:
    with REGIONS.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return tuple(
            row["code"]
            for row in rows
            if row["level"] == "county"
            and int(row["first_year"]) <= 1980
            and int(row["last_year"]) == 2024
        )


def make_person(rng: random.Random, number: int) -> Person:
    sex = rng.choice("MF")
    if rng.random() < 0.05:
        name = rng.choice(_MINORITY)
    else:
        surname = (
            rng.choice(_COMPOUND) if rng.random() < 0.03 else rng.choice(_SURNAMES)
        )
        name = surname + "".join(rng.sample(_GIVEN, rng.choice((1, 2, 2))))
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(70 * 365))
    sequence = rng.randrange(500) * 2 + (1 if sex == "M" else 0)
    phone = rng.choice(_MOBILE_PREFIXES) + "".join(rng.choices("0123456789", k=8))
    region = rng.choice(_county_codes())
    return Person(f"P{number:04d}", name, sex, birth, region, sequence, phone)


# How each office spells a person's fields --------------------------------------


def _name_variant(rng: random.Random, name: str) -> str:
    draw = rng.random()
    if draw < 0.08:
        return "".join(_TRADITIONAL.get(char, char) for char in name)
    if draw < 0.12 and "·" in name:
        return name.replace("·", rng.choice(("•", "・", ".", "")))
    if draw < 0.16 and len(name) > 1:
        return f" {name[0]} {name[1:]} "
    if draw < 0.19:
        for plain, homophone in _HOMOPHONES.items():
            if plain in name[1:]:
                return name[0] + name[1:].replace(plain, homophone, 1)
    return name


def _id_variant(rng: random.Random, person: Person) -> str:
    number = person.id_number
    draw = rng.random()
    if draw < 0.05:
        return number.lower() if number.endswith("X") else number.translate(_FULL_WIDTH)
    if draw < 0.10:
        return f"{number[:6]} {number[6:14]} {number[14:]}"
    if draw < 0.14:
        return number.translate(_FULL_WIDTH)
    if draw < 0.18 and person.birth.year < 2000:
        return person.old_id_number
    if draw < 0.22:
        return number[:4] + "*" * 10 + number[14:]
    if draw < 0.25:
        position = rng.randrange(17)
        wrong = rng.choice([d for d in "0123456789" if d != number[position]])
        return number[:position] + wrong + number[position + 1 :]
    return number


def _excel_serial(day: dt.date) -> str:
    return str((day - dt.date(1899, 12, 30)).days)


@dataclass(frozen=True)
class Office:
    """One registry's export habits."""

    name: str
    kind: str
    file: str
    encoding: str
    newline: str
    header: dict[str, str]
    share: float
    date: Callable[[random.Random, dt.date], str]
    sex: Callable[[str], str]
    phone: Callable[[random.Random, str], str]
    blank_tail: int = 0
    empty_cells_tail: bool = False
    """Whether the blank trailing rows hold empty cells (``,,,,``), as Excel writes."""
    excel_text: tuple[str, ...] = ()
    """Fields written as Excel text formulas, ``="..."``, to keep leading zeros."""
    unnamed_tail: int = 0
    """Empty, unnamed columns after the last, as spreadsheets leave them."""
    delimiter: str = ","


OFFICES = (
    Office(
        name="huji",
        kind="household_registration",
        file="户籍人口.csv",
        encoding="gb18030",
        newline="\r\n",
        header={
            "record_id": "人员编号",
            "name": "姓名",
            "id_number": "公民身份号码",
            "sex": "性别代码",
            "birth_date": "出生日期",
            "phone": "联系电话",
        },
        share=0.95,
        date=lambda rng, day: f"{day:%Y%m%d}",
        sex=lambda sex: "1" if sex == "M" else "2",
        phone=lambda rng, phone: phone if rng.random() < 0.5 else "",
        excel_text=("id_number", "phone"),
    ),
    Office(
        name="yanglao",
        kind="pension_enrollment",
        file="养老参保.csv",
        encoding="utf-8-sig",
        newline="\n",
        header={
            "record_id": "参保编号",
            "name": "参保人姓名",
            "id_number": "证件号码",
            "sex": "性别",
            "birth_date": "出生年月日",
            "phone": "手机号码",
        },
        share=0.7,
        date=lambda rng, day: (
            f"{day.year}年{day.month}月{day.day}日"
            if rng.random() < 0.7
            else f"{day.year} 年 {day.month} 月 {day.day} 日"
        ),
        sex=lambda sex: "男性" if sex == "M" else "女性",
        phone=lambda rng, phone: f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}",
    ),
    Office(
        name="yibao",
        kind="medical_enrollment",
        file="yibao_export.txt",
        encoding="utf-16",
        newline="\r\n",
        header={
            "record_id": "GRBH",
            "name": "XM",
            "id_number": "SFZHM",
            "sex": "XB",
            "birth_date": "CSRQ",
            "phone": "LXDH",
        },
        share=0.6,
        date=lambda rng, day: rng.choice(
            (f"{day.year}.{day.month}.{day.day}", _excel_serial(day), f"{day:%Y%m%d}.0")
        ),
        sex=lambda sex: sex,
        phone=lambda rng, phone: f"0086-{phone}" if rng.random() < 0.5 else phone,
        blank_tail=3,
        unnamed_tail=2,
        delimiter="\t",
    ),
    Office(
        name="minzheng",
        kind="low_income_assistance",
        file="低保对象.csv",
        encoding="gb18030",
        newline="\n",
        header={
            "record_id": "档案号",
            "name": "户主姓名",
            "id_number": "身份证号",
            "sex": "性别",
            "birth_date": "出生日期",
        },
        share=0.25,
        date=lambda rng, day: f"{day.year}年{day.month}月{day.day}日 00:00:00",
        sex=lambda sex: "1-男" if sex == "M" else "2-女",
        phone=lambda rng, phone: "",
        blank_tail=2,
        empty_cells_tail=True,
    ),
)


def write_registries(folder: Path) -> dict[tuple[str, str], str]:
    """Write the extracts and project.toml; return the truth by (source, record)."""
    rng = random.Random(SEED)
    persons = [make_person(rng, number) for number in range(PERSONS)]
    truth: dict[tuple[str, str], str] = {}
    for office in OFFICES:
        rows = []
        for person in persons:
            if rng.random() >= office.share:
                continue
            record_id = f"{office.name[:2].upper()}{len(rows) + 1:05d}"
            truth[(office.name, record_id)] = person.key
            values = {
                "record_id": record_id,
                "name": _name_variant(rng, person.name),
                "id_number": _id_variant(rng, person),
                "sex": office.sex(person.sex),
                "birth_date": office.date(rng, person.birth),
                "phone": office.phone(rng, person.phone),
            }
            for field in office.excel_text:
                if values[field] and rng.random() < 0.5:
                    values[field] = f'="{values[field]}"'
            unnamed = [""] * office.unnamed_tail
            rows.append([*(values[field] for field in office.header), *unnamed])
        rng.shuffle(rows)
        header = [*office.header.values(), *[""] * office.unnamed_tail]
        join = office.delimiter.join
        lines = [join(header), *(join(row) for row in rows)]
        blank = join([""] * len(header)) if office.empty_cells_tail else ""
        lines += [blank] * office.blank_tail
        text = office.newline.join(lines) + office.newline
        (folder / office.file).write_bytes(text.encode(office.encoding))
    (folder / "project.toml").write_text(_project_file(), encoding="utf-8")
    return truth


def _project_file() -> str:
    return project_file(
        "unseen-exports",
        [
            SourceEntry(
                office.name,
                office.kind,
                office.file,
                office.header,
                ('encoding = "auto"', f"delimiter = {json.dumps(office.delimiter)}"),
            )
            for office in OFFICES
        ],
    )


# The run and its measurements ---------------------------------------------------

BLANK_CELL_ROWS = 2
"""The ``,,,,`` rows after the last record of the civil-affairs extract: rejected,
one by one, as rows without a record id."""

UNEXPECTED_FLAGS = {
    "date_unparsed",
    "date_impossible",
    "id_malformed",
    "id_unrecoverable",
    "id_wrong_length",
    "id_bad_date",
    "id_birth_mismatch",
    "id_sex_mismatch",
    "phone_unknown_prefix",
    "phone_scientific_notation",
}
"""Quality flags no record of these extracts deserves: every date, ID and phone in
them was written in a form a registry really uses."""


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    folder = tmp_path_factory.mktemp("unseen")
    truth = write_registries(folder)
    return measure(folder / "project.toml", truth)


def test_every_unseen_record_is_clustered_exactly_once(measured: Measured) -> None:
    keys = [(row["source"], row["record_id"]) for row in measured.clusters]

    assert len(keys) == len(set(keys)) == len(measured.truth)
    assert set(keys) == set(measured.truth)
    assert measured.metrics.missing_records == 0
    assert measured.run.records_in == len(measured.truth) + BLANK_CELL_ROWS
    assert measured.run.records_in == len(measured.clusters) + len(measured.rejects)


def test_only_the_blank_cell_rows_are_rejected(measured: Measured) -> None:
    assert [(row["source"], row["reason"]) for row in measured.rejects] == [
        ("minzheng", "no record id")
    ] * BLANK_CELL_ROWS


def test_every_date_id_and_phone_form_is_understood(measured: Measured) -> None:
    assert UNEXPECTED_FLAGS.isdisjoint(measured.flags), measured.flags


def test_links_unseen_exports_accurately(measured: Measured) -> None:
    assert measured.metrics.pairwise_precision >= 0.99
    assert measured.metrics.pairwise_recall >= 0.98
    assert measured.metrics.bcubed_recall >= 0.98
