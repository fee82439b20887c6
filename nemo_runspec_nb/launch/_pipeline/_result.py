"""What :func:`run_pipeline` returns, and the launchers it knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

PipelineLauncher = Literal["local", "sbatch", "nemo-run"]
LAUNCHERS: tuple[str, ...] = get_args(PipelineLauncher)


@dataclass(frozen=True)
class PipelineResult:
    """The outcome of :func:`run_pipeline`; which fields are set depends on the launcher.

    ``secrets_cleanup_job`` is the id of the Slurm job that removes a submitted
    pipeline's secrets file once its job has ended; ``secrets_cleanup_error``
    says where the file stays when that job could not be submitted.
    """

    launcher: PipelineLauncher
    returncodes: tuple[int, ...] = ()
    stdout: str = ""
    stderr: tuple[str, ...] = ()
    script: Path | None = None
    job_id: str | None = None
    handle: Any = field(default=None, compare=False)
    secrets_cleanup_job: str | None = None
    secrets_cleanup_error: str | None = None

    @property
    def ok(self) -> bool:
        """True when every step of a local run exited 0 (always True for submitted pipelines)."""
        return all(code == 0 for code in self.returncodes)
