"""Load test of the review web app on loopback: decisions per second, page latency.

The server runs in a process of its own (``yidang review serve`` through
:func:`linkage.review.commands.serve`, with waitress threads); this process plays N
reviewers, each on its own thread and keep-alive connection, looping for a fixed time:
take the next item (``GET /next``), open it (``GET /item/ID``), decide it
(``POST /item/ID/decide``). Every request's latency is kept; the figures are printed
as a markdown table. It also checks that no pair was decided twice, which would mean
two reviewers had held the same item.

Without ``--store`` it builds one: synthetic registries, a full ``yidang link`` run,
then a queue made of every scored pair, so that the reviewers do not run out.

    python benchmarks/bench_review.py --sessions 20 --seconds 30
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from results import machine, write_section

from linkage.review.commands import add_user
from linkage.store import Store

PASSWORD = "bench-password"
DECISIONS = ("match", "not_match", "unsure")
_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
_COOKIE = re.compile(r"yd_review=([^;]*)")

_QUEUE_FROM_PAIRS = """
    CREATE OR REPLACE TABLE yd_review_queue AS
    WITH pairs AS (
        SELECT unique_id_l, unique_id_r, max(match_probability) AS p
        FROM yd_pairs GROUP BY ALL
    )
    SELECT
        'B' || lpad(CAST(row_number() OVER (ORDER BY p.unique_id_l, p.unique_id_r)
            AS VARCHAR), 7, '0') AS item_id,
        CAST(round(100 - 200 * abs(p.p - 0.5)) AS INTEGER) AS priority,
        'uncertain_pair' AS reason,
        round(p.p, 6) AS match_probability,
        l.source AS left_source, l.record_id AS left_record_id,
        cl.person_id AS left_person_id,
        r.source AS right_source, r.record_id AS right_record_id,
        cr.person_id AS right_person_id,
        p.unique_id_l, p.unique_id_r
    FROM pairs AS p
    JOIN yd_link_input AS l ON l.unique_id = p.unique_id_l
    JOIN yd_link_input AS r ON r.unique_id = p.unique_id_r
    JOIN yd_clusters AS cl ON cl.unique_id = p.unique_id_l
    JOIN yd_clusters AS cr ON cr.unique_id = p.unique_id_r
"""


@dataclass
class Tally:
    """What the simulated reviewers measured."""

    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"next": [], "item": [], "decide": []}
    )
    decisions: int = 0
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)


class Session:
    """One reviewer's keep-alive connection and session cookie."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.token = ""

    def request(
        self, method: str, path: str, body: str | None = None
    ) -> tuple[int, str, str]:
        headers = {"Cookie": f"yd_review={self.cookie}"} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8")
        found = _COOKIE.search(response.getheader("Set-Cookie") or "")
        if found:
            self.cookie = found.group(1)
        token = _TOKEN.search(text)
        if token:
            self.token = token.group(1)
        return response.status, response.getheader("Location") or "", text

    def login(self, name: str) -> None:
        self.request("GET", "/login")
        form = f"name={name}&password={PASSWORD}&csrf_token={self.token}"
        status, _, _ = self.request("POST", "/login", form)
        if status != 302:
            raise RuntimeError(f"login of {name} failed with HTTP {status}")
        self.request("GET", "/")


def reviewer_loop(session: Session, deadline: float, tally: Tally, seed: int) -> None:
    """Take, open and decide items until the deadline or the queue runs dry."""
    chooser = random.Random(seed)
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        status, location, _ = session.request("GET", "/next")
        tally.add("next", time.perf_counter() - started)
        if status != 302 or "/item/" not in location:
            return
        started = time.perf_counter()
        status, _, _ = session.request("GET", location)
        tally.add("item", time.perf_counter() - started)
        if status != 200:
            with tally.lock:
                tally.errors += 1
            continue
        form = f"decision={chooser.choice(DECISIONS)}&csrf_token={session.token}"
        started = time.perf_counter()
        status, _, _ = session.request("POST", f"{location}/decide", form)
        tally.add("decide", time.perf_counter() - started)
        with tally.lock:
            if status == 302:
                tally.decisions += 1
            else:
                tally.errors += 1


