"""Detached runner of a local job: ``python -m nemo_runspec_nb.launch._runner [--daemonize] JOB_DIR``.

Started by :func:`nemo_runspec_nb.launch.submit` in a new session. With
``--daemonize`` it forks once, prints the child's PID and exits, so the
launching process can reap it at once and the runner is nobody's zombie.
The runner runs ``JOB_DIR/run.sh`` through nemo-run's ``LocalExecutor``
(blocking, which is fine here: nobody waits on this process), then removes the
job's secrets file and records how the job ended in ``JOB_DIR/job.json``. Its own output goes to
``JOB_DIR/runner.log``.

This is a process entry point: it is the one place in the package that may
exit with a status.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from pathlib import Path


def _daemonize(job_dir: Path) -> None:
    pid = os.fork()
    if pid:
        # Written before the launcher returns, so a status() right after submit finds the runner;
        # with the child's start time, so a recycled PID is never taken for it.
        from . import _records as rec

        rec.write_pid_file(job_dir / rec.RUNNER_PID_FILE, pid)
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


def _experiment_dir(home: Path, title: str) -> Path | None:
    found = sorted((home / "experiments" / title).glob(f"{title}_*"))
    return found[-1] if found else None


def run_job(job_dir: Path) -> int:
    """Run the job recorded in ``job_dir``; return the job's exit code (or 1 if unknown).

    The result is recorded as soon as ``run.sh`` writes its exit code (a watcher thread), not
    when nemo-run's own polling notices the end a second or two later.
    """
    from . import _records as rec
    from ._executors import build_executor
    from ._nemorun import NemoRun
    from ._secrets import remove_secret_file
    from ._slurm_status import JobStatus

    record = rec.read_record(job_dir)
    home, title = Path(record["nemorun_home"]), str(record["experiment_title"])
    nemorun = NemoRun(home)
    lock = threading.Lock()
    settled = threading.Event()
    ended = threading.Event()

    def settle(outcome_state: str = "UNKNOWN", error: str | None = None, **extra: object) -> int | None:
        remove_secret_file(job_dir)  # run.sh has ended: before anyone reads the job as done
        code = rec.read_int(job_dir / rec.EXIT_CODE_FILE)
        if (job_dir / rec.CANCEL_MARKER).exists() and code != 0:
            status = JobStatus.CANCELLED
        elif code is not None:
            status = JobStatus.SUCCEEDED if code == 0 else JobStatus.FAILED
        elif outcome_state == "SUCCEEDED":
            status, code = JobStatus.SUCCEEDED, 0
        else:
            status = JobStatus.FAILED
        exp_dir = _experiment_dir(home, title)
        with lock:
            changes: dict[str, object] = {"status": status.value, "exit_code": code, "error": error, **extra}
            if not settled.is_set():
                changes["finished"] = rec.now()
            if exp_dir is not None and "experiment_dir" not in extra:
                changes.update(experiment_dir=str(exp_dir), experiment_id=exp_dir.name)
            rec.update_record(job_dir, **changes)
            settled.set()
        return code

    def watch() -> None:
        while not ended.wait(0.1):
            if (job_dir / rec.EXIT_CODE_FILE).exists():
                settle()
                return

    with lock:
        rec.update_record(
            job_dir,
            status=JobStatus.RUNNING.value,
            started=rec.now(),
            runner_pid=os.getpid(),
            runner_start=rec.process_start(os.getpid()),
            job_id=str(os.getpid()),
        )
    watcher = threading.Thread(target=watch, name="exit-code-watcher", daemon=True)
    watcher.start()
    outcome_state, error, extra = "UNKNOWN", None, {}
    try:
        executor = build_executor({"executor": "local"}, nemorun=nemorun)
        outcome = nemorun.run_local(title=title, executor=executor, script_path=job_dir / rec.RUN_SCRIPT)
        outcome_state = outcome.state
        extra = {"experiment_id": outcome.experiment_id, "experiment_dir": str(outcome.experiment_dir)}
    except Exception as exc:  # recorded for the user, and its traceback goes to runner.log
        error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        remove_secret_file(job_dir)
    ended.set()
    watcher.join()
    code = settle(outcome_state, error, **extra)
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
