"""Write a named section of ``benchmarks/RESULTS.md``, leaving the others as they are.

Each benchmark owns one section, fenced by ``<!-- begin NAME -->`` and
``<!-- end NAME -->``, so that rerunning one benchmark replaces only its figures.
"""

from __future__ import annotations

import platform
import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")

_TITLE = """# Benchmark results

Figures written by the scripts in this folder, each section by the script it names,
on the machine described in each section. Ratios compare systems measured in the same
run on the same data.
"""


def machine() -> str:
    """One line describing where the figures were measured."""
    import os

    cores = os.cpu_count()
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        total_kib = int(meminfo.read_text().split()[1])
        memory = f", {total_kib / 1024**2:.0f} GiB"
    python = platform.python_version()
    return f"{platform.machine()}, {cores} cores{memory}, Python {python}"


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md with ``markdown``."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.is_file() else _TITLE
    block = f"<!-- begin {name} -->\n{markdown.strip()}\n<!-- end {name} -->"
    pattern = re.compile(
        rf"<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->", re.S
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
