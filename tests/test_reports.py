"""The run report and the evaluation report: sections, languages, no network, no
personal data, masked examples; and the chart helpers they share."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evaluation.commands import EvaluationInputError, run_evaluate
from evaluation.report import mask_id, mask_name, write_evaluation_report
from evaluation.synth import generate
from linkage.charts import Marker, bar_chart, histogram, nice_ticks
from linkage.errors import YidangError
from linkage.i18n import text
from linkage.pipeline import run_project
from linkage.report import write_run_report
from linkage.store import Store

MODEL = Path(__file__).resolve().parent.parent / "models" / "person.json"

RUN_HEADINGS = (
    "overview",
    "sources",
    "rejects",
    "quality",
    "weights",
    "clusters",
    "review",
    "person_flags",
    "duplicates",
)
EVAL_HEADINGS = (
    "headline",
    "missing_heading",
    "cluster_errors",
    "by_source",
    "by_region",
    "thresholds",
    "examples",
)
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
MASKED_ID = re.compile(r"[0-9]{6}\*{8}[0-9X]{4}")


@dataclass(frozen=True)
class Built:
    """A finished run, and the reports written from it."""

    out: Path
    store: Path
    truth: Path
    run_reports: dict[str, Path]


_BUILT: dict[str, Built] = {}


def build_reports(factory: pytest.TempPathFactory) -> Built:
    """Run a small synthetic project once per session and write both run reports.

    One registry gets a repeated row, so the rejects section has something in it.
    """
    if "run" in _BUILT:
        return _BUILT["run"]
    folder = factory.mktemp("reports")
    project = generate(folder, persons=400, seed=5).project_path
    medical = folder / "medical.csv"
    lines = medical.read_text(encoding="utf-8").splitlines()
    medical.write_text("\n".join([*lines, lines[-1]]) + "\n", encoding="utf-8")
    result = run_project(project, model=MODEL)
    reports = {}
    with Store(result.project.run.store, read_only=True) as store:
        for lang in ("zh", "en"):
            reports[lang] = folder / f"run-{lang}.html"
            write_run_report(
                store,
                reports[lang],
                result.describe(),
                lang=lang,
                thresholds=result.project.thresholds,
            )
    built = Built(
        result.out_dir, result.project.run.store, folder / "truth.csv", reports
    )
    _BUILT["run"] = built
    return built


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_reports(tmp_path_factory)


class _Page(HTMLParser):
    """What a test needs of a page: lang, title, headings, charts, links."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.headings: list[str] = []
        self.svgs: list[dict[str, str | None]] = []
        self.svg_titles = 0
        self.title = ""
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang") or ""
        if tag == "svg":
            self.svgs.append(dict(attrs))
        if tag == "title" and "svg" in self._open:
            self.svg_titles += 1
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] == "h2":
            self.headings.append(data.strip())
        if self._open and self._open[-1] == "title" and "svg" not in self._open:
            self.title += data


def _parse(path: Path) -> tuple[_Page, str]:
    page = path.read_text(encoding="utf-8")
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser, page


def _assert_self_contained(page: str) -> None:
    urls = re.findall(r"https?://[^\s\"'<>)]+", page)
    assert set(urls) <= {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I)
    assert not re.search(r"<link[^>]*\bhref=", page, re.I)
    assert "@import" not in page and "url(" not in page


# The run report


@pytest.mark.parametrize(("lang", "html_lang"), [("zh", "zh-CN"), ("en", "en")])
def test_run_report_has_every_section_in_its_language(
    built: Built, lang: str, html_lang: str
) -> None:
    parsed, _ = _parse(built.run_reports[lang])

    assert parsed.lang == html_lang
    assert parsed.title == text(lang, "run_title")
    assert parsed.headings == [text(lang, key) for key in RUN_HEADINGS]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_run_report_charts_are_inline_svg_with_titles(built: Built, lang: str) -> None:
    parsed, _ = _parse(built.run_reports[lang])

    ids = {svg["id"] for svg in parsed.svgs}
    assert {"chart-sources", "chart-weights", "chart-clusters", "chart-rejects"} <= ids
    assert all(svg["role"] == "img" and svg["aria-labelledby"] for svg in parsed.svgs)
    assert parsed.svg_titles >= len(parsed.svgs)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_run_report_fetches_nothing(built: Built, lang: str) -> None:
    _assert_self_contained(built.run_reports[lang].read_text(encoding="utf-8"))


