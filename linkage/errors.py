"""The errors yidang raises, as one small tree under :class:`YidangError`.

::

    YidangError
    ├── ProjectError        the project file is wrong; carries every problem found
    ├── SourceError         a registry extract cannot be read (file, row, field)
    ├── ModelError          a model file is missing, malformed or of another version
    └── ReviewError         a review decision or lease is not allowed

Messages are meant for the person running yidang: each names what was being read, where
the problem is, and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass


class YidangError(Exception):
    """Base class of every error yidang raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a project file or an input, with where and how to fix it."""

    where: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


class ProjectError(YidangError):
    """The project file cannot be used; lists every problem, not only the first."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{path}: {count} {noun} in the project file:\n{lines}")


class SourceError(YidangError):
    """A registry extract cannot be read at all."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        fix: str = "",
    ) -> None:
        self.path = path
        self.row = row
        self.field = field
        where = path
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        text = f"{where}: {message}"
        super().__init__(f"{text} (fix: {fix})" if fix else text)


class ModelError(YidangError):
    """A model file cannot be loaded or does not fit the data."""


class ReviewError(YidangError):
    """A review action is not allowed (wrong role, expired lease, unknown item)."""
