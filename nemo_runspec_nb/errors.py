"""The one exception tree of nemo_runspec_nb.

Every error the library raises on purpose derives from :class:`RunspecError`,
so ``except RunspecError`` catches all user-facing problems while real bugs
keep their tracebacks::

    RunspecError
    ├── SpecError                      (also ValueError)  bad [tool.runspec] block
    │   └── DiscoveryError                                 several recipes failed to parse
    ├── ConfigError                    (also ValueError)   config files and composition
    │   ├── ConfigNotFoundError        (also FileNotFoundError)
    │   └── OverrideError                                  a bad override token or key
    ├── ProfileError                   (also ValueError)   env.toml profiles
    ├── LaunchError                    (also ValueError)   packaging, executors, jobs
    │   ├── ExecutorError                                  a profile cannot become an executor
    │   ├── PackagingError                                 code or image cannot be packaged
    │   ├── SubmissionError                                nemo-run or the scheduler failed
    │   ├── JobNotFoundError                               no job matches the id, name or dir
    │   └── JobRecordError                                 a job dir's job.json is damaged
    └── ArtifactError                  (also ValueError)   registry, refs, art://
        └── ArtifactNotFoundError                          no artifact of that name
            └── ArtifactVersionNotFoundError               the name exists, the version does not

Every error but the root is a ``ValueError`` too, as the seed's errors were, so code written
against it (``except ValueError``) keeps working.

Errors carry where the problem is as attributes (``path``, ``line``, ``key``)
and a ``hint`` that says what to do next. ``str(error)`` is one line that a
user can act on, e.g.::

    recipes/train.py:7: unknown key 'nodess' in [tool.runspec.resources]. Did you mean 'nodes'?

:func:`suggest` is the shared "did you mean" helper (difflib based).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "ArtifactError",
    "ArtifactNotFoundError",
    "ArtifactVersionNotFoundError",
    "ConfigError",
    "ConfigNotFoundError",
    "DiscoveryError",
    "ExecutorError",
    "JobNotFoundError",
    "JobRecordError",
    "LaunchError",
    "OverrideError",
    "PackagingError",
    "ProfileError",
    "RunspecError",
    "SpecError",
    "SubmissionError",
    "suggest",
]


def suggest(word: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Return up to ``n`` entries of ``choices`` that look like ``word``."""
    pool = [str(c) for c in choices]
    found = difflib.get_close_matches(word, pool, n=n, cutoff=cutoff)
    if not found:
        lowered = {c.lower(): c for c in pool}
        found = [
            lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=cutoff)
        ]
    return found


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``"Did you mean 'x'?"`` sentence, or ``""`` when nothing is close."""
    found = suggest(word, choices)
    return f"Did you mean '{found[0]}'?" if found else ""


class RunspecError(Exception):
    """Root of every error nemo_runspec_nb raises on purpose.

    ``message`` says what is wrong; ``path``/``line``/``key`` say where;
    ``hint`` says what to do about it. ``str()`` joins them into one line.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str = "",
    ) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.key = key
        self.hint = hint
        super().__init__(self._render())

    @property
    def location(self) -> str:
        """``file:line``, ``file`` or ``""``."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)

    def _render(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text = f"{text.rstrip('.')}. {self.hint}"
        return text

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> tuple[Any, ...]:  # keep the keyword attributes across pickling
        return (
            _rebuild,
            (type(self), self.message, self.path, self.line, self.key, self.hint, self.__dict__),
        )


def _rebuild(
    cls: type[RunspecError],
    message: str,
    path: Path | None,
    line: int | None,
    key: str | None,
    hint: str,
    state: dict[str, Any],
) -> RunspecError:
    obj = cls.__new__(cls)
    RunspecError.__init__(obj, message, path=path, line=line, key=key, hint=hint)
    obj.__dict__.update(state)
    return obj


class SpecError(RunspecError, ValueError):
    """A recipe's PEP 723 block or its ``[tool.runspec]`` table is invalid."""


class DiscoveryError(SpecError):
    """Several recipes under a tree failed to parse; ``errors`` holds each one."""

    def __init__(self, errors: list[SpecError], *, root: str | Path | None = None) -> None:
        self.errors = list(errors)
        lines = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(
            f"{len(self.errors)} recipe(s) failed to parse: {lines}{more}",
            path=root,
            hint="Fix each file named above, or call discover() without raise_errors to skip them",
        )


class ConfigError(RunspecError, ValueError):
    """A config file or its composition is invalid."""


class ConfigNotFoundError(ConfigError, FileNotFoundError):
    """A config file (or a ``defaults:`` base) does not exist."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        ConfigError.__init__(self, message, **kwargs)


class OverrideError(ConfigError):
    """An override token is malformed or names a key the config does not have."""


class ProfileError(RunspecError, ValueError):
    """An env.toml profile is missing, malformed or its ``extends`` chain is broken.

    ``profile`` names the profile a bad key belongs to (None for a problem of the file or of a
    special section); ``key`` is then ``<profile>.<key>`` and ``line`` the key's line in env.toml.
    """

    def __init__(self, message: str, *, profile: str | None = None, **kwargs: Any) -> None:
        self.profile = profile
        super().__init__(message, **kwargs)


class LaunchError(RunspecError, ValueError):
    """Packaging, building an executor, submitting or controlling a job failed."""


class ExecutorError(LaunchError):
    """A profile cannot become an executor: unknown kind, bad key, unreachable host or cluster."""


class PackagingError(LaunchError):
    """The recipe's code or container image cannot be packaged for the job."""


class SubmissionError(LaunchError):
    """The scheduler or nemo-run refused, or failed while submitting, controlling or reading a job."""


class JobNotFoundError(LaunchError):
    """No job matches the id, name or job dir asked for."""


class JobRecordError(LaunchError):
    """A job dir's ``job.json`` cannot be read or is not a job record; ``reason`` says why."""

    def __init__(self, reason: str, **kwargs: Any) -> None:
        self.reason = reason
        kwargs.setdefault(
            "hint",
            "The job's other files are untouched; look at the record, or remove the job dir if "
            "the job is not needed",
        )
        super().__init__(f"damaged job record: {reason}", **kwargs)


class ArtifactError(RunspecError, ValueError):
    """An artifact reference, manifest or ``art://`` path is invalid."""


class ArtifactNotFoundError(ArtifactError):
    """No artifact of that name exists in the registry."""


class ArtifactVersionNotFoundError(ArtifactNotFoundError):
    """The artifact exists but not at the requested version or alias."""
