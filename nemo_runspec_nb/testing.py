r"""Test doubles for code that works with jobs: :class:`FakeJob` behaves like a ``JobHandle``.

Use it in your own tests of code that takes a job handle (a monitor, a CLI
command, a pipeline step), with no scheduler, no runner and no nemo-run::

    from nemo_runspec_nb.testing import FakeJob

    job = FakeJob("PENDING", "RUNNING", "SUCCEEDED", logs="epoch 1\nepoch 2\n")
    job.status().status.value     # 'PENDING', then 'RUNNING', then 'SUCCEEDED' from then on
    job.wait(poll=0).done         # True: waits through the scripted states
    job.logs(tail=1)              # 'epoch 2\n'

Each :meth:`FakeJob.status` call takes the next scripted state; the last one
repeats. :meth:`FakeJob.cancel` turns it CANCELLED. Log text lives in memory
(:meth:`FakeJob.write_log`) or in real files (``log_files=``), and is read
through the same :class:`~nemo_runspec_nb.launch.LogFollower` and wait loop as
a real job's, so ``wait(on_output=...)`` behaves as it does on a real handle.
Importing this module is as cheap as importing ``nemo_runspec_nb.launch``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .launch import JobState, JobStatus, LogFollower
from .launch._jobs._backend import read_files_from
from .launch._jobs._follow import log_text, wait_for_job
from .launch._jobs._state import parse_time

__all__ = ["FakeJob"]

_EXIT_CODES = {JobStatus.SUCCEEDED: 0, JobStatus.FAILED: 1, JobStatus.CANCELLED: 143}


def _state(value: JobState | JobStatus | str, job_id: str) -> JobState:
    if isinstance(value, JobState):
        return value
    status = JobStatus(value)
    return JobState(status, _EXIT_CODES.get(status), job_id)


class FakeJob:
    """A scripted job with the interface of :class:`~nemo_runspec_nb.launch.JobHandle`.

    Args:
        *states: the states :meth:`status` returns, one per call (the last one repeats);
            a ``JobStatus``, its value (``"RUNNING"``) or a full ``JobState``. Default: SUCCEEDED.
        name, executor, job_id, job_dir: what the handle's attributes read.
        logs: log text in memory, as one ``stdout.log`` (text) or a mapping of file name to text.
        log_files: real files to read as the job's logs (those that exist), after ``logs``.
        submitted, started, finished: ISO 8601 times, for :meth:`elapsed` and :meth:`to_dict`.

    ``calls`` counts :meth:`status` calls; ``cancelled`` is set by :meth:`cancel`.

    """

    unknown_limit: float = float("inf")

    def __init__(
        self,
        *states: JobState | JobStatus | str,
        name: str = "fake",
        executor: str = "local",
        job_id: str | None = "1",
        job_dir: str | Path = "fake-job",
        logs: str | bytes | Mapping[str, str | bytes] = "",
        log_files: Iterable[str | Path] = (),
        submitted: str | None = None,
        started: str | None = None,
        finished: str | None = None,
    ) -> None:
        self.name = name
        self.executor = executor
        self.job_id = job_id
        self.job_dir = Path(job_dir)
        self.submitted, self.started, self.finished = submitted, started, finished
        self.states = [_state(s, job_id or "") for s in states] or [_state(JobStatus.SUCCEEDED, job_id or "")]
        self.files = [Path(p) for p in log_files]
        self.calls = 0
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._logs: dict[str, bytes] = {}
        for key, text in ({"stdout.log": logs} if isinstance(logs, (str, bytes)) else dict(logs)).items():
            if text:
                self.write_log(text, key)

    # -- the script
    def write_log(self, text: str | bytes, name: str = "stdout.log") -> None:
        """Append ``text`` to the in-memory log file ``name`` (created on first write)."""
        data = text.encode() if isinstance(text, str) else text
        with self._lock:
            self._logs[name] = self._logs.get(name, b"") + data

    # -- what a JobHandle offers
    def status(self) -> JobState:
        """The next scripted state (CANCELLED once :meth:`cancel` ran)."""
        with self._lock:
            self.calls += 1
            if self.cancelled.is_set():
                return _state(JobStatus.CANCELLED, self.job_id or "")
            return self.states.pop(0) if len(self.states) > 1 else self.states[0]

    def given_up(self, state: JobState) -> JobState | None:
        """Never: a fake job's script always says what its state is."""
        return None

    def unknown_for(self) -> float:
        """Always 0 (see :meth:`given_up`)."""
        return 0.0

    def wait(
        self,
        timeout: float | None = None,
        *,
        poll: float = 0.01,
        on_output: Callable[[str], None] | None = None,
        follower: LogFollower | None = None,
    ) -> JobState:
        """Take states until one is done (or ``timeout``); the same loop as ``JobHandle.wait``."""
        return wait_for_job(self, timeout=timeout, poll=poll, on_output=on_output, follower=follower)

    def cancel(self) -> JobState:
        """Cancel the job: every later :meth:`status` reads CANCELLED."""
        self.cancelled.set()
        return self.status()

    def log_files(self) -> list[Path]:
        """The in-memory log names (as paths) and the given files that exist."""
        return [Path(name) for name in self._logs] + [p for p in self.files if p.exists()]

    def read_logs(self, offsets: Mapping[str, int]) -> list[tuple[str, bytes]]:
        """New bytes of each log from its offset in ``offsets`` (key: the name or path)."""
        with self._lock:
            out = [(key, data[offsets.get(key, 0) :]) for key, data in self._logs.items()]
        return out + read_files_from(self.files, offsets)

    def logs(self, tail: int | None = None) -> str:
        """All log text so far, each file ending with a newline; ``tail`` keeps the last N lines."""
        return log_text(self.read_logs({}), tail)

    def elapsed(self, now: float | None = None) -> float | None:
        """Seconds from ``started`` (else ``submitted``) to ``finished`` (else now); None without times."""
        start = parse_time(self.started) or parse_time(self.submitted)
        if start is None:
            return None
        end = parse_time(self.finished)
        return (end or (time.time() if now is None else now)) - start

    def to_dict(self) -> dict[str, Any]:
        """A job record with the fake's fields (as ``JobHandle.to_dict`` gives the real one)."""
        state = self.states[-1]
        return {
            "format": 1,
            "name": self.name,
            "executor": self.executor,
            "status": state.status.value,
            "exit_code": state.exit_code,
            "job_id": self.job_id,
            "job_dir": str(self.job_dir),
            "submitted": self.submitted,
            "started": self.started,
            "finished": self.finished,
        }

    def __repr__(self) -> str:
        return f"FakeJob({self.name!r}, executor={self.executor!r}, job_id={self.job_id!r})"
