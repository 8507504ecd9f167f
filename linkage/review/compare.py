"""The two records of a pair side by side, field by field, for a reviewer to judge.

Each row shows the raw value each registry holds (``yd_records``) and the value the
engine standardised it to (``yd_link_input``), and whether the two sides agree. ID
numbers are masked unless the reviewer asked to see them. Below the fields come the
comparison levels that produced the pair's score: the gamma values splink stored in
``yd_pairs`` when the run kept them, otherwise the same levels worked out again from
the person model's SQL over the two standardised records.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from linkage.comparisons import person_comparisons
from linkage.regions import lookup
from linkage.review.audit import PairRef
from linkage.review.storage import ReviewStore
from linkage.review.texts import (
    AGREEMENT_TEXTS,
    COMPARISON_TEXTS,
    EVIDENCE_TEXTS,
    ID_CLASS_TEXTS,
    LEVEL_TEXTS,
    SEX_TEXTS,
    SOURCE_KIND_TEXTS,
    text_for,
)

logger = logging.getLogger(__name__)

Shown = Callable[[str | None], str | None]
"""Turns a value into what the screen shows: itself, or masked."""

MEMBERS_SHOWN = 20
"""Other records of each side's person listed under the pair, at most."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one canonical field is shown and compared.

    Attributes:
        key: The canonical field (a ``yd_records`` column).
        label: The Chinese label.
        standard: The ``yd_link_input`` column with the standardised value.
        always: Show the row even when both sides are empty.
        sensitive: An ID number, masked until revealed.
    """

    key: str
    label: str
    standard: str | None = None
    always: bool = False
    sensitive: bool = False


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "姓名", "name_clean", always=True),
    FieldSpec("former_name", "曾用名"),
    FieldSpec("alias", "别名"),
    FieldSpec("id_number", "身份证号", "id_key", always=True, sensitive=True),
    FieldSpec("id_type", "证件类型"),
    FieldSpec("sex", "性别", "sex", always=True),
    FieldSpec("birth_date", "出生日期", "birth_date", always=True),
    FieldSpec("ethnicity", "民族"),
    FieldSpec("phone", "电话", "phone_key", always=True),
    FieldSpec("address", "地址", "region_code", always=True),
    FieldSpec("household_id", "户号"),
    FieldSpec("head_name", "户主姓名"),
    FieldSpec("relation_to_head", "与户主关系"),
    FieldSpec("death_date", "死亡日期", "death_date"),
    FieldSpec("status", "状态"),
    FieldSpec("scheme", "险种"),
    FieldSpec("enrolled_region", "参保地"),
    FieldSpec("mother_name", "母亲姓名", "mother_name_clean"),
    FieldSpec("mother_id_number", "母亲身份证号", "mother_id_key", sensitive=True),
    FieldSpec("father_name", "父亲姓名"),
    FieldSpec("father_id_number", "父亲身份证号", "father_id_key", sensitive=True),
    FieldSpec("employer_name", "工作单位"),
)


def mask_id(value: str | None) -> str | None:
    """An ID number with its middle hidden: ``110105********002X``.

    The first six characters (the region) and the last four stay; shorter values
    keep only their last two.
    """
    if value is None:
        return None
    text = value.strip()
    if len(text) >= 10:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    if len(text) > 2:
        return "*" * (len(text) - 2) + text[-2:]
    return "*" * len(text)


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One field of the two records, raw and standardised, masked if need be."""

    label: str
    left_raw: str | None
    right_raw: str | None
    left_standard: str | None
    right_standard: str | None
    agreement: str
    sensitive: bool

    @property
    def agreement_text(self) -> str:
        """一致, 不一致 or 缺失."""
        return AGREEMENT_TEXTS[self.agreement]


@dataclass(frozen=True, slots=True)
class LevelRow:
    """The comparison level one comparison took for the pair."""

    comparison: str
    label: str
    level: str
    gamma: int | None
    top: int

    @property
    def strength(self) -> str:
        """A CSS word for how strong the evidence is: strong, some, none or null."""
        if self.gamma is None or self.gamma < 0:
            return "null"
        if self.gamma == 0:
            return "none"
        return "strong" if self.gamma == self.top else "some"


@dataclass(frozen=True, slots=True)
class Member:
    """Another record of the same person, as the last run clustered it."""

    source: str
    record_id: str
    name: str | None
    id_number: str | None
    birth_date: str | None


@dataclass(frozen=True, slots=True)
class Side:
    """One record of the pair: where it comes from and its person's other records."""

    source: str
    source_kind: str
    record_id: str
    person_id: str | None
    members: list[Member] = field(default_factory=list)
    cluster_size: int = 0


