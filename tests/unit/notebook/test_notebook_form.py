"""RecipeForm driven by trait assignment and button.click()."""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets as widgets
import pytest

from nemo_runspec_nb import Recipe, Session
from nemo_runspec_nb.notebook import RecipeForm
from nemo_runspec_nb.notebook._form import LOCAL

BIG_RECIPE = """\
# /// script
# [tool.runspec]
# schema = "1"
# name = "big"
# [tool.runspec.run]
# launch = "direct"
# [tool.runspec.resources]
# nodes = 1
# gpus_per_node = 0
# ///
print("big")
"""


def model_count() -> int:
    return len(widgets.widget._instances)


@pytest.fixture
def train(project: Path) -> Recipe:
    return Recipe(project / "train" / "train.py", session=Session(project / "env.toml"))


@pytest.fixture
def prep(project: Path) -> Recipe:
    return Recipe(project / "prep" / "prep.py", session=Session(project / "env.toml"))


def big_recipe(root: Path, sections: int = 20, keys: int = 100) -> Recipe:
    (root / "big" / "config").mkdir(parents=True)
    (root / "big" / "big.py").write_text(BIG_RECIPE)
    lines = []
    for s in range(sections):
        lines.append(f"section_{s}:")
        for k in range(keys):
            value = [k, "true", f"text{k}", k / 10][k % 4]
            lines.append(f"  key_{k}: {value}")
    (root / "big" / "config" / "default.yaml").write_text("\n".join(lines) + "\n")
    return Recipe(root / "big" / "big.py", session=Session(root / "env.toml"))


def test_starts_on_the_default_config_on_this_machine(train: Recipe) -> None:
    form = RecipeForm(train)
    assert form.config.options == ("default", "tiny") and form.config.value == "default"
    assert form.profile.options == (LOCAL, "local", "local-slurm", "local-slurm-long")
    assert form.selected_profile is None and form.selected_mode == "local" and form.mode.disabled
    assert (form.nodes.value, form.gpus.value) == (1, 0)
    assert form.error == "" and "valid: 10 keys" in form.message.value
    assert [c.description for c in form.editor.sections.children] == [
        "\u25b8 run (1)",
        "\u25b8 data (4)",
        "\u25b8 model (3)",
        "\u25b8 output (2)",
    ]
    for css in ("nrs-recipe-form", "nrs-config-dropdown", "nrs-profile-dropdown", "nrs-mode-toggle"):
        assert any(css in w._dom_classes for w in [form, form.config, form.profile, form.mode])


def test_sections_create_their_inputs_when_opened(train: Recipe) -> None:
    form = RecipeForm(train)
    assert form.editor.inputs == {}
    header = form.editor.sections.children[2]
    header.click()
    assert set(form.editor.inputs) == {"model.lr", "model.epochs", "model.sleep_per_epoch"}
    assert isinstance(form.editor.inputs["model.lr"], widgets.FloatText)
    assert isinstance(form.editor.inputs["model.epochs"], widgets.IntText)
    assert "output.dir" not in form.editor.inputs  # other sections stay unbuilt
    assert header.description == "\u25be model (3)" and len(form.editor.sections.children) == 5
    header.click()
    assert len(form.editor.sections.children) == 4


def test_editing_a_leaf_becomes_an_override_and_recomposes(train: Recipe) -> None:
    form = RecipeForm(train, config="tiny")
    form.editor.toggle_section("model")
    form.editor.inputs["model.lr"].value = 0.5
    assert form.dotlist() == ["model.lr=0.5"]
    assert form.job.job_config.model.lr == 0.5
    form.editor.inputs["model.lr"].value = 0.05  # back to the config's value: no override
    assert form.dotlist() == []


def test_search_finds_keys_and_shares_inputs(train: Recipe) -> None:
    form = RecipeForm(train)
    form.editor.search.value = "epoch"
    keys = [w.description for w in form.editor.results.children[1:]]
    assert keys == ["model.epochs", "model.sleep_per_epoch"]
    assert "2 key(s) match" in form.editor.results.children[0].value
    form.editor.toggle_section("model")
    assert form.editor.inputs["model.epochs"] in form.editor.opened["model"].children


def test_free_text_overrides_are_validated_live(train: Recipe) -> None:
    form = RecipeForm(train, config="tiny")
    form.overrides_text.value = "model.epochz=3"
    assert "Did you mean 'model.epochs'?" in form.error
    assert "nrs-error" in form.message.value and form.launch_button.disabled
    form.overrides_text.value = "model:\n  epochs: 3"
    assert form.error == "" and not form.launch_button.disabled
    assert form.text_overrides() == ["model.epochs=3"]


