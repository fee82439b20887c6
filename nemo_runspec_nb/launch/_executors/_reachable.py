"""Whether the service a profile's executor needs answers: one check a kind, in :data:`CHECKS`."""

from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import ExecutorError
from .._remote import ssh_target
from ._profile import executor_kind, require


def _slurm(profile: Mapping[str, Any], timeout: float) -> None:
    target = ssh_target(profile)
    if target is not None:
        target.check()  # a key login and sbatch on the login node's PATH
        return
    if shutil.which("sbatch") is None:
        raise ExecutorError(
            "the slurm executor with a local tunnel needs Slurm here ('sbatch' is not on PATH)",
            hint="Start the local cluster (scripts/local-slurm/start.sh) or set 'host' for an SSH tunnel",
        )


def _dgxcloud(profile: Mapping[str, Any], timeout: float) -> None:
    url = str(require(profile, "base_url", "dgxcloud"))
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            pass
    except urllib.error.HTTPError:
        return  # it answered
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ExecutorError(
            f"DGX Cloud at {url} is not reachable: {exc}", key="base_url", hint="Check base_url and network"
        ) from None


def _command(cmd: list[str], what: str) -> Callable[[Mapping[str, Any], float], None]:
    """A check that runs ``cmd`` here and wants exit status 0."""

    def check(_profile: Mapping[str, Any], timeout: float) -> None:
        if shutil.which(cmd[0]) is None:
            raise ExecutorError(f"{what} is not reachable: '{cmd[0]}' is not installed")
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ExecutorError(
                f"{what} is not reachable: '{' '.join(cmd)}' timed out after {timeout:g} s"
            ) from None
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise ExecutorError(
                f"{what} is not reachable: {detail[-1] if detail else 'exit ' + str(proc.returncode)}"
            )

    return check


CHECKS: Mapping[str, Callable[[Mapping[str, Any], float], None]] = {
    "local": lambda _profile, _timeout: None,  # nothing to reach
    "slurm": _slurm,
    "docker": _command(["docker", "info", "--format", "{{.ServerVersion}}"], "Docker daemon"),
    "dgxcloud": _dgxcloud,
    "lepton": _command(["lepton", "workspace", "list"], "Lepton workspace (lepton CLI)"),
}
"""The reachability check of each executor kind (the keys are :data:`EXECUTORS`)."""


def check_reachable(profile: Mapping[str, Any] | None, *, timeout: float = 5.0) -> None:
    """Raise ExecutorError when the service the profile's executor needs does not answer.

    local: nothing to check. slurm: ``sbatch`` on PATH (local tunnel), or a key login to ``host``
    and ``sbatch`` on its PATH (SSH tunnel). docker: ``docker info``.
    dgxcloud: an HTTP answer from ``base_url``. lepton: the ``lepton`` CLI is logged in.
    """
    profile = profile or {}
    CHECKS[executor_kind(profile)](profile, timeout)
