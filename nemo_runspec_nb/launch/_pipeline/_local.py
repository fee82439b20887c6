"""The ``"local"`` launcher: the steps as subprocesses on this machine, piped into each other."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from ...errors import LaunchError, SubmissionError
from .._step import Step
from ._result import PipelineResult


def run_local(
    steps: tuple[Step, ...],
    env: Mapping[str, str],
    job_dir: str | Path | None,
    cwd: str | Path | None,
    timeout: float | None,
    check: bool,
) -> PipelineResult:
    """Start every step, each reading the previous one's stdout; wait for all (see the package doc)."""
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
                raise SubmissionError(
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
