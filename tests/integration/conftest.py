"""Fixtures for jobs launched for real: a tiny recipe, requests, cleanup, the local Slurm clusters."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nemo_runspec_nb.launch import JobHandle, LaunchRequest
from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun

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


def _gone_within(path: Path, seconds: float = 60.0) -> bool:
    """True once ``path`` does not exist (a Slurm job's secrets cleanup job runs just after the job ends)."""
    deadline = time.monotonic() + seconds
    while path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@pytest.fixture
def gone_within() -> Callable[..., bool]:
    """``gone_within(path, seconds=60)``: wait for ``path`` (e.g. a secrets file) to go; True once it has."""
    return _gone_within


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


GPU_SLURM_ENV_FILE = Path("/etc/slurm-gpu/nrs-gpu.env")
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GpuSlurm:
    """The GPU-shaped cluster of scripts/gpu-slurm/start.sh, as tests use it.

    ``mounts`` are the ``src:dst`` bind mounts a containerised job needs to run this
    process's Python: the base interpreter, the venv and the repository (the editable
    install), each at its own path. Add the job's own directories to them.
    """

    conf: Path
    partition: str
    account: str
    nodes: int
    gpus_per_node: int
    image: str
    mounts: tuple[str, ...]

    @property
    def env(self) -> dict[str, str]:
        """This process's environment with SLURM_CONF selecting the GPU cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a Slurm command (sbatch, squeue, ...) against the GPU cluster."""
        return subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False, env=self.env
        )


def _gpu_slurm_settings() -> dict[str, str]:
    """NRS_GPU_SLURM_* from the environment, else from the file start.sh writes."""
    found: dict[str, str] = {}
    if GPU_SLURM_ENV_FILE.is_file():
        for line in GPU_SLURM_ENV_FILE.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                found[key.strip()] = value.strip()
    found.update({k: v for k, v in os.environ.items() if k.startswith("NRS_GPU_SLURM_")})
    return found


def _container_mounts() -> tuple[str, ...]:
    paths = [Path(sys.base_prefix), Path(sys.prefix).resolve(), REPO]
    unique = dict.fromkeys(str(p) for p in paths)
    return tuple(f"{p}:{p}" for p in unique)


def gpu_slurm_state() -> GpuSlurm | str:
    """The GPU-shaped cluster when every node is up with its GPUs, else why not."""
    start = "run scripts/gpu-slurm/start.sh (or unset NRS_SKIP_GPU_SLURM for scripts/test.sh)"
    settings = _gpu_slurm_settings()
    conf = Path(settings.get("NRS_GPU_SLURM_CONF", "/etc/slurm-gpu/slurm.conf"))
    if not conf.is_file():
        return f"no GPU-shaped Slurm cluster config at {conf}; {start}"
    if shutil.which("sinfo") is None:
        return f"Slurm is not installed ('sinfo' not on PATH); {start}"
    env = {**os.environ, "SLURM_CONF": str(conf)}
    try:
        proc = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%N %T %G"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return f"sinfo timed out: the controller of {conf} does not answer; {start}"
    if proc.returncode != 0:
        return f"the GPU-shaped Slurm cluster is down ({proc.stderr.strip()}); {start}"
    nodes = int(settings.get("NRS_GPU_SLURM_NODES", "2"))
    gpus = int(settings.get("NRS_GPU_SLURM_GPUS_PER_NODE", "4"))
    ready = [
        line.split()[0]
        for line in proc.stdout.splitlines()
        if len(line.split()) == 3
        and line.split()[1].rstrip("*~#") in ("idle", "mixed", "allocated", "completing")
        and line.split()[2] == f"gpu:{gpus}"
    ]
    if len(ready) < nodes:
        listing = proc.stdout.strip()
        return f"only {len(ready)} of {nodes} GPU nodes can take jobs (sinfo: {listing!r}); {start}"
    image = settings.get("NRS_GPU_SLURM_IMAGE", "")
    if not image or not Path(image).is_file():
        return f"the GPU cluster has no container image ({image or 'none'}); {start}"
    return GpuSlurm(
        conf=conf,
        partition=settings.get("NRS_GPU_SLURM_PARTITION", "gpu"),
        account="default",
        nodes=nodes,
        gpus_per_node=gpus,
        image=image,
        mounts=_container_mounts(),
    )


@pytest.fixture(scope="session")
def gpu_slurm_cluster() -> GpuSlurm:
    """The GPU-shaped cluster, or skip (saying why) when it is not up."""
    state = gpu_slurm_state()
    if isinstance(state, str):
        print(f"SKIP gpu_slurm tests: {state}")
        pytest.skip(state)
    return state


@pytest.fixture
def gpu_slurm(gpu_slurm_cluster: GpuSlurm, monkeypatch: pytest.MonkeyPatch) -> GpuSlurm:
    """The GPU-shaped cluster, selected for this test: SLURM_CONF points at it.

    Every Slurm command the test (or the library under test) runs goes to the GPU
    cluster; other tests keep the single-node one.
    """
    monkeypatch.setenv("SLURM_CONF", str(gpu_slurm_cluster.conf))
    return gpu_slurm_cluster


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
