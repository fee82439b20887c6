"""A pipeline submitted with the sbatch launcher keeps its secrets through a requeue, then loses the file.

The first step prints the SHA-256 of a planted secret (never the value) and
sleeps on its first run; the test requeues the job while it sleeps. The second
run must print the same hash, the cleanup job must remove the secrets file
once the job has ended, and no file under the job dir may hold the value.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from nemo_runspec_nb.launch import Step, run_pipeline
from nemo_runspec_nb.launch._secrets import SECRET_FILE_NAME

TIMEOUT = 180

PROBE = """\
import hashlib, os, time
run = os.environ.get("SLURM_RESTART_COUNT", "0")
token = os.environ.get("HF_TOKEN")
print(f"run {run} HF_TOKEN", hashlib.sha256(token.encode()).hexdigest() if token else "missing", flush=True)
if run == "0":
    time.sleep(60)
print(f"run {run} done", flush=True)
"""


UPPER = "import sys\nfor line in sys.stdin:\n    print(line.upper(), end='', flush=True)\n"


def _state(job_id: str) -> str:
    out = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-o", "State", "-j", job_id], capture_output=True, text=True, check=False
    ).stdout.strip()
    return out.splitlines()[0].split()[0] if out else ""


def _wait_for_text(path_glob: Path, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = "".join(p.read_text(errors="replace") for p in path_glob.parent.glob(path_glob.name))
        if text in found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{text!r} not in {path_glob} after {seconds:g} s")


def _wait_until(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@pytest.mark.slurm
@pytest.mark.usefixtures("slurm_cluster")
def test_a_requeued_sbatch_pipeline_still_gets_its_secrets(tmp_path: Path):
    value = f"sk-PLANTED-pipeline-{uuid.uuid4().hex}"
    digest = hashlib.sha256(value.encode()).hexdigest()
    job_dir = tmp_path / "job"
    steps = [
        Step.command("probe", [sys.executable, "-c", PROBE], env={"HF_TOKEN": value}),
        # a line-buffered `tr a-z A-Z` (tr itself would hold its output until the end)
        Step.command("upper", [sys.executable, "-c", UPPER]),
    ]
    result = run_pipeline(
        steps,
        "sbatch",
        job_dir=job_dir,
        # --requeue: the job may be requeued whatever the cluster's default
        sbatch_options={"partition": "debug", "time": "00:10:00", "requeue": True, "open-mode": "append"},
    )
    job_id = result.job_id
    assert job_id and job_id.isdigit()
    try:
        assert result.secrets_cleanup_job, result.secrets_cleanup_error
        output = job_dir / f"pipeline-{job_id}.out"
        first = _wait_for_text(output, f"RUN 0 HF_TOKEN {digest.upper()}", TIMEOUT)
        assert "MISSING" not in first
        secrets = job_dir / SECRET_FILE_NAME
        subprocess.run(["scontrol", "requeue", job_id], check=True, timeout=30)
        time.sleep(2)
        assert secrets.exists(), "a requeue keeps the secrets file"
        # Slurm holds a requeued job for about two minutes before it starts again
        second = _wait_for_text(output, "RUN 1 DONE", 300)
        assert f"RUN 1 HF_TOKEN {digest.upper()}" in second, second
        assert _wait_until(lambda: _state(job_id) == "COMPLETED", TIMEOUT), _state(job_id)
        assert _wait_until(lambda: not secrets.exists(), 60), "the cleanup job removes it"
        leaks = [p for p in job_dir.rglob("*") if p.is_file() and value.encode() in p.read_bytes()]
        assert leaks == []
    finally:
        if _state(job_id) in ("PENDING", "RUNNING", "REQUEUED", "CONFIGURING", ""):
            subprocess.run(["scancel", job_id], check=False, timeout=30)
