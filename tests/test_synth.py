"""The synthetic population and registry generator (``yidang synth``)."""

from __future__ import annotations

import csv
import math
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evaluation.synth
from evaluation.synth import (
    ErrorModel,
    ErrorRates,
    SynthError,
    SynthSummary,
    dates,
    generate,
    geography,
    idnumbers,
)
from evaluation.synth.corrupt import is_rare
from evaluation.synth.population import (
    FOREIGN,
    MAINLAND,
    PERMIT_REGION,
    Population,
    build_population,
)
from evaluation.synth.specs import SPECS
from linkage.schema import PERSON_FIELDS, SourceKind

PERSONS = 2_000
SEED = 7
KINDS = {spec.name: spec.kind for spec in SPECS}

HIGH_RATES = ErrorModel.none().with_rates(
    name_homophone=0.1,
    name_space=0.1,
    name_separator=0.5,
    name_rare_question=0.5,
    id_missing=0.05,
    id_typo=0.1,
    id_swap=0.1,
    id_old15=0.1,
    id_lower_x=0.5,
    id_masked=0.05,
    id_scientific=0.05,
    birth_day_month_swap=0.1,
    birth_field_off=0.1,
    sex_wrong=0.05,
    phone_missing=0.2,
    phone_changed=0.2,
)


@pytest.fixture(scope="module")
def people() -> Population:
    return build_population(PERSONS, SEED)


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate(tmp_path_factory.mktemp("synth"), persons=PERSONS, seed=SEED)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    out = tmp_path_factory.mktemp("noisy")
    return generate(out, persons=PERSONS, seed=SEED, errors=HIGH_RATES)


def read_rows(path: Path, encoding: str) -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def extract(summary: SynthSummary, source: str) -> list[dict[str, str]]:
    return read_rows(summary.files[source], summary.encodings[source])


def project(summary: SynthSummary) -> dict[str, dict[str, object]]:
    data = tomllib.loads(summary.project_path.read_text("utf-8"))
    return {source["name"]: source for source in data["sources"]}


def column(summary: SynthSummary, source: str, field: str) -> str:
    fields = project(summary)[source]["fields"]
    assert isinstance(fields, dict)
    header = fields[field]
    assert isinstance(header, str)
    return header


def errors_by_record(summary: SynthSummary) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in read_rows(summary.errors_path, "utf-8"):
        found[(row["source"], row["record_id"])].add(row["field"])
    return found


def key_index(people: Population) -> dict[str, int]:
    return {key: index for index, key in enumerate(people.keys)}


def test_public_api_is_pinned() -> None:
    assert evaluation.synth.__all__ == [
        "ErrorModel",
        "ErrorRates",
        "SynthError",
        "SynthSummary",
        "generate",
    ]


def test_check_character_matches_the_worked_example() -> None:
    assert idnumbers.check_character("13050319670401001") == "6"
    assert idnumbers.is_valid("130503196704010016")
    assert idnumbers.to_fifteen("130503196704010016") == "130503670401001"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(10**16, 10**17 - 1), min_size=1, max_size=20))
def test_vectorised_check_characters_agree_with_the_rule(bodies: list[int]) -> None:
    expected = [idnumbers.check_character(f"{body:017d}") for body in bodies]
    assert idnumbers.check_characters(np.array(bodies, dtype=np.int64)) == expected


def test_every_identity_number_is_valid_unique_and_encodes_birth_and_sex(
    people: Population,
) -> None:
    year, month, day = dates.split(people.birth)
    assert len(set(people.id_number)) == len(people)
    for i, number in enumerate(people.id_number):
        assert idnumbers.is_valid(number), number
        assert number[6:14] == f"{year[i]:04d}{month[i]:02d}{day[i]:02d}"
        assert int(number[16]) % 2 == (1 if people.male[i] else 0)


def test_permit_and_foreign_numbers_have_their_own_shapes(people: Population) -> None:
    for i, number in enumerate(people.id_number):
        origin = int(people.origin[i])
        if origin in PERMIT_REGION:
            assert number[:6] == str(PERMIT_REGION[origin])
        elif origin == FOREIGN:
            assert number[0] == "9"
            old = people.old_permit[i]
            assert old == "" or (
                old[:3].isalpha() and old[3:].isdigit() and len(old) == 15
            )
        else:
            assert not number.startswith(("81", "82", "83", "9"))


