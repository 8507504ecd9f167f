"""The run report: one self-contained HTML page about a batch run, Chinese or English.

Every ``yidang link`` writes it beside its outputs. The page reads only the store's
counts and codes (rows per source, rejects, quality flags, match weights, cluster
sizes, the review queue, person flags, duplicate enrollments by region), never a name,
an ID number or a phone number, so it can be passed around like any statistic. Styles
and charts are inline (SVG from :mod:`linkage.charts`); nothing is fetched when the page
opens. The page frame, tables and cells here are shared with the evaluation report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from linkage.charts import Marker, bar_chart, column_chart, histogram
from linkage.i18n import (
    check_language,
    flag_reason,
    html_lang,
    person_flag,
    review_reason,
    text,
)
from linkage.project import Thresholds
from linkage.regions import PERMIT_REGIONS, lookup
from linkage.review_queue import REASONS
from linkage.store import Store

__all__ = [
    "Cell",
    "CellValue",
    "Section",
    "match_weight_of",
    "percent",
    "region_label",
    "render_cards",
    "render_page",
    "render_table",
    "write_run_report",
]

PERSON_FLAGS: tuple[str, ...] = (
    "duplicate_enrollment",
    "deceased_still_enrolled",
    "conflicting_ids",
    "not_enrolled",
)
"""The golden-record flags that :mod:`linkage.golden` raises, in report order."""

QUALITY_FIELDS: tuple[str, ...] = (
    "name",
    "id_number",
    "birth_date",
    "sex",
    "phone",
    "address",
)
"""The canonical fields whose usable share the data-quality table shows."""

_DUPLICATE_PAIRS_SHOWN = 20
_FLAG_BARS = 12


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: its text, whether it is a number, a shade and a tooltip."""

    text: str
    numeric: bool = False
    shade: str = ""
    hint: str = ""


CellValue = Cell | str | int | float | None
"""What a table row may hold: numbers get thousands separators, None a dash."""


@dataclass(frozen=True, slots=True)
class Section:
    """One section of a report: an anchor, a heading, a sentence, and HTML."""

    ident: str
    heading: str
    intro: str
    body: str


def write_run_report(
    store: Store,
    path: Path,
    summary: str,
    *,
    lang: str = "zh",
    thresholds: Thresholds | None = None,
) -> None:
    """Write the run report for the store's current run to ``path``.

    Args:
        store: The store of a finished run.
        path: The HTML file to write.
        summary: The run's own few lines (:meth:`RunResult.describe`), shown folded.
        lang: ``"zh"`` (the default) or ``"en"``.
        thresholds: The run's match and review thresholds, marked on the weight
            histogram; without them no threshold line is drawn.

    Raises:
        YidangError: ``lang`` is not a report language.
    """
    check_language(lang)
    run = _Run(store, lang, thresholds)
    sections = [
        _overview(run, summary),
        _sources(run),
        _rejects(run),
        _quality(run),
        _weights(run),
        _cluster_sizes(run),
        _review(run),
        _person_flags(run),
        _duplicates(run),
    ]
    loaded = store.scalar(
        "SELECT strftime(max(loaded_at), '%Y-%m-%d %H:%M') FROM yd_files"
    )
    page = render_page(
        lang=lang,
        title=text(lang, "run_title"),
        subtitle=text(lang, "run_subtitle", loaded=loaded or "—"),
        sections=sections,
    )
    path.write_text(page, encoding="utf-8")


# The page, its tables and cells: shared with evaluation.report.


