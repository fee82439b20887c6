import pytest

from nemo_runspec_nb.errors import ProfileError
from nemo_runspec_nb.launch import build_env_vars, startup_commands


def test_wandb_section_becomes_project_and_entity():
    env = build_env_vars({}, {"project": "nemotron", "entity": "team"}, base_env={})
    assert env == {"WANDB_PROJECT": "nemotron", "WANDB_ENTITY": "team"}


def test_wandb_mode_and_base_url_are_passed_when_present():
    env = build_env_vars({}, {"project": "p", "mode": "offline", "base_url": "http://wb"}, base_env={})
    assert env == {"WANDB_PROJECT": "p", "WANDB_MODE": "offline", "WANDB_BASE_URL": "http://wb"}


def test_empty_wandb_values_are_skipped():
    assert build_env_vars(None, {"project": "", "entity": None}, base_env={}) == {}


def test_tokens_pass_through_from_the_launching_environment_when_set():
    base = {"WANDB_API_KEY": "k", "HF_TOKEN": "t", "HOME": "/root", "NGC_API_KEY": ""}
    env = build_env_vars({}, None, base_env=base)
    assert env == {"WANDB_API_KEY": "k", "HF_TOKEN": "t"}


def test_tokens_default_to_os_environ(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "from-os")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    assert build_env_vars({}, None)["HF_TOKEN"] == "from-os"


def test_profile_env_vars_are_stringified_and_win_over_wandb_and_ambient():
    profile = {
        "env_vars": {"WANDB_PROJECT": "override", "OMP_NUM_THREADS": 4, "DEBUG": True, "HF_TOKEN": "p"}
    }
    env = build_env_vars(profile, {"project": "nemotron"}, base_env={"HF_TOKEN": "ambient"})
    assert env == {"WANDB_PROJECT": "override", "OMP_NUM_THREADS": "4", "DEBUG": "true", "HF_TOKEN": "p"}


def test_custom_passthrough_list():
    env = build_env_vars({}, None, base_env={"MY_TOKEN": "x", "HF_TOKEN": "y"}, passthrough=["MY_TOKEN"])
    assert env == {"MY_TOKEN": "x"}


def test_env_vars_must_be_a_table():
    with pytest.raises(ProfileError, match="env_vars must be a table of NAME = value, not list") as info:
        build_env_vars({"env_vars": ["A=1"]}, None, base_env={})
    assert info.value.key == "env_vars"


def test_env_var_values_must_be_scalars():
    with pytest.raises(
        ProfileError, match=r"env_vars\.A must be a string, number or boolean, not dict"
    ) as info:
        build_env_vars({"env_vars": {"A": {"b": 1}}}, None, base_env={})
    assert info.value.key == "env_vars.A"


def test_startup_commands_put_setup_lines_first():
    profile = {"startup_commands": ["echo two", "echo three"], "setup_lines": "module load cuda\n\n"}
    assert startup_commands(profile) == ["module load cuda", "echo two", "echo three"]


def test_startup_commands_accept_multiline_strings_and_nothing():
    assert startup_commands({"startup_commands": "a\n  \nb\n"}) == ["a", "b"]
    assert startup_commands({}) == []
    assert startup_commands(None) == []


def test_startup_commands_refuse_other_types():
    with pytest.raises(ProfileError, match="startup_commands must be a string or a list of strings, not int"):
        startup_commands({"startup_commands": 3})
    with pytest.raises(
        ProfileError, match="setup_lines must be a string or a list of strings, not list"
    ) as info:
        startup_commands({"setup_lines": ["ok", 1]})
    assert info.value.key == "setup_lines"
