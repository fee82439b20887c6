"""Launch recipes: executors from profiles, commands, nemo-run, non-blocking jobs.

Importing this package is cheap: nemo_run and pandas are imported only when a
job is built, submitted or listed.
"""

from __future__ import annotations

from ._nemorun import NemoRun
from .commands import build_command, render_run_script
from .executors import EXECUTORS, Resources, build_executor, check_reachable, resolve_resources
from .jobs import (
    JobHandle,
    JobState,
    JobStatus,
    jobs,
    launch,
    refresh_statuses,
    render_command,
    render_script,
    submit,
)
from .request import LaunchRequest
from .slurm_status import SlurmQuery

__all__ = [
    "EXECUTORS",
    "JobHandle",
    "JobState",
    "JobStatus",
    "LaunchRequest",
    "NemoRun",
    "Resources",
    "SlurmQuery",
    "build_command",
    "build_executor",
    "check_reachable",
    "jobs",
    "launch",
    "refresh_statuses",
    "render_command",
    "render_run_script",
    "render_script",
    "resolve_resources",
    "submit",
]
