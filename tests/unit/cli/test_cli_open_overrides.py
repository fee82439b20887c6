"""--overrides strict|open from the command line, over a recipe whose YAML is partial."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nemo_runspec_nb.cli import RecipeTyper

Cli = Callable[..., Result]

SCRIPT = """\
# /// script
# [tool.runspec]
# name = "demo/pretrain"
# [tool.runspec.run]
# launch = "direct"
{extra}# [tool.runspec.resources]
# nodes = 1
# gpus_per_node = 0
# ///
print("pretrain")
"""


def _pretrain(root: Path, mode: str | None = None) -> Path:
    folder = root / "pretrain"
    (folder / "config").mkdir(parents=True)
    extra = f'# [tool.runspec.config]\n# overrides = "{mode}"\n' if mode else ""
    (folder / "pretrain.py").write_text(SCRIPT.format(extra=extra), encoding="utf-8")
    (folder / "config" / "default.yaml").write_text("train:\n  micro_batch_size: 2\n", encoding="utf-8")
    return folder / "pretrain.py"


@pytest.fixture
def pretrain(recipes: Path) -> Path:
    return _pretrain(recipes)


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def test_strict_by_default_rejects_a_code_defined_key_in_one_line(runspec: Cli, pretrain: Path) -> None:
    result = runspec("run", pretrain, "-d", "train.train_iters=5000")
    assert result.exit_code == 2
    line = _one_error_line(result.output)
    assert "key 'train.train_iters' is not in the config" in line
    assert "--overrides open" in line


@pytest.mark.parametrize("where", ["after", "before"])
def test_open_adds_the_documented_keys_and_marks_them(runspec: Cli, pretrain: Path, where: str) -> None:
    tokens = ["train.train_iters=5000", "optimizer.lr=3e-4"]
    args = (
        ["run", pretrain, "--overrides", "open", "-d", *tokens]
        if where == "after"
        else ["--overrides", "open", "run", pretrain, "-d", *tokens]
    )
    result = runspec(*args)
    assert result.exit_code == 0, result.output
    assert (
        "note: new key (not in the YAML), added by an override: train.train_iters, optimizer.lr"
        in result.output
    )
    assert "train_iters: 5000  (override:cli)  new key (not in the YAML)" in result.output
    assert "micro_batch_size: 2  (config:default.yaml)\n" in result.output


def test_open_still_rejects_a_typo_of_an_existing_key(runspec: Cli, pretrain: Path) -> None:
    result = runspec("run", pretrain, "--overrides=open", "-d", "train.micro_batch_sise=4")
    assert result.exit_code == 2
    line = _one_error_line(result.output)
    assert "Did you mean 'train.micro_batch_size'?" in line
    assert "'+train.micro_batch_sise=4'" in line


def test_recipe_may_declare_open_and_the_cli_may_make_it_strict(runspec: Cli, recipes: Path) -> None:
    script = _pretrain(recipes, mode="open")
    assert runspec("run", script, "-d", "checkpoint.load=/ckpt").exit_code == 0
    strict = runspec("run", script, "--overrides", "strict", "-d", "checkpoint.load=/ckpt")
    assert strict.exit_code == 2
    assert "key 'checkpoint' is not in the config" in strict.output


def test_bad_mode_is_one_line_and_exit_2(runspec: Cli, pretrain: Path) -> None:
    result = runspec("run", pretrain, "--overrides", "opne", "-d")
    assert result.exit_code == 2
    assert "Did you mean 'open'?" in _one_error_line(result.output)


def test_a_profile_key_can_be_overridden(runspec: Cli, pretrain: Path) -> None:
    result = runspec("run", pretrain, "-b", "local-slurm", "-d", "run.env.partition=batch")
    assert result.exit_code == 0, result.output
    assert "partition: batch  (override:cli)" in result.output
    assert "#SBATCH --partition=batch" in result.output


def test_recipe_typer_commands_take_overrides(recipes: Path, pretrain: Path) -> None:
    app = RecipeTyper(name="mine")
    app.add_recipe_command(pretrain, name="pretrain")
    runner = CliRunner()
    ok = runner.invoke(
        app, ["pretrain", "--overrides", "open", "-d", "grpo.num_iterations=10"], prog_name="mine"
    )
    assert ok.exit_code == 0, ok.output
    assert "num_iterations: 10  (override:cli)  new key (not in the YAML)" in ok.output
    strict = runner.invoke(app, ["pretrain", "-d", "grpo.num_iterations=10"], prog_name="mine")
    assert strict.exit_code == 2
