"""docs/examples/my_recipes_cli.py: a user's own recipe CLI built with RecipeTyper, run as documented."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "my_recipes_cli.py"

COMMANDS_PANEL = """\
╭─ Commands ───────────────────────────────────────────────────────────────────────────────────────╮
│ prep   Make the synthetic data set.                                                              │
│ eval   Evaluate the latest model.                                                                │
│ train  Train the model; runs on this machine stop after 5 epochs unless told otherwise.          │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
"""

EXAMPLES_PANEL = """\
╭─ Override examples ──────────────────────────────────────────────────────────────────────────────╮
│ my-recipes train model.lr=0.05 model.epochs=100                                                  │
│ my-recipes train -c tiny                                                                         │
│ my-recipes train run.data=tiny-data:v1                                                           │
│ my-recipes train -r local -d                                                                     │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
"""


def _cli(recipes: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MY_RECIPES", str(recipes))
    return runpy.run_path(str(EXAMPLE))["app"]


def _invoke(recipes: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    return CliRunner().invoke(_cli(recipes, monkeypatch), list(args), prog_name="my-recipes")


def _screen(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return "\n".join(line.rstrip() for line in result.stdout.splitlines()).strip("\n") + "\n"


def test_help_lists_the_recipe_commands(recipes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = _screen(_invoke(recipes, monkeypatch, "--help"))
    assert screen.startswith(" Usage: my-recipes [OPTIONS] COMMAND [ARGS]...\n")
    assert screen.endswith(COMMANDS_PANEL)


def test_train_help_shows_the_bound_recipe(recipes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = _screen(_invoke(recipes, monkeypatch, "train", "--help"))
    assert screen.endswith(EXAMPLES_PANEL)
    assert "│ run.data  tiny-data:latest" in screen


def test_hook_caps_local_epochs_unless_told(recipes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "epochs: 5  (override:cli)" in _screen(_invoke(recipes, monkeypatch, "train", "-d"))
    told = _screen(_invoke(recipes, monkeypatch, "train", "-d", "model.epochs=7"))
    assert "epochs: 7  (override:cli)" in told
    on_profile = _screen(_invoke(recipes, monkeypatch, "-b", "local", "train", "-d", "-c", "tiny"))
    assert "epochs: 20  (config:tiny.yaml)" in on_profile


def test_errors_are_one_line(recipes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _invoke(recipes, monkeypatch, "train", "-r", "prdo")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "Did you mean" in result.stderr or "Available: local" in result.stderr


def test_runs_as_a_script(recipes: Path) -> None:
    env = {**os.environ, "MY_RECIPES": str(recipes), "COLUMNS": "100"}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "train", "-d", "-c", "tiny"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Dry run: nothing launched" in proc.stdout


@pytest.mark.nemorun
def test_prep_and_train_for_real(recipes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prep = _invoke(recipes, monkeypatch, "prep", "-c", "tiny")
    assert prep.exit_code == 0, prep.output
    train = _invoke(recipes, monkeypatch, "train", "-c", "tiny")
    assert train.exit_code == 0, train.output
    assert "train: epoch 5/5" in train.stdout
