"""``run_pipeline``: check the steps, then hand them to the launcher's entry in :data:`_LAUNCHERS`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ExecutorError, LaunchError, did_you_mean
from .._step import Step
from ._local import run_local
from ._result import LAUNCHERS, PipelineLauncher, PipelineResult
from ._sbatch import run_sbatch
from ._script import PipelinePlan, SbatchOptions, check_steps, plan


@dataclass(frozen=True)
class _Run:
    """The arguments of one :func:`run_pipeline` call (each launcher reads its own)."""

    steps: tuple[Step, ...]
    env: Mapping[str, str]
    job_dir: str | Path | None
    cwd: str | Path | None
    startup: Sequence[str]
    sbatch_options: SbatchOptions
    submit: bool
    submitter: Callable[[PipelinePlan], Any] | None
    timeout: float | None
    check: bool


def _local(run: _Run) -> PipelineResult:
    return run_local(run.steps, run.env, run.job_dir, run.cwd, run.timeout, run.check)


def _sbatch(run: _Run) -> PipelineResult:
    return run_sbatch(run.steps, run.env, run.job_dir, run.cwd, run.startup, run.sbatch_options, run.submit)


def _nemo_run(run: _Run) -> PipelineResult:
    if run.submitter is None:
        raise LaunchError(
            'the "nemo-run" launcher needs a submitter callable',
            key="submitter",
            hint="Pass the nemo-run adapter's pipeline submitter (the only module that imports nemo_run)",
        )
    job_dir = Path(run.job_dir).resolve() if run.job_dir is not None else None
    return PipelineResult(
        "nemo-run", handle=run.submitter(plan(run.steps, run.env, job_dir, run.cwd, run.startup))
    )


_LAUNCHERS: Mapping[str, Callable[[_Run], PipelineResult]] = {
    "local": _local,
    "sbatch": _sbatch,
    "nemo-run": _nemo_run,
}


def run_pipeline(
    steps: Sequence[Step],
    launcher: PipelineLauncher = "local",
    *,
    env: Mapping[str, str] | None = None,
    job_dir: str | Path | None = None,
    cwd: str | Path | None = None,
    startup: Sequence[str] = (),
    sbatch_options: SbatchOptions | None = None,
    submit: bool = True,
    submitter: Callable[[PipelinePlan], Any] | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> PipelineResult:
    """Run ``steps`` as ``step1 | step2 | ...`` with the chosen launcher (see the package doc).

    Args:
        steps: The steps, in pipeline order; names must be unique.
        launcher: ``"local"``, ``"sbatch"`` or ``"nemo-run"``.
        env: Variables added to every step's environment (a step's own ``env`` wins).
        job_dir: Where logs, the batch script and the secrets file go. Needed for
            ``"sbatch"``, and for ``"nemo-run"`` when there are secrets.
        cwd: Working directory of steps without their own ``workdir``.
        startup: Shell lines run before the pipeline (remote launchers only),
            e.g. :func:`nemo_runspec_nb.launch.startup_commands`.
        sbatch_options: ``#SBATCH`` options, ``{"partition": "debug", "time": "00:10:00"}``;
            ``True`` writes a bare flag, ``None``/``False`` skips the option.
        submit: ``"sbatch"`` only: submit the script (else only write it).
        submitter: ``"nemo-run"`` only: called with the :class:`PipelinePlan`.
        timeout: ``"local"`` only: seconds before every step is killed.
        check: ``"local"`` only: raise :class:`LaunchError` when a step fails.

    """
    checked = check_steps(steps)
    if launcher not in _LAUNCHERS:
        hint = f"{did_you_mean(str(launcher), LAUNCHERS)} Choose one of: {', '.join(LAUNCHERS)}".strip()
        raise ExecutorError(f"unknown pipeline launcher {launcher!r}", key="launcher", hint=hint)
    run = _Run(
        checked, env or {}, job_dir, cwd, startup, sbatch_options or {}, submit, submitter, timeout, check
    )
    return _LAUNCHERS[launcher](run)
