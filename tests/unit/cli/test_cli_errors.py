"""Bad input exits with 2 and one line on stderr that names the file/key and the fix; no traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Cli = Callable[..., Result]

CASES = {
    "unknown profile": (
        ["run", "train/train.py", "-r", "prdo"],
        "profile 'prdo' not found",
        "Available: local, local-slurm, local-slurm-long",
    ),
    "bad override key": (
        ["run", "train/train.py", "modell.lr=0.1"],
        "key 'modell' is not in the config",
        "Did you mean 'model'?",
    ),
    "missing recipe": (
        ["run", "nowhere/train.py"],
        "recipe script not found: nowhere/train.py",
        "Give the path of a recipe .py file",
    ),
    "malformed override": (["run", "train/train.py", "=0.1"], "malformed override '=0.1'", "expected a key"),
    "override without value": (
        ["run", "train/train.py", "model.lr"],
        "'model.lr' names a config key but has no value",
        "Write model.lr=VALUE",
    ),
    "--run with --batch": (
        ["run", "train/train.py", "-r", "local", "-b", "local-slurm"],
        "--run local and --batch local-slurm cannot both be given",
        "--batch",
    ),
    "--run before, --batch after the subcommand": (
        ["-r", "local", "run", "train/train.py", "-b", "local-slurm"],
        "cannot both be given",
        "--batch",
    ),
    "--stage without profile": (
        ["run", "train/train.py", "--stage"],
        "--stage needs a profile",
        "--run PROFILE",
    ),
    "--stage before the subcommand": (
        ["--stage", "run", "train/train.py"],
        "--stage needs a profile",
        "--batch",
    ),
    "unknown config": (
        ["run", "train/train.py", "-c", "tinny"],
        "config 'tinny' not found",
        "Did you mean 'tiny'?",
    ),
    "unknown flag before the path": (["run", "--bogus"], "no such option: --bogus", "recipe path first"),
    "unknown global flag": (["--bogus", "jobs"], "No such option: --bogus", "Try 'runspec --help'"),
    "missing argument": (["run"], "Missing argument 'PATH'", "Try 'runspec run --help'"),
    "option without value": (["run", "train/train.py", "-c"], "Option '-c' requires an argument", "--help"),
    "missing env file": (
        ["--env-file", "nope.toml", "profiles"],
        "env file nope.toml does not exist",
        "env.toml",
    ),
    "unknown job": (["logs", "20990101-000000-none"], "no job '20990101-000000-none'", "runspec jobs"),
    "cancel unknown job": (["cancel", "nope"], "no job 'nope'", "runspec jobs"),
    "unknown artifact": (["artifacts", "tiny-dta"], "Artifact 'tiny-dta' not found", ""),
    "show a missing recipe": (["show", "nope.py"], "recipe script not found: nope.py", ".py file"),
    "list a missing folder": (["list", "nope"], "not a folder: nope", "folder"),
}


@pytest.mark.parametrize(("args", "what", "fix"), list(CASES.values()), ids=list(CASES))
def test_bad_input_is_one_line_and_exit_2(
    runspec: Cli, recipes: Path, args: list[str], what: str, fix: str
) -> None:
    result = runspec(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert what in lines[0]
    assert fix in lines[0]
    assert "Traceback" not in result.output
    assert "\x1b[" not in result.output


def test_no_job_is_launched_by_bad_input(runspec: Cli, recipes: Path) -> None:
    runspec("run", "train/train.py", "modell.lr=0.1")
    assert not (recipes / ".nemotron" / "jobs").exists() or not any(
        (recipes / ".nemotron" / "jobs").iterdir()
    )


def test_ambiguous_job_prefix_lists_the_candidates(runspec: Cli, recipes: Path) -> None:
    jobs = recipes / ".nemotron" / "jobs"
    for name in ("20260101-000000-a", "20260101-000001-b"):
        (jobs / name).mkdir(parents=True)
        (jobs / name / "job.json").write_text('{"name": "x"}')
    result = runspec("logs", "20260101")
    assert result.exit_code == 2
    assert "'20260101' matches 2 jobs: 20260101-000000-a, 20260101-000001-b" in result.stderr


def test_no_arguments_shows_help(runspec: Cli, recipes: Path) -> None:
    result = runspec()
    assert "Usage: runspec [OPTIONS] COMMAND [ARGS]..." in result.output
    assert "error:" not in result.output
