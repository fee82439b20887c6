"""Local jobs: a detached runner process of ours runs ``run.sh`` through nemo-run's ``LocalExecutor``.

``submit`` starts ``python -m nemo_runspec_nb.launch._runner --daemonize JOB_DIR``
in its own session; the runner records its PID, runs the job and records how
it ended, so the job outlives the kernel that launched it. The state comes
from files in the job dir (``job.pid``, ``exit_code``, ``runner.pid``, the
record) and from whether those processes still run; the logs are nemo-run's
``stdout.log``/``stderr.log``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import SubmissionError
from .. import _records as rec
from .._executors import setup_lines
from .._records import JobRecord
from .._request import LaunchRequest
from .._secrets import SECRET_FILE_NAME, secret_preamble
from .._slurm_status import JobStatus
from ._backend import Backend, Refresh, Submission, wait_done
from ._render import public_env
from ._state import JobState, older_than

if TYPE_CHECKING:
    from ._handle import JobHandle

__all__ = ["LocalBackend"]

# `python -m nemo_runspec_nb.launch._runner`, but importing this very copy of the package (the
# kernel may have it from its working directory, which the runner does not share). The path is
# put on the runner's sys.path only, not into the environment the job inherits.
_RUNNER_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from nemo_runspec_nb.launch._runner import main; sys.exit(main())"
)

# submit() gives the runner 60 s to report its PID, so a local job still without one after this
# long was interrupted during its launch.
_RUNNER_START_LIMIT = 120.0


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[3])


def runner_of(record: JobRecord, job_dir: Path) -> tuple[int | None, int | None]:
    """The runner's ``(pid, start time)``: from ``runner.pid`` (written at its start), else the record."""
    pid, start = rec.read_pid_file(job_dir / rec.RUNNER_PID_FILE)
    if pid is None:
        pid, start = record.runner_pid, record.runner_start
    return pid, start


def _runner_alive(record: JobRecord, job_dir: Path) -> bool:
    pid, start = runner_of(record, job_dir)
    return rec.pid_alive(pid, str(job_dir), start=start)


