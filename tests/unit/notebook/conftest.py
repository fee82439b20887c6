"""Fixtures for the notebook layer: a copy of the example recipes and a real IPython shell."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

RECIPES = Path(__file__).resolve().parents[3] / "notebooks" / "recipes"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of notebooks/recipes (prep, train, eval, env.toml) as the working dir."""
    root = tmp_path / "project"
    shutil.copytree(RECIPES, root, ignore=shutil.ignore_patterns(".nemotron", "__pycache__"))
    monkeypatch.chdir(root)
    monkeypatch.delenv("NEMOTRON_ENV_FILE", raising=False)
    return root


@pytest.fixture
def shell(project: Path) -> Iterator[object]:
    """A fresh InteractiveShell with ``%load_ext nemo_runspec_nb`` done, cwd = the project."""
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nemo_runspec_nb")
    yield ip
    InteractiveShell.clear_instance()
