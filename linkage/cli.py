"""The ``yidang`` command line: the batch operators' face of the engine.

Commands print what a person needs (where the outputs are, the headline counts) and draw
progress bars on a terminal; the engine itself only logs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from linkage import __version__
from linkage.errors import YidangError

logger = logging.getLogger(__name__)

console = Console(stderr=True, soft_wrap=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        code: int = args.handler(args)
    except YidangError as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False)
        return 2
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yidang",
        description="Link people across Chinese registries: one person, one file.",
    )
    parser.add_argument("--version", action="version", version=f"yidang {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debug messages too"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="synthetic registries -> full run -> report"
    )
    demo.add_argument("--persons", type=_positive, default=2_000)
    demo.add_argument("--out", type=Path, default=Path("yidang-demo"))
    demo.add_argument("--seed", type=int, default=20261203)
    demo.add_argument("--lang", choices=("zh", "en"), default="zh")
    demo.set_defaults(handler=_demo)

    synth = commands.add_parser(
        "synth", help="write synthetic registries, truth.csv and project.toml"
    )
    synth.add_argument("--persons", type=_positive, required=True)
    synth.add_argument("--out", type=Path, required=True)
    synth.add_argument("--seed", type=int, default=0)
    synth.set_defaults(handler=_synth)

    link = commands.add_parser("link", help="the batch run over a project file")
    link.add_argument("project", type=Path)
    link.add_argument("--out", type=Path, default=None)
    link.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="language of report.html"
    )
    link.set_defaults(handler=_link)

    train = commands.add_parser("train", help="train the person model and save it")
    train.add_argument("project", type=Path)
    train.add_argument("--save", type=Path, required=True, help="models/NAME.json")
    train.add_argument(
        "--labels",
        type=Path,
        default=None,
        help="CSV of source, record_id, person_key: learn m from labelled matches",
    )
    train.set_defaults(handler=_train)

    evaluate = commands.add_parser(
        "evaluate", help="precision and recall of clusters against a truth file"
    )
    evaluate.add_argument("--truth", type=Path, required=True)
    evaluate.add_argument("--clusters", type=Path, required=True)
    evaluate.add_argument("--report", type=Path, default=None)
    evaluate.add_argument("--lang", choices=("zh", "en"), default="zh")
    evaluate.add_argument(
        "--store",
        type=Path,
        default=None,
        help="the run's store, for the precision-recall curve and error examples",
    )
    evaluate.add_argument(
        "--json", action="store_true", help="print the headline figures as JSON"
    )
    evaluate.set_defaults(handler=_evaluate)

    audit = commands.add_parser("audit", help="sample-based audit without truth")
    audit_steps = audit.add_subparsers(dest="step", required=True)
    sample = audit_steps.add_parser(
        "sample", help="draw a stratified sample of links and non-links to label"
    )
    sample.add_argument("--store", type=Path, required=True)
    sample.add_argument("--out", type=Path, required=True)
    sample.add_argument("--margin", type=float, default=0.05)
    sample.add_argument("--confidence", type=float, default=0.95)
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(handler=_audit_sample)
    estimate = audit_steps.add_parser(
        "estimate", help="precision and recall with intervals from a labelled sample"
    )
    estimate.add_argument("labelled", type=Path)
    estimate.add_argument("--confidence", type=float, default=0.95)
    estimate.add_argument(
        "--exact", action="store_true", help="Clopper-Pearson instead of Wilson"
    )
    estimate.set_defaults(handler=_audit_estimate)
    _add_review_commands(commands)
    return parser


def _add_review_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    review = commands.add_parser("review", help="the clerical review web app")
    steps = review.add_subparsers(dest="step", required=True)
    serve = steps.add_parser("serve", help="serve the review web app")
    serve.add_argument("--store", type=Path, required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--double-review",
        type=float,
        default=0.0,
        help="share of queue items (0 to 1) decided by two reviewers",
    )
    serve.add_argument("--lease-minutes", type=_positive, default=10)
    serve.set_defaults(handler=_review_serve)
    user = steps.add_parser(
        "add-user", help="add a reviewer or supervisor account, or reset one"
    )
    user.add_argument("name")
    user.add_argument("--role", choices=["reviewer", "supervisor"], required=True)
    user.add_argument("--store", type=Path, default=Path("yidang.duckdb"))
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    user.set_defaults(handler=_review_add_user)
    labels = steps.add_parser(
        "export-labels",
        help="write source, record_id, person_key labels from review decisions",
    )
    labels.add_argument("--store", type=Path, required=True)
    labels.add_argument("--out", type=Path, required=True)
    labels.set_defaults(handler=_review_export_labels)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s", "%X"))
    for name in ("linkage", "blocking", "evaluation"):
        package_logger = logging.getLogger(name)
        package_logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        package_logger.addHandler(handler)
    # splink warns about every level a small dataset never shows; the run report
    # and the model card are where a user reads how the model was trained.
    logging.getLogger("splink").setLevel(logging.ERROR)


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback ``(stage, done, total)`` drawing one bar per stage."""
    with Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
        disable=not console.is_terminal,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total or None)
            bars.update(tasks[stage], completed=done, total=total or None)

        yield update


