"""Submit a job and return at once; preview exactly what a submit would write and hand over.

:func:`submit` is the same for every kind of job: check, write ``run.sh``, the
secrets file (owner-only) and ``job.json``, then let the job's backend start it
(:mod:`._backends`). Every job directory (``.nemotron/jobs/<timestamp>-<recipe>/``)
holds ``job.yaml``, ``train.yaml`` (written by the caller), ``run.sh`` (exactly
what the job runs), ``sbatch.sh`` (Slurm) and ``job.json`` (the record
:func:`jobs` reads). Secret environment variables reach the job only through
an owner-only file that ``run.sh`` (Slurm: the batch script) sources; it stays
while the job may still run (a requeued Slurm job reads it again) and is
removed when the job has ended: by the runner (local) or by a cleanup job
that depends on the Slurm job (``afterany``), on the cluster for SSH jobs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...errors import SubmissionError
from .. import _records as rec
from .._code import JobCode, predict_code, prepare_code
from .._executors import resolve_resources
from .._nemorun import NemoRun
from .._request import LaunchRequest
from .._secrets import remove_secret_file, secret_file_text, write_secret_file
from .._slurm_status import JobStatus
from ._backend import Backend, Submission
from ._backends import backend_for_profile
from ._handle import JobHandle
from ._render import public_profile, run_sh_text, split_env, title

__all__ = ["launch", "render_run_sh", "render_submission_script", "submit"]


def render_run_sh(request: LaunchRequest) -> str:
    """The job's ``run.sh`` exactly as :func:`submit` would write it (secret values never appear).

    For an SSH tunnel the paths are the ones the job sees on the cluster
    (``remote_job_dir/<job dir name>/...``).
    """
    backend = backend_for_profile(request.profile)
    return _predicted_run_sh(backend, backend.prepare(request))


def render_submission_script(request: LaunchRequest, *, nemorun: NemoRun | None = None) -> str:
    """What a submit hands to the scheduler, without submitting it.

    The sbatch script for Slurm (a nemo-run dry run), the job's ``run.sh`` for a local job.
    """
    backend = backend_for_profile(request.profile)
    request = backend.prepare(request)
    return backend.preview(request, nemorun, _predicted_run_sh(backend, request))


def _predicted_run_sh(backend: Backend, request: LaunchRequest) -> str:
    code = predict_code(request)  # where prepare_code() would put the code; nothing is written
    _, secret = split_env(request)
    extras = backend.run_sh_extras(request, bool(secret) and backend.secrets_here)
    return run_sh_text(request, backend.job_code(request, code), extras)


def submit(request: LaunchRequest, *, nemorun: NemoRun | None = None) -> JobHandle:
    """Start the job and return at once (local: a detached runner; Slurm: sbatch through nemo-run).

    Raises:
        ExecutorError: bad profile or unreachable service.
        SubmissionError: the job dir already holds a job, or the scheduler (nemo-run) refused it.

    """
    backend = backend_for_profile(request.profile)
    backend.check(request)
    request = backend.prepare(request)
    job_dir = request.job_dir
    job_dir.mkdir(parents=True, exist_ok=True)
    _check_unused(job_dir)
    public, secret = split_env(request)
    # A backend that does not keep secrets here (SSH) ships them itself; nothing is written here.
    secrets_path = write_secret_file(job_dir, secret) if secret and backend.secrets_here else None
    try:
        secret_text = secret_file_text(secret) if secret and not backend.secrets_here else ""  # checks names
        run_sh = job_dir / rec.RUN_SCRIPT
        code = backend.job_code(request, prepare_code(request))
        extras = backend.run_sh_extras(request, secrets_path is not None)
        run_sh.write_text(run_sh_text(request, code, extras))
        run_sh.chmod(0o755)
        rec.write_record(job_dir, _new_record(request, backend, code, public, secret))
        sub = Submission(
            request=request,
            public=public,
            secret=secret,
            secret_text=secret_text,
            job_side_dir=backend.job_side_dir(request),
            nemorun=nemorun or NemoRun(request.resolved_nemorun_home),
        )
        return JobHandle(job_dir, backend.submit(sub))
    except BaseException:
        if secrets_path is not None:  # no job will read it
            remove_secret_file(job_dir)
        raise


def _new_record(
    request: LaunchRequest,
    backend: Backend,
    code: JobCode,
    public: dict[str, str],
    secret: dict[str, str],
) -> dict[str, Any]:
    res = resolve_resources(request.profile, request.runspec)
    return {
        "format": rec.RECORD_FORMAT,
        "name": request.name,
        "recipe": str(request.script_path),
        "job_dir": str(request.job_dir),
        "code": {"kind": code.kind, "script": str(code.script), "root": str(code.pythonpath or "")},
        "executor": backend.executor,
        "mode": request.mode,
        "status": JobStatus.PENDING.value,
        "exit_code": None,
        "job_id": None,
        "created": rec.now(),
        "submitted": rec.now(),
        "started": None,
        "finished": None,
        "nemorun_home": str(request.resolved_nemorun_home),
        "experiment_title": title(request),
        "experiment_id": None,
        "experiment_dir": None,
        "resources": {"nodes": res.nodes, "gpus_per_node": res.gpus_per_node},
        "profile": public_profile(request.profile),
        "env_names": sorted([*public, *secret]),
        "error": None,
        "launcher": rec.this_process(),  # until the job starts, its liveness is the launcher's
        **backend.record_extras(request),
    }


def _check_unused(job_dir: Path) -> None:
    if os.path.lexists(rec.record_path(job_dir)):
        raise SubmissionError(
            "this job dir already holds a job; a second launch would overwrite its record and logs",
            path=job_dir,
            hint="Launch into a fresh job dir (ComposedJob.launch() makes one)",
        )


def launch(
    request: LaunchRequest,
    *,
    on_output: Callable[[str], None] | None = None,
    poll: float = 1.0,
    timeout: float | None = None,
    nemorun: NemoRun | None = None,
) -> JobHandle:
    """Submit ``request``; attached (``mode="run"``) also waits, passing new log text to ``on_output``."""
    handle = submit(request, nemorun=nemorun)
    if request.mode == "run":
        handle.wait(timeout=timeout, poll=poll, on_output=on_output)
    return handle
