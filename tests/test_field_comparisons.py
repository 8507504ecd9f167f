"""A project's own comparisons and blocking rules: validation, levels, models, a run.

A project file may declare ``[[comparisons]]`` on fields the person model does not
compare (a canonical one such as ``postcode``, or one of its own such as ``suburb``)
and ``[[blocking]]`` rules; these tests pin how they are checked, what each level
means on hand-made pairs, how a model file carries them, and a small run with them.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import duckdb
import pytest

from blocking.rules import PERSON_RULES
from linkage import pipeline
from linkage.comparisons import field_comparison
from linkage.errors import ModelError, ProjectError
from linkage.link import build_link_input, declared_rule_pairs
from linkage.load import load_project as load_into_store
from linkage.model import (
    ModelCard,
    check_model_fits,
    load_model,
    save_model,
    settings_dict,
)
from linkage.pipeline import run_project
from linkage.prepare import standardise_store
from linkage.project import FieldComparison, load_project
from linkage.store import Store

HEADER = "编号,姓名,身份证号,邮编,街道,门牌\n"
CSV = HEADER + "1,张伟,110105198503070012,100020,朝阳门外,12\n"

COMPARISONS = """
[[comparisons]]
field = "postcode"
method = "edit_distance"
levels = [1]

[[comparisons]]
field = "street"
method = "jaro_winkler"
frequency = true

[[blocking]]
on = ["street", "birth_date"]
"""

FIELDS = """
[sources.fields]
record_id = "编号"
name = "姓名"
id_number = "身份证号"
postcode = "邮编"
street = "街道"
"""


def _project(tmp_path: Path, tables: str, fields: str = FIELDS) -> Path:
    (tmp_path / "a.csv").write_text(CSV, encoding="utf-8")
    text = f"""
[run]
name = "test"
store = "out/store.duckdb"
{tables}
[[sources]]
name = "a"
kind = "tax"
path = "a.csv"
{fields}
"""
    path = tmp_path / "project.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> str:
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    return str(caught.value)


def test_declared_comparisons_and_their_fields_are_parsed(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path, COMPARISONS))

    postcode, street = project.comparisons
    assert postcode == FieldComparison(
        field="postcode", method="edit_distance", levels=(1,)
    )
    assert street.levels == (0.9, 0.8) and street.frequency
    assert street.column == "extra_street"
    source = project.source("a")
    assert source.fields["postcode"] == "邮编"
    assert "street" not in source.fields
    assert source.extra_fields == {"street": "街道"}
    (rule,) = project.blocking_rules()
    assert rule.sql == "l.extra_street = r.extra_street AND l.birth_date = r.birth_date"


def test_a_field_of_the_project_needs_a_comparison_to_be_mapped(
    tmp_path: Path,
) -> None:
    message = _problems(_project(tmp_path, ""))

    assert "unknown field 'street'" in message
    assert "declare it in a [[comparisons]] table" in message


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('field = "name"\nmethod = "exact"', "already compares 'name'"),
        ('field = "Street"\nmethod = "exact"', "is not a field name"),
        ('field = "street"\nmethod = "soundex"', "unknown method 'soundex'"),
        ('field = "street"\nmethod = "exact"\nlevels = [1]', "exact has no levels"),
        (
            'field = "street"\nmethod = "jaro_winkler"\nlevels = [0.8, 0.9]',
            "highest first",
        ),
        (
            'field = "street"\nmethod = "edit_distance"\nlevels = [0.5]',
            "whole numbers of edits",
        ),
        ('field = "street"\nmethod = "exact"\nfrequncy = true', "did you mean"),
        ('field = "street"\nmethod = "exact"\nfrequency = "yes"', "true or false"),
    ],
)
def test_a_wrong_comparison_is_reported_with_its_fix(
    tmp_path: Path, table: str, expected: str
) -> None:
    message = _problems(_project(tmp_path, f"[[comparisons]]\n{table}\n"))

    assert expected in message


def test_every_comparison_problem_is_reported_at_once(tmp_path: Path) -> None:
    tables = """