def _synth(args: argparse.Namespace) -> int:
    from evaluation.synth import generate

    with progress_bar() as progress:
        summary = generate(
            args.out, persons=args.persons, seed=args.seed, progress=progress
        )
    records = sum(summary.records.values())
    print(
        f"wrote {len(summary.records)} registries ({records:,} records for "
        f"{summary.persons:,} persons) to {summary.out_dir}"
    )
    print(f"project file: {summary.project_path}")
    print(f"truth:        {summary.truth_path}")
    return 0


def _link(args: argparse.Namespace) -> int:
    from linkage.pipeline import run_project

    with progress_bar() as progress:
        result = run_project(
            args.project, out_dir=args.out, lang=args.lang, progress=progress
        )
    print(result.describe())
    return 0


def _train(args: argparse.Namespace) -> int:
    from linkage.pipeline import train_project

    with progress_bar() as progress:
        _, card = train_project(
            args.project, save=args.save, labels=args.labels, progress=progress
        )
    print(f"trained on {card.records:,} records: {card.trained_on}")
    print(f"model saved to {args.save}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from evaluation.commands import run_evaluate

    text, _ = run_evaluate(
        args.truth,
        args.clusters,
        report=args.report,
        as_json=args.json,
        store=args.store,
        lang=args.lang,
    )
    print(text)
    return 0


def _audit_sample(args: argparse.Namespace) -> int:
    from evaluation.commands import run_audit_sample

    print(
        run_audit_sample(
            args.store,
            args.out,
            margin=args.margin,
            seed=args.seed,
            confidence=args.confidence,
        )
    )
    return 0


def _audit_estimate(args: argparse.Namespace) -> int:
    from evaluation.commands import run_audit_estimate

    print(
        run_audit_estimate(args.labelled, confidence=args.confidence, exact=args.exact)
    )
    return 0


def _review_serve(args: argparse.Namespace) -> int:
    import datetime as dt

    from linkage.review.commands import serve
    from linkage.review.config import ReviewConfig

    config = ReviewConfig(
        double_review_share=args.double_review,
        lease=dt.timedelta(minutes=args.lease_minutes),
    )
    serve(
        args.store,
        args.host,
        args.port,
        config=config,
        on_ready=lambda url: print(f"review app on {url} (Ctrl+C stops it)"),
    )
    return 0


def _review_add_user(args: argparse.Namespace) -> int:
    from linkage.review.commands import add_user, read_password

    password = read_password(from_stdin=args.password_stdin)
    created = add_user(args.store, args.name, args.role, password)
    print(f"{'added' if created else 'updated'} {args.role} {args.name!r}")
    return 0


def _review_export_labels(args: argparse.Namespace) -> int:
    from linkage.review.commands import export_labels

    count = export_labels(args.store, args.out)
    print(f"wrote labels for {count:,} records to {args.out}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from evaluation.synth import generate
    from linkage.pipeline import run_project

    out: Path = args.out
    with progress_bar() as progress:
        summary = generate(
            out / "registries", persons=args.persons, seed=args.seed, progress=progress
        )
        result = run_project(
            summary.project_path,
            out_dir=out / "outputs",
            lang=args.lang,
            progress=progress,
        )
    print(f"synthetic registries: {summary.out_dir}")
    print(result.describe())
    return 0