def test_twins_share_birth_day_region_and_have_consecutive_numbers(
    people: Population,
) -> None:
    second = np.flatnonzero(people.twin_of >= 0)
    assert second.size > 0
    for b in second.tolist():
        a = int(people.twin_of[b])
        first, other = people.id_number[a], people.id_number[b]
        assert first[:14] == other[:14]
        assert int(other[14:17]) - int(first[14:17]) in (1, 2)


def test_population_has_the_names_china_has() -> None:
    people = build_population(20_000, 3)
    names = Counter(people.name)
    assert names.most_common(1)[0][1] >= 10  # 张伟, 王伟... shared by many
    assert any("·" in name for name in names)
    assert any(len(surname) == 2 for surname in people.surname)
    assert any(any(is_rare(char) for char in name) for name in names)
    assert {"汉族", "维吾尔族", "藏族"} <= set(people.ethnicity)


def test_ages_deaths_and_migration_look_like_china() -> None:
    people = build_population(20_000, 4)
    age = people.age
    assert age.min() >= 0 and age.max() <= 100
    assert 0.005 < people.dead.mean() < 0.06
    assert age[people.dead].mean() > age.mean() + 15
    mainland = people.origin == MAINLAND
    away = people.residence_county[mainland] != people.issue_county[mainland]
    assert 0.10 < away.mean() < 0.22


def test_fifteen_digit_numbers_only_for_people_born_before_2000(
    noisy: SynthSummary, people: Population
) -> None:
    index = key_index(people)
    truth = {
        (row["source"], row["record_id"]): row["person_key"]
        for row in read_rows(noisy.truth_path, "utf-8")
    }
    year = dates.split(people.birth)[0]
    olds = [
        row
        for row in read_rows(noisy.errors_path, "utf-8")
        if row["error"] == "id_old15" and row["field"] == "id_number"
    ]
    assert olds
    for row in olds:
        person = index[truth[(row["source"], row["record_id"])]]
        assert year[person] < 2000 and people.origin[person] == MAINLAND


def test_every_record_appears_in_truth_exactly_once(summary: SynthSummary) -> None:
    truth = read_rows(summary.truth_path, "utf-8")
    pairs = Counter((row["source"], row["record_id"]) for row in truth)
    assert max(pairs.values()) == 1
    expected: set[tuple[str, str]] = set()
    for source in summary.files:
        ids = [
            row[column(summary, source, "record_id")]
            for row in extract(summary, source)
        ]
        assert len(ids) == len(set(ids)) == summary.records[source]
        expected |= {(source, record_id) for record_id in ids}
    assert set(pairs) == expected


def test_truth_keys_are_people_of_the_population(
    summary: SynthSummary, people: Population
) -> None:
    keys = set(people.keys)
    assert {row["person_key"] for row in read_rows(summary.truth_path, "utf-8")} <= keys


def test_clean_extract_numbers_match_the_record_birth_date_and_sex(
    summary: SynthSummary,
) -> None:
    garbled = errors_by_record(summary)
    checked = 0
    for row in extract(summary, "hukou"):
        if garbled[("hukou", row["记录编号"])] & {"id_number", "birth_date", "sex"}:
            continue
        number = row["公民身份号码"]
        assert idnumbers.is_valid(number)
        assert number[6:14] == row["出生日期"].replace("-", "")
        assert int(number[16]) % 2 == (1 if row["性别"] == "男" else 0)
        checked += 1
    assert checked > PERSONS * 0.9


def binomial_ok(injected: int, eligible: int, rate: float) -> bool:
    spread = 4.0 * math.sqrt(eligible * rate * (1.0 - rate)) + 2.0
    return abs(injected - eligible * rate) <= spread


