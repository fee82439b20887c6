"""Parsing squeue/sacct output and batching the queries (a fake Slurm CLI)."""

from __future__ import annotations

from collections.abc import Sequence

from nemo_runspec_nb.launch._slurm_status import (
    JobStatus,
    SlurmQuery,
    parse_exit_code,
    parse_sacct,
    parse_squeue,
    status_from_slurm,
)

SACCT = """\
7|COMPLETED|0:0
8|FAILED|3:0
9|CANCELLED by 0|0:15
10|OUT_OF_MEMORY|0:125
10.batch|FAILED|0:125
11|TIMEOUT|0:1
"""


def test_states_map_onto_job_statuses():
    assert status_from_slurm("PENDING") is JobStatus.PENDING
    assert status_from_slurm("RUNNING") is JobStatus.RUNNING
    assert status_from_slurm("COMPLETING") is JobStatus.RUNNING
    assert status_from_slurm("COMPLETED") is JobStatus.SUCCEEDED
    assert status_from_slurm("CANCELLED by 0") is JobStatus.CANCELLED
    assert status_from_slurm("CANCELLED+") is JobStatus.CANCELLED
    assert status_from_slurm("NODE_FAIL") is JobStatus.FAILED
    assert status_from_slurm("WHATEVER") is JobStatus.UNKNOWN


def test_exit_codes():
    assert parse_exit_code("3:0") == 3
    assert parse_exit_code("0:0") == 0
    assert parse_exit_code("0:15") == 128 + 15
    assert parse_exit_code("") is None
    assert parse_exit_code("x") is None


def test_parse_sacct_skips_steps():
    states = parse_sacct(SACCT)
    assert sorted(states) == ["10", "11", "7", "8", "9"]
    assert (states["7"].status, states["7"].exit_code) == (JobStatus.SUCCEEDED, 0)
    assert (states["8"].status, states["8"].exit_code) == (JobStatus.FAILED, 3)
    assert states["9"].status is JobStatus.CANCELLED
    assert states["10"].status is JobStatus.FAILED


def test_parse_squeue():
    states = parse_squeue("12|PENDING|Resources\n13|RUNNING|None\n\n")
    assert states["12"].status is JobStatus.PENDING
    assert states["12"].reason == "Resources"
    assert states["13"].status is JobStatus.RUNNING
    assert states["13"].reason == ""


class FakeSlurm:
    """Answers squeue for queued jobs and sacct for the rest, like Slurm 22.05."""

    def __init__(self, queued: dict[str, str], ended: str) -> None:
        self.queued, self.ended = queued, ended

    def __call__(self, argv: Sequence[str]) -> str:
        ids = argv[argv.index("-j") + 1].split(",")
        if argv[0] == "squeue":
            return "".join(f"{i}|{self.queued[i]}|None\n" for i in ids if i in self.queued)
        assert argv[0] == "sacct"
        return "\n".join(line for line in self.ended.splitlines() if line.split("|")[0] in ids)


def test_twenty_queued_jobs_cost_one_call():
    fake = FakeSlurm({str(i): "RUNNING" for i in range(100, 120)}, "")
    query = SlurmQuery(runner=fake)
    states = query.states(str(i) for i in range(100, 120))
    assert len(states) == 20
    assert all(s.status is JobStatus.RUNNING for s in states.values())
    assert query.calls == 1


def test_jobs_that_left_the_queue_cost_one_sacct_together():
    fake = FakeSlurm({"12": "PENDING"}, SACCT)
    query = SlurmQuery(runner=fake)
    states = query.states(["7", "8", "9", "12", "99"])
    assert query.calls == 2
    assert [c[0] for c in query.commands] == ["squeue", "sacct"]
    assert states["12"].status is JobStatus.PENDING
    assert (states["8"].status, states["8"].exit_code) == (JobStatus.FAILED, 3)
    assert states["99"].status is JobStatus.UNKNOWN  # sacct has not caught up yet


def test_squeue_showing_an_ended_job_still_asks_sacct_for_its_exit_code():
    query = SlurmQuery(runner=FakeSlurm({"8": "FAILED"}, SACCT))
    assert query.states(["8"])["8"].exit_code == 3
    assert query.calls == 2


def test_no_ids_no_calls():
    query = SlurmQuery(runner=FakeSlurm({}, ""))
    assert query.states([]) == {}
    assert query.calls == 0


def test_without_slurm_every_job_is_unknown(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    query = SlurmQuery()
    states = query.states(["1", "2"])
    assert {s.status for s in states.values()} == {JobStatus.UNKNOWN}
    assert query.calls == 2
