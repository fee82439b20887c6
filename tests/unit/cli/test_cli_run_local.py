"""runspec run on the embedded default (this machine, nemo-run LocalExecutor), end to end.

The prep -> train chain runs once per module in a private copy of
notebooks/recipes; the tests then look at its jobs, logs and artifacts.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nemo_runspec_nb.cli import app
from nemo_runspec_nb.launch import JobHandle

pytestmark = pytest.mark.nemorun

EXAMPLE_RECIPES = Path(__file__).resolve().parents[3] / "notebooks" / "recipes"


class Project:
    """A copy of the example recipes and a way to run ``runspec --env-file <its env.toml> ...``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> Result:
        argv = ["--env-file", str(self.root / "env.toml"), *(str(a) for a in args)]
        return self.runner.invoke(app, argv, prog_name="runspec", catch_exceptions=False)

    def recipe(self, name: str) -> Path:
        return self.root / name / f"{name}.py"

    def job_name(self, result: Result) -> str:
        found = re.search(r"job\s+(\d{8}-\d{6}-[\w-]+)", result.stdout)
        assert found, result.stdout
        return found.group(1)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("cli-e2e") / "recipes"
    shutil.copytree(EXAMPLE_RECIPES, root, ignore=shutil.ignore_patterns(".nemotron", "__pycache__"))
    project = Project(root)
    yield project
    for record in (root / ".nemotron" / "jobs").glob("*/job.json"):  # never leave a job running
        handle = JobHandle.from_job_dir(record.parent)
        if not handle.status().done:
            handle.cancel()


@pytest.fixture(scope="module")
def chain(project: Project) -> tuple[Result, Result]:
    prep = project("run", project.recipe("prep"), "-c", "tiny")
    train = project("run", project.recipe("train"), "-c", "tiny")
    return prep, train


def test_prep_then_train_run_here_streaming_their_logs(chain: tuple[Result, Result]) -> None:
    prep, train = chain
    assert prep.exit_code == 0, prep.output
    assert "Submitted tiny/prep" in prep.stdout
    assert "prep: published tiny-data:v1" in prep.stdout
    assert "tiny/prep: succeeded" in prep.stdout
    assert re.search(r"published\s+tiny-data:v1", prep.stdout)
    assert train.exit_code == 0, train.output
    assert "train: epoch 20/20" in train.stdout
    assert re.search(r"published\s+tiny-model:v1", train.stdout)
    assert "\x1b[" not in prep.output + train.output


def test_jobs_lists_both_as_succeeded(project: Project, chain: tuple[Result, Result]) -> None:
    result = project("jobs")
    assert result.exit_code == 0
    rows = [line for line in result.stdout.splitlines() if "SUCCEEDED" in line]
    assert [row.split()[1] for row in rows][:2] == ["tiny/train", "tiny/prep"]


def test_logs_by_recipe_name_and_by_prefix(project: Project, chain: tuple[Result, Result]) -> None:
    by_name = project("logs", "tiny/train")
    assert by_name.exit_code == 0
    assert "train: epoch 20/20" in by_name.stdout
    job = project.job_name(chain[1])
    by_prefix = project("logs", job[: len(job) - 3], "--tail", "1")
    assert by_prefix.stdout.strip().startswith("train: published tiny-model:v1")
    assert project("logs", job, "--follow").exit_code == 0


def test_artifacts_and_versions(project: Project, chain: tuple[Result, Result]) -> None:
    table = project("artifacts")
    assert table.exit_code == 0
    assert re.search(r"tiny-data\s+1\s+1\s+dataset", table.stdout)
    assert re.search(r"tiny-model\s+1\s+1\s+model", table.stdout)
    versions = project("artifacts", "tiny-model")
    assert versions.exit_code == 0
    assert versions.stdout.startswith("tiny-model")


def test_a_failing_job_exits_1(project: Project, chain: tuple[Result, Result]) -> None:
    result = project("run", project.recipe("train"), "-c", "tiny", "model.epochs=oops")
    assert result.exit_code == 1, result.output
    assert "ValueError" in result.stdout
    assert "tiny/train: failed" in result.stdout
    assert re.search(r"status\s+FAILED", result.stdout)


def test_batch_returns_at_once_and_logs_follow_it(project: Project, chain: tuple[Result, Result]) -> None:
    result = project("run", project.recipe("prep"), "-c", "tiny", "-b", "local")
    assert result.exit_code == 0, result.output
    assert "Submitted tiny/prep" in result.stdout
    assert "succeeded" not in result.stdout  # it did not wait
    followed = project("logs", project.job_name(result), "--follow")
    assert followed.exit_code == 0
    assert "prep: published tiny-data:v2" in followed.stdout
    assert "SUCCEEDED" in followed.stderr


def test_cancel_a_detached_job(project: Project, chain: tuple[Result, Result]) -> None:
    slow = ("-c", "tiny", "model.epochs=600", "model.sleep_per_epoch=0.1")
    result = project("run", project.recipe("train"), *slow, "-b", "local")
    assert result.exit_code == 0, result.output
    job = project.job_name(result)
    time.sleep(1.0)
    cancelled = project("cancel", job)
    assert cancelled.exit_code == 0
    assert cancelled.stdout.startswith(f"{job}: CANCELLED")
    assert project("logs", job, "--follow").exit_code == 1


def test_stage_writes_the_job_dir_without_submitting(project: Project, chain: tuple[Result, Result]) -> None:
    result = project("run", project.recipe("train"), "-c", "tiny", "-b", "local", "--stage")
    assert result.exit_code == 0, result.output
    assert "Staged tiny/train (not submitted)" in result.stdout
    staged = [p for p in (project.root / ".nemotron" / "jobs").iterdir() if not (p / "job.json").exists()]
    assert len(staged) == 1
    assert sorted(p.name for p in staged[0].iterdir()) == ["job.yaml", "train.yaml"]


def test_on_a_terminal_it_shows_colour_and_a_spinner(project: Project, chain: tuple[Result, Result]) -> None:
    import io

    from rich.console import Console

    from nemo_runspec_nb.cli import ExitCode, RecipeConfig, run_recipe
    from nemo_runspec_nb.config import GlobalContext

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    cfg = RecipeConfig.from_context(
        project.recipe("prep"), GlobalContext(config="tiny"), env_file=project.root / "env.toml"
    )
    assert run_recipe(cfg, console=console) == ExitCode.OK
    text = out.getvalue()
    assert "\x1b[" in text
    assert "prep: published tiny-data:" in text


def test_from_a_fresh_shell(project: Project, chain: tuple[Result, Result]) -> None:
    """The installed console script, in a new bash with a bare environment, from the recipes folder."""
    import os
    import subprocess
    import sys

    bin_dir = Path(sys.executable).parent
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}", "HOME": str(project.root)}
    proc = subprocess.run(
        ["bash", "-c", "set -o pipefail; runspec run train/train.py -c tiny model.epochs=5 | cat"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "train: epoch 5/5" in proc.stdout
    assert re.search(r"status\s+SUCCEEDED", proc.stdout)
    assert "\x1b[" not in proc.stdout
