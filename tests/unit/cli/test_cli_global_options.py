"""Global options before or after the subcommand, overrides and passthrough, as a RecipeConfig."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from nemo_runspec_nb.cli import RecipeConfig, RecipeTyper


@pytest.fixture
def seen(recipes: Path) -> tuple[typer.Typer, list[RecipeConfig]]:
    """A RecipeTyper app whose train hook records its RecipeConfig and stops before composing."""
    found: list[RecipeConfig] = []
    app = RecipeTyper(name="mine")

    @app.recipe_command(recipes / "train" / "train.py")
    def train(cfg: RecipeConfig) -> None:
        found.append(cfg)
        raise typer.Exit(0)

    return app, found


def _invoke(seen: tuple[typer.Typer, list[RecipeConfig]], *args: str) -> RecipeConfig:
    app, found = seen
    result = CliRunner().invoke(app, list(args), prog_name="mine", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return found[-1]


def test_defaults_run_here(seen: tuple[typer.Typer, list[RecipeConfig]], recipes: Path) -> None:
    cfg = _invoke(seen, "train")
    assert cfg.script == recipes / "train" / "train.py"
    assert (cfg.config, cfg.profile, cfg.mode, cfg.dry_run, cfg.stage, cfg.force_squash) == (
        None,
        None,
        "local",
        False,
        False,
        False,
    )
    assert cfg.dotlist == () and cfg.passthrough == ()


def test_options_before_the_subcommand(seen: tuple[typer.Typer, list[RecipeConfig]]) -> None:
    cfg = _invoke(seen, "-c", "tiny", "-b", "local-slurm", "-d", "--stage", "--force-squash", "train")
    assert (cfg.config, cfg.profile, cfg.mode) == ("tiny", "local-slurm", "batch")
    assert cfg.dry_run and cfg.stage and cfg.force_squash


def test_options_after_the_subcommand_win(seen: tuple[typer.Typer, list[RecipeConfig]]) -> None:
    cfg = _invoke(seen, "-c", "default", "train", "-c", "tiny", "-r", "local", "-d")
    assert (cfg.config, cfg.profile, cfg.mode, cfg.dry_run) == ("tiny", "local", "run", True)


def test_overrides_and_passthrough_are_split(seen: tuple[typer.Typer, list[RecipeConfig]]) -> None:
    cfg = _invoke(seen, "train", "model.lr=0.1", "--verbose", "+extra=1", "~output.dir", "notes.txt")
    assert cfg.dotlist == ("model.lr=0.1", "+extra=1", "~output.dir")
    assert cfg.passthrough == ("--verbose", "notes.txt")
    assert cfg.argv == ("mine", "train", "model.lr=0.1", "--verbose", "+extra=1", "~output.dir", "notes.txt")


def test_env_file_reaches_the_config(seen: tuple[typer.Typer, list[RecipeConfig]], recipes: Path) -> None:
    cfg = _invoke(seen, "--env-file", str(recipes / "env.toml"), "train")
    assert cfg.env_file == recipes / "env.toml"
    assert cfg.session().env_file == recipes / "env.toml"


def test_hook_can_add_overrides(recipes: Path) -> None:
    app = RecipeTyper(name="mine")

    @app.recipe_command(recipes / "train" / "train.py", name="fit")
    def _fit(cfg: RecipeConfig) -> RecipeConfig:
        return cfg.with_overrides("model.epochs=3")

    result = CliRunner().invoke(app, ["fit", "-d", "-c", "tiny"], prog_name="mine")
    assert result.exit_code == 0, result.output
    assert "epochs: 3  (override:cli)" in result.stdout


def test_add_recipe_command_names_the_command_after_the_script(recipes: Path) -> None:
    app = RecipeTyper(name="mine")
    app.add_recipe_command(recipes / "prep" / "prep.py")
    result = CliRunner().invoke(app, ["prep", "-d", "-c", "tiny", "data.rows=50"], prog_name="mine")
    assert result.exit_code == 0, result.output
    assert "rows: 50  (override:cli)" in result.stdout
    assert "Dry run: nothing launched" in result.stdout
