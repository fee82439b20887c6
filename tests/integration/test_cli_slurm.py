"""``runspec run ... -r/-b local-slurm`` on the local Slurm cluster (scripts/local-slurm/start.sh).

Skipped, with the reason printed, when the cluster is not there (see the
``slurm_cluster`` fixture in conftest.py: no ``sinfo``, controller down, no node up).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nemo_runspec_nb.cli import app
from nemo_runspec_nb.launch import JobHandle

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.usefixtures("slurm_cluster"),
    # nemo-run -> leptonai -> fastapi imports starlette.middleware.wsgi, deprecated in starlette.
    pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated:DeprecationWarning"),
]

EXAMPLE_RECIPES = Path(__file__).resolve().parents[2] / "notebooks" / "recipes"
RUNSPEC = Path(sys.executable).parent / "runspec"


@pytest.fixture
def recipes(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "recipes"
    shutil.copytree(EXAMPLE_RECIPES, root, ignore=shutil.ignore_patterns(".nemotron", "__pycache__"))
    yield root
    for record in (root / ".nemotron" / "jobs").glob("*/job.json"):  # never leave a job queued
        handle = JobHandle.from_job_dir(record.parent)
        if not handle.status().done:
            handle.cancel()


def runspec(recipes: Path, *args: str) -> Result:
    argv = ["--env-file", str(recipes / "env.toml"), *args]
    return CliRunner().invoke(app, argv, prog_name="runspec", catch_exceptions=False)


def test_attached_prep_then_train_on_local_slurm(recipes: Path) -> None:
    prep = runspec(recipes, "run", str(recipes / "prep" / "prep.py"), "-c", "tiny", "-r", "local-slurm")
    assert prep.exit_code == 0, prep.output
    assert "where      profile local-slurm (slurm)" in prep.stdout
    assert "prep: published tiny-data:v1" in prep.stdout
    train = runspec(recipes, "run", str(recipes / "train" / "train.py"), "-c", "tiny", "-r", "local-slurm")
    assert train.exit_code == 0, train.output
    assert "train: epoch 20/20" in train.stdout
    assert re.search(r"status\s+SUCCEEDED", train.stdout)
    assert re.search(r"published\s+tiny-model:v1", train.stdout)
    jobs = runspec(recipes, "jobs")
    assert len(re.findall(r"SUCCEEDED\s+0\s+slurm\s+run", jobs.stdout)) == 2


def test_failed_slurm_job_exits_1(recipes: Path) -> None:
    result = runspec(recipes, "run", str(recipes / "prep" / "prep.py"), "-r", "local-slurm", "data.rows=oops")
    assert result.exit_code == 1, result.output
    assert re.search(r"status\s+FAILED", result.stdout)


def test_batch_then_logs_follow(recipes: Path) -> None:
    result = runspec(recipes, "run", str(recipes / "prep" / "prep.py"), "-c", "tiny", "-b", "local-slurm")
    assert result.exit_code == 0, result.output
    found = re.search(r"job\s+(\d{8}-\d{6}-[\w-]+)", result.stdout)
    assert found, result.stdout
    followed = runspec(recipes, "logs", found.group(1), "--follow")
    assert followed.exit_code == 0, followed.output
    assert "prep: published tiny-data:v1" in followed.stdout


def test_from_a_fresh_shell(recipes: Path) -> None:
    """The console script, in a new process with a bare environment, from the recipes folder."""
    env = {"PATH": f"{RUNSPEC.parent}{os.pathsep}{os.environ.get('PATH', os.defpath)}", "HOME": str(recipes)}
    proc = subprocess.run(
        ["bash", "-c", "runspec run train/train.py -c tiny -r local-slurm model.epochs=5"],
        cwd=recipes,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # train needs the prep artifact first; without it the launch is refused with one line.
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: ") and "tiny-data" in proc.stderr
    proc = subprocess.run(
        [
            "bash",
            "-c",
            "runspec run prep/prep.py -c tiny -r local-slurm"
            " && runspec run train/train.py -c tiny -r local-slurm",
        ],
        cwd=recipes,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "train: published tiny-model:v1" in proc.stdout
    assert "\x1b[" not in proc.stdout
