"""``yidang synth``: a population, its registry extracts, the truth and a project file.

:func:`generate` builds the population, then for each registry selects its records,
renders and garbles them, and writes the CSV, appending to ``truth.csv`` (the person
behind every record), ``errors.csv`` (every error injected) and ``error_rates.csv``
(configured against measured rates). The same seed gives byte-identical files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.synth import corrupt, registries
from evaluation.synth.error_model import ErrorModel
from evaluation.synth.population import Population, build_population
from evaluation.synth.render import Renderer
from evaluation.synth.specs import SPECS, RegistrySpec
from evaluation.synth.writer import (
    ERRORS_HEADER,
    RATES_HEADER,
    TRUTH_HEADER,
    SideTable,
    error_rows,
    project_text,
    rate_rows,
    truth_rows,
    write_extract,
)

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

PROJECT_FILE = "project.toml"
TRUTH_FILE = "truth.csv"
ERRORS_FILE = "errors.csv"
RATES_FILE = "error_rates.csv"


@dataclass(frozen=True)
class SynthSummary:
    """What :func:`generate` wrote.

    Attributes:
        out_dir: the output folder.
        persons: people in the population.
        seed: the seed used.
        records: records written per source name.
        errors: errors injected per source name.
        files: the extract of each source name.
        encodings: the codec each extract was written in, per source name.
        project_path: the project file.
        truth_path: ``truth.csv`` (source, record_id, person_key).
        errors_path: ``errors.csv`` (source, record_id, field, error).
        error_rates_path: ``error_rates.csv`` (configured and measured rates).
    """

    out_dir: Path
    persons: int
    seed: int
    records: Mapping[str, int]
    errors: Mapping[str, int]
    files: Mapping[str, Path]
    encodings: Mapping[str, str]
    project_path: Path
    truth_path: Path
    errors_path: Path
    error_rates_path: Path


def _ignore(stage: str, done: int, total: int) -> None:
    """The default progress callback: nothing to draw."""


def _rng(seed: int, stage: int) -> np.random.Generator:
    return np.random.default_rng([seed, 1000 + stage])


@dataclass(frozen=True)
class _Run:
    """One generation: where it writes, its seed, model, people and side files."""

    out_dir: Path
    seed: int
    model: ErrorModel
    context: registries.Context
    traits: dict[str, corrupt.BoolArray]
    truth: SideTable
    errors: SideTable
    rates: SideTable
    progress: Progress

    def write_registry(self, index: int, spec: RegistrySpec) -> tuple[int, int]:
        """Select, render and write one registry; returns (records, errors)."""
        started = time.perf_counter()
        select = registries.SELECTORS[spec.kind]
        records = select(_rng(self.seed, 2 * index), self.context)
        renderer = Renderer(
            spec,
            records,
            self.context.people,
            self.traits,
            self.model.rates_for(spec.kind),
            _rng(self.seed, 2 * index + 1),
        )
        rendered = renderer.render()
        write_extract(self.out_dir / spec.file, rendered, self.progress)
        self.truth.write(truth_rows(rendered))
        self.errors.write(error_rows(rendered))
        self.rates.write(rate_rows(rendered))
        logger.info(
            "%s: %s records, %s errors injected, %.1f s",
            spec.name,
            f"{len(records):,}",
            f"{len(rendered.errors):,}",
            time.perf_counter() - started,
        )
        return len(records), len(rendered.errors)


def _population(persons: int, seed: int, progress: Progress) -> Population:
    progress("population", 0, persons)
    started = time.perf_counter()
    people = build_population(persons, seed)
    logger.info("population built in %.1f s", time.perf_counter() - started)
    progress("population", persons, persons)
    return people


def generate(
    out_dir: Path,
    *,
    persons: int,
    seed: int = 0,
    errors: ErrorModel | None = None,
    progress: Progress | None = None,
) -> SynthSummary:
    """Write synthetic registry extracts with ground truth and a project file.

    Args:
        out_dir: the folder to write into (created if missing; files are replaced).
        persons: how many people the population holds (at least 1).
        seed: the seed; the same seed and arguments give byte-identical files.
        errors: the error model; the default profiles when None.
        progress: called as ``progress(stage, done, total)``: stage ``population``,
            then each source name with rows written, then ``project``.

    Returns:
        A summary of what was written and where.

    Raises:
        SynthError: when ``persons`` is below 1 or the error rates are impossible.
    """
    model = errors if errors is not None else ErrorModel()
    report = progress if progress is not None else _ignore
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    people = _population(persons, seed, report)
    traits = corrupt.person_traits(people)
    context = registries.Context(people, registries.uninsured(_rng(seed, 99), people))
    counts: dict[str, int] = {}
    injected: dict[str, int] = {}
    with ExitStack() as stack:
        run = _Run(
            out_dir=out_dir,
            seed=seed,
            model=model,
            context=context,
            traits=traits,
            truth=stack.enter_context(SideTable(out_dir / TRUTH_FILE, TRUTH_HEADER)),
            errors=stack.enter_context(SideTable(out_dir / ERRORS_FILE, ERRORS_HEADER)),
            rates=stack.enter_context(SideTable(out_dir / RATES_FILE, RATES_HEADER)),
            progress=report,
        )
        for index, spec in enumerate(SPECS):
            counts[spec.name], injected[spec.name] = run.write_registry(index, spec)
    return _finish(out_dir, persons, seed, counts, injected, report)


def _finish(
    out_dir: Path,
    persons: int,
    seed: int,
    counts: dict[str, int],
    injected: dict[str, int],
    progress: Progress,
) -> SynthSummary:
    """Write the project file and summarise."""
    progress("project", 0, 1)
    project = out_dir / PROJECT_FILE
    text = project_text(f"synth-{persons}-seed-{seed}", SPECS)
    project.write_bytes(text.encode("utf-8"))
    progress("project", 1, 1)
    logger.info(
        "wrote %s records from %s people to %s sources",
        f"{sum(counts.values()):,}",
        f"{persons:,}",
        len(counts),
    )
    return SynthSummary(
        out_dir=out_dir,
        persons=persons,
        seed=seed,
        records=counts,
        errors=injected,
        files={spec.name: out_dir / spec.file for spec in SPECS},
        encodings={spec.name: spec.encoding for spec in SPECS},
        project_path=project,
        truth_path=out_dir / TRUTH_FILE,
        errors_path=out_dir / ERRORS_FILE,
        error_rates_path=out_dir / RATES_FILE,
    )
