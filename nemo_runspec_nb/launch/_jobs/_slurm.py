"""Slurm jobs on this machine's cluster: sbatch through nemo-run's ``SlurmExecutor`` (detached).

The state comes from ``squeue``/``sacct``, batched over every job of a refresh
(one query per Slurm host); the logs are the srun output files in the
experiment dir (the sbatch output until the job's own log exists).
Secrets reach the job through the owner-only file the batch script sources; a
cleanup job that depends on the job (``afterany``) removes it once the job has
ended for good.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import LaunchError, SubmissionError
from .. import _records as rec
from .._nemorun import NemoRun
from .._records import JobRecord
from .._request import LaunchRequest
from .._secrets import SECRET_FILE_NAME, cleanup_job_argv
from .._slurm_status import JobStatus, SlurmQuery
from ._backend import Backend, Refresh, Submission, wait_done
from ._render import slurm_executor, split_env, task_name, title
from ._state import JobState

if TYPE_CHECKING:
    from ._handle import JobHandle

__all__ = ["SlurmBackend"]


class SlurmBackend(Backend):
    """A Slurm job submitted from this machine (``executor = "slurm"``)."""

    name: ClassVar[str] = "slurm"
    executor: ClassVar[str] = "slurm"

    # -- submit -----------------------------------------------------------------------------------
    def preview(self, request: LaunchRequest, nemorun: NemoRun | None, run_sh: str) -> str:
        """The sbatch script, from a nemo-run dry run (nothing is submitted)."""
        nr = nemorun or NemoRun(request.resolved_nemorun_home)
        public, secret = split_env(request)
        job_dir = self.job_side_dir(request)
        executor = slurm_executor(request, public, bool(secret), nr, job_dir=job_dir)
        return nr.render_sbatch(
            title=title(request),
            executor=executor,
            script_path=job_dir / rec.RUN_SCRIPT,
            task=task_name(request),
        )

    def submit(self, sub: Submission) -> JobRecord:
        """Sbatch through nemo-run; the record with the job id, and the secrets cleanup job."""
        request, job_dir = sub.request, sub.job_side_dir
        has_secrets = bool(sub.secret)
        try:
            executor = slurm_executor(request, sub.public, has_secrets, sub.nemorun, job_dir=job_dir)
            out = sub.nemorun.submit_slurm(
                title=title(request),
                executor=executor,
                script_path=job_dir / rec.RUN_SCRIPT,
                task=task_name(request),
            )
        except LaunchError as exc:
            if has_secrets:  # no job will read it
                self.forget_secrets(sub)
            rec.update_record(sub.job_dir, status=JobStatus.FAILED.value, error=str(exc), finished=rec.now())
            raise
        (sub.job_dir / rec.SBATCH_SCRIPT).write_text(out.sbatch_script)
        changes: dict[str, Any] = {
            "job_id": out.job_id,
            "experiment_id": out.experiment_id,
            "experiment_dir": str(out.experiment_dir),
            **self.experiment_extras(sub, out.experiment_dir),
        }
        if has_secrets:
            changes.update(self._submit_cleanup(sub, executor, out.job_id, job_dir / SECRET_FILE_NAME))
        return rec.update_job_record(sub.job_dir, **changes)

    def forget_secrets(self, sub: Submission) -> None:
        """A submission failed: remove a secrets file that is not in the local job dir (none here)."""

    def experiment_extras(self, sub: Submission, experiment_dir: Path) -> dict[str, Any]:
        """Record entries about where nemo-run put the experiment (none beyond ``experiment_dir``)."""
        return {}

    def run_sbatch(self, sub: Submission, argv: list[str]) -> str:
        """Run ``sbatch`` ``argv`` where the job's Slurm is (here); its stdout. Raises SubmissionError."""
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise SubmissionError(f"sbatch failed: {detail[-1] if detail else proc.returncode}")
        return proc.stdout

    def _submit_cleanup(
        self, sub: Submission, executor: Any, job_id: str, secrets_path: Path | PurePosixPath
    ) -> dict[str, Any]:
        """Submit the job that removes the secrets file once the job has ended (see :mod:`._secrets`).

        Returns the record entries: ``secrets_cleanup_job``, or ``secrets_cleanup_error`` when
        Slurm refused it (the job runs anyway; the file then stays until removed by hand).
        """
        argv = cleanup_job_argv(
            secrets_path,
            job_id,
            name=f"{getattr(executor, 'job_name_prefix', '') or ''}cleanup-{job_id}",
            partition=getattr(executor, "partition", None),
            account=getattr(executor, "account", None),
            qos=getattr(executor, "qos", None),
        )
        try:
            out = self.run_sbatch(sub, argv)
        except (LaunchError, OSError, subprocess.TimeoutExpired) as exc:
            return {"secrets_cleanup_error": f"the secrets file stays at {secrets_path}: {exc}"}
        return {"secrets_cleanup_job": out.strip().split(";")[0]}

    # -- a submitted job --------------------------------------------------------------------------
    def query(self, record: JobRecord) -> SlurmQuery | None:
        """A query of this machine's Slurm."""
        return SlurmQuery()

    def states(self, handles: Sequence[JobHandle], how: Refresh) -> list[JobState]:
        """One ``squeue`` (+ one ``sacct``) per Slurm host for all the jobs that have a job id."""
        states: list[JobState | None] = [None] * len(handles)
        groups: dict[str, list[int]] = {}
        for i, handle in enumerate(handles):
            if handle.job_id:
                groups.setdefault(handle.host_key, []).append(i)
            else:
                states[i] = _unsubmitted_state(handle)
        for host, members in groups.items():
            q = (how.queries or {}).get(host) or (how.query if not host and how.query is not None else None)
            q = q or handles[members[0]].query
            try:
                found = q.states(handles[i].job_id or "" for i in members)
            except LaunchError as exc:
                if how.strict:
                    raise
                for i in members:
                    states[i] = JobState(JobStatus.UNKNOWN, None, handles[i].job_id, str(exc))
                continue
            for i in members:
                states[i] = _state_from(handles[i], found.get(handles[i].job_id or ""))
        return [s if s is not None else JobState(JobStatus.UNKNOWN) for s in states]

    def log_files(self, handle: JobHandle) -> list[Path]:
        """The task logs in the experiment dir, else the sbatch output."""
        exp = handle._record.experiment_dir
        if not exp:
            return []
        for group in log_patterns(handle._record):
            found = sorted(p for pattern in group for p in Path(exp).glob(pattern))
            if found:
                return found
        return []

    def cancel(self, handle: JobHandle) -> JobState:
        """``scancel`` (over SSH for an SSH job); the state up to 10 s later."""
        if handle.job_id:
            handle.query.cancel(handle.job_id)
        return wait_done(handle, 10.0)


