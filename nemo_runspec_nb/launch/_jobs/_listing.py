"""Many jobs at once: their states (batched per Slurm host) and the :func:`jobs` DataFrame."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...config._layout import ProjectLayout
from ...errors import JobRecordError, LaunchError
from .. import _records as rec
from .._slurm_status import JobStatus, SlurmQuery
from ._backend import Backend, Refresh
from ._handle import JobHandle
from ._state import JobState

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["jobs", "refresh_statuses"]

_COLUMNS = [
    "name",
    "status",
    "exit_code",
    "executor",
    "mode",
    "job_id",
    "submitted",
    "finished",
    "recipe",
    "job_dir",
    "reason",
]


def refresh_statuses(
    handles: Iterable[JobHandle],
    *,
    query: SlurmQuery | None = None,
    queries: Mapping[str, SlurmQuery] | None = None,
    strict: bool = True,
) -> list[JobState]:
    """States of many jobs, in order: one ``squeue`` (+ one ``sacct``) per Slurm host.

    Jobs on this machine's Slurm share one query (``query``, else the first handle's); jobs
    submitted over SSH are grouped by login node (``user@host:port``) and each group costs
    one ``squeue`` (+ one ``sacct``) over SSH, with ``queries[key]`` when given. Finished jobs
    are answered from their records without any call. ``query.calls`` counts the calls made.

    Raises:
        LaunchError: an SSH login node does not answer (with ``strict=False`` its unfinished
            jobs read as UNKNOWN with the error as detail instead).

    """
    handles = list(handles)
    states: list[JobState | None] = [None] * len(handles)
    how = Refresh(query, queries, strict)
    by_backend: dict[str, tuple[Backend, list[int]]] = {}
    for i, handle in enumerate(handles):
        handle._reload()
        states[i] = handle._recorded_state()
        if states[i] is None:
            backend = handle._backend
            by_backend.setdefault(backend.name, (backend, []))[1].append(i)
    for backend, members in by_backend.values():
        found = backend.states([handles[i] for i in members], how)
        for i, state in zip(members, found, strict=True):
            states[i] = state
    return [s if s is not None else JobState(JobStatus.UNKNOWN) for s in states]


def jobs(
    root: str | Path | None = None, *, refresh: bool = True, query: SlurmQuery | None = None
) -> pd.DataFrame:
    """A DataFrame of every job under ``root`` (default ``./.nemotron/jobs``), newest first.

    Read from each job dir's ``job.json``; with ``refresh`` the unfinished ones get their current
    state (one batched Slurm query for all Slurm jobs). ``reason`` says why a job failed or what it
    waits for, when known. A job dir whose record cannot be read is listed last with status
    ``DAMAGED`` and the problem as its reason; the other jobs are listed as usual.
    """
    import pandas as pd

    base = Path(root) if root is not None else ProjectLayout(Path.cwd()).jobs_dir
    handles: list[JobHandle] = []
    damaged: list[dict[str, Any]] = []
    for path in sorted(base.glob(f"*/{rec.RECORD_NAME}")) if base.is_dir() else []:
        try:
            handles.append(JobHandle(path.parent))
        except JobRecordError as exc:
            damaged.append(
                {
                    "status": JobStatus.DAMAGED.value,
                    "job_dir": str(path.parent),
                    "reason": f"{exc.location}: {exc.reason}",
                }
            )
        except LaunchError:
            continue
    states = refresh_statuses(handles, query=query, strict=False) if refresh else [None] * len(handles)
    rows = [_row(handle, state) for handle, state in zip(handles, states, strict=True)]
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    if not frame.empty:
        frame = frame.sort_values(["submitted", "job_dir"], ascending=False, kind="stable").reset_index(
            drop=True
        )
    if damaged:
        frame = pd.concat([frame, pd.DataFrame(damaged, columns=_COLUMNS)], ignore_index=True)
    return frame


def _row(handle: JobHandle, state: JobState | None) -> dict[str, Any]:
    r = handle._record
    return {
        "name": r.name,
        "status": state.status.value if state is not None else r.status.value,
        "exit_code": state.exit_code if state is not None else r.exit_code,
        "executor": r.executor,
        "mode": r.data.get("mode"),
        "job_id": r.job_id,
        "submitted": r.submitted or r.created,
        "finished": r.finished,
        "recipe": r.recipe,
        "job_dir": str(handle.job_dir),
        "reason": (state.detail if state is not None else "") or r.error or "",
    }