[[comparisons]]
field = "street"
method = "exact"

[[comparisons]]
field = "street"
method = "exact"

[[comparisons]]
field = "ethnicity"
method = "exact"

[[blocking]]
on = ["streat"]
"""
    with pytest.raises(ProjectError) as caught:
        load_project(_project(tmp_path, tables))

    message = str(caught.value)
    assert "compared twice" in message
    assert "comparison 'ethnicity': no source maps this field" in message
    assert "cannot block on 'streat'" in message and "did you mean 'street'" in message
    assert len(caught.value.problems) == 3


def test_a_column_cannot_feed_a_canonical_and_a_declared_field(
    tmp_path: Path,
) -> None:
    fields = FIELDS + 'address = "街道"\n'

    message = _problems(_project(tmp_path, COMPARISONS, fields))

    assert "'街道' is mapped to both 'address' and the declared field 'street'" in (
        message
    )


def test_a_declared_field_must_name_a_column_of_the_file(tmp_path: Path) -> None:
    fields = FIELDS.replace('street = "街道"', 'street = "街"')

    message = _problems(_project(tmp_path, COMPARISONS, fields))

    assert "field 'street' maps to column '街'" in message


def _level_of(comparison: dict, left: str | None, right: str | None) -> str:
    """The label of the first level whose condition the pair meets."""
    con = duckdb.connect()
    column = comparison["output_column_name"]
    con.execute(
        f"CREATE TABLE p AS SELECT ?::VARCHAR AS {column}_l, ?::VARCHAR AS {column}_r",
        [left, right],
    )
    for level in comparison["comparison_levels"]:
        condition = level["sql_condition"]
        if condition == "ELSE" or con.execute(
            f"SELECT count(*) FROM p WHERE {condition}"
        ).fetchone() == (1,):
            return str(level["label_for_charts"])
    raise AssertionError("no level matched")


@pytest.mark.parametrize(
    ("left", "right", "label"),
    [
        ("stoney creek", "stoney creek", "exact"),
        ("stoney creek", "stone ycreek", "at most 1 edit"),
        ("2570", "2507", "at most 1 edit"),
        ("kent street", "kemt streat", "at most 2 edits"),
        ("kent street", "eaton", "all other"),
        (None, "eaton", "null"),
    ],
)
def test_edit_distance_levels_count_a_swap_of_neighbours_as_one_edit(
    left: str | None, right: str | None, label: str
) -> None:
    spec = FieldComparison(field="suburb", method="edit_distance", levels=(1, 2))

    assert _level_of(field_comparison(spec), left, right) == label


@pytest.mark.parametrize(
    ("left", "right", "label"),
    [
        ("towradgi", "towradgi", "exact"),
        ("towradgi", "towradgy", "Jaro-Winkler >= 0.9"),
        ("martha", "marhta", "Jaro-Winkler >= 0.9"),
        ("dwayne", "duane", "Jaro-Winkler >= 0.8"),
        ("towradgi", "eaton", "all other"),
    ],
)
def test_jaro_winkler_levels_fall_from_exact_to_all_other(
    left: str, right: str, label: str
) -> None:
    spec = FieldComparison(field="suburb", method="jaro_winkler", levels=(0.9, 0.8))

    assert _level_of(field_comparison(spec), left, right) == label


def test_exact_comparison_weighs_by_frequency_only_when_asked() -> None:
    plain = field_comparison(FieldComparison(field="state", method="exact"))
    weighted = field_comparison(
        FieldComparison(field="state", method="exact", frequency=True)
    )

    assert [lv["label_for_charts"] for lv in plain["comparison_levels"]] == [
        "null",
        "exact",
        "all other",
    ]
    assert "tf_adjustment_column" not in plain["comparison_levels"][1]
    assert weighted["comparison_levels"][1]["tf_adjustment_column"] == "extra_state"


SPECS = (
    FieldComparison(field="postcode", method="edit_distance", levels=(1,)),
    FieldComparison(field="street", method="jaro_winkler", levels=(0.9, 0.8)),
)


def test_a_model_with_project_comparisons_round_trips(tmp_path: Path) -> None:
    card = ModelCard(trained_on="test", records=3, trained_at="2026-12-01T00:00:00Z")

    path = save_model(tmp_path / "m.json", settings_dict(SPECS), card)
    settings, _ = load_model(path)

    assert settings == settings_dict(SPECS)
    assert [c["output_column_name"] for c in settings["comparisons"]][-2:] == [
        "extra_postcode",
        "extra_street",
    ]
    check_model_fits(settings, SPECS, where="m.json")


def test_a_model_without_the_projects_comparisons_is_refused() -> None:
    with pytest.raises(ModelError) as caught:
        check_model_fits(settings_dict(), SPECS, where="m.json")

    message = str(caught.value)
    assert "the project compares 'postcode', the model was trained without it" in (
        message
    )
    assert "'street'" in message and "yidang train" in message


def test_a_model_with_comparisons_the_project_lacks_is_refused() -> None:
    with pytest.raises(ModelError, match="declares in no \\[\\[comparisons\\]\\]"):
        check_model_fits(settings_dict(SPECS), SPECS[:1], where="m.json")


def test_a_model_comparing_a_field_with_other_levels_is_refused() -> None:
    changed = (SPECS[0], FieldComparison(field="street", method="exact"))

    with pytest.raises(ModelError, match="'street' with other levels"):
        check_model_fits(settings_dict(SPECS), changed, where="m.json")


def test_the_shipped_model_fits_a_project_without_comparisons() -> None:
    shipped = Path(__file__).parents[1] / "models" / "person.json"
    settings, _ = load_model(shipped)

    check_model_fits(settings, (), where=str(shipped))


@pytest.fixture(scope="module")
def febrl_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 400 people of FEBRL4, both tables, as the benchmark writes them."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_febrl

    tables = bench_febrl.load_tables("febrl4")
    small = {
        name: frame[[int(bench_febrl.person_of(i)) < 400 for i in frame.index]]
        for name, frame in tables.items()
    }
    folder = tmp_path_factory.mktemp("febrl")
    return bench_febrl.write_project(small, folder)


def _with_model(project: Path, model: Path) -> Path:
    """A copy of the project file, beside it, that names a model file."""
    text = project.read_text(encoding="utf-8").replace(
        'store = "yidang.duckdb"', f'store = "yidang.duckdb"\nmodel = "{model}"'
    )
    path = project.with_name(f"with-{model.stem}-{model.parent.name}.toml")
    path.write_text(text, encoding="utf-8")
    return path


def test_a_run_with_a_declared_column_trains_weighs_and_saves_it(
    febrl_project: Path, tmp_path: Path
) -> None:
    model = tmp_path / "febrl.json"
    project = _with_model(febrl_project, model)

    result = run_project(project, out_dir=tmp_path / "out")

    settings, _ = load_model(model)
    trained = {c["output_column_name"]: c for c in settings["comparisons"]}
    suburb = trained["extra_suburb"]["comparison_levels"]
    assert suburb[1]["m_probability"] > suburb[-1]["m_probability"]
    with (tmp_path / "out" / "clusters.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == result.records_in == 800
    persons = {(r["person_id"]) for r in rows}
    assert len(persons) < 420  # the 400 duplicates joined their originals

    rerun = run_project(project, out_dir=tmp_path / "again")
    assert "trained on project" in rerun.model_source


def test_a_saved_model_is_refused_by_a_project_without_its_comparisons(
    febrl_project: Path, tmp_path: Path
) -> None:
    model = tmp_path / "febrl.json"
    save_model(
        model,
        settings_dict(),
        ModelCard(trained_on="test", records=1, trained_at="2026-12-01T00:00:00Z"),
    )
    project = _with_model(febrl_project, model)

    with pytest.raises(ModelError, match="the model was trained without it"):
        run_project(project, out_dir=tmp_path / "out")


def _linked_input(tmp_path: Path, project_path: Path) -> Store:
    """Load, standardise and build the link input of a project; caller closes."""
    project = load_project(project_path)
    store = Store(tmp_path / "input.duckdb")
    load_into_store(project, store)
    standardise_store(store, reference_date=dt.date(2026, 11, 30))
    build_link_input(store.con, project.comparisons, project.sources)
    return store


def test_declared_fields_are_cleaned_into_the_link_input(tmp_path: Path) -> None:
    path = _project(tmp_path, COMPARISONS)
    (tmp_path / "a.csv").write_text(
        HEADER
        + "1,张伟,110105198503070012, 100020 ,朝阳门外  大街,12\n"
        + "2,李娜,110105198503070020,,ＡＢ\u3000Street,3\n",
        encoding="utf-8",
    )

    store = _linked_input(tmp_path, path)
    with store:
        rows = store.rows(
            "SELECT record_id, extra_postcode, extra_street FROM yd_link_input "
            "ORDER BY record_id"
        )

    assert rows == [("1", "100020", "朝阳门外 大街"), ("2", None, "ab street")]


def test_other_scheme_numbers_one_swap_apart_share_a_block(
    write_project, tmp_path: Path
) -> None:
    text = "rec_id,surname,soc_sec_id\n"
    text += "a,vincent,3231273\nb,ruby,3231723\nc,smith,9871273\nd,jones,5555555\n"
    fields = {"record_id": "rec_id", "surname": "surname", "id_number": "soc_sec_id"}
    path = write_project(text, fields=fields, extra_toml='id_scheme = "other"')
    rules = {rule.name: rule.sql for rule in PERSON_RULES}

    store = _linked_input(tmp_path, path)
    with store:
        pairs = {
            name: store.rows(
                "SELECT l.record_id, r.record_id FROM yd_link_input AS l "
                f"JOIN yd_link_input AS r ON {rules[name]} "
                "AND l.record_id < r.record_id ORDER BY ALL"
            )
            for name in ("other_id_head", "other_id_tail")
        }

    assert pairs["other_id_head"] == [("a", "b")]
    assert pairs["other_id_tail"] == [("a", "c")]


def test_a_declared_rule_is_counted_from_its_block_sizes(tmp_path: Path) -> None:
    path = _project(tmp_path, COMPARISONS)
    (tmp_path / "a.csv").write_text(
        HEADER
        + "1,张伟,110105198503070012,,朝阳门外,\n"
        + "2,李娜,110105198503070020,,朝阳门外,\n"
        + "3,王芳,110105198503070039,,朝阳门外,\n"
        + "4,赵强,110105198503070047,,建国门,\n"
        + "5,刘洋,110105198503070055,,,\n",
        encoding="utf-8",
    )
    rule = load_project(path).blocking_rules()[0]

    store = _linked_input(tmp_path, path)
    with store:
        assert declared_rule_pairs(store.con, rule) == (3, 3)


def test_a_declared_rule_with_too_many_pairs_is_refused(
    febrl_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = febrl_project.read_text(encoding="utf-8")
    project = febrl_project.with_name("state-only.toml")
    project.write_text(text + '\n[[blocking]]\non = ["state"]\n', encoding="utf-8")
    monkeypatch.setattr(pipeline, "DECLARED_RULE_MAX_PAIRS", 1_000)

    with pytest.raises(ProjectError, match=r"on = \['state'\]: proposes [\d,]+ pairs"):
        run_project(project, out_dir=tmp_path / "out")
