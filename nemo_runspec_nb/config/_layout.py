"""Where a project keeps its state: the one definition of the ``.nemotron`` layout.

::

    <project>/.nemotron/jobs/<YYYYmmdd-HHMMSS>-<recipe>[-N]/   one folder per launched job
    <project>/.nemotron/nemorun/                              nemo-run's home (NEMORUN_HOME)
    <project>/.nemotron/artifacts/                            the default artifact registry root

The project is the directory that holds env.toml (or the working directory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["STATE_DIR", "ProjectLayout", "claim_job_dir"]

STATE_DIR = ".nemotron"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ProjectLayout:
    """The state folders of the project rooted at ``root``."""

    root: Path

    @property
    def state_dir(self) -> Path:
        """``<root>/.nemotron``."""
        return self.root / STATE_DIR

    @property
    def jobs_dir(self) -> Path:
        """``<root>/.nemotron/jobs``: one folder per launched job."""
        return self.state_dir / "jobs"

    @property
    def nemorun_home(self) -> Path:
        """``<root>/.nemotron/nemorun``: nemo-run's experiment dirs and job maps."""
        return self.state_dir / "nemorun"

    @property
    def artifacts_root(self) -> Path:
        """``<root>/.nemotron/artifacts``: the default artifact registry root."""
        return self.state_dir / "artifacts"

    @staticmethod
    def job_dir_name(recipe_name: str, now: datetime | None = None) -> str:
        """``<YYYYmmdd-HHMMSS>-<recipe>``; ``/`` and other unsafe characters become ``-``."""
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        return f"{stamp}-{_UNSAFE.sub('-', recipe_name).strip('-') or 'job'}"

    def new_job_dir(self, recipe_name: str, now: datetime | None = None) -> Path:
        """A job dir path that does not exist yet (``-2``, ``-3`` ... keep it unique); not created.

        Only :func:`claim_job_dir` makes a path exclusive: two launches may get the same answer here.
        """
        wanted = self.jobs_dir / self.job_dir_name(recipe_name, now)
        candidate, counter = wanted, 2
        while candidate.exists():
            candidate = wanted.with_name(f"{wanted.name}-{counter}")
            counter += 1
        return candidate

    @classmethod
    def of_job_dir(cls, job_dir: Path) -> ProjectLayout | None:
        """The layout a job dir belongs to, or ``None`` when it is not under ``.nemotron/jobs``."""
        jobs = job_dir.parent
        if jobs.name == "jobs" and jobs.parent.name == STATE_DIR:
            return cls(jobs.parent.parent)
        return None


def claim_job_dir(wanted: Path | str) -> Path:
    """Create ``wanted`` (or the first free ``wanted-2``, ``wanted-3`` ...) and return it.

    Each directory is made exclusively (``mkdir`` fails when it exists), so two launches in
    the same second, in one process or several, never share a job dir.
    """
    wanted = Path(wanted)
    wanted.parent.mkdir(parents=True, exist_ok=True)
    candidate, counter = wanted, 2
    while True:
        try:
            candidate.mkdir()
        except FileExistsError:
            candidate = wanted.with_name(f"{wanted.name}-{counter}")
            counter += 1
            continue
        return candidate
