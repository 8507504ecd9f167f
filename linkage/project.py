"""The project file: a TOML description of one linkage run, parsed into typed settings.

Users write the TOML (see DESIGN.md); :func:`load_project` turns it into frozen
dataclasses and checks it as a whole, so that a person fixing a project file sees every
problem at once rather than one per run.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blocking.rules import FIELD_KEYS, BlockingRule, field_rule
from linkage.errors import Problem, ProjectError
from linkage.schema import MODEL_FIELDS, PERSON_FIELDS, SourceKind

ENCODINGS: tuple[str, ...] = ("auto", "utf-8", "utf-8-sig", "gb18030")
ENCODING_ALIASES: dict[str, str] = {
    "utf8": "utf-8",
    "utf-8-bom": "utf-8-sig",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
}
"""Names people write for the encodings above. GB18030 is a superset of GBK and
GB2312, and reads the middle dot A1A4 as U+00B7 where Python's gb2312 codec does not."""
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}
BACKENDS: tuple[str, ...] = ("duckdb",)
ID_SCHEMES: tuple[str, ...] = ("resident", "other")
COMPARISON_METHODS: dict[str, tuple[float, ...]] = {
    "exact": (),
    "jaro_winkler": (0.9, 0.8),
    "edit_distance": (1, 2),
}
"""Methods a ``[[comparisons]]`` table may name, with their default levels."""

_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True, kw_only=True)
class SourceSettings:
    """One registry extract and how its columns map onto canonical fields."""

    name: str
    kind: SourceKind
    path: Path
    encoding: str = "auto"
    trust: int = 1
    fields: Mapping[str, str] = field(default_factory=dict)
    sheet: str | None = None
    header_row: int = 1
    """The row (1-based) that holds the column names: 2 or 3 where a title line
    such as "2024年城乡居民医保参保名单" sits above them; rows above it are skipped."""
    delimiter: str = ","
    id_scheme: str = "resident"
    """"resident" for Chinese identity documents (resident IDs, permits); "other"
    for a column of some other document number, compared as plain text."""
    extra_fields: Mapping[str, str] = field(default_factory=dict)
    """Fields the project declares in ``[[comparisons]]`` that are not canonical
    person fields, mapped to this file's columns; loaded as raw attributes."""

    @property
    def format(self) -> str:
        """ "csv", "xlsx" or "parquet", from the file's suffix."""
        return FORMATS[self.path.suffix.lower()]


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """The [run] table: where the store and model live."""

    name: str
    store: Path
    model: Path | None = None
    backend: str = "duckdb"


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """Match probabilities: link at or above ``match``, review from ``review``."""

    match: float = 0.95
    review: float = 0.50


@dataclass(frozen=True, kw_only=True)
class FieldComparison:
    """A ``[[comparisons]]`` table: one more field for the model to weigh.

    The field is either a canonical person field the person model does not compare
    itself (``postcode``, ``ethnicity``, ``employer_name``...) or a field of the
    project's own (``suburb``, ``unit_name``) that sources map in
    ``[sources.fields]`` like any other.
    """

    field: str
    method: str
    levels: tuple[float, ...] = ()
    """Jaro-Winkler similarities (descending) or edit counts (ascending), one level
    each below exact agreement; none for ``exact``."""
    frequency: bool = False
    """Weigh exact agreement by how common the value is (a common suburb says less
    than a rare one)."""

    @property
    def column(self) -> str:
        """The column of ``yd_link_input`` that holds the field's cleaned value."""
        return f"extra_{self.field}"


