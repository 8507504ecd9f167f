"""Registry extracts are read as text, in any of the encodings registries export."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage import sources
from linkage.errors import ProjectError, SourceError
from linkage.load import load_project as load_into_store
from linkage.project import Project, SourceSettings, load_project
from linkage.schema import SourceKind
from linkage.sources import Reject, Row, cell_text, open_extract, xlsx_cell_text
from linkage.store import Store

HEADER = "编号,姓名,身份证号\n"


def _rows(project_path: Path) -> list[Row | Reject]:
    return list(open_extract(load_project(project_path).sources[0]).rows)


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "gb18030"])
def test_auto_detects_utf8_bom_and_gb18030(write_project, codec: str) -> None:
    text = HEADER + "1,張偉,11010519850307001X\n"
    path = write_project(text.encode(codec))

    extract = open_extract(load_project(path).sources[0])

    assert extract.header == ["编号", "姓名", "身份证号"]
    rows = list(extract.rows)
    assert rows == [Row(2, ["1", "張偉", "11010519850307001X"])]
    assert extract.encoding == codec


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_auto_reads_excel_unicode_text_in_utf16_with_either_byte_order(
    write_project, tmp_path: Path, monkeypatch, codec: str
) -> None:
    lines = ["编号\t姓名\t身份证号", *(f"{i}\t張偉{i}\t{i:018d}" for i in range(1, 9))]
    data = "\r\n".join(lines).encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    project = load_project(
        write_project(data, file_name="export.txt", extra_toml='delimiter = "\\t"')
    )

    extract = open_extract(project.sources[0])
    fast, slow = _load_both_ways(project, tmp_path, monkeypatch)

    assert extract.encoding == "utf-16"
    assert extract.header == ["编号", "姓名", "身份证号"]
    assert fast == slow and fast[1] == []
    assert [row[3] for row in fast[0]][:2] == ["張偉1", "張偉2"]


def test_gb18030_file_declared_utf8_names_row_and_fix(write_project) -> None:
    text = "id,name,idno\n1,ab,1\n2,张伟,2\n"
    fields = {"record_id": "id", "name": "name"}
    path = write_project(text.encode("gb18030"), encoding="utf-8", fields=fields)

    with pytest.raises(ProjectError) as caught:
        load_project(path)

    message = str(caught.value)
    assert "row 3" in message and "gb18030" in message


def test_utf8_file_declared_gb18030_is_caught_not_garbled(write_project) -> None:
    path = write_project(HEADER + "1,张伟,2\n", encoding="gb18030")

    with pytest.raises(ProjectError, match="declared gb18030 but its bytes are UTF-8"):
        load_project(path)


def test_empty_file_is_a_clear_error(write_project) -> None:
    path = write_project(b"")

    with pytest.raises(ProjectError, match="the file is empty"):
        load_project(path)


def test_header_only_file_loads_no_records_and_warns(
    write_project, tmp_path: Path, caplog
) -> None:
    project = load_project(write_project(HEADER))

    with Store(tmp_path / "store.duckdb") as store:
        (summary,) = load_into_store(project, store)

    assert (summary.rows_read, summary.records, summary.rejected) == (0, 0, 0)
    assert "no data rows" in caplog.text


def test_id_numbers_stay_text_with_leading_zeros_and_x(write_project) -> None:
    path = write_project(HEADER + "007,王芳,01010519850307001x\n")

    (row,) = _rows(path)

    assert isinstance(row, Row)
    assert row.values == ["007", "王芳", "01010519850307001x"]


def test_excel_text_formula_cells_are_read_as_the_text_inside(write_project) -> None:
    body = (
        '="007",王芳,="01010519850307001X"\n'
        '"=""008""",李娜,"=""a""""b"""\n'
        '009,=张伟,x="1"\n'
    )
    path = write_project(HEADER + body)

    rows = _rows(path)

    assert [item.values for item in rows if isinstance(item, Row)] == [
        ["007", "王芳", "01010519850307001X"],
        ["008", "李娜", 'a"b'],
        ["009", "=张伟", 'x="1"'],
    ]


