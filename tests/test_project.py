"""The project file is parsed into typed settings and validated as a whole."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from linkage.errors import ProjectError
from linkage.project import load_project
from linkage.schema import SourceKind

CSV = "编号,姓名,身份证号\n1,张伟,110105198503070012\n"


def test_valid_project_resolves_paths_and_defaults(write_project) -> None:
    path = write_project(CSV)

    project = load_project(path)

    source = project.source("hukou")
    assert source.kind is SourceKind.HOUSEHOLD_REGISTRATION
    assert source.path == path.parent / "hukou.csv"
    assert source.fields["name"] == "姓名"
    assert project.thresholds.match == 0.95
    assert project.run.store == path.parent / "out" / "store.duckdb"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("编号,姓名\n1,张伟\n", encoding="utf-8")
    (tmp_path / "project.toml").write_text(
        """
[thresholds]
match = 0.4
review = 0.6

[[sources]]
name = "a"
kind = "househld_registration"
path = "a.csv"

[sources.fields]
record_id = "编号"
nmae = "姓名"

[[sources]]
name = "b"
kind = "tax"
path = "missing.csv"
[sources.fields]
record_id = "id"

[[sources]]
name = "b"
kind = "tax"
path = "a.csv"
[sources.fields]
record_id = "编号"
""",
        encoding="utf-8",
    )

    with pytest.raises(ProjectError) as caught:
        load_project(tmp_path / "project.toml")

    text = str(caught.value)
    assert "review <= match" in text
    assert "household_registration" in text  # the suggestion for the misspelt kind
    assert "unknown field 'nmae'" in text and "did you mean 'name'" in text
    assert "file not found" in text and "missing.csv" in text
    assert "unique name" in text
    assert len(caught.value.problems) >= 5


def test_mapped_column_missing_from_the_file_names_source_and_column(
    write_project,
) -> None:
    path = write_project(CSV, fields={"record_id": "编号", "name": "名字"})

    with pytest.raises(ProjectError) as caught:
        load_project(path)

    message = str(caught.value)
    assert "source 'hukou'" in message
    assert "'名字'" in message and "hukou.csv does not have" in message
    assert "did you mean '姓名'" in message


def test_record_id_must_be_mapped(write_project) -> None:
    path = write_project(CSV, fields={"name": "姓名"})

    with pytest.raises(ProjectError, match="record_id is not mapped"):
        load_project(path)


def test_unsupported_backend_is_a_clear_problem(write_project) -> None:
    path = write_project(CSV)
    text = path.read_text(encoding="utf-8").replace(
        'name = "test"', 'name = "test"\nbackend = "spark"'
    )
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ProjectError, match="backend 'spark' is not available"):
        load_project(path)


def test_broken_toml_is_reported_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "project.toml"
    path.write_text("[run\nname = 1", encoding="utf-8")

    with pytest.raises(ProjectError, match="not valid TOML"):
        load_project(path)


@pytest.mark.parametrize("delimiter", ["'\\t'", '"||"', '""', "1"])
def test_a_delimiter_that_is_not_one_character_is_a_clear_problem(
    write_project, delimiter: str
) -> None:
    path = write_project(CSV, extra_toml=f"delimiter = {delimiter}")

    with pytest.raises(ProjectError, match="not a single separator character"):
        load_project(path)


def test_a_tab_delimiter_and_the_tsv_default_are_accepted(write_project) -> None:
    tab = CSV.replace(",", "\t")

    assert (
        load_project(write_project(tab, extra_toml='delimiter = "\\t"'))
        .source("hukou")
        .delimiter
        == "\t"
    )
    assert (
        load_project(write_project(tab, file_name="hukou.tsv"))
        .source("hukou")
        .delimiter
        == "\t"
    )


@pytest.mark.parametrize(
    ("declared", "used"),
    [("GBK", "gb18030"), ("gb2312", "gb18030"), ("UTF8", "utf-8"), ("utf_8", "utf-8")],
)
def test_common_names_of_the_supported_encodings_are_accepted(
    write_project, declared: str, used: str
) -> None:
    data = CSV.encode("gb18030" if used == "gb18030" else "utf-8")

    project = load_project(write_project(data, encoding=declared))

    assert project.source("hukou").encoding == used


def test_an_unsupported_encoding_is_still_a_problem(write_project) -> None:
    with pytest.raises(ProjectError, match="unknown encoding 'latin-1'"):
        load_project(write_project(CSV, encoding="latin-1"))


def test_a_header_below_a_title_line_is_found_and_the_setting_named(
    write_project,
) -> None:
    titled = "2024年城乡居民医保参保名单,,\n" + CSV
    path = write_project(titled)

    with pytest.raises(ProjectError) as caught:
        load_project(path)

    assert len(caught.value.problems) == 1
    assert "set header_row = 2 for this source" in str(caught.value)
    assert (
        load_project(write_project(titled, extra_toml="header_row = 2"))
        .source("hukou")
        .header_row
        == 2
    )


def test_a_workbook_whose_list_is_on_another_sheet_names_the_sheet(
    write_project, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["本表由系统导出"])
    names = book.create_sheet("参保名单")
    names.append(["2024年参保名单"])
    names.append(["编号", "姓名", "身份证号"])
    names.append([1, "张伟", "110105198503070012"])
    path = write_project("", file_name="list.xlsx")  # the fixture writes the TOML
    book.save(tmp_path / "list.xlsx")

    with pytest.raises(ProjectError) as caught:
        load_project(path)

    assert 'set sheet = "参保名单" and header_row = 2' in str(caught.value)
    fixed = write_project(
        "", file_name="list.xlsx", extra_toml='sheet = "参保名单"\nheader_row = 2'
    )
    book.save(tmp_path / "list.xlsx")
    assert load_project(fixed).source("hukou").sheet == "参保名单"


@pytest.mark.parametrize("value", ["0", '"2"', "true", "-1"])
def test_header_row_must_be_a_row_number(write_project, value: str) -> None:
    with pytest.raises(ProjectError, match="is not a row number"):
        load_project(write_project(CSV, extra_toml=f"header_row = {value}"))
