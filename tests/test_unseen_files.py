"""The batch run on extracts in the file formats and registry kinds people really use.

Twelve registries, one of every source kind the project file knows, written as XLSX,
Parquet and CSV the way offices export them: a workbook whose list sits on its second
sheet under a merged title line and a blank row, with real date cells, phones as
numbers, ID numbers as text formulas with no stored value, a hidden column and empty
formatted rows at the end; a workbook where some
ID numbers were typed into numeric cells (and lost their last digits to Excel's
doubles); Parquet files with int64 ID numbers, date32 birth dates, integer sex codes
and booleans; a GB18030 CSV with a title line; a birth register whose children carry
no ID number; employees listed by their employer. The persons come from the person
maker of ``test_unseen_exports``; the run uses the shipped model.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_unseen_exports import Person, _id_variant, _name_variant, make_person
from unseen import Measured, SourceEntry, Truth, measure, project_file

from linkage.schema import SourceKind

PERSONS = 240
SEED = 20261205

Values = dict[str, object]
"""One record as the cells an office writes: column name -> typed value."""


@dataclass(frozen=True)
class Registry:
    """One extract: its kind, its file, who is in it and how each cell is written."""

    name: str
    kind: str
    file: str
    fields: dict[str, str]
    """Canonical field -> column name."""
    takes: Callable[[Person], bool]
    share: float
    cells: Callable[[random.Random, Person], dict[str, object]]
    """Canonical field -> the typed value the office writes."""
    settings: str = ""
    """Extra TOML lines for the source (sheet, header_row...)."""


def _sex_code(person: Person) -> int:
    return 1 if person.sex == "M" else 2


def _sex_word(person: Person) -> str:
    return "男" if person.sex == "M" else "女"


def _adult(person: Person) -> bool:
    return person.birth.year <= 2000


def _anyone(person: Person) -> bool:
    return True


def _no_x(person: Person) -> bool:
    # An int64 column cannot hold a number ending in X: such a registry has none.
    return not person.id_number.endswith("X")


REGISTRIES = (
    Registry(
        name="hukou",
        kind="household_registration",
        file="户籍人口.xlsx",
        fields={
            "record_id": "人员编号",
            "name": "姓名",
            "id_number": "公民身份号码",
            "sex": "性别",
            "birth_date": "出生日期",
            "phone": "联系电话",
        },
        takes=_anyone,
        share=0.95,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "sex": _sex_word(p),
            "birth_date": dt.datetime.combine(p.birth, dt.time()),
            "phone": int(p.phone) if rng.random() < 0.6 else None,
        },
        settings='sheet = "户籍人口"\nheader_row = 3',
    ),
    Registry(
        name="yanglao",
        kind="pension_enrollment",
        file="养老参保.xlsx",
        fields={
            "record_id": "参保编号",
            "name": "参保人姓名",
            "id_number": "证件号码",
            "sex": "性别代码",
            "birth_date": "出生日期",
        },
        takes=_adult,
        share=0.7,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "sex": _sex_code(p),
            "birth_date": p.birth,
        },
    ),
    Registry(
        name="yibao",
        kind="medical_enrollment",
        file="yibao.parquet",
        fields={
            "record_id": "grbh",
            "name": "xm",
            "id_number": "sfzhm",
            "sex": "xb",
            "birth_date": "csrq",
            "phone": "lxdh",
            "status": "zt",
        },
        takes=_anyone,
        share=0.6,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "sex": _sex_code(p),
            "birth_date": p.birth,
            "phone": int(p.phone),
            "status": rng.random() < 0.9,
        },
    ),
    Registry(
        name="shuiwu",
        kind="tax",
        file="个税.parquet",
        fields={
            "record_id": "纳税人识别号",
            "name": "纳税人姓名",
            "id_number": "身份证件号码",
            "birth_date": "出生日期",
        },
        takes=lambda p: _adult(p) and _no_x(p),
        share=0.4,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": int(p.id_number),
            "birth_date": p.birth,
        },
    ),
    Registry(
        name="dibao",
        kind="low_income_assistance",
        file="低保对象.csv",
        fields={
            "record_id": "档案号",
            "name": "姓名",
            "id_number": "身份证号",
            "sex": "性别",
            "birth_date": "出生日期",
        },
        takes=_anyone,
        share=0.15,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "sex": _sex_word(p),
            "birth_date": f"{p.birth:%Y-%m-%d}",
        },
        settings="header_row = 2",
    ),
    Registry(
        name="siwang",
        kind="death_register",
        file="死亡登记.csv",
        fields={
            "record_id": "登记号",
            "name": "死者姓名",
            "id_number": "身份证号码",
            "sex": "性别",
            "death_date": "死亡日期",
        },
        takes=lambda p: p.birth.year < 1960,
        share=0.2,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "sex": _sex_word(p),
            "death_date": "2025-06-01",
        },
    ),
    Registry(
        name="jianyu",
        kind="prison",
        file="在押人员.xlsx",
        fields={
            "record_id": "编号",
            "name": "姓名",
            "id_number": "身份证号",
            "birth_date": "出生日期",
        },
        takes=_adult,
        share=0.05,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "birth_date": int(f"{p.birth:%Y%m%d}"),
        },
    ),
    Registry(
        name="canlian",
        kind="disability",
        file="残疾人.csv",
        fields={
            "record_id": "残疾人证号",
            "name": "姓名",
            "id_number": "身份证号",
            "sex": "性别",
        },
        takes=_anyone,
        share=0.1,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "sex": _sex_word(p),
        },
    ),
    Registry(
        name="xueji",
        kind="school_roll",
        file="学籍.parquet",
        fields={
            "record_id": "学籍号",
            "name": "学生姓名",
            "id_number": "身份证号",
            "sex": "性别",
            "birth_date": "出生日期",
        },
        takes=lambda p: p.birth.year >= 2000,
        share=0.9,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "sex": _sex_word(p),
            "birth_date": dt.datetime.combine(p.birth, dt.time()),
        },
    ),
    Registry(
        name="danwei",
        kind="employer_registration",
        file="单位职工.parquet",
        fields={
            "record_id": "职工编号",
            "name": "职工姓名",
            "id_number": "证件号码",
            "employer_credit_code": "统一社会信用代码",
            "employer_name": "单位名称",
        },
        takes=_adult,
        share=0.3,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "employer_credit_code": "91110000600037341L",
            "employer_name": "某某有限公司",
        },
    ),
    Registry(
        name="qita",
        kind="other",
        file="其他.csv",
        fields={
            "record_id": "序号",
            "name": "姓名",
            "id_number": "证件号",
            "phone": "手机",
        },
        takes=_anyone,
        share=0.1,
        cells=lambda rng, p: {
            "name": p.name,
            "id_number": p.id_number,
            "phone": p.phone,
        },
    ),
)

NOISY = frozenset({"hukou", "dibao", "xueji", "qita"})
"""Registries whose names and ID numbers carry the error forms of
``test_unseen_exports`` (traditional characters, homophones, full-width, 15-digit,
masked and mistyped numbers)."""

BIRTHS = 12
"""Children on the birth register: a name, a date and a sex, no ID number of their
own; the mother is described by ``mother_*`` fields."""

LOST_IDS = 15
"""Pension rows whose ID number was typed into a numeric Excel cell."""


def write_registries(folder: Path) -> tuple[dict[tuple[str, str], str], set[str]]:
    """Write every extract and project.toml.

    Returns:
        The truth by (source, record id), and the pension record ids whose ID
        number lost its digits in Excel.
    """
    rng = random.Random(SEED)
    persons = [make_person(rng, number) for number in range(PERSONS)]
    truth: dict[tuple[str, str], str] = {}
    lost: set[str] = set()
    for registry in REGISTRIES:
        rows: list[Values] = []
        for person in persons:
            if not registry.takes(person) or rng.random() >= registry.share:
                continue
            record_id = f"{registry.name[:2].upper()}{len(rows) + 1:05d}"
            cells = registry.cells(rng, person)
            if registry.name in NOISY:
                cells["name"] = _name_variant(rng, person.name)
                cells["id_number"] = _id_variant(rng, person)
            if registry.name == "hukou" and rng.random() < 0.15:
                # A text formula, as programs write it so that Excel keeps every
                # digit, with no stored value: the file was never opened in Excel.
                cells["id_number"] = f'="{cells["id_number"]}"'
            if registry.name == "yanglao" and len(lost) < LOST_IDS:
                cells["id_number"] = float(person.id_number.replace("X", "0"))
                lost.add(record_id)
            truth[(registry.name, record_id)] = person.key
            values = {"record_id": record_id, **cells}
            rows.append({registry.fields[f]: v for f, v in values.items()})
        rng.shuffle(rows)
        WRITERS[Path(registry.file).suffix](folder / registry.file, registry, rows)
    for number in range(_write_births(folder, persons, rng)):
        truth[("chusheng", f"CS{number + 1:05d}")] = f"child-{number}"
    (folder / "project.toml").write_text(_project_file(), encoding="utf-8")
    return truth, lost


def _write_xlsx(path: Path, registry: Registry, rows: list[Values]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    header = list(registry.fields.values())
    if registry.name == "hukou":
        # A notes sheet first; the list under a merged title line and a blank row.
        sheet.title = "填表说明"
        sheet.append(["本表由户籍管理系统导出，请勿修改表头"])
        sheet = book.create_sheet("户籍人口")
        sheet.append(["2024年户籍人口名单"])
        sheet.merge_cells(start_row=1, end_row=1, start_column=1, end_column=6)
        sheet.append([])
        header = [*header, "内部标识"]
    sheet.append(header)
    for row in rows:
        values = [row.get(column) for column in registry.fields.values()]
        sheet.append([*values, "内部"] if registry.name == "hukou" else values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy/m/d"
    if registry.name == "hukou":
        sheet.column_dimensions["G"].hidden = True
        for number in range(sheet.max_row + 1, sheet.max_row + 4):
            sheet.cell(row=number, column=1).number_format = "@"
    book.save(path)
    if registry.name == "yanglao":
        _spell_doubles_as_integers(path)


def _spell_doubles_as_integers(path: Path) -> None:
    """Rewrite ``<v>1.1010519850307e+17</v>`` as ``<v>110105198503070000</v>``.

    The same double, spelt as some writers (Rust's, for one) spell it: openpyxl
    then reads an int, which looks like a genuine 18-digit number.
    """

    def integer(match: re.Match[bytes]) -> bytes:
        return b"<v>%d</v>" % int(float(match[1]))

    with zipfile.ZipFile(path) as book:
        parts = {item: book.read(item.filename) for item in book.infolist()}
    with zipfile.ZipFile(path, "w") as book:
        for item, data in parts.items():
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<v>(\d\.\d+e\+17)</v>", integer, data)
            book.writestr(item, data)


def _write_parquet(path: Path, registry: Registry, rows: list[Values]) -> None:
    columns = list(registry.fields.values())
    data = {column: [row.get(column) for row in rows] for column in columns}
    types = {
        "sfzhm": pa.string(),
        "身份证件号码": pa.int64(),
        "lxdh": pa.int64(),
        "xb": pa.int8(),
        "zt": pa.bool_(),
        "csrq": pa.date32(),
        "出生日期": pa.date32(),
    }
    table = pa.table(
        {column: pa.array(values, types.get(column)) for column, values in data.items()}
    )
    pq.write_table(table, path)


def _write_csv(path: Path, registry: Registry, rows: list[Values]) -> None:
    header = list(registry.fields.values())
    lines = [",".join(header)]
    lines += [",".join(str(row.get(c, "")) for c in header) for row in rows]
    encoding = "utf-8"
    if registry.name == "dibao":
        lines.insert(0, "2024年城乡最低生活保障对象名单")
        encoding = "gb18030"
    if registry.name == "qita":
        # A row without a record id, and a record id used twice: both rejected.
        lines.append(",无编号,,")
        lines.append(lines[1])
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


WRITERS: dict[str, Callable[[Path, Registry, list[Values]], None]] = {
    ".xlsx": _write_xlsx,
    ".parquet": _write_parquet,
    ".csv": _write_csv,
}

BIRTH_FIELDS = {
    "record_id": "出生医学证明编号",
    "name": "新生儿姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "mother_name": "母亲姓名",
    "mother_id_number": "母亲身份证号",
}


def _write_births(folder: Path, persons: list[Person], rng: random.Random) -> int:
    """Write the birth register; return how many children it lists."""
    mothers = [p for p in persons if p.sex == "F"][:BIRTHS]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(BIRTH_FIELDS.values()))
    for number, mother in enumerate(mothers):
        sheet.append(
            [
                f"CS{number + 1:05d}",
                mother.name[0] + rng.choice("晨宇浩然"),
                rng.choice("男女"),
                dt.datetime(2025, 1 + number % 12, 10),
                mother.name,
                mother.id_number,
            ]
        )
    book.save(folder / "出生医学证明.xlsx")
    return len(mothers)


def _project_file() -> str:
    sources = [
        SourceEntry(r.name, r.kind, r.file, r.fields, (r.settings,)) for r in REGISTRIES
    ]
    births = SourceEntry(
        "chusheng", "birth_certificate", "出生医学证明.xlsx", BIRTH_FIELDS
    )
    return project_file("unseen-files", [*sources, births])


# The run and its measurements ---------------------------------------------------

EXPECTED_REJECTS = [("qita", "no record id"), ("qita", "record id already used")]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth, set[str]]:
    """The extracts' folder, their truth, and the records whose ID a cell lost."""
    folder = tmp_path_factory.mktemp("files")
    truth, lost = write_registries(folder)
    return folder, truth, lost


@pytest.fixture(scope="module")
def measured(written: tuple[Path, Truth, set[str]]) -> Measured:
    folder, truth, _ = written
    return measure(folder / "project.toml", truth)


def test_every_source_kind_loads_and_every_record_is_accounted_for(
    measured: Measured,
) -> None:
    keys = [(row["source"], row["record_id"]) for row in measured.clusters]
    with duckdb.connect(str(measured.store), read_only=True) as con:
        loaded = dict(con.execute("SELECT kind, records FROM yd_files").fetchall())

    assert set(loaded) == {kind.value for kind in SourceKind}
    assert all(records > 0 for records in loaded.values()), loaded
    assert len(keys) == len(set(keys))
    assert set(keys) == set(measured.truth)
    assert measured.run.records_in == len(measured.clusters) + len(measured.rejects)
    assert measured.run.records_in == len(measured.truth) + len(EXPECTED_REJECTS)


def test_only_the_bad_rows_are_rejected_with_file_and_row(measured: Measured) -> None:
    found = [(r["source"], r["reason"].split(" in row")[0]) for r in measured.rejects]

    assert found == EXPECTED_REJECTS
    assert all(
        r["file"].endswith("其他.csv") and int(r["row"]) > 1 for r in measured.rejects
    )


def test_ids_lost_in_numeric_excel_cells_are_flagged_never_keys(
    measured: Measured, written: tuple[Path, Truth, set[str]]
) -> None:
    lost = written[2]
    with duckdb.connect(str(measured.store), read_only=True) as con:
        flagged = {
            record_id
            for (record_id,) in con.execute(
                "SELECT record_id FROM yd_flags "
                "WHERE source = 'yanglao' AND code = 'id_unrecoverable'"
            ).fetchall()
        }
        keyed = con.execute(
            "SELECT count(*) FROM yd_persons WHERE source = 'yanglao' "
            "AND id_key IS NOT NULL AND list_contains(?, record_id)",
            [sorted(lost)],
        ).fetchone()

    assert flagged == lost
    assert keyed == (0,)


def test_typed_cells_are_understood(measured: Measured) -> None:
    with duckdb.connect(str(measured.store), read_only=True) as con:
        no_id = con.execute(
            "SELECT count(*) FROM yd_records "
            "WHERE source = 'hukou' AND (id_number IS NULL OR id_number LIKE '=%')"
        ).fetchone()

    assert no_id == (0,)
    for code in ("date_unparsed", "id_malformed", "id_wrong_length", "phone_invalid"):
        assert code not in measured.flags, measured.flags
    assert measured.flags.get("id_unrecoverable") == LOST_IDS


def test_links_files_of_every_kind_accurately(measured: Measured) -> None:
    assert measured.metrics.missing_records == 0
    assert measured.metrics.pairwise_precision >= 0.99
    assert measured.metrics.pairwise_recall >= 0.97