def test_broken_quote_rejects_one_row_and_keeps_the_rest(write_project) -> None:
    body = '1,张伟,1\n2,"王芳,2\n3,李娜,3\n4,"刘\n洋",4\n'
    path = write_project(HEADER + body)

    rows = _rows(path)

    kept = [item.values[0] for item in rows if isinstance(item, Row)]
    rejected = [item for item in rows if isinstance(item, Reject)]
    assert kept == ["1", "3", "4"]
    assert [(r.row, r.reason) for r in rejected] == [(3, "broken quote")]


def test_wrong_field_count_is_rejected_with_row_number(write_project) -> None:
    path = write_project(HEADER + "1,张伟,1\n2,王芳\n")

    rows = _rows(path)

    assert isinstance(rows[1], Reject)
    assert rows[1].row == 3
    assert "2 fields where the header has 3" in rows[1].reason


def test_cell_text_never_invents_digits() -> None:
    assert cell_text(110105198503070012) == "110105198503070012"
    assert cell_text(1.10105198503070e17) == "1.1010519850307e+17"
    assert cell_text(13812345678.0) == "13812345678"
    assert cell_text(None) == ""


def test_xlsx_is_read_as_text(write_project, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "姓名", "身份证号"])
    sheet.append([1, "张伟", "110105198503070012"])
    sheet.append([2, "王芳", 1.10105198503070e17])
    book.save(tmp_path / "hukou.xlsx")
    path = write_project("", file_name="ignored.csv")
    text = path.read_text(encoding="utf-8").replace("ignored.csv", "hukou.xlsx")
    path.write_text(text, encoding="utf-8")

    rows = _rows(path)

    assert [r.values for r in rows if isinstance(r, Row)] == [
        ["1", "张伟", "110105198503070012"],
        ["2", "王芳", "1.1010519850307e+17"],
    ]


def test_parquet_is_read_as_text(write_project, tmp_path: Path) -> None:
    table = pa.table(
        {"编号": [1, 2], "姓名": ["张伟", None], "身份证号": ["11010519850307001X", ""]}
    )
    pq.write_table(table, tmp_path / "hukou.parquet")
    path = write_project("", file_name="ignored.csv")
    text = path.read_text(encoding="utf-8").replace("ignored.csv", "hukou.parquet")
    path.write_text(text, encoding="utf-8")

    rows = _rows(path)

    assert [r.values for r in rows if isinstance(r, Row)] == [
        ["1", "张伟", "11010519850307001X"],
        ["2", "", ""],
    ]


def test_loading_accounts_for_every_row(write_project, tmp_path: Path) -> None:
    body = (
        "1,张伟,1\n"
        ",无编号,2\n"  # no record id
        "1,重复,3\n"  # duplicate record id
        '4,"断,4\n'  # broken quote
        "5,王芳,5,多余\n"  # too many fields
        "6,李娜,6\n"
    )
    path = write_project(HEADER + body)
    project = load_project(path)

    with Store(tmp_path / "store.duckdb") as store:
        (summary,) = load_into_store(project, store)
        records = store.scalar("SELECT count(*) FROM yd_records")
        reasons = store.rows("SELECT row_number, reason FROM yd_rejects ORDER BY 1")

    assert summary.rows_read == 6
    assert summary.records == records == 2
    assert summary.rejected == 4
    assert reasons == [
        (3, "no record id"),
        (4, "record id already used in row 2"),
        (5, "broken quote"),
        (6, "4 fields where the header has 3"),
    ]


def test_reloading_a_source_replaces_it(write_project, tmp_path: Path) -> None:
    project = load_project(write_project(HEADER + "1,张伟,1\n2,王芳,2\n"))

    with Store(tmp_path / "store.duckdb") as store:
        load_into_store(project, store)
        load_into_store(project, store)
        count = store.scalar("SELECT count(*) FROM yd_records")
        files = store.scalar("SELECT count(*) FROM yd_files")

    assert (count, files) == (2, 1)


