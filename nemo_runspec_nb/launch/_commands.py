"""The command a job runs, from the recipe's ``[tool.runspec.run]``.

``run.launch`` picks the launcher, ``run.cmd`` is the command template and
``run.workdir`` the directory it runs in:

========== =================================================================
launch     command
========== =================================================================
direct     the template as is (``python`` is an alias of ``direct``)
torchrun   the template with its leading ``python`` replaced by
           ``torchrun`` and its process/node flags
ray        the template as is; the script starts or joins Ray itself
========== =================================================================

The template's placeholders are ``{script}`` and ``{config}`` (both shell
quoted); the default template is ``python {script} --config {config}``.
``torchrun`` gets ``--nproc_per_node`` from the GPUs per node (``gpu`` lets
torchrun count them; 0 GPUs means one CPU process per node) and, for more than
one node, ``--nnodes`` with a c10d rendezvous on the first node of the Slurm
allocation.

:func:`wrap_run_sh` wraps the command into the job's ``run.sh``: the
exact shell script the job executes, written into the job directory and shown
in previews.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LaunchError, did_you_mean

if TYPE_CHECKING:
    from ..runspec import Runspec

__all__ = [
    "DEFAULT_CMD",
    "LAUNCHERS",
    "RDZV_PORT",
    "build_command",
    "rendezvous_setup",
    "resolve_workdir",
    "wrap_run_sh",
]

DEFAULT_CMD = "python {script} --config {config}"
LAUNCHERS: tuple[str, ...] = ("torchrun", "ray", "direct", "python")
RDZV_PORT = 29500
RDZV_HOST_VAR, RDZV_PORT_VAR = "MASTER_ADDR", "MASTER_PORT"
_PYTHONS = ("python", "python3")


def _torchrun_prefix(nodes: int, gpus_per_node: int | str, nproc_per_node: int | None) -> list[str]:
    if nproc_per_node is not None:
        nproc: int | str = nproc_per_node
    elif gpus_per_node == "gpu":
        nproc = "gpu"
    else:
        nproc = max(int(gpus_per_node), 1)
    args = ["torchrun", f"--nproc_per_node={nproc}"]
    if nodes > 1:
        args += [
            f"--nnodes={nodes}",
            '--node_rank="$SLURM_NODEID"',
            '--rdzv_id="$SLURM_JOB_ID"',
            "--rdzv_backend=c10d",
            f'--rdzv_endpoint="${RDZV_HOST_VAR}:${RDZV_PORT_VAR}"',
        ]
    else:
        args.append("--standalone")
    return args


def rendezvous_setup(base_port: int = RDZV_PORT) -> list[str]:
    """Batch-script lines that export the rendezvous address of a multi-node torchrun job.

    They run in the sbatch script, on the first node and outside any container, so the
    job's image needs no Slurm client. ``head_node`` is the first host of the allocation
    that nemo-run's batch script computes (from ``scontrol show hostnames``); the fallback
    computes it the same way. The host name is used, not ``hostname --ip-address``, which
    is a loopback address on hosts that map their own name to ``127.0.1.1``. The port is
    ``base_port`` plus the job id modulo 10000, so two jobs that share their first node
    (each with some of its GPUs) do not meet in one rendezvous store.
    """
    first_host = '$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)'
    return [
        "# torchrun rendezvous: the first node of the allocation (resolved here, outside the container)",
        f'export {RDZV_HOST_VAR}="${{head_node:-{first_host}}}"',
        f"export {RDZV_PORT_VAR}=$(({int(base_port)} + SLURM_JOB_ID % 10000))",
    ]


def build_command(
    runspec: Runspec,
    *,
    script: Path,
    config: Path,
    nodes: int = 1,
    gpus_per_node: int | str = 0,
    nproc_per_node: int | None = None,
    args: Sequence[str] = (),
) -> str:
    """The shell command line for the job (one line, quoted for bash).

    Args:
        runspec: The recipe; ``run.launch`` and ``run.cmd`` are read.
        script: The recipe script the job runs (as the job sees it).
        config: The config file the job reads (as the job sees it).
        nodes: Nodes of the job (torchrun's ``--nnodes``).
        gpus_per_node: GPUs per node; ``"gpu"`` lets torchrun count them; 0 runs on CPU.
        nproc_per_node: Processes per node for torchrun, overriding the GPU count.
        args: Arguments for the script, appended to the template (each shell quoted).

    Raises:
        LaunchError: unknown ``run.launch``, or a template with an unknown placeholder.

    """
    launch = runspec.run.launch
    if launch not in LAUNCHERS:
        raise LaunchError(
            f"unknown launch method {launch!r}",
            path=runspec.script_path,
            key="run.launch",
            hint=did_you_mean(launch, LAUNCHERS) or f"Use one of: {', '.join(LAUNCHERS)}",
        )
    template = runspec.run.cmd or DEFAULT_CMD
    try:
        line = template.format(script=shlex.quote(str(script)), config=shlex.quote(str(config)))
    except (KeyError, IndexError, ValueError) as exc:
        raise LaunchError(
            f"bad run.cmd template {template!r}: {exc}",
            path=runspec.script_path,
            key="run.cmd",
            hint="The template may use {script} and {config} only (double other braces: {{ }})",
        ) from None
    if args:
        line = " ".join([line, *(shlex.quote(str(a)) for a in args)])
    if launch != "torchrun":
        return line
    words = line.split(maxsplit=1)
    prefix = " ".join(_torchrun_prefix(nodes, gpus_per_node, nproc_per_node))
    if words and words[0] in _PYTHONS:
        rest = words[1] if len(words) > 1 else ""
        return f"{prefix} {rest}".rstrip()
    if words and words[0] == "torchrun":
        return line
    return f"{prefix} {line}"


def resolve_workdir(runspec: Runspec) -> Path:
    """``run.workdir`` (relative to the script's folder), else the script's folder."""
    base = Path(runspec.script_path).absolute().parent
    if not runspec.run.workdir:
        return base
    return (base / runspec.run.workdir).resolve()


def wrap_run_sh(
    command: str,
    *,
    workdir: Path,
    name: str,
    setup: str = "",
    setup_lines: Iterable[str] = (),
    secret_preamble: str = "",
    state_dir: Path | None = None,
    env_exports: Mapping[str, str] | None = None,
    pythonpath: Path | None = None,
) -> str:
    """The job's ``run.sh``: secrets preamble, setup, ``cd workdir``, the command, its exit code.

    Args:
        command: From :func:`build_command`.
        workdir: Directory the command runs in.
        name: Job name, for the header comment.
        setup: The recipe's ``setup`` text (a description; written as comments).
        setup_lines: The profile's setup lines (run before the recipe's).
        secret_preamble: Lines that source and delete the secrets file (names no value).
        env_exports: Public environment variables to export (local jobs; Slurm jobs get them
            from the sbatch script).
        pythonpath: A directory to put first on ``PYTHONPATH`` (the unpacked code package).
        state_dir: When given (local jobs), the script records its PID in
            ``state_dir/job.pid`` and its exit code in ``state_dir/exit_code``.

    """
    out = [
        "#!/usr/bin/env bash",
        f"# Job {name}: written by nemo_runspec_nb; this is exactly what the job runs.",
        "set -uo pipefail",
        "export PYTHONUNBUFFERED=1",
    ]
    if state_dir is not None:
        out += [
            f"echo $$ > {shlex.quote(str(state_dir / 'job.pid'))}",
            "exec 2>&1  # one ordered log",
        ]
    if env_exports:
        out += ["", "# environment", *(f"export {k}={shlex.quote(v)}" for k, v in env_exports.items())]
    if secret_preamble.strip():
        out += ["", "# secrets (from an owner-only file, deleted after reading)", secret_preamble.rstrip()]
    if setup.strip():
        # [tool.runspec] setup describes what the image provides; it is prose, never run.
        out += ["", "# recipe setup notes:", *(f"#   {line}" for line in setup.strip().splitlines())]
    setup_block = list(setup_lines)
    if setup_block:
        out += ["", "# setup", "set -e", *setup_block, "set +e"]
    if pythonpath is not None:
        root = shlex.quote(str(pythonpath))
        out += ["", "# the packaged code", f'export PYTHONPATH={root}"${{PYTHONPATH:+:$PYTHONPATH}}"']
    out += ["", f"cd {shlex.quote(str(workdir))} || exit 1", command]
    if state_dir is not None:
        exit_file = shlex.quote(str(state_dir / "exit_code"))
        out += ["rc=$?", f"echo $rc > {exit_file}.tmp && mv {exit_file}.tmp {exit_file}", "exit $rc"]
    return "\n".join(out) + "\n"
