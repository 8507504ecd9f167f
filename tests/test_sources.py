"""Registry extracts are read as text, in any of the encodings registries export."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage import sources
from linkage.errors import ProjectError
from linkage.load import load_project as load_into_store
from linkage.project import Project, load_project
from linkage.sources import Reject, Row, cell_text, open_extract
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
