"""The small JSON record each job directory holds (``job.json``).

Written atomically (temp file + rename) so a reader in another process never
sees half a record. Fields are documented in docs/slurm.md ("Job records").
:func:`read_job_record` parses and checks a record once into a frozen
:class:`JobRecord` (typed fields); the dict functions stay for writers.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from ..errors import JobNotFoundError, JobRecordError
from ._slurm_status import JobStatus

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


# DAMAGED describes a record that cannot be read; no record stores it.
_STATUSES = frozenset(s.value for s in JobStatus if s is not JobStatus.DAMAGED)
_EXECUTORS = frozenset({"local", "slurm"})
_REQUIRED = ("name", "executor", "status")
_TEXT = (str, type(None))
_INT = (int, type(None))
# The types of the keys code reads back from a record (other keys are kept as they are).
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "format": (int,),
    "name": (str,),
    "executor": (str,),
    "mode": (str,),
    "status": (str,),
    "exit_code": _INT,
    "job_id": (str, int, type(None)),
    "runner_pid": _INT,
    "runner_start": _INT,
    "recipe": _TEXT,
    "job_dir": _TEXT,
    "created": _TEXT,
    "submitted": _TEXT,
    "started": _TEXT,
    "finished": _TEXT,
    "nemorun_home": _TEXT,
    "experiment_title": _TEXT,
    "experiment_id": _TEXT,
    "experiment_dir": _TEXT,
    "remote_experiment_dir": _TEXT,
    "remote_dir": _TEXT,
    "error": _TEXT,
    "ssh": (dict, type(None)),
    "launcher": (dict, type(None)),
}


def _type_names(types: tuple[type, ...]) -> str:
    names = {str: "text", int: "an integer", dict: "an object", type(None): "null"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def check_record(data: object) -> dict[str, Any]:
    """``data`` as a job record; ValueError naming the first key that is missing or mistyped."""
    if not isinstance(data, dict):
        raise ValueError(f"not a JSON object but {type(data).__name__}")
    for key in _REQUIRED:
        if key not in data:
            raise ValueError(f"key '{key}' is missing")
    for key, types in _FIELD_TYPES.items():
        value = data.get(key)
        if key in data and (not isinstance(value, types) or isinstance(value, bool)):
            raise ValueError(f"key '{key}' should be {_type_names(types)}, not {value!r:.40}")
    if data["status"] not in _STATUSES:
        raise ValueError(f"key 'status' is {data['status']!r:.40}, not one of {', '.join(sorted(_STATUSES))}")
    if data["executor"] not in _EXECUTORS:
        raise ValueError(f"key 'executor' is {data['executor']!r:.40}, not local or slurm")
    for key in ("runner_pid", "runner_start"):
        if data.get(key) is not None and data[key] <= 0:
            raise ValueError(f"key '{key}' should be a positive integer, not {data[key]}")
    ssh = data.get("ssh")
    if ssh is not None and not all(isinstance(ssh.get(k), str) for k in ("host", "user", "remote_job_dir")):
        raise ValueError("key 'ssh' should hold host, user and remote_job_dir as text")
    return data


def read_record(job_dir: Path) -> dict[str, Any]:
    """Load ``job_dir/job.json``.

    Raises:
        JobNotFoundError: there is no record (a :class:`~nemo_runspec_nb.errors.LaunchError`).
        JobRecordError: the record cannot be read or is not a job record (``reason`` says why).

    """
    path = record_path(job_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise JobNotFoundError(
            "no job record here", path=path, hint="Pass a job directory made by a launch (.nemotron/jobs/...)"
        ) from None
    except IsADirectoryError:
        raise JobRecordError("it is a directory, not a file", path=path) from None
    except OSError as exc:
        raise JobRecordError(f"it cannot be read ({exc.strerror or exc})", path=path) from None
    return parse_record(raw, path)


def parse_record(raw: bytes, path: Path) -> dict[str, Any]:
    """The record in ``raw`` (the bytes of ``path``); JobRecordError when it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JobRecordError(
            f"not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})", path=path
        ) from None
    if not text.strip():
        raise JobRecordError("the file is empty (a write cut short?)", path=path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JobRecordError(
            f"not valid JSON ({exc.msg}, column {exc.colno})", path=path, line=exc.lineno
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer too long to convert, deep nesting
        raise JobRecordError(f"not valid JSON ({type(exc).__name__})", path=path) from None
    try:
        return check_record(data)
    except ValueError as exc:
        raise JobRecordError(f"not a job record: {exc}", path=path) from None


def write_record(job_dir: Path, record: dict[str, Any]) -> None:
    """Write ``job_dir/job.json`` atomically: a temp file in the same dir, synced, then renamed."""
    job_dir = Path(job_dir)
    fd, tmp = tempfile.mkstemp(prefix=".job.", suffix=".json", dir=job_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(record_path(job_dir))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_dir(job_dir)


def _sync_dir(directory: Path) -> None:
    # The rename is durable once the directory entry is on disk; not every file system allows this.
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


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


def read_pid_file(path: Path) -> tuple[int | None, int | None]:
    """``(pid, start)`` from a ``"PID [START]"`` file (see :func:`process_start`); Nones when unusable."""
    try:
        words = path.read_text().split()
        pid = int(words[0])
        start = int(words[1]) if len(words) > 1 else None
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return None, None
    return (pid, start) if pid > 0 else (None, None)


def write_pid_file(path: Path, pid: int) -> None:
    """Write ``"PID START"`` to ``path`` atomically, so a recycled PID can be told apart later."""
    start = process_start(pid)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(f"{pid} {start}\n" if start is not None else f"{pid}\n")
    tmp.replace(path)


def process_start(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot, from ``/proc``), or None when it is gone.

    With the PID this names one process for good: a recycled PID has a later start.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def this_process() -> dict[str, Any]:
    """``{"pid", "start", "host"}`` of the running process, for a record's ``launcher`` entry."""
    pid = os.getpid()
    return {"pid": pid, "start": process_start(pid), "host": os.uname().nodename}


def process_alive(entry: object) -> bool | None:
    """Whether the process a :func:`this_process` entry names still runs; None when it cannot be told.

    None for a missing or malformed entry, or a process on another host.
    """
    if not isinstance(entry, Mapping) or entry.get("host") != os.uname().nodename:
        return None
    pid, start = entry.get("pid"), entry.get("start")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    return pid_alive(pid, start=start if isinstance(start, int) else None)


def pid_alive(pid: int | None, must_contain: str = "", *, start: int | None = None) -> bool:
    """True when ``pid`` runs, started at ``start`` (if given) and its command line contains ``must_contain``.

    Both checks guard against a recycled PID; the start time is exact.
    """
    if not pid or pid <= 0:
        return False
    if start is not None and process_start(pid) != start:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if ") Z " in stat:  # a zombie has finished
        return False
    return must_contain in cmdline


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


@dataclass(frozen=True)
class JobRecord:
    """A checked ``job.json``: the fields code reads, typed; ``data`` holds the record as written.

    Build one with :func:`read_job_record` or :meth:`from_mapping` (both check the record first,
    so a damaged one raises :class:`~nemo_runspec_nb.errors.JobRecordError`).
    """

    name: str
    executor: Literal["local", "slurm"]
    status: JobStatus
    mode: str = ""
    exit_code: int | None = None
    job_id: str | None = None
    runner_pid: int | None = None
    runner_start: int | None = None
    recipe: str | None = None
    created: str | None = None
    submitted: str | None = None
    started: str | None = None
    finished: str | None = None
    nemorun_home: str | None = None
    experiment_title: str | None = None
    experiment_dir: str | None = None
    remote_experiment_dir: str | None = None
    error: str | None = None
    ssh: Mapping[str, Any] | None = None
    launcher: Mapping[str, Any] | None = None
    data: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, path: Path | None = None) -> JobRecord:
        """Check ``data`` as a job record and type its fields; JobRecordError names the bad key."""
        try:
            checked = check_record(dict(data))
        except ValueError as exc:
            raise JobRecordError(f"not a job record: {exc}", path=path) from None
        ssh, launcher = checked.get("ssh"), checked.get("launcher")
        return cls(
            name=str(checked["name"]),
            executor=cast(Literal["local", "slurm"], checked["executor"]),
            status=JobStatus(checked["status"]),
            mode=str(checked.get("mode") or ""),
            exit_code=checked.get("exit_code"),
            job_id=_text(checked, "job_id"),
            runner_pid=checked.get("runner_pid"),
            runner_start=checked.get("runner_start"),
            recipe=_text(checked, "recipe"),
            created=_text(checked, "created"),
            submitted=_text(checked, "submitted"),
            started=_text(checked, "started"),
            finished=_text(checked, "finished"),
            nemorun_home=_text(checked, "nemorun_home"),
            experiment_title=_text(checked, "experiment_title"),
            experiment_dir=_text(checked, "experiment_dir"),
            remote_experiment_dir=_text(checked, "remote_experiment_dir"),
            error=_text(checked, "error"),
            ssh=MappingProxyType(dict(ssh)) if isinstance(ssh, dict) else None,
            launcher=MappingProxyType(dict(launcher)) if isinstance(launcher, dict) else None,
            data=MappingProxyType(checked),
        )

    def with_changes(self, **changes: Any) -> JobRecord:
        """The record with ``changes`` applied (in memory only; see :func:`update_job_record`)."""
        return JobRecord.from_mapping({**self.data, **changes})

    def to_dict(self) -> dict[str, Any]:
        """The record as in ``job.json`` (a copy)."""
        return dict(self.data)


def read_job_record(job_dir: Path) -> JobRecord:
    """:func:`read_record`, parsed into a :class:`JobRecord` (same errors)."""
    path = record_path(job_dir)
    return JobRecord.from_mapping(read_record(job_dir), path=path)


def update_job_record(job_dir: Path, **changes: Any) -> JobRecord:
    """:func:`update_record`, returning the new record as a :class:`JobRecord`."""
    return JobRecord.from_mapping(update_record(job_dir, **changes), path=record_path(job_dir))