def render_page(
    *, lang: str, title: str, subtitle: str, sections: Sequence[Section]
) -> str:
    """A whole HTML document: header, contents, sections and footer, styles inline."""
    contents = "".join(
        f'<li><a href="#{escape(s.ident)}">{escape(s.heading)}</a></li>'
        for s in sections
    )
    body = "\n".join(
        f'<section id="{escape(s.ident)}"><h2>{escape(s.heading)}</h2>'
        f'<p class="intro">{escape(s.intro)}</p>\n{s.body}</section>'
        for s in sections
    )
    return (
        f'<!doctype html>\n<html lang="{html_lang(lang)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<header><h1>{escape(title)}</h1><p class="sub">{escape(subtitle)}</p>'
        f'<nav aria-label="{escape(text(lang, "contents"))}"><ol>{contents}</ol></nav>'
        f"</header>\n<main>\n{body}\n</main>\n"
        f"<footer>{escape(text(lang, 'footer'))}</footer>\n</body>\n</html>\n"
    )


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[CellValue]], *, caption: str = ""
) -> str:
    """An HTML table; numeric columns are right-aligned, numbers get separators."""
    cells = [[_as_cell(value) for value in row] for row in rows]
    numeric = [
        bool(cells) and all(row[i].numeric or row[i].text == "—" for row in cells)
        for i in range(len(headers))
    ]
    head = "".join(
        f'<th scope="col"{" class=n" if numeric[i] else ""}>{escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>" + "".join(_td(cell) for cell in row) + "</tr>" for row in cells
    )
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="scroll"><table>{title}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def render_cards(cards: Sequence[tuple[str, str]]) -> str:
    """Headline figures as a row of cards, each (value, label)."""
    items = "".join(
        f'<div class="card"><span class="v">{escape(value)}</span>'
        f'<span class="k">{escape(label)}</span></div>'
        for value, label in cards
    )
    return f'<div class="cards">{items}</div>'


def percent(share: float | None, *, shade: bool = False, digits: int = 1) -> Cell:
    """A share as a percentage cell, optionally shaded from red (0) to green (1)."""
    if share is None:
        return Cell("—", numeric=True)
    # Below half is as bad as it gets; the hue runs red, orange, yellow, green above.
    hue = 120 * min(max((share - 0.5) / 0.5, 0.0), 1.0)
    colour = f"hsl({hue:.0f} 60% 88%)" if shade else ""
    return Cell(f"{share:.{digits}%}", numeric=True, shade=colour)


def region_label(code: str) -> str:
    """A region code with its latest name, e.g. ``110105 北京市朝阳区``."""
    if code in PERMIT_REGIONS:
        return f"{code} {PERMIT_REGIONS[code]}"
    region = lookup(code)
    return f"{code} {region.full_name}" if region is not None else code


def _as_cell(value: CellValue) -> Cell:
    if isinstance(value, Cell):
        return value
    if value is None:
        return Cell("—")
    if isinstance(value, bool):
        return Cell(str(value))
    if isinstance(value, int):
        return Cell(f"{value:,}", numeric=True)
    if isinstance(value, float):
        return Cell(f"{value:,.2f}", numeric=True)
    return Cell(value)


def _td(cell: Cell) -> str:
    attributes = ' class="n"' if cell.numeric else ""
    if cell.shade:
        attributes += f' style="background:{cell.shade}"'
    if cell.hint:
        attributes += f' title="{escape(cell.hint)}"'
    return f"<td{attributes}>{escape(cell.text)}</td>"


def _none(message: str) -> str:
    return f'<p class="none">{escape(message)}</p>'


# The run report's sections.


@dataclass(frozen=True, slots=True)
class _Run:
    store: Store
    lang: str
    thresholds: Thresholds | None

    def t(self, key: str, **values: object) -> str:
        return text(self.lang, key, **values)

    def rows(self, sql: str, *tables: str) -> list[tuple[Any, ...]]:
        """The query's rows, or none when a table it reads is absent."""
        if not all(self.store.table_exists(table) for table in tables):
            return []
        return self.store.rows(sql)

    def count(self, table: str, sql: str = "") -> int:
        if not self.store.table_exists(table):
            return 0
        return int(self.store.scalar(sql or f"SELECT count(*) FROM {table}") or 0)


