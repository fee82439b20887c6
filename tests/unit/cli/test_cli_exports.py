"""The toolkit's public names, and what importing the runspec app costs."""

from __future__ import annotations

import subprocess
import sys

import nemo_runspec_nb.cli as cli


def test_public_names() -> None:
    assert sorted(cli.__all__) == [
        "ExitCode",
        "RecipeCommand",
        "RecipeConfig",
        "RecipeGroup",
        "RecipeMeta",
        "RecipeTyper",
        "app",
        "command_context",
        "global_options",
        "main",
        "make_console",
        "run_recipe",
    ]
    for name in cli.__all__:
        assert getattr(cli, name) is not None


def test_exit_codes() -> None:
    assert [int(c) for c in cli.ExitCode] == [0, 1, 2]


def test_importing_the_app_stays_light() -> None:
    code = (
        "import sys, nemo_runspec_nb.cli; "
        "print(sorted(m for m in ('nemo_run', 'pandas', 'IPython', 'ipywidgets', 'wandb', "
        "'nemo_runspec_nb.notebook') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
