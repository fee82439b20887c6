"""What one kind of job does differently: :class:`Backend`, one subclass (and module) per kind.

A backend answers every question whose answer depends on where a job runs:
how its request is prepared and checked, what its ``run.sh`` holds, how it is
submitted, how its state is read (for many jobs at once), where its logs are,
how it is cancelled. Everything else (the record, the handle, following logs,
listing) is shared. :mod:`._backends` maps names to backends.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from .._code import JobCode
from .._executors import check_reachable
from .._nemorun import NemoRun
from .._records import JobRecord
from .._request import LaunchRequest
from ._state import JobState

if TYPE_CHECKING:
    from .._slurm_status import SlurmQuery
    from ._handle import JobHandle

__all__ = ["Backend", "Refresh", "Submission", "read_files_from", "wait_done"]


@dataclass(frozen=True)
class Refresh:
    """How :func:`refresh_statuses` asks: the Slurm queries to use, and whether errors raise.

    ``query`` answers for this machine's Slurm, ``queries[host key]`` for a login node; a job
    without either uses its handle's own. ``strict=False``: an unreachable host reads UNKNOWN.
    """

    query: SlurmQuery | None = None
    queries: Mapping[str, SlurmQuery] | None = None
    strict: bool = True


@dataclass(frozen=True)
class Submission:
    """A job ready to go: its record and ``run.sh`` are written, its secrets split off.

    ``secret_text`` is the secrets file's text for a backend that writes it elsewhere (SSH);
    ``job_side_dir`` is the job dir as the job sees it.
    """

    request: LaunchRequest
    public: dict[str, str]
    secret: dict[str, str]
    secret_text: str
    job_side_dir: Path | PurePosixPath
    nemorun: NemoRun

    @property
    def job_dir(self) -> Path:
        """The job dir on this machine (``job.json`` lives here)."""
        return self.request.job_dir


class Backend:
    """The base: a job that runs where its job dir is. Subclasses override what differs."""

    #: The name in the table of :mod:`._backends`.
    name: ClassVar[str] = ""
    #: The ``executor`` a record of this kind of job holds.
    executor: ClassVar[str] = ""
    #: False: the secrets file is not written into the local job dir (it goes to the cluster).
    secrets_here: ClassVar[bool] = True

    # -- before submit ----------------------------------------------------------------------------
    def prepare(self, request: LaunchRequest) -> LaunchRequest:
        """The request as this backend submits it (e.g. with a packager that ships the code)."""
        return request

    def check(self, request: LaunchRequest) -> None:
        """Raise ExecutorError when the service the job needs does not answer."""
        check_reachable(request.profile)

    def job_side_dir(self, request: LaunchRequest) -> Path | PurePosixPath:
        """The job dir as the job sees it (its path on the cluster for SSH)."""
        return request.job_dir

    def job_code(self, request: LaunchRequest, code: JobCode) -> JobCode:
        """``code`` with the paths the job sees."""
        return code

    def run_sh_extras(self, request: LaunchRequest, has_secrets: bool) -> dict[str, Any]:
        """Keyword arguments of :func:`wrap_run_sh` this kind of job needs (none by default)."""
        return {}

    def record_extras(self, request: LaunchRequest) -> dict[str, Any]:
        """Entries this backend adds to a new ``job.json``."""
        return {}

    def preview(self, request: LaunchRequest, nemorun: NemoRun | None, run_sh: str) -> str:
        """What is handed to the scheduler, without submitting (``run_sh``: the job's ``run.sh``)."""
        return run_sh

    def submit(self, sub: Submission) -> JobRecord:
        """Start the job; return its record after submission. Raises SubmissionError."""
        raise NotImplementedError

    # -- a submitted job --------------------------------------------------------------------------
    def job_id(self, record: JobRecord, job_dir: Path) -> str | None:
        """The scheduler's id of the job."""
        return record.job_id

    def query(self, record: JobRecord) -> SlurmQuery | None:
        """The Slurm query a handle of this job uses, or None when there is no scheduler."""
        return None

    def states(self, handles: Sequence[JobHandle], how: Refresh) -> list[JobState]:
        """The current states of ``handles`` (all of this kind, none with a final state recorded)."""
        raise NotImplementedError

    def settled(self, handle: JobHandle) -> None:
        """Called once a wait saw the job done (a local runner records the result just after)."""

    def log_files(self, handle: JobHandle) -> list[Path]:
        """The files :meth:`JobHandle.logs` reads (they may not exist yet)."""
        return []

    def read_logs(self, handle: JobHandle, offsets: Mapping[str, int]) -> list[tuple[str, bytes]]:
        """New bytes of each log file from its offset in ``offsets`` (key: the path as text)."""
        return read_files_from(self.log_files(handle), offsets)

    def cancel(self, handle: JobHandle) -> JobState:
        """Cancel the (unfinished) job; the state after."""
        raise NotImplementedError


def read_files_from(paths: Sequence[Path], offsets: Mapping[str, int]) -> list[tuple[str, bytes]]:
    """``(path, bytes from its offset)`` for each readable local file (key: ``str(path)``)."""
    out: list[tuple[str, bytes]] = []
    for path in paths:
        key = str(path)
        try:
            with open(path, "rb") as handle:
                handle.seek(offsets.get(key, 0))
                data = handle.read()
        except OSError:
            continue
        out.append((key, data))
    return out


def wait_done(handle: JobHandle, seconds: float, poll: float = 0.2) -> JobState:
    """Poll ``handle`` until its job is done or ``seconds`` passed (after a cancel); the last state."""
    deadline = time.monotonic() + seconds
    while True:
        state = handle.status()
        if state.done or time.monotonic() >= deadline:
            return state
        time.sleep(poll)