def test_run_report_holds_no_personal_data(built: Built) -> None:
    with Store(built.store, read_only=True) as store:
        rows = store.rows(
            "SELECT name, id_number, phone FROM yd_records "
            "WHERE length(name) >= 3 AND length(id_number) = 18 AND phone IS NOT NULL "
            "ORDER BY source, record_id LIMIT 25"
        )
    assert len(rows) == 25
    for lang in ("zh", "en"):
        page = built.run_reports[lang].read_text(encoding="utf-8")
        for name, id_number, phone in rows:
            assert name not in page
            assert id_number not in page
            assert phone not in page
        assert not FULL_ID.search(page)


def test_run_report_counts_rejects_with_numbers_replaced(built: Built) -> None:
    page = built.run_reports["en"].read_text(encoding="utf-8")

    assert "record id already used in row N" in page


def test_run_report_marks_the_thresholds(built: Built) -> None:
    zh = built.run_reports["zh"].read_text(encoding="utf-8")
    en = built.run_reports["en"].read_text(encoding="utf-8")

    assert "匹配阈值 0.95" in zh and "复核阈值 0.5" in zh
    assert "match 0.95" in en and "review 0.5" in en


def test_run_report_without_thresholds_says_so(built: Built, tmp_path: Path) -> None:
    with Store(built.store, read_only=True) as store:
        write_run_report(store, tmp_path / "r.html", "summary", lang="en")

    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert escape(text("en", "weights_no_thresholds")) in page
    assert "match 0.95" not in page


def test_run_report_counts_review_items_by_reason(built: Built, tmp_path: Path) -> None:
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(built.store.read_bytes())
    with Store(copy) as store:
        store.con.execute(
            "INSERT INTO yd_review_queue (item_id, priority, reason) VALUES "
            "('R1', 90, 'uncertain_pair'), ('R2', 40, 'uncertain_pair'), "
            "('R3', 80, 'family_ambiguous')"
        )
        write_run_report(store, tmp_path / "r.html", "", lang="en")

    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    desc = re.search(r'<desc id="chart-review-d">([^<]*)</desc>', page)
    assert desc is not None
    assert "thresholds: 2;" in desc.group(1) and "(twins?): 1" in desc.group(1)
    assert "<td>uncertain_pair</td>" in page


def test_run_report_written_by_the_run_is_chinese(built: Built) -> None:
    parsed, _ = _parse(built.out / "report.html")

    assert parsed.lang == "zh-CN"
    assert text("zh", "person_flags") in parsed.headings


def test_run_report_refuses_an_unknown_language(built: Built, tmp_path: Path) -> None:
    with (
        Store(built.store, read_only=True) as store,
        pytest.raises(YidangError, match="no report language 'fr'"),
    ):
        write_run_report(store, tmp_path / "r.html", "", lang="fr")
    assert not (tmp_path / "r.html").exists()


# The evaluation report