def _overview(run: _Run, summary: str) -> Section:
    cards = [
        (f"{run.count('yd_files', _ROWS_READ_SQL):,}", run.t("records_read")),
        (f"{run.count('yd_clusters'):,}", run.t("records_linked")),
        (f"{run.count('yd_rejects'):,}", run.t("records_rejected")),
        (f"{run.count('yd_clusters', _PERSONS_SQL):,}", run.t("persons")),
        (f"{run.count('yd_pairs'):,}", run.t("scored_pairs")),
        (f"{run.count('yd_review_queue'):,}", run.t("review_items")),
    ]
    log = (
        f"<details><summary>{escape(run.t('run_log'))}</summary>"
        f"<pre>{escape(summary)}</pre></details>"
    )
    body = render_cards(cards) + log
    return Section("overview", run.t("overview"), run.t("overview_intro"), body)


_ROWS_READ_SQL = "SELECT sum(rows_read) FROM yd_files"
_PERSONS_SQL = "SELECT count(DISTINCT person_id) FROM yd_clusters"


def _sources(run: _Run) -> Section:
    rows = run.rows(
        "SELECT source, kind, encoding, rows_read, records, rejected, seconds "
        "FROM yd_files ORDER BY trust, source",
        "yd_files",
    )
    t = run.t
    headers = ("source", "kind", "encoding", "rows_read", "records", "rejected")
    table = render_table(
        [*map(t, headers), t("seconds")],
        [(*row[:6], Cell(f"{float(row[6]):.2f}", numeric=True)) for row in rows],
    )
    chart = bar_chart(
        "chart-sources",
        t("records_per_source"),
        [(str(row[0]), float(row[4])) for row in rows],
        value_label=t("records"),
    )
    body = table + chart if rows else _none(t("none"))
    return Section("sources", t("sources"), t("sources_intro"), body)


def _rejects(run: _Run) -> Section:
    rows = run.rows(
        """
        SELECT source, field, regexp_replace(reason, '[0-9]+', 'N', 'g') AS reason,
            count(*) AS n
        FROM yd_rejects GROUP BY ALL ORDER BY n DESC, source, field, reason
        """,
        "yd_rejects",
    )
    t = run.t
    if not rows:
        return Section(
            "rejects", t("rejects"), t("rejects_intro"), _none(t("no_rejects"))
        )
    table = render_table([t("source"), t("field"), t("reason"), t("rows")], rows)
    totals: dict[str, int] = {}
    for _, _, reason, n in rows:
        totals[str(reason)] = totals.get(str(reason), 0) + int(n)
    chart = bar_chart(
        "chart-rejects",
        t("rejects_chart"),
        sorted(totals.items(), key=lambda item: (-item[1], item[0])),
        value_label=t("rows"),
    )
    return Section("rejects", t("rejects"), t("rejects_intro"), table + chart)


def _quality(run: _Run) -> Section:
    t = run.t
    rows = run.rows(_QUALITY_SQL, "yd_persons", "yd_records", "yd_files")
    table_rows: list[list[CellValue]] = []
    for source, records, *counts in rows:
        usable, given = counts[: len(QUALITY_FIELDS)], counts[len(QUALITY_FIELDS) :]
        cells: list[CellValue] = [str(source), int(records)]
        for have, raw in zip(usable, given, strict=True):
            if not have and not raw:
                cells.append(Cell("—", numeric=True, hint=t("not_mapped")))
            else:
                cells.append(percent(int(have) / int(records), shade=True))
        table_rows.append(cells)
    headers = [t("source"), t("records")] + [t(f"f_{f}") for f in QUALITY_FIELDS]
    body = render_table(headers, table_rows) if rows else _none(t("none"))
    body += f'<h3>{escape(t("flags_heading"))}</h3><p class="intro">'
    body += f"{escape(t('flags_intro'))}</p>{_flags_body(run)}"
    return Section("quality", t("quality"), t("quality_intro"), body)