def test_unmapped_columns_are_kept_as_extra(write_project, tmp_path: Path) -> None:
    path = write_project("编号,姓名,身份证号,民族\n1,张伟,1,汉族\n")
    project = load_project(path)

    with Store(tmp_path / "store.duckdb") as store:
        load_into_store(project, store)
        extra = store.scalar("SELECT extra FROM yd_records")

    assert extra == '{"民族": "汉族"}'


Rows = list[tuple[object, ...]]


def _load_both_ways(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[tuple[Rows, Rows], tuple[Rows, Rows]]:
    """(records, rejects) read by the Arrow path, then by the line parser."""

    def load(threshold: int) -> tuple[Rows, Rows]:
        monkeypatch.setattr(sources, "_FAST_FROM_LINES", threshold)
        with Store(tmp_path / f"store{threshold}.duckdb") as store:
            load_into_store(project, store)
            records = store.rows("SELECT * FROM yd_records ORDER BY row_number")
            rejects = store.rows("SELECT * FROM yd_rejects ORDER BY row_number")
        return records, rejects

    return load(0), load(10**9)


def test_long_unquoted_files_read_the_same_as_the_line_parser(
    write_project, tmp_path: Path, monkeypatch
) -> None:
    lines = [f"{i},名{i},{i:018d}" for i in range(1, 30)]
    lines[5] = "6,too,many,fields"
    lines[9] = ""
    lines[12] = ",,"
    lines[15] = "16,short"
    lines[20] = "7,duplicate id,1"
    body = HEADER + "\r\n".join(lines) + "\r\n"
    path = write_project(body)
    project = load_project(path)

    fast, slow = _load_both_ways(project, tmp_path, monkeypatch)

    assert fast == slow
    assert len(fast[0]) + len(fast[1]) == len(lines) - 1  # the blank line is no row
    assert [row[2] for row in fast[1]] == [7, 14, 17, 22]


def test_a_source_dropped_from_the_project_leaves_the_store(
    write_project, tmp_path: Path
) -> None:
    project = load_project(write_project(HEADER + "1,张伟,1\n"))
    with Store(tmp_path / "store.duckdb") as store:
        load_into_store(project, store)
        store.con.execute(
            "INSERT INTO yd_files VALUES ('old', 'tax', 'x.csv', '', 'utf-8', 1, 1, 0, "
            "1, now(), 0, 'resident')"
        )
        store.con.execute(
            "INSERT INTO yd_records (source, record_id, row_number) "
            "VALUES ('old', 'a', 2)"
        )

        load_into_store(project, store)

        sources = store.rows("SELECT DISTINCT source FROM yd_records")
        files = store.rows("SELECT source FROM yd_files")
    assert sources == files == [("hukou",)]


def test_padded_ids_and_odd_blank_lines_read_the_same_on_both_paths(
    write_project, tmp_path: Path, monkeypatch
) -> None:
    lines = [f"{i},名{i},{i:018d}" for i in range(1, 20)]
    lines[3] = " 2,padded repeat,4"
    lines[6] = "\u30007,ideographic space,7"
    lines[8] = "\x1c,control only,9"
    lines[10] = "\u3000"
    lines[12] = "\t"
    body = ("\ufeff" + HEADER + "\r\n".join(lines)).encode()
    project = load_project(write_project(b"\xef\xbb\xbf" + body))

    fast, slow = _load_both_ways(project, tmp_path, monkeypatch)

    assert fast == slow
    assert [(row[2], row[4]) for row in fast[1]] == [
        (5, "record id already used in row 3"),
        (10, "no record id"),
    ]
    assert {row[1] for row in fast[0]} >= {"7", "1"}


def test_trailing_unnamed_columns_load_on_both_paths(
    write_project, tmp_path: Path, monkeypatch
) -> None:
    lines = [f"{i},名{i},{i:018d},," for i in range(1, 6)]
    body = "编号,姓名,身份证号,,\n" + "\n".join(lines) + "\n"
    project = load_project(write_project(body))

    fast, slow = _load_both_ways(project, tmp_path, monkeypatch)

    assert fast == slow
    assert fast[1] == []
    assert [(row[1], row[3]) for row in fast[0]][:2] == [("1", "名1"), ("2", "名2")]


def test_a_named_column_twice_is_still_an_error(write_project) -> None:
    with pytest.raises(ProjectError, match="appears twice"):
        load_project(write_project("编号,姓名,身份证号,姓名\n1,张伟,1,张伟\n"))


def _source(path: Path, **settings: object) -> SourceSettings:
    fields = {"record_id": "编号", "name": "姓名", "id_number": "身份证号"}
    return SourceSettings(
        name="s",
        kind=SourceKind.OTHER,
        path=path,
        fields=fields,
        **settings,  # type: ignore[arg-type]
    )


def test_xlsx_integer_of_16_or_more_digits_is_never_taken_as_an_id(
    tmp_path: Path,
) -> None:
    # Excel keeps numbers as doubles: 110105198503070012 typed in is stored with
    # its last digits zeroed, and some writers (Rust's, for one) spell that double
    # as an integer, which openpyxl then reads as an int.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "姓名", "身份证号", "电话"])
    sheet.append([1, "张伟", 110105198503070012, 13812345678])
    sheet.append([2, "王芳", 130503670401001, 13912345678.0])
    book.save(tmp_path / "float.xlsx")
    _rewrite_sheets(
        tmp_path / "float.xlsx",
        tmp_path / "a.xlsx",
        rb"<v>1\.1010519850307e\+17</v>",
        b"<v>110105198503070000</v>",
    )

    rows = list(open_extract(_source(tmp_path / "a.xlsx")).rows)

    assert [r.values for r in rows if isinstance(r, Row)] == [
        ["1", "张伟", "1.1010519850307e+17", "13812345678"],
        ["2", "王芳", "130503670401001", "13912345678"],
    ]
    assert xlsx_cell_text(999_999_999_999_999) == "999999999999999"


def test_xlsx_dates_are_read_from_date_cells_and_date_formatted_numbers(
    tmp_path: Path,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "出生日期"])
    sheet.append([1, dt.datetime(1985, 3, 7)])
    sheet.append([2, 31113])
    sheet.cell(row=3, column=2).number_format = "yyyy/m/d"
    book.save(tmp_path / "d.xlsx")

    source = _source(tmp_path / "d.xlsx")
    source = replace(source, fields={"record_id": "编号", "birth_date": "出生日期"})
    rows = list(open_extract(source).rows)

    assert [r.values for r in rows if isinstance(r, Row)] == [
        ["1", "1985-03-07"],
        ["2", "1985-03-07"],
    ]


