"""The small JSON record each job directory holds (``job.json``).

Written atomically (temp file + rename) so a reader in another process never
sees half a record. Fields are documented in docs/slurm.md ("Job records").
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nemo_runspec_nb.errors import LaunchError

RECORD_NAME = "job.json"
RECORD_FORMAT = 1
CANCEL_MARKER = "cancel_requested"
EXIT_CODE_FILE = "exit_code"
JOB_PID_FILE = "job.pid"
RUNNER_PID_FILE = "runner.pid"
RUN_SCRIPT = "run.sh"
SBATCH_SCRIPT = "sbatch.sh"
RUNNER_LOG = "runner.log"


def now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def record_path(job_dir: Path) -> Path:
    """``job_dir/job.json``."""
    return Path(job_dir) / RECORD_NAME


def read_record(job_dir: Path) -> dict[str, Any]:
    """Load ``job_dir/job.json``; LaunchError when it is missing or unreadable."""
    path = record_path(job_dir)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise LaunchError(
            "no job record here", path=path, hint="Pass a job directory made by a launch (.nemotron/jobs/...)"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise LaunchError(f"unreadable job record: {exc}", path=path) from None
    if not isinstance(data, dict):
        raise LaunchError("job record is not a JSON object", path=path)
    return data


def write_record(job_dir: Path, record: dict[str, Any]) -> None:
    """Write ``job_dir/job.json`` atomically."""
    job_dir = Path(job_dir)
    fd, tmp = tempfile.mkstemp(prefix=".job.", suffix=".json", dir=job_dir)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
        Path(tmp).replace(record_path(job_dir))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_record(job_dir: Path, **changes: Any) -> dict[str, Any]:
    """Read, update and rewrite the record; returns the new record."""
    record = read_record(job_dir)
    record.update(changes)
    write_record(job_dir, record)
    return record


def read_int(path: Path) -> int | None:
    """An integer from a small text file, or None when missing/garbled."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int | None, must_contain: str = "") -> bool:
    """True when ``pid`` runs and (if given) its command line contains ``must_contain``.

    The command-line check guards against a recycled PID.
    """
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if not must_contain:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if ") Z " in stat:  # a zombie has finished
        return False
    return must_contain in cmdline