def log_patterns(record: JobRecord) -> list[list[str]]:
    """Globs of a Slurm job's logs in its experiment dir: the task logs, else the sbatch output."""
    job_id = record.job_id or ""
    if not job_id.isdigit():
        return []
    return [[f"*/log-*_{job_id}_*.out"], [f"*/sbatch_*_{job_id}.out"]]


def _state_from(handle: JobHandle, found: Any) -> JobState:
    """The state a Slurm query ``found`` for the job (a cancel request turns FAILED into CANCELLED)."""
    if found is None:
        return JobState(JobStatus.UNKNOWN, None, handle.job_id)
    status = found.status
    if status is JobStatus.FAILED and (handle.job_dir / rec.CANCEL_MARKER).exists():
        status = JobStatus.CANCELLED
    state = JobState(status, found.exit_code, handle.job_id, found.reason)
    return handle._settle(state) if state.done else state


def _unsubmitted_state(handle: JobHandle) -> JobState:
    """A Slurm job without a job id: being submitted, or its launcher died before sbatch answered."""
    alive = rec.process_alive(handle._record.launcher)
    if alive is None:
        return JobState(JobStatus.UNKNOWN, None, None, "not submitted")
    if alive:
        return JobState(JobStatus.PENDING, None, None, "being submitted")
    reason = (
        "the launching process ended before Slurm gave a job id; if sbatch ran, the job may "
        "still be in Slurm (look with squeue --me)"
    )
    return handle._settle(JobState(JobStatus.FAILED, None, None, reason))
