"""Launch recipes: executors from profiles, commands, nemo-run, non-blocking jobs.

Importing this package is cheap: nemo_run and pandas are imported only when a
job is built, submitted or listed. The implementation lives in private modules
(``_jobs/`` for jobs: rendering, one backend per kind of job, the handle, the
log follower, listing); the public names are re-exported here.
"""

from __future__ import annotations

from .._exports import publish as _publish
from ._commands import build_command, wrap_run_sh
from ._env_vars import build_env_vars, startup_commands
from ._evaluator import collect_images, inject_wandb, parse_task_flags, save_config, select_tasks
from ._executors import EXECUTORS, Resources, build_executor, check_reachable, resolve_resources
from ._jobs._follow import LogFollower
from ._jobs._handle import JobHandle
from ._jobs._listing import jobs, refresh_statuses
from ._jobs._state import JobState
from ._jobs._submit import launch, render_run_sh, render_submission_script, submit
from ._nemorun import NemoRun
from ._packaging import (
    CodePackager,
    GitPackager,
    PackagedCode,
    PassThroughPackager,
    PatternPackager,
    SelfContainedPackager,
    make_packager,
)
from ._pipeline import PipelinePlan, PipelineResult, render_pipeline, run_pipeline
from ._request import LaunchRequest
from ._slurm_status import JobStatus, SlurmQuery
from ._squash import container_to_sqsh_name, ensure_squashed_image, get_squash_path
from ._step import Step

__all__ = [
    "EXECUTORS",
    "CodePackager",
    "GitPackager",
    "JobHandle",
    "JobState",
    "JobStatus",
    "LaunchRequest",
    "LogFollower",
    "NemoRun",
    "PackagedCode",
    "PassThroughPackager",
    "PatternPackager",
    "PipelinePlan",
    "PipelineResult",
    "Resources",
    "SelfContainedPackager",
    "SlurmQuery",
    "Step",
    "build_command",
    "build_env_vars",
    "build_executor",
    "check_reachable",
    "collect_images",
    "container_to_sqsh_name",
    "ensure_squashed_image",
    "get_squash_path",
    "inject_wandb",
    "jobs",
    "launch",
    "make_packager",
    "parse_task_flags",
    "refresh_statuses",
    "render_pipeline",
    "render_run_sh",
    "render_submission_script",
    "resolve_resources",
    "run_pipeline",
    "save_config",
    "select_tasks",
    "startup_commands",
    "submit",
    "wrap_run_sh",
]

_publish(globals())
