"""The ``"sbatch"`` launcher: one batch script, submitted with ``sbatch --parsable``.

A submitted script keeps its secrets file for a requeue; a cleanup job removes it once
the pipeline's job has ended (see the package doc).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ...errors import ExecutorError, LaunchError, SubmissionError
from .._secrets import cleanup_job_argv, remove_secret_file
from .._step import Step
from ._result import PipelineResult
from ._script import SbatchOptions, plan, sbatch_header, sbatch_names

SBATCH_SCRIPT_NAME = "pipeline.sbatch"


def run_sbatch(
    steps: tuple[Step, ...],
    env: Mapping[str, str],
    job_dir: str | Path | None,
    cwd: str | Path | None,
    startup: Sequence[str],
    options: SbatchOptions,
    submit: bool,
) -> PipelineResult:
    """Write ``<job_dir>/pipeline.sbatch`` and, with ``submit``, submit it and its cleanup job."""
    if job_dir is None:
        raise LaunchError("the sbatch launcher needs a job_dir for its script and logs", key="job_dir")
    job_dir = Path(job_dir).resolve()  # the script runs elsewhere: every path in it is absolute
    job_dir.mkdir(parents=True, exist_ok=True)
    # a submitted job keeps the file for a requeue; a cleanup job removes it (package doc)
    script_plan = plan(steps, env, job_dir, cwd, startup, remove_secrets=not submit)
    script = job_dir / SBATCH_SCRIPT_NAME
    script.write_text(sbatch_header(job_dir, steps, options) + script_plan.script, encoding="utf-8")
    if not submit:
        return PipelineResult("sbatch", script=script)
    try:
        job_id = _submit(script)
    except LaunchError:
        if script_plan.secrets_file is not None:  # no job will read it
            remove_secret_file(job_dir)
        raise
    if script_plan.secrets_file is None:
        return PipelineResult("sbatch", script=script, job_id=job_id)
    cleanup_job, cleanup_error = _submit_cleanup(script_plan.secrets_file, job_id, options)
    return PipelineResult(
        "sbatch",
        script=script,
        job_id=job_id,
        secrets_cleanup_job=cleanup_job,
        secrets_cleanup_error=cleanup_error,
    )


def _submit(script: Path) -> str:
    try:
        done = subprocess.run(
            ["sbatch", "--parsable", str(script)],
            capture_output=True,
            text=True,
            cwd=script.parent,
            check=False,
        )
    except FileNotFoundError:
        raise ExecutorError(
            "sbatch is not installed here",
            path=script,
            hint="Run on a Slurm login node, start the local cluster (scripts/local-slurm/start.sh), "
            "or pass submit=False to only write the script",
        ) from None
    if done.returncode != 0:
        raise SubmissionError(f"sbatch failed: {done.stderr.strip() or done.stdout.strip()}", path=script)
    job_id = done.stdout.strip().splitlines()[-1].split(";")[0] if done.stdout.strip() else ""
    if not job_id:
        raise SubmissionError("sbatch printed no job id", path=script)
    return job_id


def _submit_cleanup(secrets_file: Path, job_id: str, options: SbatchOptions) -> tuple[str | None, str | None]:
    """Submit the job that removes ``secrets_file`` once job ``job_id`` has ended for good.

    It runs on the pipeline's partition, account and QOS. Returns ``(cleanup job id, None)``,
    or ``(None, error)`` when it could not be submitted: the pipeline runs anyway, and the
    error says where the file stays.
    """
    named = sbatch_names(options)

    def option(name: str) -> str | None:
        value = named.get(name)
        return None if value is None or isinstance(value, bool) else str(value)

    argv = cleanup_job_argv(
        secrets_file,
        job_id,
        name=f"runspec-cleanup-{job_id}",
        partition=option("partition"),
        account=option("account"),
        qos=option("qos"),
    )
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"the secrets file stays at {secrets_file}: {exc}"
    cleanup_id = done.stdout.strip().split(";")[0] if done.stdout.strip() else ""
    if done.returncode != 0 or not cleanup_id:
        detail = (done.stderr or done.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit code {done.returncode}"
        return None, f"the secrets file stays at {secrets_file}: sbatch failed: {reason}"
    return cleanup_id, None
