"""A job's status at one moment (:class:`JobState`), the same for every kind of job."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from .._slurm_status import JobStatus

__all__ = ["JobState", "older_than", "parse_time"]


@dataclass(frozen=True)
class JobState:
    """A job's status at one moment, with its exit code and scheduler job id."""

    status: JobStatus
    exit_code: int | None = None
    job_id: str | None = None
    detail: str = ""

    @property
    def done(self) -> bool:
        """True once the job succeeded, failed or was cancelled."""
        return self.status.done

    def __str__(self) -> str:
        code = f" (exit {self.exit_code})" if self.exit_code is not None and self.done else ""
        return f"{self.status.value}{code}"


def older_than(timestamp: object, seconds: float) -> bool:
    """True when the ISO 8601 ``timestamp`` lies more than ``seconds`` in the past (False if unreadable)."""
    when = parse_time(timestamp)
    return when is not None and time.time() - when > seconds


def parse_time(value: object) -> float | None:
    """An ISO 8601 timestamp (UTC when it names no zone) as seconds since the epoch; None if unreadable."""
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()
