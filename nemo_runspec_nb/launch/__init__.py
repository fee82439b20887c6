"""Launch recipes: executors from profiles, commands, nemo-run, non-blocking jobs.

Importing this package is cheap: nemo_run and pandas are imported only when a
job is built, submitted or listed. The implementation lives in private modules
(``_jobs/`` for jobs: rendering, one backend per kind of job, the handle, the
log follower, listing); the public names are re-exported here.
"""

from __future__ import annotations

from .._exports import publish as _publish
from ._commands import build_command, wrap_run_sh
from ._jobs._follow import LogFollower
from ._jobs._handle import JobHandle
from ._jobs._listing import jobs, refresh_statuses
from ._jobs._state import JobState
from ._jobs._submit import launch, render_run_sh, render_submission_script, submit
from ._nemorun import NemoRun
from ._slurm_status import JobStatus, SlurmQuery
from .executors import EXECUTORS, Resources, build_executor, check_reachable, resolve_resources
from .request import LaunchRequest

__all__ = [
    "EXECUTORS",
    "JobHandle",
    "JobState",
    "JobStatus",
    "LaunchRequest",
    "LogFollower",
    "NemoRun",
    "Resources",
    "SlurmQuery",
    "build_command",
    "build_executor",
    "check_reachable",
    "jobs",
    "launch",
    "refresh_statuses",
    "render_run_sh",
    "render_submission_script",
    "resolve_resources",
    "submit",
    "wrap_run_sh",
]

_publish(globals())
