"""LogFollower: new text per file, the sbatch fallback only when the job left no log of its own.

(These pinned ``runspec logs --follow``'s follower, which is now ``LogFollower(handle,
sbatch_fallback=True)`` read through ``handle.wait(on_output=...)``.)
"""

from __future__ import annotations

from pathlib import Path

from nemo_runspec_nb.launch import JobState, JobStatus, LogFollower
from nemo_runspec_nb.testing import FakeJob


def test_reads_only_what_is_new(tmp_path: Path) -> None:
    log = tmp_path / "stdout.log"
    log.write_text("one\n")
    follower = LogFollower(FakeJob(log_files=[log]), sbatch_fallback=True)
    assert follower.read() == "one\n"
    assert follower.read() == ""
    with log.open("a") as handle:
        handle.write("two\n")
    assert follower.read() == "two\n"


def test_a_character_split_between_reads_comes_out_whole(tmp_path: Path) -> None:
    log = tmp_path / "stdout.log"
    data = "é\n".encode()
    log.write_bytes(data[:1])
    follower = LogFollower(FakeJob(log_files=[log]), sbatch_fallback=True)
    assert follower.read() == ""
    log.write_bytes(data)
    assert follower.read() == "é\n"


def test_sbatch_output_only_when_the_job_left_no_log(tmp_path: Path) -> None:
    sbatch = tmp_path / "sbatch_job_7.out"
    own = tmp_path / "log-job_7_0.out"
    sbatch.write_text("+ set -x noise\n")
    follower = LogFollower(FakeJob(log_files=[own, sbatch]), sbatch_fallback=True)
    assert follower.read() == ""  # running: wait for the job's own log
    own.write_text("train: epoch 1\n")
    assert follower.read() == "train: epoch 1\n"
    assert follower.read(final=True) == ""
    failed_early = LogFollower(FakeJob(log_files=[tmp_path / "missing.out", sbatch]), sbatch_fallback=True)
    assert failed_early.read(final=True) == "+ set -x noise\n"


def test_skip_existing_then_follow_to_the_end(tmp_path: Path) -> None:
    log = tmp_path / "stdout.log"
    log.write_text("old\n")
    states = [JobState(JobStatus.RUNNING), JobState(JobStatus.SUCCEEDED, 0)]
    handle = FakeJob(*states, log_files=[log])
    follower = LogFollower(handle, sbatch_fallback=True)
    follower.skip_existing()
    log.write_text("old\nnew\n")
    seen: list[str] = []
    state = handle.wait(poll=0, on_output=seen.append, follower=follower)
    assert state.status is JobStatus.SUCCEEDED
    assert "".join(seen) == "new\n"
