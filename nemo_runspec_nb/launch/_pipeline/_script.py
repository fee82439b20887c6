"""The bash script every remote launcher runs: the steps as one shell pipeline, no secret in it."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...errors import LaunchError
from .._secrets import secret_preamble, split_secret_env, write_secret_file
from .._step import Step

SbatchOptions = Mapping[str, str | int | bool | None]


@dataclass(frozen=True)
class PipelinePlan:
    """What a remote launcher runs: a bash script body plus the public environment.

    ``script`` holds no secret values; ``secrets_file`` (if any) is the
    owner-only file the script sources (and deletes, for the nemo-run
    launcher: see the module doc).
    """

    steps: tuple[Step, ...]
    script: str
    env: Mapping[str, str]
    secrets_file: Path | None = None


def check_steps(steps: Sequence[Step]) -> tuple[Step, ...]:
    """``steps`` as a tuple; LaunchError when empty, not Steps, or with repeated names."""
    steps = tuple(steps)
    if not steps:
        raise LaunchError("a pipeline needs at least one step")
    for step in steps:
        if not isinstance(step, Step):
            raise LaunchError(f"pipeline steps must be Step objects, not {type(step).__name__}")
    names = [s.name for s in steps]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise LaunchError(f"step names must be unique; repeated: {', '.join(duplicates)}", key="name")
    return steps


def _segment(step: Step, public_names: set[str], cwd: str | Path | None) -> str:
    assignments = [f"{k}={shlex.quote(v)}" for k, v in step.env.items() if k in public_names]
    command = " ".join(["env", *assignments, step.shell()]) if assignments else step.shell()
    workdir = step.workdir or (str(cwd) if cwd is not None else None)
    if workdir:
        return f"(cd {shlex.quote(workdir)} && exec {command})"
    return command


def plan(
    steps: tuple[Step, ...],
    env: Mapping[str, str],
    job_dir: Path | None,
    cwd: str | Path | None,
    startup: Sequence[str],
    *,
    write_secrets: bool = True,
    remove_secrets: bool = True,
) -> PipelinePlan:
    """The bash body shared by the remote launchers; it never holds a secret value.

    Secret variables, the pipeline's and every step's, go to one owner-only
    file in ``job_dir`` that the body sources first (so a step's secret is
    visible to the whole pipeline), then deletes unless ``remove_secrets`` is
    False (a requeued job reads it again; a cleanup job removes it). With
    ``write_secrets=False`` no file is written and a comment names the
    variables instead (for previews).
    """
    every = dict(env)
    for step in steps:
        every.update(step.env)
    public, secret = split_secret_env(every)
    lines = ["set -eo pipefail", ""]
    secrets_file = None
    if secret and write_secrets:
        if job_dir is None:
            raise LaunchError(
                f"secret variables ({', '.join(secret)}) need a job_dir for their owner-only file",
                key="job_dir",
            )
        secrets_file = write_secret_file(job_dir, secret)
        lines += [
            "# secrets: sourced from an owner-only file, which is then deleted"
            if remove_secrets
            else "# secrets: sourced from an owner-only file, kept for a requeue until the job has ended",
            secret_preamble(secrets_file, remove=remove_secrets),
        ]
    elif secret:
        lines += [f"# secrets ({', '.join(secret)}) are sourced from an owner-only file at run time", ""]
    shared = {k: v for k, v in env.items() if k in public}
    if shared:
        lines += ["# environment", *(f"export {k}={shlex.quote(v)}" for k, v in shared.items()), ""]
    if startup:
        lines += ["# startup commands", *startup, ""]
    segments = [_segment(step, set(public), cwd) for step in steps]
    lines += [f"# pipeline: {' | '.join(s.name for s in steps)}", " \\\n  | ".join(segments), ""]
    return PipelinePlan(steps, "\n".join(lines), public, secrets_file)


def render_pipeline(
    steps: Sequence[Step],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    startup: Sequence[str] = (),
) -> str:
    """The bash body the remote launchers run, for previews: secret names only, no file written."""
    return plan(check_steps(steps), env or {}, None, cwd, startup, write_secrets=False).script


def sbatch_header(job_dir: Path, steps: tuple[Step, ...], options: SbatchOptions) -> str:
    """The ``#!/bin/bash`` line and ``#SBATCH`` options (``True``: a bare flag; ``None``/``False``: none)."""
    opts: dict[str, str | int | bool | None] = {
        "job-name": "runspec-" + "-".join(s.name for s in steps)[:60],
        "output": str(job_dir.resolve() / "pipeline-%j.out"),
    }
    opts.update(sbatch_names(options))
    lines = ["#!/bin/bash"]
    for name, value in opts.items():
        if value is None or value is False:
            continue
        lines.append(f"#SBATCH --{name}" if value is True else f"#SBATCH --{name}={value}")
    return "\n".join(lines) + "\n\n"


def sbatch_names(options: SbatchOptions) -> dict[str, str | int | bool | None]:
    """``options`` with ``sbatch``'s spelling of each name (``cpus_per_task`` -> ``cpus-per-task``)."""
    return {k.replace("_", "-"): v for k, v in options.items()}