def build_store(folder: Path, persons: int) -> Path:
    """Synthetic registries, one full run, and a queue of every scored pair."""
    from evaluation.synth import generate
    from linkage.pipeline import run_project

    summary = generate(folder / "registries", persons=persons, seed=3)
    result = run_project(summary.project_path, out_dir=folder / "outputs")
    store = result.project.run.store
    with Store(store) as opened:
        opened.con.execute(_QUEUE_FROM_PAIRS)
    return store


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(store: Path, port: int, threads: int) -> subprocess.Popen[bytes]:
    code = (
        "import sys; from linkage.review.commands import serve; "
        f"serve(sys.argv[1], '127.0.0.1', {port}, threads={threads})"
    )
    server = subprocess.Popen([sys.executable, "-c", code, str(store)])
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the review server did not start")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[
        round(share * 100) - 1
    ]


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds a process has used (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def report(
    tally: Tally, sessions: int, seconds: float, items: int, server_cpu: float | None
) -> str:
    every = [v for values in tally.latencies.values() for v in values]
    lines = [
        "| measure | value |",
        "|---|---|",
        f"| concurrent reviewer sessions | {sessions} |",
        f"| duration | {seconds:.1f} s |",
        f"| queue items | {items:,} |",
        f"| decisions | {tally.decisions:,} |",
        f"| decisions per second | {tally.decisions / seconds:.1f} |",
        f"| requests | {len(every):,} ({len(every) / seconds:.1f} per second) |",
        f"| failed requests | {tally.errors} |",
    ]
    for kind, label in [
        ("next", "lease next (GET /next)"),
        ("item", "item page (GET /item/ID)"),
        ("decide", "decision (POST .../decide)"),
    ]:
        values = tally.latencies[kind]
        lines.append(
            f"| {label}: p50 / p95 | {percentile(values, 0.5) * 1000:.0f} ms / "
            f"{percentile(values, 0.95) * 1000:.0f} ms |"
        )
    lines.append(f"| all pages: p95 | {percentile(every, 0.95) * 1000:.0f} ms |")
    if server_cpu is not None and tally.decisions:
        lines.append(
            f"| server CPU | {server_cpu:.1f} s ({server_cpu / seconds:.2f} cores; "
            f"{server_cpu / tally.decisions * 1000:.0f} ms per decision) |"
        )
    lines.append(
        f"| machine load average (1 min) at the end | {os.getloadavg()[0]:.2f} |"
    )
    return "\n".join(lines)


def run(store: Path, sessions: int, seconds: float, threads: int) -> str:
    names = [f"bench{n:02d}" for n in range(sessions)]
    for name in names:
        add_user(store, name, "reviewer", PASSWORD)
    add_user(store, "benchboss", "supervisor", PASSWORD)
    with Store(store, read_only=True) as opened:
        items = int(opened.scalar("SELECT count(*) FROM yd_review_queue"))
    port = free_port()
    server = start_server(store, port, threads)
    try:
        reviewers = [Session(port) for _ in names]
        for session, name in zip(reviewers, names, strict=True):
            session.login(name)
        tally = Tally()
        cpu_before = cpu_seconds(server.pid)
        started = time.perf_counter()
        deadline = started + seconds
        workers = [
            threading.Thread(target=reviewer_loop, args=(s, deadline, tally, n))
            for n, s in enumerate(reviewers)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    check_no_pair_decided_twice(store)
    server_cpu = None
    if cpu_before is not None and cpu_after is not None:
        server_cpu = cpu_after - cpu_before
    return report(tally, sessions, elapsed, items, server_cpu)


def check_no_pair_decided_twice(store: Path) -> None:
    with Store(store, read_only=True) as opened:
        repeated = opened.scalar(
            "SELECT count(*) FROM (SELECT left_source, left_record_id, right_source, "
            "right_record_id FROM yd_review_decisions GROUP BY ALL HAVING count(*) > 1)"
        )
    if repeated:
        raise RuntimeError(f"{repeated} pairs were decided twice: leases leaked")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store to copy and review")
    parser.add_argument("--persons", type=int, default=1500)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-review-") as folder:
        work = Path(folder)
        if args.store is not None:
            store = work / "store.duckdb"
            shutil.copy(args.store, store)
        else:
            store = build_store(work, args.persons)
        table = run(store, args.sessions, args.seconds, args.threads)
    print(table)
    write_section(
        "review",
        "## Review workbench under load (`benchmarks/bench_review.py`)\n\n"
        f"{args.sessions} concurrent reviewer sessions for {args.seconds:.0f} s on "
        "loopback, each looping next item, open, decide with no think time; server "
        f"in its own process with {args.threads} waitress threads; measured on "
        f"{machine()}.\n\n{table}",
    )


if __name__ == "__main__":
    main()