def test_xlsx_header_below_a_title_row_is_read_with_header_row(
    tmp_path: Path,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2024年城乡居民医保参保名单"])
    sheet.merge_cells("A1:C1")
    sheet.append([])
    sheet.append(["编号", "姓名", "身份证号"])
    sheet.append([1, "张伟", "110105198503070012"])
    sheet.append([])
    sheet.append([None, None, None])
    book.save(tmp_path / "t.xlsx")

    extract = open_extract(_source(tmp_path / "t.xlsx", header_row=3))

    assert extract.header == ["编号", "姓名", "身份证号"]
    assert [(r.number, r.values) for r in extract.rows if isinstance(r, Row)] == [
        (4, ["1", "张伟", "110105198503070012"])
    ]
    assert sources.locate_header(_source(tmp_path / "t.xlsx")) == ("Sheet", 3)


def test_xlsx_with_a_wrong_dimension_record_is_read_in_full(tmp_path: Path) -> None:
    # Some exporters write <dimension ref="A1"/> whatever the sheet holds; read-only
    # openpyxl trusts it unless told otherwise, and would read one cell.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "姓名", "身份证号"])
    sheet.append([1, "张伟", "110105198503070012"])
    book.save(tmp_path / "full.xlsx")
    _rewrite_sheets(
        tmp_path / "full.xlsx",
        tmp_path / "a1.xlsx",
        rb'<dimension ref="[^"]*"\s*/>',
        b'<dimension ref="A1"/>',
    )

    extract = open_extract(_source(tmp_path / "a1.xlsx"))

    assert extract.header == ["编号", "姓名", "身份证号"]
    assert [r.values for r in extract.rows if isinstance(r, Row)] == [
        ["1", "张伟", "110105198503070012"]
    ]


def _rewrite_sheets(
    original: Path, rewritten: Path, pattern: bytes, replacement: bytes
) -> None:
    """Copy a workbook, substituting ``pattern`` in its worksheets' XML."""
    made = 0
    with (
        zipfile.ZipFile(original) as source,
        zipfile.ZipFile(rewritten, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data, count = re.subn(pattern, replacement, data)
                made += count
            target.writestr(item, data)
    assert made, "the workbook no longer holds what the test rewrites"


def test_csv_header_below_title_lines_keeps_line_numbers(tmp_path: Path) -> None:
    text = "2024年参保名单\n\n编号,姓名,身份证号\n1,张伟,110105198503070012\n2,王芳\n"
    (tmp_path / "t.csv").write_text(text, encoding="gb18030")

    extract = open_extract(_source(tmp_path / "t.csv", header_row=3))
    rows = list(extract.rows)

    assert extract.header == ["编号", "姓名", "身份证号"]
    assert isinstance(rows[0], Row) and rows[0].number == 4
    assert isinstance(rows[1], Reject) and rows[1].row == 5


@pytest.mark.parametrize(
    ("make", "name", "expected"),
    [
        ("xlsx", "hukou.csv", "rename it to end in .xlsx"),
        ("parquet", "hukou.csv", "rename it to end in .parquet"),
        ("csv", "hukou.xlsx", "rename it to end in .csv"),
        ("xls", "hukou.xlsx", "save it as .xlsx"),
    ],
)
def test_a_file_whose_bytes_are_another_format_than_its_name_says(
    tmp_path: Path, make: str, name: str, expected: str
) -> None:
    path = tmp_path / name
    if make == "xlsx":
        book = openpyxl.Workbook()
        book.save(path)
    elif make == "parquet":
        pq.write_table(pa.table({"编号": ["1"]}), path)
    elif make == "xls":
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    else:
        path.write_text(HEADER + "1,张伟,110105198503070012\n", encoding="utf-8")

    with pytest.raises(SourceError, match=expected) as caught:
        open_extract(_source(path))

    assert name in str(caught.value)


@pytest.mark.parametrize("suffix", ["xlsx", "parquet"])
def test_a_truncated_workbook_or_parquet_file_says_export_it_again(
    tmp_path: Path, suffix: str
) -> None:
    whole = tmp_path / f"whole.{suffix}"
    if suffix == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["编号", "姓名", "身份证号"])
        book.save(whole)
    else:
        pq.write_table(pa.table({"编号": ["1"], "姓名": ["张伟"]}), whole)
    data = whole.read_bytes()
    cut = tmp_path / f"cut.{suffix}"
    cut.write_bytes(data[: len(data) // 2])

    with pytest.raises(SourceError, match="export it again") as caught:
        open_extract(_source(cut))

    assert f"cut.{suffix}" in str(caught.value)


def test_empty_and_header_only_workbooks(tmp_path: Path, caplog) -> None:
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "姓名", "身份证号"])
    book.save(tmp_path / "header.xlsx")

    with pytest.raises(SourceError, match="sheet 'Sheet' is empty"):
        open_extract(_source(tmp_path / "empty.xlsx"))
    with caplog.at_level("WARNING", logger="linkage.sources"):
        assert list(open_extract(_source(tmp_path / "header.xlsx")).rows) == []
    assert "header but no data rows" in caplog.text


def test_parquet_typed_columns_are_read_as_exact_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "编号": pa.array([1, 2], pa.int64()),
            "身份证号": pa.array([110105198503070012, None], pa.int64()),
            "出生日期": pa.array([dt.date(1985, 3, 7), None], pa.date32()),
            "性别": pa.array([1, 2], pa.int8()),
            "在册": pa.array([True, None]),
            "证号": pa.array(
                [Decimal("110105198503070012"), Decimal("1.50")], pa.decimal128(20, 2)
            ),
            "电话": pa.array([13812345678.0, float("nan")], pa.float64()),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")

    rows = list(open_extract(_source(tmp_path / "t.parquet")).rows)

    assert [r.values for r in rows if isinstance(r, Row)] == [
        [
            "1",
            "110105198503070012",
            "1985-03-07",
            "1",
            "1",
            "110105198503070012",
            "13812345678",
        ],
        ["2", "", "", "2", "", "1.50", ""],
    ]


def test_a_list_split_over_sheets_is_not_read_one_sheet_silently(
    tmp_path: Path,
) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "城关镇"
    first.append(["编号", "姓名", "身份证号"])
    first.append([1, "张伟", "110105198503070012"])
    second = book.create_sheet("东坝乡")
    second.append(["编号", "姓名", "身份证号"])
    second.append([2, "王芳", "11010519850307001X"])
    book.create_sheet("说明").append(["本表由系统导出"])
    book.save(tmp_path / "towns.xlsx")

    with pytest.raises(SourceError, match="'城关镇', '东坝乡' have the same columns"):
        open_extract(_source(tmp_path / "towns.xlsx"))
    rows = list(open_extract(_source(tmp_path / "towns.xlsx", sheet="东坝乡")).rows)
    assert [r.values for r in rows if isinstance(r, Row)] == [
        ["2", "王芳", "11010519850307001X"]
    ]


def _formula_book(tmp_path: Path, formula: str, cached: bytes | None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "姓名", "身份证号"])
    sheet.append([1, "张伟", formula])
    book.save(tmp_path / "written.xlsx")
    if cached is None:
        return tmp_path / "written.xlsx"
    # What Excel does on saving: store each formula's value beside it.
    _rewrite_sheets(
        tmp_path / "written.xlsx",
        tmp_path / "saved.xlsx",
        rb'(<c r="C2")(><f>.*?</f>)<v ?/>',
        rb'\1 t="str"\2<v>' + cached + b"</v>",
    )
    return tmp_path / "saved.xlsx"


def test_xlsx_text_formula_without_a_stored_value_is_read_as_its_text(
    tmp_path: Path,
) -> None:
    # A program writing ="..." so that Excel keeps the digits stores no value;
    # read with stored values only, the ID number would be silently empty.
    path = _formula_book(tmp_path, '="11010519850307001X"', None)

    rows = list(open_extract(_source(path)).rows)

    assert [r.values for r in rows if isinstance(r, Row)] == [
        ["1", "张伟", "11010519850307001X"]
    ]


def test_xlsx_formula_values_stored_by_excel_are_read(tmp_path: Path) -> None:
    path = _formula_book(tmp_path, '=B2&"0012"', b"110105198503070012")

    rows = list(open_extract(_source(path)).rows)

    assert [r.values for r in rows if isinstance(r, Row)] == [
        ["1", "张伟", "110105198503070012"]
    ]


def test_xlsx_formula_without_a_stored_value_names_row_field_and_fix(
    tmp_path: Path,
) -> None:
    path = _formula_book(tmp_path, "=TEXT(A2,0)", None)

    with pytest.raises(SourceError) as caught:
        list(open_extract(_source(path)).rows)

    message = str(caught.value)
    assert "row 2, field '身份证号'" in message and "has no stored value" in message
    assert "save it" in message
