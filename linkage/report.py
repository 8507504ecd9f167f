"""The run report: one self-contained HTML page (styles and charts inline, no network).

Charts are drawn as inline SVG, so the page opens on an offline intranet exactly as it
was written. All text shown comes from counts and codes, never from personal data.
"""

from __future__ import annotations

import html
from pathlib import Path

from linkage.store import Store

_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.25rem .6rem}
th{background:#f3f3f3;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f7f7f7;padding:.6rem}svg text{font-size:11px}
"""


def write_run_report(store: Store, path: Path, summary: str) -> None:
    """Write the run report for the store's current run to ``path``."""
    sections = [
        ("Summary 摘要", f"<pre>{html.escape(summary)}</pre>"),
        ("Records per source 各来源记录数", _table(store, _SOURCES_SQL)),
        ("Rejected rows by reason 拒收原因", _table(store, _REJECTS_SQL)),
        ("Quality flags per source 质量标记", _table(store, _FLAGS_SQL)),
        ("Cluster sizes 聚类规模", _bar_chart(store.rows(_SIZES_SQL))),
        (
            "Match probabilities of scored pairs 匹配概率分布",
            _bar_chart(store.rows(_PROBABILITY_SQL)),
        ),
        ("Review queue by reason 复核队列", _table(store, _REVIEW_SQL)),
        ("Person flags 人员标记", _table(store, _GOLDEN_FLAGS_SQL)),
        ("Duplicate enrollments by region pair 重复参保地区", _table(store, _DUP_SQL)),
    ]
    body = "\n".join(f"<h2>{title}</h2>\n{content}" for title, content in sections)
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>yidang run report</title><style>{_STYLE}</style></head>"
        f"<body><h1>yidang 一档: run report 运行报告</h1>{body}</body></html>\n"
    )
    path.write_text(page, encoding="utf-8")


_SOURCES_SQL = """
    SELECT source, kind, encoding, rows_read, records, rejected, round(seconds, 2) AS s
    FROM yd_files ORDER BY trust, source
"""
_REJECTS_SQL = """
    SELECT source, regexp_replace(reason, '[0-9]+', 'N', 'g') AS reason, count(*) AS n
    FROM yd_rejects GROUP BY ALL ORDER BY n DESC
"""
_FLAGS_SQL = """
    SELECT source, code, any_value(reason) AS reason, count(*) AS n
    FROM yd_flags GROUP BY source, code ORDER BY source, n DESC
"""
_SIZES_SQL = """
    SELECT CASE WHEN cluster_size >= 8 THEN '8+' ELSE CAST(cluster_size AS VARCHAR)
        END AS size, count(DISTINCT person_id) AS persons
    FROM yd_clusters GROUP BY ALL ORDER BY min(cluster_size)
"""
_PROBABILITY_SQL = """
    SELECT printf('%.1f', floor(match_probability * 10) / 10) AS band, count(*) AS n
    FROM yd_pairs GROUP BY ALL ORDER BY band
"""
_REVIEW_SQL = """
    SELECT reason, count(*) AS items, max(priority) AS top_priority
    FROM yd_review_queue GROUP BY reason ORDER BY items DESC
"""
_GOLDEN_FLAGS_SQL = """
    SELECT flag, count(*) AS persons
    FROM (SELECT unnest(flags) AS flag FROM yd_golden)
    GROUP BY flag ORDER BY persons DESC
"""
_DUP_SQL = """
    WITH enrolled AS (
        SELECT c.person_id, i.source_kind, i.enrolled_region
        FROM yd_clusters AS c JOIN yd_link_input AS i USING (unique_id)
        WHERE i.source_kind IN ('pension_enrollment', 'medical_enrollment')
            AND i.enrolled_region IS NOT NULL
    )
    SELECT a.source_kind AS scheme, a.enrolled_region AS region_a,
        b.enrolled_region AS region_b, count(DISTINCT a.person_id) AS persons
    FROM enrolled AS a JOIN enrolled AS b
        ON a.person_id = b.person_id AND a.source_kind = b.source_kind
        AND a.enrolled_region < b.enrolled_region
    GROUP BY ALL ORDER BY persons DESC LIMIT 20
"""


def _table(store: Store, sql: str) -> str:
    cursor = store.con.execute(sql)
    names = [column[0] for column in cursor.description or []]
    rows = cursor.fetchall()
    if not rows:
        return "<p>none 无</p>"
    head = "".join(f"<th>{html.escape(name)}</th>" for name in names)
    body = "".join(
        "<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"
        return f'<td class="n">{text}</td>'
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


def _bar_chart(rows: list[tuple[object, ...]], width: int = 560) -> str:
    """A horizontal bar chart in inline SVG, one bar per (label, count) row."""
    if not rows:
        return "<p>none 无</p>"
    largest = max(int(str(row[1])) for row in rows) or 1
    bar_height, label_width = 18, 70
    height = bar_height * len(rows) + 4
    bars = []
    for index, (label, count) in enumerate(rows):
        y = index * bar_height + 2
        length = (width - label_width - 80) * int(str(count)) / largest
        bars.append(
            f'<text x="0" y="{y + 13}">{html.escape(str(label))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" '
            f'height="{bar_height - 4}" fill="#3b6ea5"></rect>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 13}">{int(str(count)):,}'
            "</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img">{"".join(bars)}</svg>'
    )