@dataclass(frozen=True, slots=True)
class PairView:
    """Everything a reviewer sees of one pair."""

    left: Side
    right: Side
    fields: list[FieldRow]
    levels: list[LevelRow]
    levels_recomputed: bool
    match_weight: float | None
    evidence: str | None
    revealed: bool

    @property
    def evidence_text(self) -> str:
        """How the pair was found, in Chinese."""
        return text_for(EVIDENCE_TEXTS, self.evidence)


@dataclass(frozen=True, slots=True)
class _Ladder:
    """One comparison's levels as splink numbers them: null -1, ELSE 0, top n-1."""

    name: str
    null_sql: str | None
    conditions: list[str]
    labels: list[str]

    @property
    def top(self) -> int:
        return len(self.labels) - 1

    def label(self, gamma: int | None) -> str:
        if gamma is None:
            return "未计算"
        if gamma < 0:
            return LEVEL_TEXTS["null"]
        index = self.top - gamma
        if not 0 <= index < len(self.labels):
            return f"第 {gamma} 级"
        english = self.labels[index]
        return LEVEL_TEXTS.get(english, english)

    def case_sql(self) -> str:
        whens = [f"WHEN {self.null_sql} THEN -1"] if self.null_sql else []
        for index, condition in enumerate(self.conditions):
            whens.append(f"WHEN {condition} THEN {self.top - index}")
        return f'CASE {" ".join(whens)} ELSE 0 END AS "gamma_{self.name}"'


def _ladders() -> list[_Ladder]:
    ladders = []
    for comparison in person_comparisons():
        null_sql = None
        conditions: list[str] = []
        labels: list[str] = []
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                null_sql = f"({level['sql_condition']})"
                continue
            labels.append(str(level.get("label_for_charts", "")))
            if level["sql_condition"].strip().upper() != "ELSE":
                conditions.append(f"({level['sql_condition']})")
        ladders.append(
            _Ladder(comparison["output_column_name"], null_sql, conditions, labels)
        )
    return ladders


_SHOWN_INPUT_COLUMNS = frozenset(
    {
        "unique_id",
        "source",
        "record_id",
        "name_pinyin",
        "id_cleaned",
        "id_masked",
        "id_class",
    }
)
"""Link-input columns the field rows read besides each field's own."""


def _level_columns(ladders: list[_Ladder], available: list[str]) -> list[str]:
    """The link-input columns the comparison levels' SQL reads, as ``x_l``/``x_r``."""
    sql = " ".join(
        [ladder.null_sql or "" for ladder in ladders]
        + [condition for ladder in ladders for condition in ladder.conditions]
    )
    used = set(re.findall(r"\b(\w+)_[lr]\b", sql))
    return [name for name in available if name in used]