def test_measured_error_rates_are_near_the_configured_rates(
    noisy: SynthSummary,
) -> None:
    counted = Counter(
        (row["source"], row["field"], row["error"])
        for row in read_rows(noisy.errors_path, "utf-8")
    )
    rows = read_rows(noisy.error_rates_path, "utf-8")
    tested = 0
    for row in rows:
        key = (row["source"], row["field"], row["error"])
        injected, eligible = int(row["injected"]), int(row["eligible"])
        assert counted[key] == injected
        assert binomial_ok(injected, eligible, float(row["rate"])), row
        tested += eligible >= 200 and float(row["rate"]) > 0
    assert tested >= 30


def test_errors_that_need_nothing_special_hit_the_rate_of_all_records(
    noisy: SynthSummary,
) -> None:
    errors = Counter(
        (row["source"], row["error"]) for row in read_rows(noisy.errors_path, "utf-8")
    )
    for source in ("hukou", "pension", "medical"):
        records = noisy.records[source]
        for error in ("id_typo", "id_swap", "birth_field_off", "sex_wrong"):
            rate = HIGH_RATES.rates_for(KINDS[source]).rate(error)
            assert binomial_ok(errors[(source, error)], records, rate), (source, error)


def test_a_rate_set_to_zero_produces_none_of_that_error(tmp_path: Path) -> None:
    model = HIGH_RATES.with_rates(id_typo=0.0, name_homophone=0.0, phone_missing=0.0)
    result = generate(tmp_path, persons=500, seed=1, errors=model)
    kinds = {row["error"] for row in read_rows(result.errors_path, "utf-8")}
    assert "id_swap" in kinds
    assert not kinds & {"id_typo", "name_homophone", "phone_missing"}


def test_the_clean_model_injects_nothing(tmp_path: Path) -> None:
    result = generate(tmp_path, persons=500, seed=1, errors=ErrorModel.none())
    assert read_rows(result.errors_path, "utf-8") == []
    assert sum(result.errors.values()) == 0


def test_garbled_numbers_have_the_shapes_real_exports_show(noisy: SynthSummary) -> None:
    garbled: dict[str, list[str]] = defaultdict(list)
    index = {
        (row["source"], row["record_id"]): row["error"]
        for row in read_rows(noisy.errors_path, "utf-8")
        if row["field"] == "id_number"
    }
    for source in ("hukou", "pension", "dibao"):
        id_column = column(noisy, source, "id_number")
        for row in extract(noisy, source):
            error = index.get((source, row[column(noisy, source, "record_id")]))
            if error:
                garbled[error].append(row[id_column])
    assert all(len(v) == 15 and v.isdigit() for v in garbled["id_old15"])
    assert all(v.endswith("x") for v in garbled["id_lower_x"])
    assert all(v[6:14] == "********" for v in garbled["id_masked"])
    assert all(v.endswith("E+17") for v in garbled["id_scientific"])
    assert all(v == "" for v in garbled["id_missing"])
    assert all(
        not idnumbers.is_valid(v) for v in garbled["id_typo"] + garbled["id_swap"]
    )


def test_rates_that_cannot_add_up_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SynthError):
        ErrorRates(id_typo=1.5)
    model = ErrorModel.none().with_rates(id_typo=0.6, id_swap=0.6)
    with pytest.raises(SynthError, match="at most 1"):
        generate(tmp_path, persons=200, seed=1, errors=model)


