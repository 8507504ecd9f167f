"""The review app in a real browser: log in, decide by keyboard, stay on the host.

Drives Debian's headless chromium with playwright against the app served by waitress
on a free loopback port. Run with ``pytest -m browser``.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_review_app import PASSWORD, build_store
from waitress import create_server

from linkage.review import ReviewConfig, ReviewStore, create_app
from linkage.review.auth import save_user

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def sync_playwright() -> Any:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(
            f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        )
    module = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )
    return module.sync_playwright


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, ReviewStore]]:
    """The app on a free port of 127.0.0.1, with one reviewer; yields its base URL."""
    store = ReviewStore(build_store(tmp_path / "store.duckdb"))
    save_user(store, "alice", "reviewer", PASSWORD)
    app = create_app(store, ReviewConfig(secret_key="browser-test"))
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", store
    finally:
        server.close()
        thread.join(timeout=5)
        store.close()


def test_reviewer_decides_three_items_by_keyboard(
    sync_playwright: Any, served: tuple[str, ReviewStore]
) -> None:
    base, store = served
    requested: list[str] = []
    console_errors: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.on(
            "console",
            lambda message: (
                console_errors.append(message.text) if message.type == "error" else None
            ),
        )

        page.goto(f"{base}/")
        page.fill("#name", "alice")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.press("#password", "Enter")
        with page.expect_navigation():
            page.click("#next-link")

        masked_before = "110105197003030045" not in page.content()
        with page.expect_navigation():
            page.keyboard.press("r")
        shown_after = "110105197003030045" in page.content()

        decided = []
        for key in ("1", "2", "3"):
            decided.append(page.url.rsplit("/", 1)[-1])
            with page.expect_navigation():
                page.keyboard.press(key)
        browser.close()

    rows = store.rows(
        "SELECT q.item_id, d.decision, d.reviewer FROM yd_review_decisions AS d "
        "JOIN yd_review_queue AS q USING (left_source, left_record_id, "
        "right_source, right_record_id) ORDER BY d.decided_at"
    )
    assert rows == [
        (decided[0], "match", "alice"),
        (decided[1], "not_match", "alice"),
        (decided[2], "unsure", "alice"),
    ]
    reveals = store.scalar(
        "SELECT count(*) FROM yd_review_audit WHERE action = 'reveal'"
    )
    assert reveals == 1
    assert masked_before
    assert shown_after
    assert console_errors == []
    outside = [
        url
        for url in requested
        if not url.startswith("data:") and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert requested
    assert outside == []