_QUALITY_SQL = """
    WITH usable AS (
        SELECT source, count(*) AS records,
            count(name_clean), count(id_key), count(birth_date), count(sex),
            count(phone_key), count(address_county)
        FROM yd_persons GROUP BY source
    ),
    given AS (
        SELECT source,
            count(coalesce(name, surname, given_name)) AS name_given,
            count(id_number), count(birth_date), count(sex), count(phone),
            count(address)
        FROM yd_records GROUP BY source
    )
    SELECT usable.*, given.* EXCLUDE (source)
    FROM usable
    LEFT JOIN given USING (source)
    LEFT JOIN yd_files AS f USING (source)
    ORDER BY f.trust, source
"""


def _flags_body(run: _Run) -> str:
    """Flags as a code-by-source table (shares of the source in tooltips), a chart."""
    rows = run.rows(_FLAGS_SQL, "yd_flags", "yd_files")
    if not rows:
        return _none(run.t("no_flags"))
    t = run.t
    sources = list(dict.fromkeys(str(row[0]) for row in rows))
    cells: dict[str, dict[str, tuple[int, float]]] = {}
    for source, code, n, share in rows:
        cells.setdefault(str(code), {})[str(source)] = (int(n), float(share))
    totals = {code: sum(n for n, _ in by.values()) for code, by in cells.items()}
    codes = sorted(cells, key=lambda code: (-totals[code], code))
    table_rows: list[list[CellValue]] = []
    for code in codes:
        table_rows.append(
            [code, flag_reason(code, run.lang)]
            + [_flag_cell(cells[code].get(source), run) for source in sources]
            + [totals[code]]
        )
    headers = [t("code"), t("reason"), *sources, t("total")]
    chart = bar_chart(
        "chart-flags",
        t("flags_chart"),
        [(flag_reason(code, run.lang), totals[code]) for code in codes[:_FLAG_BARS]],
        value_label=t("records"),
    )
    return render_table(headers, table_rows) + chart


def _flag_cell(count: tuple[int, float] | None, run: _Run) -> Cell:
    if count is None:
        return Cell("", numeric=True)
    n, share = count
    return Cell(f"{n:,}", numeric=True, hint=run.t("of_source", share=f"{share:.1%}"))


_FLAGS_SQL = """
    SELECT fl.source, fl.code, count(*) AS n, count(*) / any_value(f.records) AS share
    FROM yd_flags AS fl JOIN yd_files AS f USING (source)
    GROUP BY fl.source, fl.code
    ORDER BY any_value(f.trust), fl.source, fl.code
"""


def _weights(run: _Run) -> Section:
    t = run.t
    if not run.store.table_exists("yd_pairs"):
        return Section(
            "weights", t("weights"), t("weights_intro"), _none(t("no_pairs"))
        )
    low, high, weighted, family = run.store.rows(_WEIGHT_RANGE_SQL)[0]
    notes = []
    if family:
        notes.append(t("weights_family", count=f"{int(family):,}"))
    if run.thresholds is None:
        notes.append(t("weights_no_thresholds"))
    body = "".join(f"<p>{escape(note)}</p>" for note in notes)
    if not weighted:
        return Section(
            "weights", t("weights"), t("weights_intro"), _none(t("no_pairs"))
        )
    width = _bin_width(float(low), float(high))
    counts = run.store.rows(_WEIGHT_BINS_SQL, [width])
    bins = [(b * width, (b + 1) * width, int(n)) for b, n in counts]
    chart = histogram(
        "chart-weights",
        t("weights_chart"),
        bins,
        x_label=t("match_weight"),
        y_label=t("pairs"),
        markers=_threshold_markers(run),
        describe=f"{int(weighted):,} {t('pairs')}",
    )
    return Section("weights", t("weights"), t("weights_intro"), chart + body)


_WEIGHT_RANGE_SQL = """
    SELECT min(match_weight), max(match_weight), count(match_weight),
        count(*) - count(match_weight)
    FROM yd_pairs
"""
_WEIGHT_BINS_SQL = """
    SELECT CAST(floor(match_weight / $1) AS BIGINT) AS bin, count(*) AS n
    FROM yd_pairs WHERE match_weight IS NOT NULL
    GROUP BY bin ORDER BY bin
"""