def test_each_file_decodes_with_its_declared_encoding(summary: SynthSummary) -> None:
    sources = project(summary)
    for name, path in summary.files.items():
        data = path.read_bytes()
        encoding = summary.encodings[name]
        data.decode(encoding)
        declared = sources[name]["encoding"]
        assert declared in ("auto", encoding)
    hukou = summary.files["hukou"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        hukou.decode("utf-8")
    assert summary.files["pension"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert sources["hukou"]["encoding"] == "gb18030"
    assert not summary.files["medical"].read_bytes().startswith(b"\xef\xbb\xbf")


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(
    tmp_path: Path,
) -> None:
    first = generate(tmp_path / "a", persons=400, seed=11)
    second = generate(tmp_path / "b", persons=400, seed=11)
    third = generate(tmp_path / "c", persons=400, seed=12)
    names = sorted(p.name for p in first.out_dir.iterdir())
    assert names == sorted(p.name for p in second.out_dir.iterdir())
    for name in names:
        assert (first.out_dir / name).read_bytes() == (
            second.out_dir / name
        ).read_bytes()
    assert first.files["hukou"].read_bytes() != third.files["hukou"].read_bytes()


def test_project_file_parses_and_maps_existing_columns(summary: SynthSummary) -> None:
    data = tomllib.loads(summary.project_path.read_text("utf-8"))
    assert data["thresholds"] == {"match": 0.95, "review": 0.5}
    assert {"name", "store", "backend"} <= set(data["run"])
    for source in data["sources"]:
        SourceKind(source["kind"])
        path = summary.project_path.parent / source["path"]
        encoding = summary.encodings[source["name"]]
        with path.open(encoding=encoding, newline="") as handle:
            header = next(csv.reader(handle))
        assert "record_id" in source["fields"]
        for field, header_name in source["fields"].items():
            assert field in PERSON_FIELDS
            assert header_name in header
        assert "person_key" not in source["fields"]
    trust = {source["name"]: source["trust"] for source in data["sources"]}
    assert trust["hukou"] == 1
    assert len(set(trust.values())) == len(trust)


def test_birth_certificates_describe_young_children_of_known_mothers(
    summary: SynthSummary, people: Population
) -> None:
    index = key_index(people)
    truth = {
        row["record_id"]: index[row["person_key"]]
        for row in read_rows(summary.truth_path, "utf-8")
        if row["source"] == "birth"
    }
    garbled = errors_by_record(summary)
    rows = extract(summary, "birth")
    assert rows
    for row in rows:
        child = truth[row["出生医学证明编号"]]
        mother = int(people.mother[child])
        assert people.age[child] <= 6 and mother >= 0
        if "mother_id_number" not in garbled[("birth", row["出生医学证明编号"])]:
            assert row["母亲身份证件号码"] == people.id_number[mother]


def test_some_people_are_enrolled_twice_in_two_regions(summary: SynthSummary) -> None:
    truth = {
        (row["source"], row["record_id"]): row["person_key"]
        for row in read_rows(summary.truth_path, "utf-8")
    }
    twice = 0
    for source in ("pension", "medical"):
        regions: dict[str, list[str]] = defaultdict(list)
        id_column = column(summary, source, "record_id")
        region_column = column(summary, source, "enrolled_region")
        for row in extract(summary, source):
            regions[truth[(source, row[id_column])]].append(row[region_column])
        for found in regions.values():
            if len(found) > 1:
                twice += 1
                assert len(set(found)) == len(found)
    assert 0.01 * PERSONS < twice < 0.06 * PERSONS


def test_few_people_are_enrolled_nowhere_and_some_dead_still_are(
    summary: SynthSummary, people: Population
) -> None:
    truth = read_rows(summary.truth_path, "utf-8")
    enrolled = {r["person_key"] for r in truth if r["source"] in ("pension", "medical")}
    assert 0.02 < 1 - len(enrolled) / PERSONS < 0.09
    dead = {key for key, d in zip(people.keys, people.dead.tolist(), strict=True) if d}
    status = column(summary, "medical", "status")
    record = column(summary, "medical", "record_id")
    keys = {r["record_id"]: r["person_key"] for r in truth if r["source"] == "medical"}
    still = [
        row for row in extract(summary, "medical")
        if keys[row[record]] in dead and row[status] != "终止参保"
    ]  # fmt: skip
    assert still


def test_progress_reports_every_stage(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    generate(tmp_path, persons=300, seed=2, progress=lambda *a: seen.append(a))
    stages = [stage for stage, _, _ in seen]
    assert stages[0] == "population" and stages[-1] == "project"
    assert {"hukou", "pension", "medical", "birth"} <= set(stages)
    assert all(0 <= done <= total for _, done, total in seen)


def test_county_table_knows_every_province_with_people() -> None:
    table = geography.counties()
    assert set(geography.PROVINCE_MILLIONS) <= set(np.unique(table.provinces).tolist())
