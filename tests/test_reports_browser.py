"""Both reports in a real browser: they render, their charts take up room, and opening
them fetches nothing but the file itself.

Drives Debian's headless chromium with playwright (no browser download). Run with
``pytest -m browser``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_reports import EVAL_HEADINGS, RUN_HEADINGS, build_reports, merged_clusters

from evaluation.commands import run_evaluate
from linkage.i18n import text

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPORTS = ("run-zh", "run-en", "evaluation-zh", "evaluation-en")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built = build_reports(tmp_path_factory)
    clusters = merged_clusters(built, built.out)
    paths = {f"run-{lang}": path for lang, path in built.run_reports.items()}
    for lang in ("zh", "en"):
        paths[f"evaluation-{lang}"] = built.out / f"browser-evaluation-{lang}.html"
        run_evaluate(
            built.truth, clusters, report=paths[f"evaluation-{lang}"], lang=lang
        )
    return paths


@pytest.mark.parametrize("name", REPORTS)
def test_report_renders_offline_with_its_charts(
    browser: Any, reports: dict[str, Path], name: str, tmp_path: Path
) -> None:
    kind, lang = name.split("-")
    url = reports[name].as_uri()
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(url, wait_until="load")

    assert page.title() == text(lang, "run_title" if kind == "run" else "eval_title")
    assert page.locator("html").get_attribute("lang") == (
        "zh-CN" if lang == "zh" else "en"
    )
    headings = RUN_HEADINGS if kind == "run" else EVAL_HEADINGS
    shown = page.locator("h2")
    assert shown.all_inner_texts() == [text(lang, key) for key in headings]
    assert all(heading.is_visible() for heading in shown.all())
    charts = page.locator("svg.chart").all()
    assert len(charts) >= 3
    for chart in charts:
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
    assert all(seen == url or seen.startswith("data:") for seen in requests)
    assert not errors
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()
