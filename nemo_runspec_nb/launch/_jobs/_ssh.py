"""Slurm jobs submitted through an SSH tunnel: the job dir is shipped to the cluster first.

The job sees its dir as ``remote_job_dir/<job dir name>`` on the cluster; its
``run.sh`` names only those paths and records its exit code there. The secrets
go straight to an owner-only file on the cluster (nothing is written here).
Slurm is asked over SSH (one ``squeue`` per login node for all its jobs) and
the logs are read on the cluster, all files in one SSH call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ExecutorError, LaunchError
from .. import _records as rec
from .._code import JobCode, is_our_packager
from .._records import JobRecord
from .._remote import SSHTarget, ssh_target
from .._request import LaunchRequest
from .._secrets import SECRET_FILE_NAME
from .._slurm_status import JobStatus, SlurmQuery
from ._backend import Submission
from ._render import remote_code
from ._slurm import SlurmBackend, log_patterns

if TYPE_CHECKING:
    from ._handle import JobHandle

__all__ = ["SSHBackend", "target_of"]

_NOT_SHIPPED = (
    f"/{rec.RECORD_NAME}",
    "/.job.*",
    f"/{SECRET_FILE_NAME}",
    f"/{rec.SBATCH_SCRIPT}",
    f"/{rec.CANCEL_MARKER}",
    "/package/*.tar.gz",  # unpacked into code/ already
)


def _target(request: LaunchRequest) -> SSHTarget:
    target = ssh_target(request.profile)
    if target is None:  # the table picks this backend only for a profile with a host
        raise ExecutorError("the profile names no SSH host", key="host")
    return target


def target_of(record: JobRecord) -> SSHTarget | None:
    """The login node a record's job was submitted through, or None."""
    return SSHTarget.from_record(record.ssh) if record.ssh is not None else None


class SSHBackend(SlurmBackend):
    """A Slurm job on a cluster reached over SSH (a Slurm profile with ``host``)."""

    name: ClassVar[str] = "ssh"
    secrets_here: ClassVar[bool] = False

    # -- submit -----------------------------------------------------------------------------------
    def prepare(self, request: LaunchRequest) -> LaunchRequest:
        """An SSH job must ship its code: without one of our copying packagers, use ``code``."""
        packager = request.packager
        if is_our_packager(packager) and packager.kind != "none":
            return request
        from .._packaging import make_packager

        return dataclasses.replace(request, packager=make_packager({"packager": "code"}))

    def check(self, request: LaunchRequest) -> None:
        """The login node answers over SSH."""
        _target(request).check()

    def job_side_dir(self, request: LaunchRequest) -> PurePosixPath:
        """``remote_job_dir/<job dir name>`` on the cluster."""
        return _target(request).job_dir(request.job_dir)

    def job_code(self, request: LaunchRequest, code: JobCode) -> JobCode:
        """``code`` at its place in the shipped job dir."""
        return remote_code(code, request.job_dir, self.job_side_dir(request))

    def run_sh_extras(self, request: LaunchRequest, has_secrets: bool) -> dict[str, Any]:
        """The exit code is recorded next to ``run.sh`` on the cluster."""
        return {"state_dir": Path(str(self.job_side_dir(request)))}

    def record_extras(self, request: LaunchRequest) -> dict[str, Any]:
        """The login node and the job dir on the cluster."""
        return {"ssh": _target(request).to_record(), "remote_dir": str(self.job_side_dir(request))}

    def submit(self, sub: Submission) -> JobRecord:
        """Ship the job dir (secrets owner-only), then sbatch through nemo-run's SSH tunnel."""
        target, remote_dir = _target(sub.request), PurePosixPath(sub.job_side_dir)
        try:
            target.upload(sub.job_dir, remote_dir, exclude=_NOT_SHIPPED)
            if sub.secret_text:
                target.write_private(
                    remote_dir / SECRET_FILE_NAME, sub.secret_text, what="write the secrets file"
                )
        except LaunchError as exc:
            rec.update_record(sub.job_dir, status=JobStatus.FAILED.value, error=str(exc), finished=rec.now())
            raise
        return super().submit(sub)

    def forget_secrets(self, sub: Submission) -> None:
        """Remove the secrets file shipped to the cluster (best effort)."""
        path = PurePosixPath(sub.job_side_dir) / SECRET_FILE_NAME
        with contextlib.suppress(LaunchError):
            _target(sub.request).run(f"rm -f {shlex.quote(str(path))}", what="remove the secrets file")

    def experiment_extras(self, sub: Submission, experiment_dir: Path) -> dict[str, Any]:
        """nemo-run rsyncs its experiment dir to ``remote_job_dir/<title>/<experiment id>``."""
        base = PurePosixPath(_target(sub.request).remote_job_dir)
        return {"remote_experiment_dir": str(base / experiment_dir.parent.name / experiment_dir.name)}

    def run_sbatch(self, sub: Submission, argv: list[str]) -> str:
        """Run ``sbatch`` ``argv`` on the login node; its stdout."""
        proc = _target(sub.request).run(shlex.join(argv), what="submit the secrets cleanup job")
        return proc.stdout.decode()

    # -- a submitted job --------------------------------------------------------------------------
    def query(self, record: JobRecord) -> SlurmQuery | None:
        """A query that runs squeue/sacct/scancel on the login node."""
        target = target_of(record)
        return SlurmQuery(runner=target.runner) if target is not None else SlurmQuery()

    def log_files(self, handle: JobHandle) -> list[Path]:
        """The log files on the cluster (one SSH call to see which exist)."""
        exp = handle._record.remote_experiment_dir
        return [Path(str(exp), name) for name, _ in self.read_logs(handle, {})] if exp else []

    def read_logs(self, handle: JobHandle, offsets: Mapping[str, int]) -> list[tuple[str, bytes]]:
        """New bytes of every log file, in one SSH call (keys relative to the experiment dir)."""
        target, exp = target_of(handle._record), handle._record.remote_experiment_dir
        if target is None or not exp:
            return []
        return target.read_chunks(str(exp), log_patterns(handle._record), offsets)
