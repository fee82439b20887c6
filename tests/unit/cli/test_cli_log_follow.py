"""LogFollower: new text per file, the sbatch fallback only when the job left no log of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nemo_runspec_nb.cli.log_follow import LogFollower, follow
from nemo_runspec_nb.launch import JobState, JobStatus


class FakeHandle:
    def __init__(self, files: list[Path], states: list[JobState] | None = None) -> None:
        self.files = files
        self.states = states or []

    def log_files(self) -> list[Path]:
        return [f for f in self.files if f.exists()]

    def status(self) -> JobState:
        return self.states.pop(0)

    def given_up(self, state: JobState) -> JobState | None:
        return None  # these jobs always end


def test_reads_only_what_is_new(tmp_path: Path) -> None:
    log = tmp_path / "stdout.log"
    log.write_text("one\n")
    follower = LogFollower(FakeHandle([log]))  # type: ignore[arg-type]
    assert follower.read() == "one\n"
    assert follower.read() == ""
    with log.open("a") as handle:
        handle.write("two\n")
    assert follower.read() == "two\n"


def test_a_character_split_between_reads_comes_out_whole(tmp_path: Path) -> None:
    log = tmp_path / "stdout.log"
    data = "é\n".encode()
    log.write_bytes(data[:1])
    follower = LogFollower(FakeHandle([log]))  # type: ignore[arg-type]
    assert follower.read() == ""
    log.write_bytes(data)
    assert follower.read() == "é\n"


def test_sbatch_output_only_when_the_job_left_no_log(tmp_path: Path) -> None:
    sbatch = tmp_path / "sbatch_job_7.out"
    own = tmp_path / "log-job_7_0.out"
    sbatch.write_text("+ set -x noise\n")
    handle = FakeHandle([own, sbatch])
    follower = LogFollower(handle)  # type: ignore[arg-type]
    assert follower.read() == ""  # running: wait for the job's own log
    own.write_text("train: epoch 1\n")
    assert follower.read() == "train: epoch 1\n"
    assert follower.read(final=True) == ""
    failed_early = LogFollower(FakeHandle([tmp_path / "missing.out", sbatch]))  # type: ignore[arg-type]
    assert failed_early.read(final=True) == "+ set -x noise\n"


def test_skip_existing_then_follow_to_the_end(tmp_path: Path) -> None:
    log = tmp_path / "stdout.log"
    log.write_text("old\n")
    states = [JobState(JobStatus.RUNNING), JobState(JobStatus.SUCCEEDED, 0)]
    handle: Any = FakeHandle([log], states)
    follower = LogFollower(handle)
    follower.skip_existing()
    log.write_text("old\nnew\n")
    seen: list[str] = []
    state = follow(handle, seen.append, poll=0, follower=follower)
    assert state.status is JobStatus.SUCCEEDED
    assert "".join(seen) == "new\n"
