"""Detached runner of a local job: ``python -m nemo_runspec_nb.launch._runner [--daemonize] JOB_DIR``.

Started by :func:`nemo_runspec_nb.launch.jobs.submit` in a new session. With
``--daemonize`` it forks once, prints the child's PID and exits, so the
launching process can reap it at once and the runner is nobody's zombie.
The runner runs ``JOB_DIR/run.sh`` through nemo-run's ``LocalExecutor``
(blocking, which is fine here: nobody waits on this process), then records how
the job ended in ``JOB_DIR/job.json``. Its own output goes to
``JOB_DIR/runner.log``.

This is a process entry point: it is the one place in the package that may
exit with a status.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path


def _daemonize(job_dir: Path) -> None:
    pid = os.fork()
    if pid:
        # Written before the launcher returns, so a status() right after submit finds the runner.
        tmp = job_dir / ".runner.pid.tmp"
        tmp.write_text(f"{pid}\n")
        tmp.replace(job_dir / "runner.pid")
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
        os._exit(0)
    os.setsid()  # lead our own process group, so cancel() can signal it by our PID
    log = os.open(str(job_dir / "runner.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)


def run_job(job_dir: Path) -> int:
    """Run the job recorded in ``job_dir``; return the job's exit code (or 1 if unknown)."""
    from nemo_runspec_nb.launch import _records as rec
    from nemo_runspec_nb.launch._nemorun import NemoRun
    from nemo_runspec_nb.launch.executors import build_executor
    from nemo_runspec_nb.launch.slurm_status import JobStatus

    record = rec.read_record(job_dir)
    nemorun = NemoRun(record.get("nemorun_home"))
    rec.update_record(
        job_dir,
        status=JobStatus.RUNNING.value,
        started=rec.now(),
        runner_pid=os.getpid(),
        job_id=str(os.getpid()),
    )
    outcome_state, error = "UNKNOWN", None
    try:
        executor = build_executor({"executor": "local"}, nemorun=nemorun)
        outcome = nemorun.run_local(
            title=str(record["experiment_title"]), executor=executor, script_path=job_dir / rec.RUN_SCRIPT
        )
        outcome_state = outcome.state
        rec.update_record(
            job_dir, experiment_id=outcome.experiment_id, experiment_dir=str(outcome.experiment_dir)
        )
    except Exception as exc:  # recorded for the user, then re-raised into runner.log
        error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    code = rec.read_int(job_dir / rec.EXIT_CODE_FILE)
    if (job_dir / rec.CANCEL_MARKER).exists() and code != 0:
        status = JobStatus.CANCELLED
    elif code is not None:
        status = JobStatus.SUCCEEDED if code == 0 else JobStatus.FAILED
    elif outcome_state == "SUCCEEDED":
        status, code = JobStatus.SUCCEEDED, 0
    else:
        status = JobStatus.FAILED
    rec.update_record(job_dir, status=status.value, exit_code=code, finished=rec.now(), error=error)
    return code if code is not None else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point; see the module docstring."""
    args = list(sys.argv[1:] if argv is None else argv)
    daemonize = "--daemonize" in args
    args = [a for a in args if a != "--daemonize"]
    if len(args) != 1:
        sys.stderr.write("usage: python -m nemo_runspec_nb.launch._runner [--daemonize] JOB_DIR\n")
        return 2
    job_dir = Path(args[0]).absolute()
    if daemonize:
        _daemonize(job_dir)
    return run_job(job_dir)


if __name__ == "__main__":
    sys.exit(main())
