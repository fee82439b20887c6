"""What a launch needs, as one immutable value.

The recipe facade composes the configs, writes ``job.yaml`` and ``train.yaml``
into a fresh job directory, and hands the launch layer a :class:`LaunchRequest`.
Everything below it (the commands, the executors, the jobs) reads
only this value, so a request can be rendered (previewed) and submitted from
the same object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from ..config import is_secret_key
from ..config._layout import ProjectLayout
from ..errors import LaunchError

if TYPE_CHECKING:
    from ..runspec import Runspec

__all__ = ["LAUNCH_MODES", "LaunchMode", "LaunchRequest", "check_script_args"]

LaunchMode = Literal["local", "run", "batch"]
LAUNCH_MODES: tuple[str, ...] = ("local", "run", "batch")

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def check_script_args(args: Sequence[str]) -> tuple[str, ...]:
    """``args`` as a tuple of strings; LaunchError for a string or a secret-looking option.

    The arguments are written into ``run.sh`` and the script the scheduler gets, so an option
    named like a secret (``--hf-token``, ``--api_key=...``) is refused: secrets reach a job
    through environment variables, which go to the owner-only secrets file.
    """
    if isinstance(args, str):
        raise LaunchError(
            "script_args must be a list of arguments, not a string",
            key="script_args",
            hint="e.g. script_args=['--flag', 'value']",
        )
    out = tuple(str(a) for a in args)
    for arg in out:
        option = arg.split("=", 1)[0]
        if option.startswith("-") and is_secret_key(option.lstrip("-").replace("-", "_")):
            raise LaunchError(
                f"the script argument {option!r} looks like a secret; it would be written into run.sh "
                "and the batch script",
                key=option,
                hint="Pass the secret as an environment variable instead (the profile's env_vars or "
                "this environment, e.g. HF_TOKEN): it goes to the owner-only secrets file",
            )
    return out


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if isinstance(mapping, MappingProxyType):
        return mapping
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class LaunchRequest:
    """One job to launch: the recipe, its composed config, where to run it, how to wait.

    Attributes:
        name: Job name (usually the recipe name); used for nemo-run and Slurm job names.
        job_dir: The job's own directory, e.g. ``.nemotron/jobs/20261129-101500-train``.
            It already holds ``job.yaml`` and ``train.yaml``; the launch layer adds the
            exact command (``run.sh``), the sbatch script (Slurm) and the record (``job.json``).
        script_path: The recipe script the job runs.
        runspec: The recipe's parsed ``[tool.runspec]`` (launch method, cmd template,
            workdir, image, resource defaults).
        config_path: The config the job reads; ``None`` means ``job_dir / "train.yaml"``.
        profile: The merged env.toml execution profile (a plain mapping); empty means
            "run on this machine" (nemo-run ``LocalExecutor``). See docs/executors.md.
        mode: ``"local"`` and ``"batch"`` submit and return; ``"run"`` (attached) also
            waits, streaming logs. Where the job runs is decided by ``profile``.
        env_vars: Environment for the job. Names that look secret (KEY, TOKEN, SECRET,
            PASSWORD, CREDENTIAL) never reach a file other than an owner-only secrets
            file that the job sources and deletes.
        packager: One of our packagers (``launch.make_packager(profile)``): at submit
            the recipe is packaged into ``job_dir/package`` (a tarball is unpacked into
            ``job_dir/code``) and the job runs the packaged copy. ``None`` (or kind ``"none"``)
            runs the script in place. A nemo-run packager object is handed to the executor.
        nemorun_home: Where nemo-run keeps its experiment dirs; ``None`` means
            ``<project>/.nemotron/nemorun`` next to the jobs directory.
        extra_secret_names: Further env var names to treat as secret whatever they look like.
        script_args: Arguments for the script, appended to its command line (the CLI's
            passthrough arguments: ``runspec run x.py --flag value``). Options named like a
            secret are refused (see :func:`check_script_args`).

    """

    name: str
    job_dir: Path
    script_path: Path
    runspec: Runspec
    config_path: Path | None = None
    profile: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    mode: LaunchMode = "local"
    env_vars: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    packager: Any = None
    nemorun_home: Path | None = None
    extra_secret_names: tuple[str, ...] = ()
    script_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in LAUNCH_MODES:
            raise LaunchError(
                f"unknown launch mode {self.mode!r}",
                key="mode",
                hint=f"Use one of: {', '.join(LAUNCH_MODES)}",
            )
        object.__setattr__(self, "job_dir", Path(self.job_dir).absolute())
        object.__setattr__(self, "script_path", Path(self.script_path).absolute())
        if self.config_path is not None:
            object.__setattr__(self, "config_path", Path(self.config_path).absolute())
        if self.nemorun_home is not None:
            object.__setattr__(self, "nemorun_home", Path(self.nemorun_home).absolute())
        object.__setattr__(self, "profile", _frozen(self.profile))
        object.__setattr__(self, "env_vars", _frozen({str(k): str(v) for k, v in self.env_vars.items()}))
        object.__setattr__(self, "extra_secret_names", tuple(self.extra_secret_names))
        object.__setattr__(self, "script_args", check_script_args(self.script_args))

    @property
    def train_config(self) -> Path:
        """The config file the job reads (``config_path`` or ``job_dir/train.yaml``)."""
        return self.config_path or self.job_dir / "train.yaml"

    @property
    def executor_name(self) -> str:
        """The profile's ``executor`` key, ``"local"`` when the profile is silent."""
        return str(self.profile.get("executor") or "local")

    @property
    def resolved_nemorun_home(self) -> Path:
        """``nemorun_home``, else ``<project>/.nemotron/nemorun`` derived from ``job_dir``."""
        if self.nemorun_home is not None:
            return self.nemorun_home
        layout = ProjectLayout.of_job_dir(self.job_dir)
        return layout.nemorun_home if layout is not None else self.job_dir.parent / ".nemorun"