class LocalBackend(Backend):
    """A job on this machine, run by a detached runner of ours."""

    name: ClassVar[str] = "local"
    executor: ClassVar[str] = "local"

    # -- submit -----------------------------------------------------------------------------------
    def run_sh_extras(self, request: LaunchRequest, has_secrets: bool) -> dict[str, Any]:
        """Exports, the profile's setup lines, the secrets preamble and the exit code: all in ``run.sh``."""
        secrets = request.job_dir / SECRET_FILE_NAME
        return {
            "setup_lines": setup_lines(request.profile),
            "env_exports": public_env(request),
            "secret_preamble": secret_preamble(secrets) if has_secrets else "",
            "state_dir": request.job_dir,
        }

    def submit(self, sub: Submission) -> JobRecord:
        """Start the runner (it forks and reports its PID); the record with that PID."""
        job_dir = sub.job_dir
        env = dict(os.environ)
        env["NEMORUN_HOME"] = str(sub.request.resolved_nemorun_home)
        # --daemonize: the runner forks and its parent exits at once, so we reap it here and the
        # runner (re-parented away from this process) never becomes our zombie.
        proc = subprocess.run(
            [sys.executable, "-c", _RUNNER_BOOT, _package_root(), "--daemonize", str(job_dir)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            start_new_session=True,
            env=env,
            cwd=str(job_dir),
            check=False,
            timeout=60,
        )
        try:
            runner_pid = int(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            rec.update_record(
                job_dir, status=JobStatus.FAILED.value, error="runner did not start", finished=rec.now()
            )
            raise SubmissionError(
                "the local job runner did not start", path=job_dir, hint=" | ".join(detail)
            ) from None
        # The runner records its own PID (and owns job.json from now on); don't write it here.
        return rec.read_job_record(job_dir).with_changes(runner_pid=runner_pid, job_id=str(runner_pid))

    # -- a submitted job --------------------------------------------------------------------------
    def job_id(self, record: JobRecord, job_dir: Path) -> str | None:
        """The runner's PID (until the runner records it as the job id)."""
        if record.job_id is not None:
            return record.job_id
        pid = runner_of(record, job_dir)[0]
        return str(pid) if pid is not None else None

    def states(self, handles: Sequence[JobHandle], how: Refresh) -> list[JobState]:
        """Each job's state from its files and processes (no command run)."""
        return [self.state(handle) for handle in handles]

    def state(self, handle: JobHandle) -> JobState:
        """The job's state from ``exit_code``, ``job.pid``, the runner and the record."""
        job_dir, job_id = handle.job_dir, handle.job_id
        code = rec.read_int(job_dir / rec.EXIT_CODE_FILE)
        cancelled = (job_dir / rec.CANCEL_MARKER).exists()
        job_alive = rec.pid_alive(rec.read_int(job_dir / rec.JOB_PID_FILE), str(job_dir))
        runner_alive = _runner_alive(handle._record, job_dir)
        if code is not None and not job_alive:
            status = (
                JobStatus.SUCCEEDED if code == 0 else JobStatus.CANCELLED if cancelled else JobStatus.FAILED
            )
            state = JobState(status, code, job_id)
            # The runner owns the record while it lives; it writes the same result itself.
            return state if runner_alive else handle._settle(state)
        if job_alive:
            return JobState(JobStatus.RUNNING, None, job_id)
        if runner_alive:
            if cancelled and (job_dir / rec.JOB_PID_FILE).exists():
                return JobState(JobStatus.CANCELLED, None, job_id)  # the runner is winding down
            return JobState(handle._record.status, None, job_id)
        handle._reload()  # the runner may have finished between our reads
        recorded = handle._recorded_state()
        if recorded is not None:
            return recorded
        if cancelled:
            return handle._settle(JobState(JobStatus.CANCELLED, None, job_id))
        return self._ended_unseen(handle)

    def _ended_unseen(self, handle: JobHandle) -> JobState:
        """Neither the job nor its runner runs, and nothing recorded how the job ended."""
        record, job_id = handle._record, handle.job_id
        pid, _ = runner_of(record, handle.job_dir)
        if pid is None:
            launcher = rec.process_alive(record.launcher)
            if launcher is None:
                return JobState(JobStatus.UNKNOWN, None, job_id, "no runner was recorded for this job")
            if launcher and not older_than(record.submitted, _RUNNER_START_LIMIT):
                return JobState(record.status, None, job_id, "starting")
            reason = (
                "the launching process ended before the job's runner started"
                if not launcher
                else f"the job's runner did not start in {_RUNNER_START_LIMIT:.0f} s (launch interrupted?)"
            )
        else:
            reason = (
                f"the job's runner (pid {pid}) died before the job recorded an exit code (see runner.log)"
            )
        return handle._settle(JobState(JobStatus.FAILED, None, job_id, reason))

    def settled(self, handle: JobHandle, seconds: float = 10.0) -> None:
        """Give the runner the moment it needs to record the result, so the record agrees."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            handle._reload()
            if handle._recorded_state() is not None or not _runner_alive(handle._record, handle.job_dir):
                return
            time.sleep(0.05)

    def log_files(self, handle: JobHandle) -> list[Path]:
        """nemo-run's ``stdout.log`` and ``stderr.log`` of the job's experiment."""
        record = handle._record
        base = Path(record.nemorun_home or "") / "experiments" / (record.experiment_title or "")
        out: list[Path] = []
        for name in ("stdout.log", "stderr.log"):
            out += sorted(base.glob(f"*/*/nemo_run/*/*/*/{name}"))
        return out

    def cancel(self, handle: JobHandle) -> JobState:
        """SIGTERM to the job's process group, SIGKILL when it is still there after 5 s."""
        self._signal(handle, signal.SIGTERM)
        state = wait_done(handle, 5.0)
        if not state.done:
            self._signal(handle, signal.SIGKILL)
            state = wait_done(handle, 5.0)
        return state

    def _signal(self, handle: JobHandle, sig: signal.Signals) -> None:
        # A running job is signalled (its runner then records CANCELLED and exits); the runner
        # itself only when the job has not started yet. Both lead their own process group.
        job_dir = handle.job_dir
        job_pid = rec.read_int(job_dir / rec.JOB_PID_FILE)
        runner_pid = runner_of(handle._record, job_dir)[0]
        for pid in (job_pid, runner_pid):
            if pid is not None and rec.pid_alive(pid, str(job_dir)):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, sig)
                return
