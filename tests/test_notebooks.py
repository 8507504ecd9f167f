"""The notebooks run from top to bottom without error."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted(Path(__file__).parents[1].joinpath("notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("YIDANG_MODEL_PATH", str(tmp_path / "model.json"))
    monkeypatch.setenv("YIDANG_PERSONS", "1200")
    notebook = nbformat.read(path, as_version=4)

    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()

    assert (tmp_path / "model.json").is_file()
