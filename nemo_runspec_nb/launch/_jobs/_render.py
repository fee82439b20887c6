"""The pieces of a job's ``run.sh`` and sbatch script, from a :class:`LaunchRequest` (no I/O).

Which pieces a kind of job gets (exports and setup in ``run.sh`` or in the
sbatch script, where the exit code is recorded) is its backend's choice
(:meth:`Backend.run_sh_extras`); this module only assembles them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ...errors import PackagingError
from .._code import JobCode, is_our_packager
from .._commands import build_command, wrap_run_sh
from .._executors import build_executor, resolve_resources
from .._nemorun import NemoRun
from .._request import LaunchRequest
from .._secrets import SECRET_FILE_NAME, is_secret_name, secret_preamble, split_secret_env

__all__ = [
    "public_env",
    "public_profile",
    "remote_code",
    "run_sh_text",
    "slurm_executor",
    "split_env",
    "task_name",
    "title",
]


def split_env(request: LaunchRequest) -> tuple[dict[str, str], dict[str, str]]:
    """The job's environment (runspec ``env`` then the request's) as ``(public, secret)``."""
    env = {**dict(request.runspec.env), **dict(request.env_vars)}
    return split_secret_env(env, extra_secret_names=request.extra_secret_names)


def public_env(request: LaunchRequest) -> dict[str, str]:
    """The profile's ``env_vars`` and the job's public environment, without a secret-looking name."""
    public, _ = split_env(request)
    profile_env = {str(k): str(v) for k, v in (request.profile.get("env_vars") or {}).items()}
    return {k: v for k, v in {**profile_env, **public}.items() if not is_secret_name(k)}


def remote_code(code: JobCode, job_dir: Path, remote_dir: PurePosixPath) -> JobCode:
    """``code`` with every path under the local ``job_dir`` moved to ``remote_dir``."""

    def move(path: Path, what: str) -> Path:
        try:
            rel = Path(path).absolute().relative_to(job_dir)
        except ValueError:
            raise PackagingError(
                f"the job's {what} is outside the job directory, so it is not shipped to the cluster",
                path=path,
                hint='Use a packager that copies the code (packager = "code", "git" or "pattern")',
            ) from None
        return Path(str(remote_dir / rel.as_posix()))

    return JobCode(
        script=move(code.script, "script"),
        config=move(code.config, "config"),
        workdir=move(code.workdir, "working directory"),
        pythonpath=move(code.pythonpath, "code root") if code.pythonpath is not None else None,
        kind=code.kind,
    )


def run_sh_text(request: LaunchRequest, code: JobCode, extras: Mapping[str, Any]) -> str:
    """The job's ``run.sh``: the recipe's command for ``code``, with the backend's ``extras``.

    ``extras`` are keyword arguments of :func:`wrap_run_sh` (``env_exports``, ``setup_lines``,
    ``secret_preamble``, ``state_dir``): see :meth:`Backend.run_sh_extras`.
    """
    res = resolve_resources(request.profile, request.runspec)
    command = build_command(
        request.runspec,
        script=code.script,
        config=code.config,
        nodes=res.nodes,
        gpus_per_node=res.gpus_per_node,
        nproc_per_node=res.nproc_per_node,
        args=request.script_args,
    )
    return wrap_run_sh(
        command,
        workdir=code.workdir,
        pythonpath=code.pythonpath,
        name=request.name,
        setup=request.runspec.setup,
        **extras,
    )


def slurm_executor(
    request: LaunchRequest,
    public: dict[str, str],
    has_secrets: bool,
    nemorun: NemoRun,
    *,
    job_dir: Path | PurePosixPath,
) -> Any:
    """The nemo-run ``SlurmExecutor`` of the job; with secrets, its batch script sources them."""
    executor = build_executor(
        request.profile,
        request.runspec,
        nemorun=nemorun,
        mode=request.mode,
        env_vars=public,
        # our packagers are applied by prepare_code(); a nemo-run packager goes to the executor
        packager=None if is_our_packager(request.packager) else request.packager,
    )
    if has_secrets:
        # The batch script reads the secrets file once, before srun, with tracing off (nemo-run's
        # sbatch runs under `set -evx`); srun passes the environment to every task on every node.
        preamble = secret_preamble(job_dir / SECRET_FILE_NAME)
        lines = [executor.setup_lines or "", "{ set +vx; } 2>/dev/null", preamble.rstrip(), "set -vx"]
        executor.setup_lines = "\n".join(line for line in lines if line)
    return executor


def title(request: LaunchRequest) -> str:
    """The nemo-run experiment title: the job dir's name, safe for a path."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in request.job_dir.name) or "job"


def task_name(request: LaunchRequest) -> str:
    """The nemo-run task name: the recipe's name, safe for a Slurm job name."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in request.name) or "job"


def public_profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The profile without any secret-looking key, at any depth (for ``job.json``)."""
    out: dict[str, Any] = {}
    for key, value in profile.items():
        if is_secret_name(str(key)):
            continue
        if isinstance(value, Mapping):
            value = public_profile(value)
        elif isinstance(value, (list, tuple)):
            value = [v for v in value if not (isinstance(v, str) and is_secret_name(v.partition("=")[0]))]
        out[str(key)] = value
    return out
