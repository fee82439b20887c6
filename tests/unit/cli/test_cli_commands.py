"""runspec show/list/profiles/jobs/artifacts and dry runs: plain text, no job launched."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

Cli = Callable[..., Result]


def _screen(result: Result, recipes: Path) -> str:
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.output
    text = result.stdout.replace(str(recipes), "<recipes>")
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _expected(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _unpadded(text: str) -> str:
    # The tmp path's length moves the right border; compare everything else exactly.
    return "\n".join(re.sub(r" +│$", " │", line) for line in text.splitlines())


def test_show(runspec: Cli, recipes: Path) -> None:
    screen = _screen(runspec("show", "train/train.py"), recipes)
    assert _unpadded(screen) == _unpadded(
        _expected(
            """
        ╭─ tiny/train ─────────────────────────────────────────────────────────────────────────────────────╮
        │ name        tiny/train                                                                           │
        │ script      <recipes>/train/train.py                                                    │
        │ image       python:3.11-slim                                                                     │
        │ launch      direct                                                                               │
        │ resources   1 node(s) x 0 GPU(s)                                                                 │
        │ config dir  <recipes>/train/config                                                      │
        │ configs     default (default), tiny                                                              │
        │ inputs      run.data = tiny-data:latest                                                          │
        │ env         OMP_NUM_THREADS=1                                                                    │
        │ profiles    local             executor local                                                     │
        │             local-slurm       executor slurm; partition debug; nodes 1; time 00:10:00            │
        │             local-slurm-long  executor slurm; partition debug; nodes 1; time 01:00:00 (extends   │
        │                               local-slurm)                                                       │
        │ env.toml    <recipes>/env.toml                                                          │
        ╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
        """
        )
    )


def test_list(runspec: Cli, recipes: Path) -> None:
    assert _screen(runspec("list"), recipes) == _expected(
        """
        name        path            launch  nodes  gpus  configs
        tiny/eval   eval/eval.py    direct  1      0     default
        tiny/prep   prep/prep.py    direct  1      0     default, tiny
        tiny/train  train/train.py  direct  1      0     default, tiny
        """
    )


def test_list_reports_broken_recipes_on_stderr(runspec: Cli, recipes: Path) -> None:
    (recipes / "broken.py").write_text("# /// script\n# [tool.runspec]\n# nodess = 1\n# ///\n")
    result = runspec("list", ".")
    assert result.exit_code == 0
    assert "tiny/train" in result.stdout
    assert result.stderr.startswith("skipped: ")
    assert "broken.py" in result.stderr


def test_profiles(runspec: Cli, recipes: Path) -> None:
    assert _screen(runspec("profiles"), recipes) == _expected(
        """
        <recipes>/env.toml
        profile           settings
        local             executor local
        local-slurm       executor slurm; partition debug; nodes 1; time 00:10:00
        local-slurm-long  executor slurm; partition debug; nodes 1; time 01:00:00 (extends local-slurm)
        """
    )


def test_profiles_without_env_toml(runspec: Cli, recipes: Path) -> None:
    (recipes / "env.toml").unlink()
    assert "No env.toml found" in runspec("profiles").stdout


def test_empty_jobs_and_artifacts(runspec: Cli, recipes: Path) -> None:
    assert _screen(runspec("jobs"), recipes) == "No jobs in <recipes>/.nemotron/jobs.\n"
    assert _screen(runspec("artifacts"), recipes) == "No artifacts in <recipes>/.nemotron/artifacts.\n"


def test_env_file_option_picks_the_project(runspec: Cli, recipes: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runspec("--env-file", recipes / "env.toml", "jobs")
    assert _screen(result, recipes) == "No jobs in <recipes>/.nemotron/jobs.\n"


def test_dry_run_shows_sources_and_masks_secrets(runspec: Cli, recipes: Path) -> None:
    result = runspec(
        "run", "train/train.py", "-d", "-c", "tiny", "model.lr=0.2", "+wandb.api_key=supersecret"
    )
    screen = _screen(result, recipes)
    assert "supersecret" not in result.output
    assert "api_key: ****  (override:cli)" in screen
    assert "lr: 0.2  (override:cli)" in screen
    assert "epochs: 20  (config:tiny.yaml)" in screen
    assert "Dry run: nothing launched" in screen
    assert "python <recipes>/train/train.py --config" in screen
    assert "note: ${art:data,...}: Artifact 'tiny-data' not found" in screen
    assert not (recipes / ".nemotron" / "jobs").exists()


def test_dry_run_on_a_profile_previews_for_that_executor(runspec: Cli, recipes: Path) -> None:
    screen = _screen(runspec("run", "prep/prep.py", "-b", "local", "-d"), recipes)
    assert "mode     batch" in screen
    assert "where    profile local (local)" in screen
    assert "command (run.sh)" in screen


def test_dry_run_shows_the_passthrough_arguments_on_the_command_line(runspec: Cli, recipes: Path) -> None:
    result = runspec("run", "prep/prep.py", "-d", "-c", "tiny", "--flag", "value", "data.rows=5", "two words")
    screen = _screen(result, recipes)
    command = next(line for line in screen.splitlines() if line.startswith("python <recipes>/prep/prep.py"))
    assert command.endswith("/train.yaml --flag value 'two words'")
    assert "rows: 5  (override:cli)" in screen  # key=value is still an override, not an argument