def _bin_width(low: float, high: float, most: int = 30) -> float:
    """The smallest round width that cuts low..high into at most ``most`` bins."""
    span = max(high - low, 1e-9)
    for width in (0.5, 1, 2, 5, 10, 20, 50, 100):
        if span / width <= most:
            return float(width)
    return span / most


def _threshold_markers(run: _Run) -> list[Marker]:
    if run.thresholds is None:
        return []
    match, review = run.thresholds.match, run.thresholds.review
    return [
        Marker(match_weight_of(match), run.t("match_threshold", p=f"{match:g}")),
        Marker(
            match_weight_of(review),
            run.t("review_threshold", p=f"{review:g}"),
            colour="#d9822b",
        ),
    ]


def match_weight_of(probability: float) -> float:
    """The match weight of a probability: log2 of its odds, p / (1 - p).

    Probabilities of exactly 0 or 1 are held a hair inside, so the weight is finite.
    """
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def _cluster_sizes(run: _Run) -> Section:
    t = run.t
    rows = run.rows(
        "SELECT cluster_size, count(DISTINCT person_id) FROM yd_clusters "
        "GROUP BY cluster_size ORDER BY cluster_size",
        "yd_clusters",
    )
    if not rows:
        return Section("clusters", t("clusters"), t("clusters_intro"), _none(t("none")))
    by_size = {int(size): int(n) for size, n in rows}
    largest = max(by_size)
    columns = [(str(size), float(by_size.get(size, 0))) for size in range(1, 10)]
    columns = columns[: min(largest, 9)]
    if largest >= 10:
        columns.append(("10+", float(sum(n for s, n in by_size.items() if s >= 10))))
    chart = column_chart(
        "chart-clusters",
        t("clusters_chart"),
        columns,
        x_label=t("cluster_size"),
        y_label=t("persons"),
    )
    note = t("largest_cluster", persons=f"{sum(by_size.values()):,}", largest=largest)
    body = f"<p>{escape(note)}</p>{chart}"
    return Section("clusters", t("clusters"), t("clusters_intro"), body)


def _review(run: _Run) -> Section:
    t = run.t
    found = {
        str(reason): (int(n), int(top))
        for reason, n, top in run.rows(
            "SELECT reason, count(*), max(priority) FROM yd_review_queue "
            "GROUP BY reason",
            "yd_review_queue",
        )
    }
    if not found:
        empty = _none(t("review_empty"))
        return Section("review", t("review"), t("review_intro"), empty)
    codes = [*REASONS, *sorted(set(found) - set(REASONS))]
    rows = [
        (code, review_reason(code, run.lang), *found.get(code, (0, None)))
        for code in codes
    ]
    table = render_table([t("code"), t("reason"), t("items"), t("top_priority")], rows)
    chart = bar_chart(
        "chart-review",
        t("review_chart"),
        [(review_reason(code, run.lang), found.get(code, (0, 0))[0]) for code in codes],
        value_label=t("items"),
    )
    return Section("review", t("review"), t("review_intro"), table + chart)


def _person_flags(run: _Run) -> Section:
    t = run.t
    found = {
        str(flag): int(n)
        for flag, n in run.rows(
            "SELECT flag, count(*) FROM (SELECT unnest(flags) AS flag FROM yd_golden) "
            "GROUP BY flag",
            "yd_golden",
        )
    }
    persons = run.count("yd_golden")
    codes = [*PERSON_FLAGS, *sorted(set(found) - set(PERSON_FLAGS))]
    rows = [
        (
            code,
            person_flag(code, run.lang),
            found.get(code, 0),
            percent(found.get(code, 0) / persons if persons else None, digits=2),
        )
        for code in codes
    ]
    table = render_table(
        [t("flag"), t("meaning"), t("persons"), t("share_of_persons")], rows
    )
    chart = bar_chart(
        "chart-person-flags",
        t("person_flags_chart"),
        [(person_flag(code, run.lang), float(found.get(code, 0))) for code in codes],
        value_label=t("persons"),
    )
    return Section(
        "person-flags", t("person_flags"), t("person_flags_intro"), table + chart
    )


