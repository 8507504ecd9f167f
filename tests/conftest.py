"""Shared fixtures: small projects written to a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ProjectWriter = Callable[..., Path]


@pytest.fixture
def write_project(tmp_path: Path) -> ProjectWriter:
    """Write a one-source project around the given CSV text; returns its path."""

    def write(
        csv_text: str | bytes,
        *,
        fields: dict[str, str] | None = None,
        encoding: str = "auto",
        file_name: str = "hukou.csv",
        extra_toml: str = "",
    ) -> Path:
        data = csv_text.encode("utf-8") if isinstance(csv_text, str) else csv_text
        (tmp_path / file_name).write_bytes(data)
        mapping = fields or {
            "record_id": "编号",
            "name": "姓名",
            "id_number": "身份证号",
        }
        lines = [
            "[run]",
            'name = "test"',
            'store = "out/store.duckdb"',
            "[[sources]]",
            'name = "hukou"',
            'kind = "household_registration"',
            f'path = "{file_name}"',
            f'encoding = "{encoding}"',
            extra_toml,
            "[sources.fields]",
            *(f'{key} = "{value}"' for key, value in mapping.items()),
        ]
        path = tmp_path / "project.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
