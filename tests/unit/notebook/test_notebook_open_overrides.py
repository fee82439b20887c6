"""Open overrides from a %%recipe cell and from RecipeForm, over a recipe whose YAML is partial."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError
from traitlets import TraitError

from nemo_runspec_nb import ComposedJob, Recipe, Session
from nemo_runspec_nb.notebook import RecipeForm

NEW = "new key (not in the YAML)"
SCRIPT = """\
# /// script
# [tool.runspec]
# name = "demo/pretrain"
# [tool.runspec.run]
# launch = "direct"
# [tool.runspec.resources]
# nodes = 1
# gpus_per_node = 0
# ///
print("pretrain")
"""


@pytest.fixture
def pretrain(project: Path) -> Path:
    folder = project / "pretrain"
    (folder / "config").mkdir(parents=True)
    (folder / "pretrain.py").write_text(SCRIPT, encoding="utf-8")
    (folder / "config" / "default.yaml").write_text("train:\n  micro_batch_size: 2\n", encoding="utf-8")
    return folder / "pretrain.py"


# --------------------------------------------------------------------------- %%recipe

CELL = "train.train_iters=5000\noptimizer.lr=3e-4\n"


def test_cell_is_strict_by_default(shell, pretrain: Path) -> None:
    with pytest.raises(UsageError, match=r"key 'train\.train_iters' is not in the config"):
        shell.run_cell_magic("recipe", "pretrain/pretrain.py -d", CELL)


def test_cell_option_opens_overrides_and_the_preview_shows_new_keys(shell, pretrain: Path) -> None:
    job = shell.run_cell_magic("recipe", "pretrain/pretrain.py -d --overrides open", CELL)
    assert isinstance(job, ComposedJob)
    assert job.job_config.train.train_iters == 5000
    assert job.new_keys == ["train.train_iters", "optimizer.lr"]
    notes = job.provenance.set_index("key")["note"]
    assert notes["optimizer.lr"] == NEW and notes["train.micro_batch_size"] == ""
    preview = job.preview()
    assert f"{NEW}, added by an override: train.train_iters, optimizer.lr" in preview.notes
    assert f"# note: {NEW}, added by an override: train.train_iters, optimizer.lr" in str(preview)
    assert NEW in preview._repr_html_()


def test_yaml_cell_in_open_mode(shell, pretrain: Path) -> None:
    job = shell.run_cell_magic(
        "recipe",
        "pretrain/pretrain.py -d --overrides open",
        "train:\n  train_iters: 5\ncheckpoint:\n  load: /c\n",
    )
    assert job.job_config.checkpoint.load == "/c"
    assert job.new_keys == ["train.train_iters", "checkpoint.load"]


def test_config_setting_opens_overrides_and_the_cell_may_close_them(shell, pretrain: Path) -> None:
    shell.run_line_magic("config", 'RunspecMagics.overrides = "open"')
    job = shell.run_cell_magic("recipe", "pretrain/pretrain.py -d", CELL)
    assert job.job_config.optimizer.lr == pytest.approx(3e-4)
    with pytest.raises(UsageError, match="is not in the config"):
        shell.run_cell_magic("recipe", "pretrain/pretrain.py -d --overrides strict", CELL)


def test_typo_in_open_mode_is_one_usage_error_with_did_you_mean(shell, pretrain: Path) -> None:
    with pytest.raises(UsageError, match=r"Did you mean 'train\.micro_batch_size'"):
        shell.run_cell_magic("recipe", "pretrain/pretrain.py -d --overrides open", "train.micro_batch_sise=4")


def test_bad_mode_values_are_refused(shell, pretrain: Path) -> None:
    with pytest.raises(UsageError, match="invalid choice: 'opne'"):
        shell.run_cell_magic("recipe", "pretrain/pretrain.py -d --overrides opne", CELL)
    magics = shell.magics_manager.registry["RunspecMagics"]
    with pytest.raises(TraitError):
        magics.overrides = "loose"


# --------------------------------------------------------------------------- RecipeForm


@pytest.fixture
def recipe(project: Path, pretrain: Path) -> Recipe:
    return Recipe(pretrain, session=Session(project / "env.toml"))


def test_form_is_strict_until_new_keys_are_allowed(recipe: Recipe) -> None:
    form = RecipeForm(recipe)
    assert form.override_mode == "strict" and not form.open_overrides.value
    form.overrides_text.value = "train.train_iters=5000\noptimizer.lr=3e-4"
    assert "is not in the config" in form.error and form.launch_button.disabled
    form.open_overrides.value = True
    assert form.error == "" and not form.launch_button.disabled
    assert form.job is not None and form.job.new_keys == ["train.train_iters", "optimizer.lr"]
    assert f"{NEW}: <code>train.train_iters</code>, <code>optimizer.lr</code>" in form.message.value
    cell, cli = form.code()
    assert cell.splitlines()[0] == "%%recipe pretrain/pretrain.py -c default --overrides open"
    assert "--overrides open train.train_iters=5000 optimizer.lr=3e-4" in cli


def test_form_starts_open_for_an_open_recipe_and_still_catches_typos(project: Path, recipe: Recipe) -> None:
    script = recipe.runspec.script_path
    script.write_text(
        SCRIPT.replace(
            "# [tool.runspec.resources]",
            '# [tool.runspec.config]\n# overrides = "open"\n# [tool.runspec.resources]',
        )
    )
    form = RecipeForm(Recipe(script, session=Session(project / "env.toml")))
    assert form.open_overrides.value
    form.overrides_text.value = "train.micro_batch_sise=4"
    assert "Did you mean 'train.micro_batch_size'" in form.error
    form.overrides_text.value = "checkpoint.load=/ckpt"
    assert form.error == "" and "checkpoint.load" in form.message.value
    assert "--overrides" not in form.code()[1]  # the recipe's own mode needs no flag


def test_form_preview_marks_new_keys(recipe: Recipe) -> None:
    form = RecipeForm(recipe)
    form.open_overrides.value = True
    form.overrides_text.value = "train.train_iters=5000"
    form.preview_button.click()
    assert form.preview is not None
    assert any(NEW in note for note in form.preview.notes)
    assert form.preview.provenance.set_index("key")["note"]["train.train_iters"] == NEW