@dataclass(frozen=True, kw_only=True)
class BlockingSettings:
    """A ``[[blocking]]`` table: pair records that agree exactly on these fields."""

    on: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Project:
    """A validated project file."""

    path: Path
    run: RunSettings
    thresholds: Thresholds
    sources: tuple[SourceSettings, ...]
    comparisons: tuple[FieldComparison, ...] = ()
    blocking: tuple[BlockingSettings, ...] = ()

    @property
    def directory(self) -> Path:
        """The folder that relative paths in the project file are read from."""
        return self.path.parent

    def blocking_rules(self) -> tuple[BlockingRule, ...]:
        """The ``[[blocking]]`` tables as rules over the link input's columns."""
        columns = {c.field: c.column for c in self.comparisons}
        return tuple(
            field_rule(tuple(FIELD_KEYS.get(f) or columns[f] for f in block.on))
            for block in self.blocking
        )

    def source(self, name: str) -> SourceSettings:
        """The source called ``name``."""
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


HeaderReader = Callable[[SourceSettings], list[str]]


def load_project(
    path: str | Path, *, read_header: HeaderReader | None = None
) -> Project:
    """Read and validate a project file.

    Args:
        path: The TOML file.
        read_header: Returns a source's column names; used to check that every mapped
            column exists. Defaults to :func:`linkage.sources.read_header`.

    Returns:
        The project, with paths resolved against the project file's folder.

    Raises:
        ProjectError: With every problem found, each naming the source and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise ProjectError(
            str(path), [Problem("project", "file not found", "check the path")]
        )
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ProjectError(
            str(path), [Problem("project", f"not valid TOML: {error}", "fix it")]
        ) from error

    problems: list[Problem] = []
    base = path.resolve().parent
    run = _parse_run(document.get("run", {}), base, problems)
    thresholds = _parse_thresholds(document.get("thresholds", {}), problems)
    comparisons = _parse_comparisons(document.get("comparisons", []), problems)
    declared = {c.field for c in comparisons if c.field not in PERSON_FIELDS}
    sources = _parse_sources(document.get("sources", []), base, declared, problems)
    blocking = _parse_blocking(document.get("blocking", []), comparisons, problems)
    _check_unknown_tables(document, problems)
    _check_columns(sources, read_header or _default_header_reader(), problems)
    _check_compared_fields_mapped(comparisons, sources, problems)
    if problems:
        raise ProjectError(str(path), problems)
    return Project(
        path=path.resolve(),
        run=run,
        thresholds=thresholds,
        sources=sources,
        comparisons=comparisons,
        blocking=blocking,
    )


def _default_header_reader() -> HeaderReader:
    from linkage.sources import read_header

    return read_header


def _check_unknown_tables(document: Mapping[str, Any], problems: list[Problem]) -> None:
    for key in document:
        if key not in {"run", "thresholds", "sources", "comparisons", "blocking"}:
            problems.append(
                Problem(
                    key,
                    "unknown table",
                    "use [run], [thresholds], [[sources]], [[comparisons]] "
                    "and [[blocking]]",
                )
            )


def _parse_run(
    table: Mapping[str, Any], base: Path, problems: list[Problem]
) -> RunSettings:
    name = str(table.get("name", "yidang-run"))
    store = base / str(table.get("store", "out/yidang.duckdb"))
    model_value = table.get("model")
    model = base / str(model_value) if model_value else None
    backend = str(table.get("backend", "duckdb"))
    if backend not in BACKENDS:
        problems.append(
            Problem(
                "run.backend",
                f"backend {backend!r} is not available in this version of yidang",
                'use backend = "duckdb"',
            )
        )
    for key in table:
        if key not in {"name", "store", "model", "backend"}:
            problems.append(
                Problem(f"run.{key}", "unknown setting", "remove it or fix its name")
            )
    return RunSettings(name=name, store=store, model=model, backend=backend)


def _parse_thresholds(table: Mapping[str, Any], problems: list[Problem]) -> Thresholds:
    values: dict[str, float] = {"match": 0.95, "review": 0.50}
    for key, value in table.items():
        if key not in values:
            problems.append(
                Problem(f"thresholds.{key}", "unknown setting", "use match and review")
            )
        elif not isinstance(value, int | float) or isinstance(value, bool):
            problems.append(
                Problem(f"thresholds.{key}", f"{value!r} is not a number", "use 0 to 1")
            )
        else:
            values[key] = float(value)
    match, review = values["match"], values["review"]
    if not (0.0 < review <= match <= 1.0):
        problems.append(
            Problem(
                "thresholds",
                f"need 0 < review <= match <= 1, got review={review}, match={match}",
                "for example match = 0.95, review = 0.50",
            )
        )
    return Thresholds(match=match, review=review)


def _parse_sources(
    tables: Any, base: Path, declared: set[str], problems: list[Problem]
) -> tuple[SourceSettings, ...]:
    if not isinstance(tables, list) or not tables:
        problems.append(
            Problem("sources", "no [[sources]] listed", "add one [[sources]] per file")
        )
        return ()
    sources: list[SourceSettings] = []
    names = [str(table.get("name", "")).strip() for table in tables]
    for name in sorted({n for n in names if n and names.count(n) > 1}):
        problems.append(
            Problem(
                f"source {name!r}",
                f"the name is used by {names.count(name)} sources",
                "give every source a unique name",
            )
        )
    for index, table in enumerate(tables, start=1):
        source = _parse_source(table, index, base, declared, problems)
        if source is not None:
            sources.append(source)
    return tuple(sources)


def _parse_source(
    table: Mapping[str, Any],
    index: int,
    base: Path,
    declared: set[str],
    problems: list[Problem],
) -> SourceSettings | None:
    name = str(table.get("name", "")).strip()
    where = f"source {name!r}" if name else f"source #{index}"
    if not name:
        problems.append(Problem(where, "has no name", 'add name = "hukou" (short)'))
    kind = _parse_kind(table.get("kind"), where, problems)
    path = _parse_path(table.get("path"), base, where, problems)
    encoding = str(table.get("encoding", "auto")).strip().lower().replace("_", "-")
    encoding = ENCODING_ALIASES.get(encoding, encoding)
    if encoding not in ENCODINGS:
        problems.append(
            Problem(where, f"unknown encoding {encoding!r}", f"use one of {ENCODINGS}")
        )
    trust = table.get("trust", 1)
    trust_ok = isinstance(trust, int) and not isinstance(trust, bool) and trust >= 1
    if not trust_ok:
        problems.append(
            Problem(where, f"trust {trust!r} is not a rank", "1 is most trusted")
        )
    mapped = _parse_fields(table.get("fields", {}), where, declared, problems)
    fields = {k: v for k, v in mapped.items() if k not in declared}
    extra_fields = {k: v for k, v in mapped.items() if k in declared}
    id_scheme = str(table.get("id_scheme", "resident"))
    if id_scheme not in ID_SCHEMES:
        problems.append(
            Problem(
                where, f"unknown id_scheme {id_scheme!r}", f"use one of {ID_SCHEMES}"
            )
        )
    delimiter = _parse_delimiter(table, path, where, problems)
    header_row = table.get("header_row", 1)
    header_row_ok = (
        isinstance(header_row, int)
        and not isinstance(header_row, bool)
        and header_row >= 1
    )
    if not header_row_ok:
        problems.append(
            Problem(
                where,
                f"header_row {header_row!r} is not a row number",
                "the row holding the column names, 1 for the first row",
            )
        )
    sheet = table.get("sheet")
    sheet_ok = sheet is None or isinstance(sheet, str)
    if not sheet_ok:
        problems.append(
            Problem(
                where, f"sheet {sheet!r} is not a sheet name", 'such as sheet = "名单"'
            )
        )
    _check_source_keys(table, where, problems)
    # A source with only field problems still has its columns checked, so that the
    # person fixing the file sees those problems in the same report.
    if (
        not name
        or kind is None
        or path is None
        or not trust_ok
        or encoding not in ENCODINGS
        or id_scheme not in ID_SCHEMES
        or delimiter is None
        or not header_row_ok
        or not sheet_ok
        or "record_id" not in fields
    ):
        return None
    return SourceSettings(
        name=name,
        kind=kind,
        path=path,
        encoding=encoding,
        trust=int(trust),
        fields=fields,
        sheet=sheet,
        header_row=int(header_row),
        delimiter=delimiter,
        id_scheme=id_scheme,
        extra_fields=extra_fields,
    )


def _parse_delimiter(
    table: Mapping[str, Any], path: Path | None, where: str, problems: list[Problem]
) -> str | None:
    tsv = path is not None and path.suffix.lower() == ".tsv"
    delimiter = table.get("delimiter", "\t" if tsv else ",")
    # The CSV reader splits on exactly one character; a TOML literal string '\t' is
    # two (a backslash and a t), the usual way to get this wrong.
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        problems.append(
            Problem(
                where,
                f"delimiter {delimiter!r} is not a single separator character",
                'use one character such as ","; write a tab as delimiter = "\\t"',
            )
        )
        return None
    return delimiter


_SOURCE_KEYS = {
    "name",
    "kind",
    "path",
    "encoding",
    "trust",
    "fields",
    "sheet",
    "header_row",
    "delimiter",
    "id_scheme",
}


def _check_source_keys(
    table: Mapping[str, Any], where: str, problems: list[Problem]
) -> None:
    for key in table:
        if key not in _SOURCE_KEYS:
            problems.append(
                Problem(where, f"unknown setting {key!r}", _suggest(key, _SOURCE_KEYS))
            )


def _parse_kind(value: Any, where: str, problems: list[Problem]) -> SourceKind | None:
    kinds = [kind.value for kind in SourceKind]
    try:
        return SourceKind(str(value))
    except ValueError:
        problems.append(
            Problem(where, f"unknown kind {value!r}", _suggest(str(value), kinds))
        )
        return None


def _parse_path(
    value: Any, base: Path, where: str, problems: list[Problem]
) -> Path | None:
    if not value:
        problems.append(Problem(where, "has no path", "add path = 'extracts/x.csv'"))
        return None
    path = (base / str(value)).resolve()
    if path.suffix.lower() not in FORMATS:
        problems.append(
            Problem(
                where,
                f"cannot read files of type {path.suffix or '(none)'!r}",
                "export the registry as CSV, XLSX or Parquet",
            )
        )
        return None
    if not path.is_file():
        problems.append(
            Problem(where, f"file not found: {path}", "fix the relative path")
        )
        return None
    return path


def _parse_fields(
    table: Any, where: str, declared: set[str], problems: list[Problem]
) -> dict[str, str]:
    if not isinstance(table, dict):
        problems.append(Problem(where, "[sources.fields] is not a table", "see README"))
        return {}
    fields: dict[str, str] = {}
    known = (*PERSON_FIELDS, *sorted(declared))
    for canonical, column in table.items():
        if canonical not in known:
            fix = _suggest(canonical, known)
            fix += (
                "; or, for a field of your own, declare it in a [[comparisons]] table"
            )
            problems.append(Problem(where, f"unknown field {canonical!r}", fix))
        elif not isinstance(column, str) or not column:
            problems.append(Problem(where, f"field {canonical!r} maps to no column"))
        else:
            fields[canonical] = column
    _check_extra_columns_unshared(fields, declared, where, problems)
    if "record_id" not in table:
        problems.append(
            Problem(where, "record_id is not mapped", "map it to a unique column")
        )
    return fields


def _check_columns(
    sources: tuple[SourceSettings, ...],
    read_header: HeaderReader,
    problems: list[Problem],
) -> None:
    from linkage.errors import SourceError

    for source in sources:
        where = f"source {source.name!r}"
        try:
            header = read_header(source)
        except SourceError as error:
            problems.append(Problem(where, str(error)))
            continue
        mapped = {**source.fields, **source.extra_fields}
        missing = {f: c for f, c in mapped.items() if c not in header}
        # Columns missing all together usually mean the header is elsewhere: below
        # a title line, or on another sheet. Say where, rather than guess names.
        elsewhere = _header_elsewhere(source) if missing else None
        if elsewhere is not None:
            columns = ", ".join(repr(column) for column in missing.values())
            problems.append(
                Problem(
                    where,
                    f"row {source.header_row} of {source.path.name} does not hold "
                    f"the mapped columns {columns}",
                    elsewhere,
                )
            )
            continue
        for canonical, column in missing.items():
            problems.append(
                Problem(
                    where,
                    f"field {canonical!r} maps to column {column!r}, "
                    f"which {source.path.name} does not have",
                    _suggest(column, header, noun="column"),
                )
            )


def _header_elsewhere(source: SourceSettings) -> str | None:
    """The setting that points at a header holding every mapped column, if one does."""
    from linkage.errors import SourceError
    from linkage.sources import locate_header

    try:
        found = locate_header(source)
    except SourceError:
        return None
    if found is None:
        return None
    sheet, row = found
    settings = [f"header_row = {row}"] if row != source.header_row else []
    if sheet is not None and sheet != source.sheet:
        settings.insert(0, f"sheet = {sheet!r}".replace("'", '"'))
    if not settings:
        return None
    return (
        f"the column names are in row {row}"
        + (f" of sheet {sheet!r}" if sheet is not None else "")
        + ": set "
        + " and ".join(settings)
        + " for this source"
    )


def _suggest(value: str, choices: Any, *, noun: str = "name") -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}?"
    listed = ", ".join(list(choices)[:12])
    return f"use a {noun} from: {listed}"


def _check_extra_columns_unshared(
    fields: Mapping[str, str], declared: set[str], where: str, problems: list[Problem]
) -> None:
    """A declared field's column must not also feed a canonical field.

    Loading keeps a column as a raw attribute only while no canonical field takes
    it, and a declared field is read from the raw attributes.
    """
    canonical = {
        column: name for name, column in fields.items() if name not in declared
    }
    for name, column in fields.items():
        if name in declared and column in canonical:
            problems.append(
                Problem(
                    where,
                    f"column {column!r} is mapped to both {canonical[column]!r} and "
                    f"the declared field {name!r}",
                    "map each column to one field, or compare the canonical field "
                    f"itself with field = {canonical[column]!r}",
                )
            )


_COMPARISON_KEYS = {"field", "method", "levels", "frequency"}


def _parse_comparisons(
    tables: Any, problems: list[Problem]
) -> tuple[FieldComparison, ...]:
    if not isinstance(tables, list):
        problems.append(
            Problem("comparisons", "is not a list of tables", "write [[comparisons]]")
        )
        return ()
    comparisons: list[FieldComparison] = []
    for index, table in enumerate(tables, start=1):
        comparison = _parse_comparison(table, index, problems)
        if comparison is None:
            continue
        if any(c.field == comparison.field for c in comparisons):
            problems.append(
                Problem(
                    f"comparison {comparison.field!r}",
                    "the field is compared twice",
                    "keep one [[comparisons]] table per field",
                )
            )
            continue
        comparisons.append(comparison)
    return tuple(comparisons)


def _parse_comparison(
    table: Any, index: int, problems: list[Problem]
) -> FieldComparison | None:
    if not isinstance(table, dict):
        problems.append(Problem(f"comparison #{index}", "is not a table"))
        return None
    name = table.get("field")
    where = f"comparison {name!r}" if name else f"comparison #{index}"
    count = len(problems)
    for key in table:
        if key not in _COMPARISON_KEYS:
            problems.append(
                Problem(
                    where, f"unknown setting {key!r}", _suggest(key, _COMPARISON_KEYS)
                )
            )
    if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
        problems.append(
            Problem(
                where,
                f"field {name!r} is not a field name",
                'use lower-case letters, digits and _, such as field = "suburb"',
            )
        )
    elif name in MODEL_FIELDS:
        problems.append(
            Problem(
                where,
                f"the person model already compares {name!r}",
                "remove this table; declare only fields the model does not compare",
            )
        )
    method = table.get("method")
    if not isinstance(method, str) or method not in COMPARISON_METHODS:
        problems.append(
            Problem(
                where,
                f"unknown method {method!r}",
                _suggest(str(method), COMPARISON_METHODS),
            )
        )
        return None
    levels = _parse_levels(method, table.get("levels"), where, problems)
    frequency = table.get("frequency", False)
    if not isinstance(frequency, bool):
        problems.append(
            Problem(where, f"frequency {frequency!r} is not true or false", "")
        )
    if len(problems) > count or levels is None:
        return None
    return FieldComparison(
        field=str(name), method=method, levels=levels, frequency=bool(frequency)
    )


def _parse_levels(
    method: str, value: Any, where: str, problems: list[Problem]
) -> tuple[float, ...] | None:
    """The levels below exact agreement, checked for the method's kind of number."""
    if value is None:
        return COMPARISON_METHODS[method]
    if method == "exact":
        problems.append(Problem(where, "exact has no levels", "remove levels"))
        return None
    numbers = value if isinstance(value, list) else [value]
    if method == "jaro_winkler":
        valid = all(_is_number(v) and 0 < v < 1 for v in numbers)
        ordered = numbers == sorted(set(numbers), reverse=True)
        fix = "similarities between 0 and 1, highest first, such as [0.9, 0.8]"
    else:
        valid = all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in numbers
        )
        ordered = numbers == sorted(set(numbers))
        fix = "whole numbers of edits, smallest first, such as [1, 2]"
    if not numbers or not valid or not ordered:
        problems.append(Problem(where, f"levels {value!r} do not fit {method}", fix))
        return None
    return tuple(numbers)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_blocking(
    tables: Any,
    comparisons: tuple[FieldComparison, ...],
    problems: list[Problem],
) -> tuple[BlockingSettings, ...]:
    if not isinstance(tables, list):
        problems.append(
            Problem("blocking", "is not a list of tables", "write [[blocking]]")
        )
        return ()
    usable = (*FIELD_KEYS, *(c.field for c in comparisons))
    rules: list[BlockingSettings] = []
    for index, table in enumerate(tables, start=1):
        where = f"blocking #{index}"
        on = table.get("on") if isinstance(table, dict) else None
        for key in table if isinstance(table, dict) else ():
            if key != "on":
                problems.append(Problem(where, f"unknown setting {key!r}", "use on"))
        if (
            not isinstance(on, list)
            or not on
            or not all(isinstance(f, str) for f in on)
        ):
            problems.append(
                Problem(where, "needs on = a list of fields", 'such as on = ["suburb"]')
            )
            continue
        unknown = [f for f in on if f not in usable]
        for name in unknown:
            problems.append(
                Problem(
                    where,
                    f"cannot block on {name!r}",
                    _suggest(name, usable)
                    + "; or declare it in a [[comparisons]] table first",
                )
            )
        if not unknown:
            rules.append(BlockingSettings(on=tuple(dict.fromkeys(on))))
    return tuple(rules)


def _check_compared_fields_mapped(
    comparisons: tuple[FieldComparison, ...],
    sources: tuple[SourceSettings, ...],
    problems: list[Problem],
) -> None:
    """Every compared field must come from at least one source, or it is always null."""
    for comparison in comparisons:
        if not any(
            comparison.field in {**source.fields, **source.extra_fields}
            for source in sources
        ):
            problems.append(
                Problem(
                    f"comparison {comparison.field!r}",
                    "no source maps this field",
                    f'add {comparison.field} = "column" to a [sources.fields] table',
                )
            )
