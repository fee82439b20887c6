"""A launched job, live or finished, in this process or reconnected from its job dir."""

from __future__ import annotations

import contextlib
import dataclasses
import html
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ...errors import JobRecordError, LaunchError
from .. import _records as rec
from .._records import JobRecord
from .._remote import SSHTarget
from .._slurm_status import JobStatus, SlurmQuery
from ._backend import Backend
from ._backends import backend_for_record
from ._follow import LogFollower, log_text, wait_for_job
from ._ssh import target_of
from ._state import JobState, parse_time

__all__ = ["JobHandle"]


class JobHandle:
    """A launched job, live or finished, in this process or reconnected from its job dir.

    ``unknown_limit``: seconds :meth:`wait` (and ``runspec logs --follow``) keep waiting while
    the job reads UNKNOWN (Slurm forgot it, or nothing tells what became of it) before they
    return that UNKNOWN state instead of waiting forever.
    """

    unknown_limit: float = 300.0

    def __init__(
        self,
        job_dir: str | Path,
        record: JobRecord | Mapping[str, Any] | None = None,
        *,
        query: SlurmQuery | None = None,
    ):
        self.job_dir = Path(job_dir).absolute()
        if record is None:
            record = rec.read_job_record(self.job_dir)
        elif not isinstance(record, JobRecord):
            record = JobRecord.from_mapping(record, path=rec.record_path(self.job_dir))
        self._record: JobRecord = record
        self._query = query
        self._unknown_since: float | None = None

    @classmethod
    def from_job_dir(cls, path: str | Path) -> JobHandle:
        """Reconnect to a job from its directory (any process, after a kernel restart)."""
        return cls(Path(path))

    # -- properties
    @property
    def _backend(self) -> Backend:
        return backend_for_record(self._record)

    @property
    def name(self) -> str:
        """The job's name."""
        return self._record.name

    @property
    def executor(self) -> str:
        """``"local"`` or ``"slurm"``."""
        return self._record.executor

    @property
    def job_id(self) -> str | None:
        """Slurm job id, or the runner's PID for a local job."""
        return self._backend.job_id(self._record, self.job_dir)

    @property
    def remote(self) -> SSHTarget | None:
        """The SSH login node of a Slurm job submitted through an SSH tunnel, else None."""
        return target_of(self._record)

    @property
    def host_key(self) -> str:
        """Which Slurm this job's state comes from: ``""`` (this machine) or ``user@host:port``."""
        target = self.remote
        return target.key if target is not None else ""

    @property
    def query(self) -> SlurmQuery:
        """The Slurm query object this handle uses (counts CLI calls; over SSH for SSH jobs)."""
        if self._query is None:
            self._query = self._backend.query(self._record) or SlurmQuery()
        return self._query

    def to_dict(self) -> dict[str, Any]:
        """The job record (as in ``job.json``), refreshed from disk."""
        self._reload()
        return self._record.to_dict()

    def elapsed(self, now: float | None = None) -> float | None:
        """Seconds from the job's start (else its submission) to its end (else ``now``); None if unknown."""
        self._reload()
        record = self._record
        start = parse_time(record.started) or parse_time(record.submitted)
        if start is None:
            return None
        end = parse_time(record.finished) if record.status.done else None
        return (end or (time.time() if now is None else now)) - start

    # -- the record (shared with the job's backend and the listing)
    def _reload(self) -> None:
        with contextlib.suppress(LaunchError):
            self._record = rec.read_job_record(self.job_dir)

    def _recorded_state(self) -> JobState | None:
        """The final state the record holds, or None while the job is not done."""
        record = self._record
        if record.status.done:
            return JobState(record.status, record.exit_code, self.job_id, record.error or "")
        return None

    def _settle(self, state: JobState) -> JobState:
        """Store a final state (and its reason) in the record, so later reads cost nothing.

        A record damaged meanwhile is left as it is: the listing shows it as damaged.
        """
        if state.done:
            changes: dict[str, Any] = {
                "status": state.status.value,
                "exit_code": state.exit_code,
                "finished": self._record.finished or rec.now(),
            }
            if state.detail:
                changes["error"] = state.detail
            with contextlib.suppress(JobRecordError):
                self._record = rec.update_job_record(self.job_dir, **changes)
        return state

    # -- status
    def status(self) -> JobState:
        """The job's current state (one ``squeue``/``sacct`` for Slurm; only files for local jobs)."""
        from ._listing import refresh_statuses

        state = refresh_statuses([self], query=self._query)[0]
        if state.status is not JobStatus.UNKNOWN:
            self._unknown_since = None
        elif self._unknown_since is None:
            self._unknown_since = time.monotonic()
        return state

    def unknown_for(self) -> float:
        """Seconds the job has read UNKNOWN in a row, through this handle's :meth:`status` (0 if not)."""
        return 0.0 if self._unknown_since is None else time.monotonic() - self._unknown_since

    def given_up(self, state: JobState) -> JobState | None:
        """``state`` with the reason, once it has been UNKNOWN for ``unknown_limit`` s; else None."""
        if state.status is not JobStatus.UNKNOWN or self.unknown_for() < self.unknown_limit:
            return None
        why = f": {state.detail}" if state.detail else ""
        detail = f"state unknown for {self.unknown_for():.0f} s{why}; stopped waiting (the job may still run)"
        return dataclasses.replace(state, detail=detail)

    def wait(
        self,
        timeout: float | None = None,
        *,
        poll: float = 1.0,
        on_output: Callable[[str], None] | None = None,
        follower: LogFollower | None = None,
    ) -> JobState:
        """Block until the job is done or ``timeout`` seconds passed; return the last state seen.

        ``on_output`` receives log text as it appears, from ``follower`` (default: a
        :class:`LogFollower` that hands out whole lines). It also returns (an UNKNOWN state, with
        the reason) once the state has been unknown for ``unknown_limit`` seconds. Check
        ``.done`` on the result when a timeout is given.
        """
        return wait_for_job(
            self,
            timeout=timeout,
            poll=poll,
            on_output=on_output,
            follower=follower,
            when_done=lambda: self._backend.settled(self),
        )

    # -- logs
    def log_files(self) -> list[Path]:
        """The files :meth:`logs` reads (they may not exist yet); for SSH jobs: on the cluster."""
        self._reload()
        return self._backend.log_files(self)

    def read_logs(self, offsets: Mapping[str, int]) -> list[tuple[str, bytes]]:
        """New bytes of each log file, read from its offset in ``offsets`` (key: the path).

        For an SSH job all files come in one SSH call; their keys are relative to the remote
        experiment dir.
        """
        self._reload()  # the experiment dir is recorded once the job is submitted
        return self._backend.read_logs(self, offsets)

    def logs(self, tail: int | None = None) -> str:
        """The job's output so far (stdout, then stderr); ``tail`` keeps the last N lines.

        For an SSH job the files are read on the cluster (one SSH call).
        """
        return log_text(self.read_logs({}), tail)

    # -- control
    def cancel(self) -> JobState:
        """Cancel the job (scancel / SIGTERM to the job's process group); returns the state after."""
        state = self.status()
        if state.done:
            return state
        (self.job_dir / rec.CANCEL_MARKER).write_text(rec.now() + "\n")
        return self._backend.cancel(self)

    def __repr__(self) -> str:
        return (
            f"JobHandle({self.name!r}, executor={self.executor!r}, job_id={self.job_id!r}, "
            f"job_dir='{self.job_dir}')"
        )

    def __str__(self) -> str:
        """One readable line: name, state (and why), where, job dir."""
        state = self.status()
        why = f": {state.detail}" if state.detail else ""
        return f"{self.name} [{state}{why}] {self.executor} job {self.job_id or '-'}: {self.job_dir}"

    def _repr_html_(self) -> str:
        state = self.status()
        rows = [
            ("job", self.name),
            ("status", str(state) + (f": {state.detail}" if state.detail else "")),
            ("executor", f"{self.executor} (job id {self.job_id or '-'})"),
            ("job dir", str(self.job_dir)),
        ]
        cells = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
        )
        return f"<table class='nrs-job-handle nrs-status-{state.status.value.lower()}'>{cells}</table>"
