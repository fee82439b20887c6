"""Real local jobs whose runner is killed with SIGKILL: every wait and follow still ends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from nemo_runspec_nb.launch import JobHandle, JobStatus, jobs, submit

pytestmark = pytest.mark.nemorun

TIMEOUT = 120
ROOT = Path(__file__).resolve().parents[2]


def _started(handle: JobHandle) -> None:
    deadline = time.monotonic() + TIMEOUT
    while "recipe started" not in handle.logs() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "recipe started" in handle.logs()


def _kill_everything(handle: JobHandle) -> None:
    """SIGKILL the runner's and the job's process groups: nobody is left to record an end."""
    runner = int((handle.job_dir / "runner.pid").read_text().split()[0])
    job = int((handle.job_dir / "job.pid").read_text())
    for pid in (runner, job):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def _in_thread(fn: Any, seconds: float) -> Any:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting {seconds} s after the runner was killed"
    return out[0]


def test_wait_and_follow_end_after_the_runner_is_killed(make_request, launched) -> None:
    handle = submit(make_request(sleep=300))
    launched.append(handle)
    _started(handle)
    _kill_everything(handle)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    follow = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from nemo_runspec_nb.cli import main; main()",
            "logs",
            "-f",
            str(handle.job_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        state = _in_thread(lambda: JobHandle.from_job_dir(handle.job_dir).wait(poll=0.2), 60)
        assert state.status is JobStatus.FAILED
        assert "runner" in state.detail and "died" in state.detail
        out, err = follow.communicate(timeout=60)
    finally:
        follow.kill()
        follow.wait()
    assert follow.returncode == 1, err
    assert "recipe started" in out
    assert f"{handle.job_dir.name}: FAILED (the job's runner (pid " in err
    frame = jobs(handle.job_dir.parent)
    row = frame[frame["job_dir"] == str(handle.job_dir)].iloc[0]
    assert (row["status"], row["reason"]) == ("FAILED", state.detail)