def test_profile_prefills_resources_and_enables_run_or_batch(train: Recipe) -> None:
    form = RecipeForm(train)
    form.profile.value = "local-slurm"
    assert not form.mode.disabled and form.selected_mode == "batch"
    assert form.job.execution["partition"] == "debug"
    form.nodes.value = 2
    assert form.dotlist() == ["run.env.nodes=2"]
    assert form.job.execution["nodes"] == 2


def test_equivalent_cell_and_command(train: Recipe) -> None:
    form = RecipeForm(train)
    form.config.value = "tiny"
    form.profile.value = "local-slurm"
    form.mode.value = "run"
    form.set_override("model.lr", 0.1)
    form.set_override("output.artifact", "my model")
    form.overrides_text.value = "+model.note=x  # a note"
    cell, cli = form.code()
    assert cell == (
        "%%recipe train/train.py -c tiny -r local-slurm\n"
        "model.lr=0.1\n"
        'output.artifact="my model"\n'
        "+model.note=x"
    )
    assert cli == (
        "runspec run train/train.py -c tiny -r local-slurm model.lr=0.1 "
        "'output.artifact=\"my model\"' +model.note=x"
    )
    form.code_button.click()


def test_equivalent_code_without_overrides_is_a_line_magic(prep: Recipe) -> None:
    form = RecipeForm(prep)
    assert form.code() == ("%recipe prep/prep.py -c default", "runspec run prep/prep.py -c default")


def test_preview_button_fills_the_preview(train: Recipe) -> None:
    form = RecipeForm(train, config="tiny")
    form.set_override("model.epochs", 4)
    form.preview_button.click()
    assert "epochs: 4" in form.preview.job_yaml


def test_a_2000_key_config_builds_few_widgets(project: Path) -> None:
    recipe = big_recipe(project)
    before = model_count()
    form = RecipeForm(recipe)
    assert len(form.editor.leaves) == 2000
    assert model_count() - before <= 200
    assert len(form.editor.sections.children) == 20
    form.editor.toggle_section("section_3")
    assert len(form.editor.inputs) == form.editor.max_inputs
    form.set_override("section_19.key_99", 42.5)
    assert form.dotlist() == ["section_19.key_99=42.5"] and form.error == ""


def test_many_sections_show_the_first_ones_and_point_to_search(project: Path) -> None:
    form = RecipeForm(big_recipe(project, sections=40, keys=2))
    assert len(form.editor.sections.children) == form.editor.max_sections + 1
    assert "16 more section(s)" in form.editor.sections.children[-1].value
    form.editor.search.value = "section_39.key_1"
    assert [w.description for w in form.editor.results.children[1:]] == ["section_39.key_1"]


@pytest.mark.nemorun
def test_launch_shows_a_monitor_that_reaches_succeeded(prep: Recipe) -> None:
    form = RecipeForm(prep, config="tiny")
    form.set_override("data.rows", 30)
    form.launch_button.click()
    assert form.handle is not None and form.monitor in form.monitor_box.children
    state = form.monitor.wait(timeout=120)
    assert state.status.value == "SUCCEEDED", form.handle.logs()
    assert form.monitor.status == "SUCCEEDED"
    assert prep.session.registry().get("tiny-data").metadata["rows"] == 30


@pytest.mark.nemorun
def test_launch_shows_how_many_files_the_packager_packed(project: Path) -> None:
    import subprocess

    env = project / "env.toml"
    env.write_text(env.read_text() + '\n[local-code]\nexecutor = "local"\npackager = "code"\n')
    (project / ".gitignore").write_text(".nemotron/\n")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "recipes"]):
        subprocess.run([*git, *cmd], cwd=project, check=True)
    prep = Recipe(project / "prep" / "prep.py", session=Session(env))
    form = RecipeForm(prep, config="tiny")
    form.profile.value = "local-code"
    shown: list[str] = []
    form.progress.observe(lambda change: shown.append(change["new"]), "value")
    form.launch_button.click()
    assert form.handle is not None
    packed = [re.search(r"packing files (\d+)/(\d+)", v) for v in shown]
    counts = [(int(m.group(1)), int(m.group(2))) for m in packed if m]
    tracked = subprocess.run(["git", "ls-files"], cwd=project, capture_output=True, text=True).stdout.split()
    done, total = counts[-1]
    assert done == total > len(tracked)  # every tracked file, plus the launcher and the job's config
    assert form.monitor.wait(timeout=120).status.value == "SUCCEEDED", form.handle.logs()