def merged_clusters(built: Built, folder: Path) -> Path:
    """The run's clusters with a few pairs of persons merged and one record dropped."""
    with (built.out / "clusters.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    persons = sorted({row["person_id"] for row in rows})
    merge = {persons[i + 1]: persons[i] for i in range(0, 12, 2)}
    for row in rows:
        row["person_id"] = merge.get(row["person_id"], row["person_id"])
    path = folder / "clusters-merged.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[1:])
    return path


@pytest.fixture(scope="module")
def eval_reports(built: Built) -> dict[str, Path]:
    clusters = merged_clusters(built, built.out)
    reports = {}
    for lang in ("zh", "en"):
        reports[lang] = built.out / f"evaluation-{lang}.html"
        run_evaluate(built.truth, clusters, report=reports[lang], lang=lang)
    return reports


@pytest.mark.parametrize(("lang", "html_lang"), [("zh", "zh-CN"), ("en", "en")])
def test_evaluation_report_has_every_section(
    eval_reports: dict[str, Path], lang: str, html_lang: str
) -> None:
    parsed, page = _parse(eval_reports[lang])

    assert parsed.lang == html_lang
    assert parsed.headings == [text(lang, key) for key in EVAL_HEADINGS]
    assert {"chart-pr", "chart-threshold", "chart-source-f1"} <= {
        svg["id"] for svg in parsed.svgs
    }
    _assert_self_contained(page)


def test_evaluation_report_masks_ids_and_names(
    built: Built, eval_reports: dict[str, Path]
) -> None:
    page = eval_reports["zh"].read_text(encoding="utf-8")
    with Store(built.store, read_only=True) as store:
        rows = store.rows(
            "SELECT name, id_number FROM yd_records "
            "WHERE length(name) >= 2 AND id_number IS NOT NULL"
        )

    assert text("zh", "merge_example", cluster="")[:4] in page
    assert MASKED_ID.search(page)
    assert not FULL_ID.search(page)
    assert not any(id_number in page for _, id_number in rows)
    assert not any(f">{name}<" in page for name, _ in rows)


def test_evaluation_report_names_the_missing_record(
    built: Built, eval_reports: dict[str, Path]
) -> None:
    with (built.out / "clusters.csv").open(encoding="utf-8", newline="") as handle:
        dropped = next(csv.DictReader(handle))
    page = eval_reports["en"].read_text(encoding="utf-8")

    assert f"<td>{dropped['record_id']}</td><td>the truth only</td>" in page


def test_evaluation_report_finds_the_threshold_for_the_target(
    eval_reports: dict[str, Path],
) -> None:
    page = eval_reports["en"].read_text(encoding="utf-8")

    assert "The lowest threshold whose precision reaches 99.50% is" in page


def test_evaluation_report_without_a_store_says_what_it_lacks(
    built: Built, tmp_path: Path
) -> None:
    clusters = tmp_path / "clusters.csv"
    clusters.write_bytes((built.out / "clusters.csv").read_bytes())
    report = tmp_path / "evaluation.html"

    text_out, _ = run_evaluate(built.truth, clusters, report=report, lang="en")

    page = report.read_text(encoding="utf-8")
    assert escape(text("en", "thresholds_none")) in page
    assert escape(text("en", "by_region_none")) in page
    assert "records scored" in text_out


def test_evaluate_prints_the_same_text_with_or_without_a_report(
    built: Built, tmp_path: Path
) -> None:
    clusters = built.out / "clusters.csv"

    plain, _ = run_evaluate(built.truth, clusters)
    with_report, _ = run_evaluate(built.truth, clusters, report=tmp_path / "r.html")
    as_json, _ = run_evaluate(
        built.truth, clusters, report=tmp_path / "j.html", as_json=True
    )

    assert plain == with_report
    assert as_json.startswith('{"pairwise_precision"')
    assert not list(tmp_path.glob("*.part"))


def test_evaluate_refuses_a_named_store_that_is_missing(
    built: Built, tmp_path: Path
) -> None:
    with pytest.raises(EvaluationInputError, match="no such store"):
        run_evaluate(
            built.truth,
            built.out / "clusters.csv",
            report=tmp_path / "r.html",
            store=tmp_path / "absent.duckdb",
        )


def test_evaluation_report_from_plain_tables(tmp_path: Path) -> None:
    truth = {("a", "1"): "A", ("b", "1"): "A", ("a", "2"): "B"}
    predicted = {("a", "1"): "X", ("b", "1"): "X", ("a", "2"): "X"}
    scored = [(("a", "1"), ("b", "1"), 0.99), (("a", "1"), ("a", "2"), 0.7)]
    path = tmp_path / "e.html"

    write_evaluation_report(
        path, predicted=predicted, truth=truth, scored_pairs=scored, lang="en"
    )

    page = path.read_text(encoding="utf-8")
    assert "Wrong merge: cluster X" in page
    assert "is 0.99 (match weight" in page
    assert escape(text("en", "examples_keys_only")) in page


# Masks and charts


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("110105491231002", "110105*****1002"),
        ("H1234567", "******67"),
        (None, None),
    ],
)
def test_mask_id_hides_the_middle(value: str | None, masked: str | None) -> None:
    assert mask_id(value) == masked
    assert mask_id(masked) == masked


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("王", "*")]
)
def test_mask_name_keeps_the_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_nice_ticks_cover_the_range() -> None:
    assert nice_ticks(0, 1600) == [0, 500, 1000, 1500, 2000]
    assert nice_ticks(0.9, 1.0)[0] <= 0.9 and nice_ticks(0.9, 1.0)[-1] >= 1.0


def test_bar_chart_escapes_labels_and_titles_itself() -> None:
    svg = bar_chart("c", "A & B", [("<b>", 3.0), ("x", 1.0)], value_label="n")

    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert '<title id="c-t">A &amp; B</title>' in svg


def test_histogram_shows_a_marker_outside_the_data() -> None:
    svg = histogram(
        "h",
        "weights",
        [(10, 12, 5)],
        x_label="w",
        y_label="n",
        markers=[Marker(0, "m")],
    )

    assert ">m</text>" in svg
    assert ">0</text>" in svg
