"""nemo_runspec_nb.testing.FakeJob: a scripted job handle that runs the real follower and wait loop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nemo_runspec_nb.testing as testing
from nemo_runspec_nb.launch import JobState, JobStatus, LogFollower
from nemo_runspec_nb.testing import FakeJob


def test_the_module_exports_exactly_the_fake_job():
    assert testing.__all__ == ["FakeJob"]
    assert FakeJob.__module__ == "nemo_runspec_nb.testing"


def test_importing_it_stays_cheap():
    code = "import nemo_runspec_nb.testing, sys; print('nemo_run' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_states_follow_the_script_and_the_last_one_repeats():
    job = FakeJob("PENDING", JobStatus.RUNNING, JobState(JobStatus.FAILED, 3, "1", "boom"))
    assert [job.status().status for _ in range(4)] == [
        JobStatus.PENDING,
        JobStatus.RUNNING,
        JobStatus.FAILED,
        JobStatus.FAILED,
    ]
    assert job.status().detail == "boom" and job.calls == 5
    assert FakeJob().status() == JobState(JobStatus.SUCCEEDED, 0, "1")


def test_wait_streams_the_log_through_the_default_whole_line_follower():
    job = FakeJob("RUNNING", "RUNNING", "SUCCEEDED", logs="step 1\nstep 2 (no newline)")
    seen: list[str] = []
    state = job.wait(poll=0, on_output=seen.append)
    assert state.status is JobStatus.SUCCEEDED and state.exit_code == 0
    assert seen == ["step 1\n", "step 2 (no newline)\n"]  # the partial line comes at the end


def test_wait_with_a_timeout_returns_the_unfinished_state():
    state = FakeJob("RUNNING").wait(timeout=0.05, poll=0.01)
    assert state.status is JobStatus.RUNNING and not state.done


def test_cancel_turns_every_later_state_cancelled():
    job = FakeJob("RUNNING")
    assert job.cancel().status is JobStatus.CANCELLED
    assert job.cancelled.is_set() and job.status().status is JobStatus.CANCELLED


def test_logs_come_from_memory_and_from_real_files(tmp_path: Path):
    real = tmp_path / "stderr.log"
    job = FakeJob(logs={"stdout.log": "a\nb"}, log_files=[real, tmp_path / "missing.log"])
    real.write_text("warn\n")
    assert job.logs() == "a\nb\nwarn\n"
    assert job.logs(tail=1) == "warn\n"
    assert job.log_files() == [Path("stdout.log"), real]


def test_a_follower_reads_a_fake_job_as_it_reads_a_real_one():
    job = FakeJob()
    follower = LogFollower(job)
    job.write_log("é".encode()[:1])
    assert follower.read() == ""  # half a character waits for the rest
    job.write_log("é".encode()[1:] + b"\n")
    assert follower.read() == "é\n"


def test_elapsed_and_record_come_from_the_given_times():
    job = FakeJob(started="2026-01-01T00:00:00+00:00", finished="2026-01-01T00:01:05+00:00")
    assert job.elapsed() == 65
    assert FakeJob().elapsed() is None
    assert job.to_dict()["status"] == "SUCCEEDED"
