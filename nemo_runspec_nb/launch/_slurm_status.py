"""Job states from Slurm, for many jobs at once.

One :meth:`SlurmQuery.states` call costs one ``squeue`` for every job still
known to the controller, plus one ``sacct`` for the jobs that are not (they
ended and need their exit code). :attr:`SlurmQuery.calls` counts the CLI calls
so a benchmark can check the cost. The parsers are pure functions, tested on
captured output.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "JobStatus",
    "SlurmQuery",
    "SlurmState",
    "parse_exit_code",
    "parse_sacct",
    "parse_squeue",
    "status_from_slurm",
]


class JobStatus(str, Enum):
    """Where a job is in its life; the same for local and Slurm jobs.

    ``DAMAGED`` is never a job's state: listings show it for a job dir whose
    ``job.json`` cannot be read, so one bad record does not hide the others.
    """

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"
    DAMAGED = "DAMAGED"

    @property
    def done(self) -> bool:
        """True for SUCCEEDED, FAILED and CANCELLED."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)

    def __str__(self) -> str:
        return self.value


_SLURM_TO_STATUS: dict[str, JobStatus] = {
    "PENDING": JobStatus.PENDING,
    "CONFIGURING": JobStatus.PENDING,
    "REQUEUED": JobStatus.PENDING,
    "REQUEUE_HOLD": JobStatus.PENDING,
    "REQUEUE_FED": JobStatus.PENDING,
    "RESV_DEL_HOLD": JobStatus.PENDING,
    "SPECIAL_EXIT": JobStatus.PENDING,
    "RUNNING": JobStatus.RUNNING,
    "COMPLETING": JobStatus.RUNNING,
    "RESIZING": JobStatus.RUNNING,
    "SIGNALING": JobStatus.RUNNING,
    "STAGE_OUT": JobStatus.RUNNING,
    "SUSPENDED": JobStatus.RUNNING,
    "STOPPED": JobStatus.RUNNING,
    "COMPLETED": JobStatus.SUCCEEDED,
    "CANCELLED": JobStatus.CANCELLED,
    "FAILED": JobStatus.FAILED,
    "TIMEOUT": JobStatus.FAILED,
    "NODE_FAIL": JobStatus.FAILED,
    "OUT_OF_MEMORY": JobStatus.FAILED,
    "BOOT_FAIL": JobStatus.FAILED,
    "DEADLINE": JobStatus.FAILED,
    "PREEMPTED": JobStatus.FAILED,
    "REVOKED": JobStatus.CANCELLED,
}


def status_from_slurm(state: str) -> JobStatus:
    """Map a Slurm state (``"CANCELLED by 0"``, ``"RUNNING"``, ``"OUT_OF_MEMORY"``...) to a JobStatus."""
    word = state.strip().split(" ", 1)[0].rstrip("+").upper()
    return _SLURM_TO_STATUS.get(word, JobStatus.UNKNOWN)


def parse_exit_code(text: str) -> int | None:
    """``sacct``'s ``ExitCode`` (``"3:0"``) -> 3; killed by a signal (``"0:15"``) -> 128 + 15."""
    text = text.strip()
    if not text:
        return None
    code, _, signal = text.partition(":")
    try:
        value, sig = int(code), int(signal or 0)
    except ValueError:
        return None
    return 128 + sig if value == 0 and sig else value


@dataclass(frozen=True)
class SlurmState:
    """A Slurm job's state as one query saw it."""

    job_id: str
    status: JobStatus
    slurm_state: str
    exit_code: int | None = None
    reason: str = ""


def parse_squeue(text: str) -> dict[str, SlurmState]:
    """Parse ``squeue -h -o '%i|%T|%r'`` output (one ``id|STATE|reason`` per line)."""
    out: dict[str, SlurmState] = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 2 or not parts[0]:
            continue
        job_id, state = parts[0], parts[1]
        reason = parts[2] if len(parts) > 2 and parts[2] not in ("None", "(null)") else ""
        out[job_id] = SlurmState(job_id, status_from_slurm(state), state, None, reason)
    return out


def parse_sacct(text: str) -> dict[str, SlurmState]:
    """Parse ``sacct -X -n -P -o JobID,State,ExitCode`` output; later lines win (a requeued id)."""
    out: dict[str, SlurmState] = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 3 or not parts[0] or "." in parts[0]:
            continue
        job_id, state, exit_text = parts[0], parts[1], parts[2]
        status = status_from_slurm(state)
        code = parse_exit_code(exit_text)
        if status is JobStatus.SUCCEEDED and code is None:
            code = 0
        out[job_id] = SlurmState(job_id, status, state, code)
    return out


Runner = Callable[[Sequence[str]], str]


def _run_cli(argv: Sequence[str]) -> str:
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""  # Slurm missing or not answering: the jobs read as UNKNOWN, not as an error
    # squeue exits 1 when every id is unknown ("Invalid job id specified"): not an error for us.
    return proc.stdout if proc.returncode == 0 or "Invalid job id" in proc.stderr else ""


@dataclass
class SlurmQuery:
    """Batched Slurm state queries; ``calls`` counts the CLI calls made.

    Args:
        runner: Runs an argv and returns stdout (a fake in unit tests).

    """

    runner: Runner = _run_cli
    calls: int = 0
    commands: list[list[str]] = field(default_factory=list)

    def _call(self, argv: list[str]) -> str:
        self.calls += 1
        self.commands.append(argv)
        return self.runner(argv)

    def states(self, job_ids: Iterable[str]) -> dict[str, SlurmState]:
        """States of ``job_ids``: one ``squeue``, plus one ``sacct`` for ids squeue no longer shows.

        An id neither command knows comes back as UNKNOWN (e.g. the half second after submit
        during which ``sacct`` prints only its header).
        """
        ids = sorted({str(i) for i in job_ids if str(i)}, key=lambda s: (len(s), s))
        if not ids:
            return {}
        found = parse_squeue(self._call(["squeue", "-h", "-o", "%i|%T|%r", "-j", ",".join(ids)]))
        states = {i: s for i, s in found.items() if i in ids and not s.status.done}
        missing = [i for i in ids if i not in states]
        if missing:
            ended = parse_sacct(
                self._call(["sacct", "-X", "-n", "-P", "-o", "JobID,State,ExitCode", "-j", ",".join(missing)])
            )
            for i in missing:
                states[i] = ended.get(i) or found.get(i) or SlurmState(i, JobStatus.UNKNOWN, "")
        return states

    def cancel(self, job_id: str) -> None:
        """``scancel`` the job."""
        self._call(["scancel", str(job_id)])
