"""Model files: every file in models/ loads, and the envelope guards its format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blocking.rules import TRAINING_RULES
from linkage.errors import ModelError
from linkage.model import (
    MODEL_FORMAT_VERSION,
    ModelCard,
    _comparisons_left_free,
    load_model,
    save_model,
    settings_dict,
)

MODELS = sorted(Path(__file__).parents[1].joinpath("models").glob("*.json"))


def test_models_folder_ships_the_person_model() -> None:
    assert any(path.name == "person.json" for path in MODELS)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_every_shipped_model_loads_and_is_trained(path: Path) -> None:
    settings, card = load_model(path)

    assert card.trained_on and card.records > 0
    assert 0 < settings["probability_two_random_records_match"] < 1
    levels = [
        level
        for comparison in settings["comparisons"]
        for level in comparison["comparison_levels"]
        if not level.get("is_null_level")
    ]
    assert all("u_probability" in level for level in levels)
    assert path.with_suffix(".md").is_file(), "each model has a model card"


def test_a_saved_model_round_trips(tmp_path: Path) -> None:
    card = ModelCard(trained_on="test", records=3, trained_at="2026-12-01T00:00:00Z")

    path = save_model(tmp_path / "m.json", settings_dict(), card)
    settings, loaded = load_model(path)

    assert loaded == card
    assert settings == settings_dict()


def test_another_format_version_is_refused_with_the_fix(tmp_path: Path) -> None:
    card = ModelCard(trained_on="test", records=3, trained_at="now")
    path = save_model(tmp_path / "m.json", settings_dict(), card)
    envelope = json.loads(path.read_text(encoding="utf-8"))
    envelope["format_version"] = MODEL_FORMAT_VERSION + 1
    path.write_text(json.dumps(envelope), encoding="utf-8")

    with pytest.raises(ModelError, match="retrain"):
        load_model(path)


def test_a_bare_splink_settings_file_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(settings_dict()), encoding="utf-8")

    with pytest.raises(ModelError, match="not a yidang model file"):
        load_model(path)


def test_the_id_and_name_rules_leave_every_comparison_free_for_em() -> None:
    settings = settings_dict()
    free = {r.name: _comparisons_left_free(settings, r.sql) for r in TRAINING_RULES}
    compared = {c["output_column_name"] for c in settings["comparisons"]}

    assert free["id_key"] | free["pinyin_birth"] == compared
    assert "id_number" not in free["id_key"]
    assert "name" not in free["pinyin_birth"]
    # Without ID numbers the phone rule is the one that still trains the name.
    assert "name" in free["phone_birth"]
