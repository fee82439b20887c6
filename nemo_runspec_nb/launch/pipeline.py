"""Run a list of :class:`~nemo_runspec_nb.launch.step.Step` as one pipeline.

Semantics, the same for every launcher: the steps form a shell pipeline,
``step1 | step2 | step3``. All steps start together; each step's stdout is
the next step's stdin (the first reads nothing, the last one's stdout is the
pipeline's output). The pipeline fails when any step exits non-zero (like
``set -o pipefail``); a local run names the last failing step, since an
earlier step that dies of a broken pipe is a consequence rather than the
cause. Steps that do not read stdin simply ignore it, so a ``prep | train``
pair that communicates through files (or through an artifact name printed by
the first and read by the second) works as well. Stderr: a local run keeps
each step's stderr apart (and logs it in ``job_dir``); in a batch job all
steps write to the job's output file.

Launchers
---------
``"local"``
    Subprocesses on this machine; returns once all steps ended, with their
    exit codes, the last step's stdout and each step's stderr.
``"sbatch"``
    Writes one batch script, ``<job_dir>/pipeline.sbatch``, that runs the same
    pipeline, and submits it with ``sbatch --parsable`` (``submit=False``
    writes it only). The script itself holds no secret value.
``"nemo-run"``
    Builds the same script as a :class:`PipelinePlan` and hands it to the
    injected ``submitter`` callable, whose return value (a nemo-run handle,
    say) comes back in :attr:`PipelineResult.handle`. Only the nemo-run
    adapter imports nemo_run, so this module takes the callable instead.

Secrets
-------
Secret variables (:mod:`nemo_runspec_nb.launch._secrets`) go to one owner-only
file in ``job_dir`` that the script sources first. A submitted ``"sbatch"``
pipeline keeps the file, since a job that Slurm requeues (node failure,
preemption, ``scontrol requeue``) runs its script again; right after the
submission a cleanup job on the same partition, account and QOS waits for
the pipeline's job with ``--dependency=afterany`` (which a requeue does not
satisfy) and removes the file (:func:`~nemo_runspec_nb.launch._secrets.cleanup_job_argv`).
Its id is :attr:`PipelineResult.secrets_cleanup_job`; when Slurm refuses it
the pipeline runs anyway and :attr:`PipelineResult.secrets_cleanup_error`
says where the file stays. When the pipeline's own submission fails, the file
is removed at once.

Two scripts still delete the file as they read it, so they lose their
secrets when requeued: one written with ``submit=False`` (you submit it
yourself, and no cleanup job waits for it), and the ``"nemo-run"`` plan. The
nemo-run script is built before the submitter runs, and the submitter's
handle is opaque (a local executor has no Slurm job id at all), so whether a
cleanup job could follow is not known when the script is written; a kept file
would stay behind whenever none can. A local pipeline writes no file: its
steps get their environment directly.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, get_args

from ..errors import LaunchError, did_you_mean
from ._secrets import (
    cleanup_job_argv,
    remove_secret_file,
    secret_preamble,
    split_secret_env,
    write_secret_file,
)
from .step import Step

__all__ = [
    "LAUNCHERS",
    "PipelineLauncher",
    "PipelinePlan",
    "PipelineResult",
    "render_pipeline",
    "run_pipeline",
]

PipelineLauncher = Literal["local", "sbatch", "nemo-run"]
LAUNCHERS: tuple[str, ...] = get_args(PipelineLauncher)
SBATCH_SCRIPT_NAME = "pipeline.sbatch"


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


@dataclass(frozen=True)
class PipelineResult:
    """The outcome of :func:`run_pipeline`; which fields are set depends on the launcher.

    ``secrets_cleanup_job`` is the id of the Slurm job that removes a submitted
    pipeline's secrets file once its job has ended; ``secrets_cleanup_error``
    says where the file stays when that job could not be submitted.
    """

    launcher: PipelineLauncher
    returncodes: tuple[int, ...] = ()
    stdout: str = ""
    stderr: tuple[str, ...] = ()
    script: Path | None = None
    job_id: str | None = None
    handle: Any = field(default=None, compare=False)
    secrets_cleanup_job: str | None = None
    secrets_cleanup_error: str | None = None

    @property
    def ok(self) -> bool:
        """True when every step of a local run exited 0 (always True for submitted pipelines)."""
        return all(code == 0 for code in self.returncodes)


def _check_steps(steps: Sequence[Step]) -> tuple[Step, ...]:
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


def run_pipeline(
    steps: Sequence[Step],
    launcher: PipelineLauncher = "local",
    *,
    env: Mapping[str, str] | None = None,
    job_dir: str | Path | None = None,
    cwd: str | Path | None = None,
    startup: Sequence[str] = (),
    sbatch_options: Mapping[str, str | int | bool | None] | None = None,
    submit: bool = True,
    submitter: Callable[[PipelinePlan], Any] | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> PipelineResult:
    """Run ``steps`` as ``step1 | step2 | ...`` with the chosen launcher (see the module doc).

    Args:
        steps: The steps, in pipeline order; names must be unique.
        launcher: ``"local"``, ``"sbatch"`` or ``"nemo-run"``.
        env: Variables added to every step's environment (a step's own ``env`` wins).
        job_dir: Where logs, the batch script and the secrets file go. Needed for
            ``"sbatch"``, and for ``"nemo-run"`` when there are secrets.
        cwd: Working directory of steps without their own ``workdir``.
        startup: Shell lines run before the pipeline (remote launchers only),
            e.g. :func:`nemo_runspec_nb.launch.env_vars.startup_commands`.
        sbatch_options: ``#SBATCH`` options, ``{"partition": "debug", "time": "00:10:00"}``;
            ``True`` writes a bare flag, ``None``/``False`` skips the option.
        submit: ``"sbatch"`` only: submit the script (else only write it).
        submitter: ``"nemo-run"`` only: called with the :class:`PipelinePlan`.
        timeout: ``"local"`` only: seconds before every step is killed.
        check: ``"local"`` only: raise :class:`LaunchError` when a step fails.

    """
    steps = _check_steps(steps)
    if launcher == "local":
        return _run_local(steps, env or {}, job_dir, cwd, timeout, check)
    if launcher == "sbatch":
        if job_dir is None:
            raise LaunchError("the sbatch launcher needs a job_dir for its script and logs", key="job_dir")
        job_dir = Path(job_dir).resolve()  # the script runs elsewhere: every path in it is absolute
        job_dir.mkdir(parents=True, exist_ok=True)
        # a submitted job keeps the file for a requeue; a cleanup job removes it (module doc)
        plan = _plan(steps, env or {}, job_dir, cwd, startup, remove_secrets=not submit)
        script = job_dir / SBATCH_SCRIPT_NAME
        header = _sbatch_header(job_dir, steps, sbatch_options or {})
        script.write_text(header + plan.script, encoding="utf-8")
        if not submit:
            return PipelineResult("sbatch", script=script)
        try:
            job_id = _sbatch_submit(script)
        except LaunchError:
            if plan.secrets_file is not None:  # no job will read it
                remove_secret_file(job_dir)
            raise
        if plan.secrets_file is None:
            return PipelineResult("sbatch", script=script, job_id=job_id)
        cleanup_job, cleanup_error = _submit_cleanup(plan.secrets_file, job_id, sbatch_options or {})
        return PipelineResult(
            "sbatch",
            script=script,
            job_id=job_id,
            secrets_cleanup_job=cleanup_job,
            secrets_cleanup_error=cleanup_error,
        )
    if launcher == "nemo-run":
        if submitter is None:
            raise LaunchError(
                'the "nemo-run" launcher needs a submitter callable',
                key="submitter",
                hint="Pass the nemo-run adapter's pipeline submitter (the only module that imports nemo_run)",
            )
        plan = _plan(steps, env or {}, Path(job_dir).resolve() if job_dir is not None else None, cwd, startup)
        return PipelineResult("nemo-run", handle=submitter(plan))
    hint = f"{did_you_mean(str(launcher), LAUNCHERS)} Choose one of: {', '.join(LAUNCHERS)}".strip()
    raise LaunchError(f"unknown pipeline launcher {launcher!r}", key="launcher", hint=hint)


# --------------------------------------------------------------------------- local


def _run_local(
    steps: tuple[Step, ...],
    env: Mapping[str, str],
    job_dir: str | Path | None,
    cwd: str | Path | None,
    timeout: float | None,
    check: bool,
) -> PipelineResult:
    if job_dir is not None:
        Path(job_dir).mkdir(parents=True, exist_ok=True)
    logs: list[IO[bytes]] = []
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for index, step in enumerate(steps):
            if job_dir is not None:
                logs.append(open(Path(job_dir) / f"{index + 1:02d}-{step.name}.stderr.log", "w+b"))  # noqa: SIM115
            else:
                logs.append(tempfile.TemporaryFile())  # noqa: SIM115
            stdin = procs[-1].stdout if procs else subprocess.DEVNULL
            try:
                proc = subprocess.Popen(
                    list(step.argv),
                    stdin=stdin,
                    stdout=subprocess.PIPE,
                    stderr=logs[-1],
                    cwd=step.workdir or cwd,
                    env={**os.environ, **env, **step.env},
                )
            except OSError as exc:
                raise LaunchError(
                    f"step {step.name!r} could not start: {exc.strerror or exc}", key=step.name
                ) from exc
            if procs and procs[-1].stdout is not None:
                procs[-1].stdout.close()  # the next step owns it now; lets the writer see SIGPIPE
            procs.append(proc)
        try:
            out, _ = procs[-1].communicate(timeout=timeout)
            codes = tuple(p.wait(timeout=timeout) for p in procs)
        except subprocess.TimeoutExpired:
            raise LaunchError(f"pipeline timed out after {timeout} s; all steps were killed") from None
        errors = []
        for log in logs:
            log.seek(0)
            errors.append(log.read().decode(errors="replace"))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        for log in logs:
            log.close()
    result = PipelineResult("local", codes, out.decode(errors="replace"), tuple(errors))
    failed = [i for i, code in enumerate(codes) if code != 0]
    if check and failed:
        index = failed[-1]
        tail = " / ".join(errors[index].strip().splitlines()[-3:])
        raise LaunchError(
            f"step {steps[index].name!r} ({index + 1} of {len(steps)}) exited with code {codes[index]}"
            + (f": {tail}" if tail else ""),
            key=steps[index].name,
        )
    return result


# --------------------------------------------------------------------------- scripts


def _segment(step: Step, public_names: set[str], cwd: str | Path | None) -> str:
    assignments = [f"{k}={shlex.quote(v)}" for k, v in step.env.items() if k in public_names]
    command = " ".join(["env", *assignments, step.shell()]) if assignments else step.shell()
    workdir = step.workdir or (str(cwd) if cwd is not None else None)
    if workdir:
        return f"(cd {shlex.quote(workdir)} && exec {command})"
    return command


def _plan(
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
    return _plan(_check_steps(steps), env or {}, None, cwd, startup, write_secrets=False).script


def _sbatch_header(
    job_dir: Path, steps: tuple[Step, ...], options: Mapping[str, str | int | bool | None]
) -> str:
    opts: dict[str, str | int | bool | None] = {
        "job-name": "runspec-" + "-".join(s.name for s in steps)[:60],
        "output": str(job_dir.resolve() / "pipeline-%j.out"),
    }
    opts.update({k.replace("_", "-"): v for k, v in options.items()})
    lines = ["#!/bin/bash"]
    for name, value in opts.items():
        if value is None or value is False:
            continue
        lines.append(f"#SBATCH --{name}" if value is True else f"#SBATCH --{name}={value}")
    return "\n".join(lines) + "\n\n"


def _sbatch_submit(script: Path) -> str:
    try:
        done = subprocess.run(
            ["sbatch", "--parsable", str(script)],
            capture_output=True,
            text=True,
            cwd=script.parent,
            check=False,
        )
    except FileNotFoundError:
        raise LaunchError(
            "sbatch is not installed here",
            path=script,
            hint="Run on a Slurm login node, start the local cluster (scripts/local-slurm/start.sh), "
            "or pass submit=False to only write the script",
        ) from None
    if done.returncode != 0:
        raise LaunchError(f"sbatch failed: {done.stderr.strip() or done.stdout.strip()}", path=script)
    job_id = done.stdout.strip().splitlines()[-1].split(";")[0] if done.stdout.strip() else ""
    if not job_id:
        raise LaunchError("sbatch printed no job id", path=script)
    return job_id


def _submit_cleanup(
    secrets_file: Path, job_id: str, options: Mapping[str, str | int | bool | None]
) -> tuple[str | None, str | None]:
    """Submit the job that removes ``secrets_file`` once job ``job_id`` has ended for good.

    It runs on the pipeline's partition, account and QOS. Returns ``(cleanup job id, None)``,
    or ``(None, error)`` when it could not be submitted: the pipeline runs anyway, and the
    error says where the file stays.
    """
    named = {k.replace("_", "-"): v for k, v in options.items()}

    def option(name: str) -> str | None:
        value = named.get(name)
        return None if value is None or isinstance(value, bool) else str(value)

    argv = cleanup_job_argv(
        secrets_file,
        job_id,
        name=f"runspec-cleanup-{job_id}",
        partition=option("partition"),
        account=option("account"),
        qos=option("qos"),
    )
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"the secrets file stays at {secrets_file}: {exc}"
    cleanup_id = done.stdout.strip().split(";")[0] if done.stdout.strip() else ""
    if done.returncode != 0 or not cleanup_id:
        detail = (done.stderr or done.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit code {done.returncode}"
        return None, f"the secrets file stays at {secrets_file}: sbatch failed: {reason}"
    return cleanup_id, None