class PairViewer:
    """Builds :class:`PairView` objects from the store.

    Args:
        store: The review store; the tables it has are read once, at start.
    """

    def __init__(self, store: ReviewStore) -> None:
        self.store = store
        self.ladders = _ladders()
        self.pair_columns = set(store.columns("yd_pairs"))
        available = store.columns("yd_link_input")
        wanted = _SHOWN_INPUT_COLUMNS | {
            spec.standard for spec in FIELDS if spec.standard is not None
        }
        self.input_columns = [name for name in available if name in wanted]
        self.level_columns = _level_columns(self.ladders, available)
        self.record_columns = set(store.columns("yd_records"))
        self.has_clusters = store.table_exists("yd_clusters")
        self.source_kinds = self._source_kinds()
        self._levels_sql = self._recompute_sql()

    def view(
        self,
        pair: PairRef,
        *,
        revealed: bool,
        person_ids: tuple[str | None, str | None] = (None, None),
        unique_ids: tuple[int | None, int | None] = (None, None),
    ) -> PairView:
        """The two records of ``pair`` side by side.

        Args:
            pair: The records, in queue order.
            revealed: Show ID numbers in full (the caller audits the reveal).
            person_ids: The person each record belonged to in the last run, if
                known (queue items carry them); otherwise looked up.
            unique_ids: The records' ``unique_id`` in the link input, if known;
                a faster way to find them.
        """
        left_raw = self._raw(pair.left_source, pair.left_record_id)
        right_raw = self._raw(pair.right_source, pair.right_record_id)
        left_std, right_std = self._standard(pair, unique_ids)
        rows = [
            row
            for spec in FIELDS
            if (
                row := _field_row(
                    spec, (left_raw, right_raw), (left_std, right_std), revealed
                )
            )
            is not None
        ]
        stored = self._stored_pair(
            left_std.get("unique_id"), right_std.get("unique_id")
        )
        levels, recomputed = self._levels(left_std, right_std, stored)
        return PairView(
            left=self._side(pair.left_source, pair.left_record_id, person_ids[0]),
            right=self._side(pair.right_source, pair.right_record_id, person_ids[1]),
            fields=rows,
            levels=levels,
            levels_recomputed=recomputed,
            match_weight=stored.get("match_weight"),
            evidence=stored.get("evidence"),
            revealed=revealed,
        )

    def _source_kinds(self) -> dict[str, str]:
        if not self.store.table_exists("yd_files"):
            return {}
        found = self.store.rows("SELECT source, kind FROM yd_files")
        return {str(source): str(kind) for source, kind in found}

    def _raw(self, source: str, record_id: str) -> dict[str, Any]:
        wanted = [spec.key for spec in FIELDS if spec.key in self.record_columns]
        if not wanted:
            return {}
        columns = ", ".join(f'"{name}"' for name in wanted)
        found = self.store.row(
            f"SELECT {columns} FROM yd_records WHERE source = ? AND record_id = ?",
            [source, record_id],
        )
        return dict(zip(wanted, found, strict=True)) if found else {}

    def _standard(
        self, pair: PairRef, unique_ids: tuple[int | None, int | None]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Both records' standardised values, in one read of the link input."""
        if not self.input_columns:
            return {}, {}
        columns = ", ".join(f'"{name}"' for name in self.input_columns)
        keys = [(pair.left_source, pair.left_record_id)]
        keys.append((pair.right_source, pair.right_record_id))
        if None in unique_ids:
            found = self.store.rows(
                f"SELECT {columns} FROM yd_link_input "
                "WHERE (source = ? AND record_id = ?) "
                "OR (source = ? AND record_id = ?)",
                [*keys[0], *keys[1]],
            )
        else:
            found = self.store.rows(
                f"SELECT {columns} FROM yd_link_input WHERE unique_id IN (?, ?)",
                list(unique_ids),
            )
        records = [dict(zip(self.input_columns, row, strict=True)) for row in found]
        by_key = {(r.get("source"), r.get("record_id")): r for r in records}
        return by_key.get(keys[0], {}), by_key.get(keys[1], {})

    def _stored_pair(self, left: Any, right: Any) -> dict[str, Any]:
        if left is None or right is None or not self.pair_columns:
            return {}
        columns = sorted(
            c
            for c in self.pair_columns
            if c in {"match_weight", "evidence"} or c.startswith("gamma_")
        )
        select = ", ".join(f'"{c}"' for c in columns)
        found = self.store.row(
            f"SELECT {select} FROM yd_pairs "
            "WHERE least(unique_id_l, unique_id_r) = least($a, $b) "
            "AND greatest(unique_id_l, unique_id_r) = greatest($a, $b) "
            "ORDER BY match_probability DESC LIMIT 1",
            {"a": left, "b": right},
        )
        return dict(zip(columns, found, strict=True)) if found else {}

    def _levels(
        self, left: dict[str, Any], right: dict[str, Any], stored: dict[str, Any]
    ) -> tuple[list[LevelRow], bool]:
        gammas = {
            ladder.name: stored.get(f"gamma_{ladder.name}") for ladder in self.ladders
        }
        recomputed = False
        if any(value is None for value in gammas.values()):
            worked_out = self._recompute(left.get("unique_id"), right.get("unique_id"))
            for name, value in worked_out.items():
                if gammas.get(name) is None:
                    gammas[name] = value
                    recomputed = True
        rows = [
            LevelRow(
                comparison=ladder.name,
                label=text_for(COMPARISON_TEXTS, ladder.name),
                level=ladder.label(gammas[ladder.name]),
                gamma=gammas[ladder.name],
                top=ladder.top,
            )
            for ladder in self.ladders
        ]
        return rows, recomputed

    def _recompute_sql(self) -> str | None:
        if not self.level_columns:
            return None
        sides = ", ".join(
            f'{side}."{name}" AS "{name}_{side}"'
            for side in ("l", "r")
            for name in self.level_columns
        )
        columns = ", ".join(f'"{name}"' for name in self.level_columns)
        cases = ",\n".join(ladder.case_sql() for ladder in self.ladders)
        # One read of the link input (it may be a view) for both records.
        return (
            f"WITH two AS MATERIALIZED (SELECT unique_id, {columns} "
            "FROM yd_link_input WHERE unique_id IN ($left, $right)) "
            f"SELECT {cases} FROM (SELECT {sides} FROM two AS l, two AS r "
            "WHERE l.unique_id = $left AND r.unique_id = $right)"
        )

    def _recompute(self, left: Any, right: Any) -> dict[str, int]:
        """The levels worked out again from the model's SQL; empty if impossible."""
        if self._levels_sql is None or left is None or right is None:
            return {}
        try:
            found = self.store.row(self._levels_sql, {"left": left, "right": right})
        except duckdb.Error as error:
            # A store from another version may lack a column a level reads.
            logger.debug("comparison levels not recomputed: %s", type(error).__name__)
            self._levels_sql = None
            return {}
        if found is None:
            return {}
        names = [ladder.name for ladder in self.ladders]
        return {name: int(value) for name, value in zip(names, found, strict=True)}

    def _side(self, source: str, record_id: str, person_id: str | None) -> Side:
        kind = text_for(SOURCE_KIND_TEXTS, self.source_kinds.get(source))
        if not self.has_clusters:
            return Side(source, kind, record_id, person_id)
        if person_id is None:
            person_id = self.store.scalar(
                "SELECT person_id FROM yd_clusters WHERE source = ? AND record_id = ?",
                [source, record_id],
            )
        if person_id is None:
            return Side(source, kind, record_id, None)
        members, size = self._members(str(person_id), source, record_id)
        return Side(source, kind, record_id, str(person_id), members, size)

    def _members(
        self, person_id: str, source: str, record_id: str
    ) -> tuple[list[Member], int]:
        found = self.store.rows(
            "SELECT c.source, c.record_id, r.name, r.id_number, r.birth_date, "
            "count(*) OVER () AS size "
            "FROM yd_clusters AS c "
            "LEFT JOIN yd_records AS r USING (source, record_id) "
            "WHERE c.person_id = ? "
            "ORDER BY c.source, c.record_id LIMIT ?",
            [person_id, MEMBERS_SHOWN + 1],
        )
        size = int(found[0][5]) if found else 0
        members = [
            Member(str(row[0]), str(row[1]), row[2], mask_id(row[3]), row[4])
            for row in found
            if (row[0], row[1]) != (source, record_id)
        ]
        return members[:MEMBERS_SHOWN], size


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _standard_text(spec: FieldSpec, record: dict[str, Any], show: Shown) -> str | None:
    if spec.standard is None:
        return None
    value = show(_text(record.get(spec.standard)))
    if spec.key == "name":
        pinyin = _text(record.get("name_pinyin"))
        return f"{value}（{pinyin}）" if value and pinyin else value
    if spec.key == "id_number":
        value = value or show(_text(record.get("id_cleaned")))
        value = value or show(_text(record.get("id_masked")))
        id_class = _text(record.get("id_class"))
        if id_class is None:
            return value
        class_text = text_for(ID_CLASS_TEXTS, id_class)
        return f"{value}（{class_text}）" if value else class_text
    if spec.key == "sex":
        return text_for(SEX_TEXTS, value) if value else None
    if spec.key == "address" and value:
        region = lookup(value)
        return f"{value} {region.full_name}" if region else value
    return value


def _comparable(spec: FieldSpec, raw: dict[str, Any], std: dict[str, Any]) -> Any:
    if spec.standard is not None and spec.standard in std:
        if spec.key == "id_number":
            return std.get("id_key") or std.get("id_cleaned")
        return _text(std.get(spec.standard))
    value = _text(raw.get(spec.key))
    return None if value is None else "".join(value.split())


def _field_row(
    spec: FieldSpec,
    raw: tuple[dict[str, Any], dict[str, Any]],
    standard: tuple[dict[str, Any], dict[str, Any]],
    revealed: bool,
) -> FieldRow | None:
    show: Shown = mask_id if spec.sensitive and not revealed else _same
    values = (
        show(_text(raw[0].get(spec.key))),
        show(_text(raw[1].get(spec.key))),
        _standard_text(spec, standard[0], show),
        _standard_text(spec, standard[1], show),
    )
    if not spec.always and not any(values):
        return None
    left = _comparable(spec, raw[0], standard[0])
    right = _comparable(spec, raw[1], standard[1])
    if left is None or right is None:
        agreement = "missing"
    else:
        agreement = "same" if left == right else "differ"
    return FieldRow(spec.label, *values, agreement=agreement, sensitive=spec.sensitive)


def _same(value: str | None) -> str | None:
    return value
