"""Fixtures for the CLI tests: a runner at a fixed width, a private copy of the example recipes."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from nemo_runspec_nb.cli import app

REPO = Path(__file__).resolve().parents[3]
EXAMPLE_RECIPES = REPO / "notebooks" / "recipes"
WIDTH = 100


@pytest.fixture(autouse=True)
def _plain_fixed_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test renders at 100 columns without colour, whatever the outer environment says."""
    for name in ("TERMINAL_WIDTH", "FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE", "NEMOTRON_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    # Typer reads these once at import; pin them so a CI variable (GITHUB_ACTIONS) cannot add colour.
    import typer.rich_utils

    monkeypatch.setattr(typer.rich_utils, "FORCE_TERMINAL", None)
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", None)


@pytest.fixture
def recipes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of notebooks/recipes (env.toml included) as the working directory."""
    root = tmp_path / "recipes"
    shutil.copytree(EXAMPLE_RECIPES, root, ignore=shutil.ignore_patterns(".nemotron", "__pycache__"))
    monkeypatch.chdir(root)
    return root


class Cli:
    """Invoke a Typer app the way a shell would, and keep the result."""

    def __init__(self, app: typer.Typer, prog_name: str) -> None:
        self.app = app
        self.prog_name = prog_name
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> Result:
        argv: Sequence[str] = [str(a) for a in args]
        return self.runner.invoke(self.app, argv, prog_name=self.prog_name, catch_exceptions=False)


@pytest.fixture
def runspec() -> Cli:
    """``runspec ARGS...`` in-process."""
    return Cli(app, "runspec")
