"""The table of job backends: which :class:`Backend` a profile or a job record gets.

A new kind of job is one new module with a :class:`Backend` subclass and one
entry in :data:`BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ExecutorError
from .._executors import executor_kind
from .._records import JobRecord
from .._remote import ssh_target
from ._backend import Backend
from ._local import LocalBackend
from ._slurm import SlurmBackend
from ._ssh import SSHBackend

__all__ = ["BACKENDS", "backend_for_profile", "backend_for_record"]

BACKENDS: Mapping[str, Backend] = {
    backend.name: backend for backend in (LocalBackend(), SlurmBackend(), SSHBackend())
}


def _name(executor: str, ssh: bool) -> str:
    return "ssh" if executor == "slurm" and ssh else executor


def backend_for_profile(profile: Mapping[str, Any]) -> Backend:
    """The backend that submits a job of ``profile``.

    Raises:
        ExecutorError: the profile's executor cannot submit jobs (yet).

    """
    kind = executor_kind(profile)
    backend = BACKENDS.get(_name(kind, kind == "slurm" and ssh_target(profile) is not None))
    if backend is None:
        raise ExecutorError(
            f"submitting to the {kind!r} executor is not supported yet",
            key="executor",
            hint="Use local or slurm; build_executor() gives the executor for your own nemo-run Experiment",
        )
    return backend


def backend_for_record(record: JobRecord) -> Backend:
    """The backend of a submitted job (records hold ``local`` or ``slurm``, plus ``ssh`` for a tunnel)."""
    return BACKENDS[_name(record.executor, record.ssh is not None)]
