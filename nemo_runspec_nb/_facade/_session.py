"""Where a notebook or CLI invocation works: env.toml, the project's state folders, the registry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..config._layout import ProjectLayout
from ..errors import ProfileError

if TYPE_CHECKING:
    import pandas as pd

    from ..artifacts import ArtifactRegistry

__all__ = ["Session", "jobs"]


class Session:
    """Where a notebook or CLI invocation works: env.toml, jobs dir, artifact registry.

    Args:
        env_file: the env.toml to use. Default: ``NEMOTRON_ENV_FILE``, else the
            first env.toml found walking up from the working directory, else
            from ``start`` (a recipe's folder), stopping at a ``pyproject.toml``.
        project_dir: where ``.nemotron/jobs`` lives (default: the env.toml's
            folder, else the working directory).
        artifacts_root: artifact registry root (default: env.toml ``[artifacts]``,
            else ``.nemotron/artifacts`` next to env.toml).
        start: a folder to search for env.toml when the working dir has none.

    """

    def __init__(
        self,
        env_file: str | Path | None = None,
        *,
        project_dir: str | Path | None = None,
        artifacts_root: str | Path | None = None,
        start: str | Path | None = None,
    ) -> None:
        from ..config import find_env_file

        if env_file is not None:
            found: Path | None = Path(env_file).absolute()
            if not found.is_file():  # type: ignore[union-attr]
                raise ProfileError(
                    f"env file {env_file} does not exist",
                    path=env_file,
                    hint="Give the path of an env.toml, or leave it out to search for one",
                )
        else:
            found = find_env_file()
            if found is None and start is not None:
                found = find_env_file(Path(start))
        self.env_file: Path | None = found
        self.project_dir = (
            Path(project_dir).absolute() if project_dir else (found.parent if found else Path.cwd())
        )
        self.artifacts_root = str(artifacts_root) if artifacts_root is not None else None
        self._registry: ArtifactRegistry | None = None

    def __repr__(self) -> str:
        return f"Session(env_file={self.env_file}, project_dir={self.project_dir})"

    @property
    def layout(self) -> ProjectLayout:
        """Where this project keeps jobs, nemo-run's home and artifacts (under ``.nemotron``)."""
        return ProjectLayout(self.project_dir)

    @property
    def jobs_dir(self) -> Path:
        """``<project_dir>/.nemotron/jobs``: one folder per launched job."""
        return self.layout.jobs_dir

    def registry(self) -> ArtifactRegistry:
        """The artifact registry of this session (created on first use, then kept)."""
        if self._registry is None:
            from ..artifacts import registry

            self._registry = registry(env_file=self.env_file, root=self.artifacts_root)
        return self._registry

    def profiles(self) -> list[str]:
        """Profile names in env.toml (empty without one)."""
        if self.env_file is None:
            return []
        from ..config import list_profiles

        return list_profiles(self.env_file)

    def jobs(self, *, refresh: bool = True) -> pd.DataFrame:
        """A DataFrame of the jobs launched from this project, newest first."""
        return jobs(self.jobs_dir, refresh=refresh)


def jobs(
    root: str | Path | None = None, *, env_file: str | Path | None = None, refresh: bool = True
) -> pd.DataFrame:
    """A DataFrame of launched jobs, newest first (``root``: a ``.nemotron/jobs`` folder).

    Without ``root`` the jobs of the project of ``env_file`` (found as
    :class:`Session` finds it) are listed. It reads the job dirs, so it works
    after a kernel restart.
    """
    from ..launch import jobs as list_jobs

    return list_jobs(Path(root) if root is not None else Session(env_file).jobs_dir, refresh=refresh)
