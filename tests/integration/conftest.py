"""Fixtures for jobs launched for real: a tiny recipe, requests, cleanup, the local Slurm cluster."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from nemo_runspec_nb.launch import JobHandle, LaunchRequest
from nemo_runspec_nb.spec import Runspec, RunspecResources, RunspecRun

RECIPE = textwrap.dedent(
    """\
    import os, sys, time
    print("recipe started", sys.argv[1:], flush=True)
    print("token visible:", bool(os.environ.get("DEMO_TOKEN")), flush=True)
    print("greeting:", os.environ.get("GREETING", "-"), flush=True)
    time.sleep(float(os.environ.get("SLEEP", "0")))
    code = int(os.environ.get("EXIT_CODE", "0"))
    print("recipe exiting with", code, flush=True)
    sys.exit(code)
    """
)

LOCAL_SLURM_PROFILE: Mapping[str, Any] = {
    "executor": "slurm",
    "account": "default",
    "partition": "debug",
    "gpus_per_node": 0,
    "time": "00:05:00",
}


def slurm_down_reason() -> str | None:
    """Why the local Slurm cluster cannot take jobs, or None when it can."""
    if shutil.which("sinfo") is None:
        return "Slurm is not installed ('sinfo' not on PATH); run scripts/local-slurm/start.sh"
    try:
        proc = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=10, check=False
        )
    except subprocess.TimeoutExpired:
        return "sinfo timed out: the Slurm controller does not answer"
    states = proc.stdout.split()
    if proc.returncode != 0 or not states:
        detail = (proc.stderr or "no nodes").strip()
        return f"the Slurm cluster is down ({detail}); run scripts/local-slurm/start.sh"
    if not any(s.rstrip("*~#") in ("idle", "mixed", "allocated", "completing") for s in states):
        return f"no Slurm node can take jobs (sinfo: {', '.join(states)})"
    return None


@pytest.fixture
def slurm_profile() -> dict[str, Any]:
    """A profile for the local cluster (what notebooks/recipes/env.toml calls local-slurm)."""
    return dict(LOCAL_SLURM_PROFILE)


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    reason = slurm_down_reason()
    if reason:
        print(f"SKIP slurm tests: {reason}")
        pytest.skip(reason)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project dir with the recipe script and a .nemotron/jobs dir."""
    (tmp_path / ".nemotron" / "jobs").mkdir(parents=True)
    (tmp_path / "recipe.py").write_text(RECIPE)
    return tmp_path


@pytest.fixture
def launched() -> Iterator[list[JobHandle]]:
    """Handles registered here are cancelled at teardown if still running."""
    handles: list[JobHandle] = []
    yield handles
    for handle in handles:
        try:
            if not handle.status().done:
                handle.cancel()
        except Exception as exc:  # cleanup must not hide the test's own failure
            print(f"cleanup of {handle.job_dir} failed: {exc}")


@pytest.fixture
def make_request(project: Path) -> Callable[..., LaunchRequest]:
    counter = iter(range(1000))

    def make(
        profile: Mapping[str, Any] | None = None,
        *,
        exit_code: int = 0,
        sleep: float = 0.0,
        env: Mapping[str, str] | None = None,
        name: str = "demo",
        mode: str = "batch",
        packager: Any = None,
        script_name: str = "recipe.py",
    ) -> LaunchRequest:
        script = project / script_name
        runspec = Runspec(
            script_path=script,
            name=name,
            run=RunspecRun(launch="direct"),
            resources=RunspecResources(nodes=1, gpus_per_node=0),
        )
        job_dir = (
            project / ".nemotron" / "jobs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{next(counter):03d}-{name}"
        )
        job_dir.mkdir(parents=True)
        (job_dir / "train.yaml").write_text("lr: 0.1\n")
        (job_dir / "job.yaml").write_text(f"recipe: {name}\n")
        return LaunchRequest(
            name=name,
            job_dir=job_dir,
            script_path=script,
            runspec=runspec,
            profile=dict(profile or {}),
            mode=mode,  # type: ignore[arg-type]
            env_vars={"EXIT_CODE": str(exit_code), "SLEEP": str(sleep), **dict(env or {})},
            packager=packager,
        )

    return make