def _duplicates(run: _Run) -> Section:
    t = run.t
    intro = t("duplicates_intro", limit=_DUPLICATE_PAIRS_SHOWN)
    rows = run.rows(_DUPLICATES_SQL, "yd_golden", "yd_clusters", "yd_link_input")
    if not rows:
        return Section("duplicates", t("duplicates"), intro, _none(t("no_duplicates")))
    table = render_table(
        [t("scheme"), t("region_a"), t("region_b"), t("persons")],
        [
            (t(str(kind)), region_label(str(a)), region_label(str(b)), n)
            for kind, a, b, n in rows
        ],
    )
    return Section("duplicates", t("duplicates"), intro, table)


_DUPLICATES_SQL = f"""
    WITH flagged AS (
        SELECT person_id FROM yd_golden
        WHERE list_contains(flags, 'duplicate_enrollment')
    ),
    enrolled AS (
        SELECT DISTINCT c.person_id, i.source_kind, i.enrolled_region
        FROM yd_clusters AS c
        JOIN flagged USING (person_id)
        JOIN yd_link_input AS i USING (unique_id)
        WHERE i.source_kind IN ('pension_enrollment', 'medical_enrollment')
            AND i.enrolled_region IS NOT NULL
    )
    SELECT a.source_kind, a.enrolled_region, b.enrolled_region,
        count(DISTINCT a.person_id) AS persons
    FROM enrolled AS a
    JOIN enrolled AS b
        ON a.person_id = b.person_id AND a.source_kind = b.source_kind
        AND a.enrolled_region < b.enrolled_region
    GROUP BY ALL
    ORDER BY persons DESC, a.source_kind, a.enrolled_region, b.enrolled_region
    LIMIT {_DUPLICATE_PAIRS_SHOWN}
"""

_STYLE = """
:root{--ink:#1f2933;--muted:#52606d;--line:#d9dee3;--head:#f1f4f7;--accent:#3b6ea5}
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC",
"Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;margin:0;color:var(--ink);
background:#fafbfc;line-height:1.55}
header,main,footer{max-width:1080px;margin:0 auto;padding:0 1.5rem}
header{padding-top:1.5rem}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.2rem;margin:0 0 .3rem;padding-bottom:.3rem;border-bottom:2px solid
var(--accent)}
h3{font-size:1.02rem;margin:1.4rem 0 .2rem}
.sub,.intro{color:var(--muted);margin:.2rem 0 .8rem}
nav ol{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:0;margin:.8rem 0;
list-style:none;font-size:.92rem}
nav a{color:var(--accent);text-decoration:none}nav a:hover{text-decoration:underline}
section{background:#fff;border:1px solid var(--line);border-radius:6px;
padding:1rem 1.3rem;margin:1.2rem 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.92rem}
caption{text-align:left;color:var(--muted);padding:.2rem 0}
th,td{border:1px solid var(--line);padding:.3rem .65rem;text-align:left;
vertical-align:top}
th{background:var(--head);font-weight:600}
tbody tr:nth-child(even) td:not([style]){background:#fafbfc}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:.4rem 0 1rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.6rem 1rem;min-width:9rem;
background:var(--head)}
.card .v{display:block;font-size:1.45rem;font-weight:600;
font-variant-numeric:tabular-nums}
.card .k{color:var(--muted);font-size:.88rem}
.none{color:var(--muted);font-style:italic}
svg.chart{display:block;max-width:100%;height:auto;margin:.6rem 0 1rem}
pre{background:var(--head);padding:.7rem;overflow-x:auto;font-size:.85rem}
details summary{cursor:pointer;color:var(--accent)}
footer{color:var(--muted);font-size:.85rem;padding-bottom:2rem}
@media print{section{break-inside:avoid;border:none}nav{display:none}}
"""
