"""Code written against the seed keeps working: its errors were ValueErrors, its env getters
took ``config_path=``."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from nemo_runspec_nb import config, errors
from nemo_runspec_nb.artifacts import parse_art_url
from nemo_runspec_nb.launch import NemoRun, build_executor


def test_every_error_below_the_root_is_a_value_error():
    classes = [v for v in vars(errors).values() if inspect.isclass(v) and issubclass(v, errors.RunspecError)]
    assert len(classes) >= 15
    not_value = [
        c.__name__ for c in classes if c is not errors.RunspecError and not issubclass(c, ValueError)
    ]
    assert not_value == []
    assert issubclass(errors.ConfigNotFoundError, FileNotFoundError)


def test_except_value_error_catches_a_config_cycle(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("defaults:\n  - b\nx: 1\n")
    (tmp_path / "b.yaml").write_text("defaults:\n  - a\ny: 2\n")
    with pytest.raises(ValueError, match="cycle"):
        config.load_config(tmp_path / "a.yaml")


def test_except_value_error_catches_an_unknown_executor():
    with pytest.raises(ValueError, match="kubernetes"):
        build_executor({"executor": "kubernetes"}, nemorun=NemoRun())


def test_except_value_error_catches_a_bad_art_url():
    with pytest.raises(ValueError):
        parse_art_url("art://")


ENV = """\
[wandb]
project = "p"

[cli]
theme = "dark"

[cache]
git_dir = "/tmp/git-cache"

[artifacts]
root = "/tmp/artifacts"

[base]
executor = "local"

[child]
extends = "base"
nodes = 2
"""


@pytest.fixture
def env(tmp_path: Path) -> Path:
    path = tmp_path / "env.toml"
    path.write_text(ENV)
    return path


@pytest.mark.parametrize(
    "getter",
    [
        config.get_wandb_config,
        config.get_cli_config,
        config.get_cache_config,
        config.get_artifacts_config,
        config.get_git_cache_dir,
        config.list_profiles,
        config.load_env_file,
    ],
)
def test_env_getters_take_the_seeds_config_path_keyword(env: Path, getter):
    assert getter(config_path=env) == getter(env)
    assert getter(config_path=env)  # really read: every section is there
    with pytest.raises(TypeError, match="not both"):
        getter(env, config_path=env)


def test_load_env_profile_takes_config_path(env: Path):
    assert config.load_env_profile("child", config_path=env) == {"executor": "local", "nodes": 2}
    with pytest.raises(TypeError, match="not both"):
        config.load_env_profile("child", env, config_path=env)
