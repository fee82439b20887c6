"""Recipe-side typed settings: YAML + the script's arguments + a pydantic model."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel

from nemo_runspec_nb.errors import ConfigError, ConfigNotFoundError, OverrideError
from nemo_runspec_nb.settings import RecipeSettings, load_config, to_dotlist


class Optim(BaseModel):
    lr: float = 3e-4
    betas: list[float] = [0.9, 0.95]


class Train(RecipeSettings):
    steps: int
    name: str = "run"
    wandb: bool = True
    optim: Optim = Optim()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text("steps: 10\noptim:\n  lr: 1.0e-3\n")
    path = tmp_path / "train.yaml"
    path.write_text("defaults:\n  - base\nname: sft\nwandb: true\n")
    return path


@pytest.mark.parametrize(
    ("args", "tokens"),
    [
        (["steps=5"], ["steps=5"]),
        (["--steps", "5"], ["steps=5"]),
        (["--steps=5"], ["steps=5"]),
        (["--max-steps", "5"], ["max_steps=5"]),
        (["--optim.lr", "1e-4"], ["optim.lr=1e-4"]),
        (["--wandb"], ["wandb=true"]),
        (["--no-wandb"], ["wandb=false"]),
        (["--fast", "--lr", "-3"], ["fast=true", "lr=-3"]),
        (["--fast", "optim.lr=2"], ["fast=true", "optim.lr=2"]),
        (["+extra=1", "~name"], ["+extra=1", "~name"]),
    ],
)
def test_argument_forms_become_dotlist_tokens(args, tokens):
    assert to_dotlist(args) == tokens


def test_a_bad_option_name_is_an_override_error_naming_the_argument():
    with pytest.raises(OverrideError, match=r"'--1x' \(argument 2\)"):
        to_dotlist(["steps=1", "--1x", "3"])


def test_yaml_defaults_chain_and_arguments_reach_the_model(config: Path):
    cfg = load_config(config, ["--steps", "20", "--no-wandb", "optim.lr=5e-4"], Train)
    assert isinstance(cfg, Train)
    assert (cfg.steps, cfg.name, cfg.wandb, cfg.optim.lr, cfg.optim.betas) == (
        20,
        "sft",
        False,
        5e-4,
        [0.9, 0.95],
    )


def test_a_model_field_the_yaml_lacks_can_be_set(config: Path):
    assert load_config(config, ["optim.betas=[0.8,0.9]"], Train).optim.betas == [0.8, 0.9]


def test_without_a_model_a_plain_dict_and_unknown_keys_are_errors(config: Path):
    assert load_config(config, ["steps=3"]) == {
        "steps": 3,
        "optim": {"lr": 1e-3},
        "name": "sft",
        "wandb": True,
    }
    with pytest.raises(OverrideError, match="stpes"):
        load_config(config, ["stpes=3"])


def test_a_value_of_the_wrong_type_names_key_file_and_line(config: Path):
    config.write_text(config.read_text() + "optim:\n  lr: fast\n")
    with pytest.raises(ConfigError) as info:
        load_config(config, [], Train)
    message = str(info.value)
    assert "optim.lr" in message and "train.yaml" in message
    assert info.value.line == 6


def test_an_unknown_key_suggests_the_field(config: Path):
    with pytest.raises(OverrideError, match=r"Did you mean 'optim\.lr'"):  # a typo of a YAML key
        load_config(config, ["optim.lrr=1"], Train)
    with pytest.raises(ConfigError, match=r"optim\.beta: not a field of Optim.*'betas'"):
        load_config(config, ["optim.beta=[1]"], Train)


def test_required_env_vars_are_all_named_at_once(config: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NRS_T_DATA", raising=False)
    monkeypatch.delenv("NRS_T_OUT", raising=False)
    config.write_text("defaults:\n  - base\nwandb: true\nname: ${oc.env:NRS_T_DATA}/${oc.env:NRS_T_OUT}\n")
    with pytest.raises(ConfigError) as info:
        load_config(config, [], Train)
    assert "NRS_T_DATA, NRS_T_OUT" in str(info.value)
    assert info.value.key == "name" and info.value.line == 4
    monkeypatch.setenv("NRS_T_DATA", "/data")
    monkeypatch.setenv("NRS_T_OUT", "out")
    assert load_config(config, [], Train).name == "/data/out"


def test_env_var_with_a_default_is_not_required(config: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NRS_T_NAME", raising=False)
    config.write_text("defaults:\n  - base\nname: ${oc.env:NRS_T_NAME,fallback}\n")
    assert load_config(config, [], Train).name == "fallback"


def test_environment_fills_only_what_yaml_and_arguments_leave_unset(config: Path, monkeypatch):
    monkeypatch.setenv("RECIPE_OPTIM__BETAS", "[0.5, 0.6]")
    monkeypatch.setenv("RECIPE_STEPS", "999")
    cfg = load_config(config, [], Train)
    assert cfg.optim.betas == [0.5, 0.6]
    assert cfg.steps == 10


def test_a_missing_file_is_config_not_found(tmp_path: Path):
    with pytest.raises(ConfigNotFoundError):
        load_config(tmp_path / "nope.yaml", [], Train)


def test_a_recipe_script_reads_its_settings_from_argv(tmp_path: Path, config: Path):
    script = tmp_path / "recipe.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from nemo_runspec_nb.settings import RecipeSettings, load_config

            class Train(RecipeSettings):
                steps: int
                name: str = "run"
                wandb: bool = True

            cfg = load_config(sys.argv[1], sys.argv[2:], Train)
            print(cfg.steps, cfg.name, cfg.wandb)
            """
        )
    )
    config.write_text("steps: 1\nname: x\n")
    out = subprocess.run(
        [sys.executable, str(script), str(config), "--steps", "7", "--no-wandb"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["7", "x", "False"]
