"""One step of a pipeline: a named command line, built for python -m, torchrun or srun.

A :class:`Step` is an immutable argv plus environment; the builders make the
common shapes and :meth:`Step.srun` wraps any step in ``srun``::

    Step.module("prep", "recipes.data_prep", ["--out", "/data"])
    Step.torchrun("train", "recipes/train.py", ["--config", "c.yaml"], nproc_per_node=8)
    Step.module("eval", "recipes.eval").srun(nodes=1, ntasks_per_node=1)

:func:`nemo_runspec_nb.launch.run_pipeline` runs a list of them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ..errors import LaunchError

__all__ = ["Step"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_TORCHRUN_NPROC_WORDS = ("auto", "cpu", "gpu")


def _positive(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LaunchError(f"{key} must be a positive integer, not {value!r}", key=key)
    return value


@dataclass(frozen=True)
class Step:
    """A named command: ``argv`` run with ``env`` added to the environment, in ``workdir``.

    ``name`` is used in file names (logs, scripts), so it is limited to
    letters, digits, ``.``, ``_`` and ``-``.
    """

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    workdir: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise LaunchError(
                f"invalid step name {self.name!r}",
                key="name",
                hint="Use letters, digits, '.', '_' and '-', starting with a letter or digit",
            )
        if isinstance(self.argv, str):
            raise LaunchError(
                f"step {self.name!r}: argv must be a list of arguments, not a string",
                key="argv",
                hint=f"e.g. {shlex.split(self.argv)!r}",
            )
        argv = tuple(self.argv)
        if not argv or not all(isinstance(a, str) for a in argv) or not argv[0]:
            raise LaunchError(f"step {self.name!r}: argv must be a non-empty list of strings", key="argv")
        object.__setattr__(self, "argv", argv)
        object.__setattr__(self, "env", MappingProxyType({str(k): str(v) for k, v in dict(self.env).items()}))

    # ------------------------------------------------------------------ builders

    @classmethod
    def command(
        cls,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> Step:
        """Any command line."""
        return cls(name, tuple(argv), env or {}, workdir)

    @classmethod
    def module(
        cls,
        name: str,
        module: str,
        args: Sequence[str] = (),
        *,
        python: str = "python",
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> Step:
        """``python -m module args...``."""
        if not module or not all(part.isidentifier() for part in module.split(".")):
            raise LaunchError(f"step {name!r}: {module!r} is not a module name", key="module")
        return cls(name, (python, "-m", module, *args), env or {}, workdir)

    @classmethod
    def torchrun(
        cls,
        name: str,
        target: str,
        args: Sequence[str] = (),
        *,
        nproc_per_node: int | str = 1,
        nnodes: int = 1,
        module: bool = False,
        rdzv_endpoint: str | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> Step:
        """``torchrun --nproc-per-node=N [--standalone | --nnodes ... --rdzv-*] [-m] target args...``.

        One node runs ``--standalone``; several need ``rdzv_endpoint``
        (``host:port``, typically the first node of the allocation).
        """
        if not (isinstance(nproc_per_node, str) and nproc_per_node in _TORCHRUN_NPROC_WORDS):
            _positive(nproc_per_node, "nproc_per_node")
        _positive(nnodes, "nnodes")
        argv = ["torchrun", f"--nproc-per-node={nproc_per_node}"]
        if nnodes == 1:
            argv.append("--standalone")
        else:
            if not rdzv_endpoint:
                raise LaunchError(
                    f"step {name!r}: torchrun on {nnodes} nodes needs rdzv_endpoint",
                    key="rdzv_endpoint",
                    hint="Pass rdzv_endpoint='$MASTER_ADDR:29500' (host:port of the first node)",
                )
            argv += [f"--nnodes={nnodes}", "--rdzv-backend=c10d", f"--rdzv-endpoint={rdzv_endpoint}"]
        if module:
            argv.append("-m")
        return cls(name, (*argv, target, *args), env or {}, workdir)

    def srun(
        self,
        *,
        nodes: int | None = None,
        ntasks: int | None = None,
        ntasks_per_node: int | None = None,
        cpus_per_task: int | None = None,
        gpus_per_node: int | None = None,
        container_image: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> Step:
        """A copy of the step that runs through ``srun`` with the given allocation flags."""
        flags = ["srun"]
        for key, value, flag in (
            ("nodes", nodes, "--nodes"),
            ("ntasks", ntasks, "--ntasks"),
            ("ntasks_per_node", ntasks_per_node, "--ntasks-per-node"),
            ("cpus_per_task", cpus_per_task, "--cpus-per-task"),
            ("gpus_per_node", gpus_per_node, "--gpus-per-node"),
        ):
            if value is not None:
                flags.append(f"{flag}={_positive(value, key)}")
        if container_image:
            flags.append(f"--container-image={container_image}")
        return replace(self, argv=(*flags, *extra_args, *self.argv))

    # ------------------------------------------------------------------ rendering

    def shell(self) -> str:
        """The command line, shell-quoted (``env`` and ``workdir`` not included)."""
        return shlex.join(self.argv)
