"""env.toml: finding it, profiles with extends chains, special sections, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_runspec_nb.config import (
    find_env_file,
    get_artifacts_config,
    get_cache_config,
    get_cli_config,
    get_git_cache_dir,
    get_wandb_config,
    list_profiles,
    load_env_file,
    load_env_profile,
    profile_layers,
)
from nemo_runspec_nb.errors import ConfigNotFoundError, ProfileError

ENV = """
[base]
executor = "slurm"
account = "acct"
mounts = ["/data:/data"]
[base.env_vars]
A = "1"

[cluster]
extends = "base"
partition = "batch"
[cluster.env_vars]
B = "2"

[dev]
extends = "cluster"
partition = "dev"
nodes = 2

[prod]
extends = "base"
partition = "prod"

[wandb]
entity = "team"
project = "proj"

[cli]
theme = "dark"

[cache]
git_dir = "~/git-cache"

[artifacts]
backend = "file"
[artifacts.manifest]
root = "/lustre/artifacts"
"""


@pytest.fixture
def env(write):
    return write("env.toml", ENV)


# --------------------------------------------------------------------------- finding


def test_found_in_the_working_dir(env):
    assert find_env_file() == env.resolve() or find_env_file() == env


def test_found_walking_up_from_a_subdir(env, project):
    sub = project / "recipes" / "deep"
    sub.mkdir(parents=True)
    assert find_env_file(sub) == env


def test_the_walk_stops_at_the_project_root(tmp_path, project):
    (tmp_path / "env.toml").write_text("[outside]\n")  # above the project root
    assert find_env_file(project) is None


def test_the_project_root_itself_is_checked(env, project):
    sub = project / "a"
    sub.mkdir()
    assert find_env_file(sub) == env


def test_env_var_wins(env, tmp_path, monkeypatch):
    other = tmp_path / "other.toml"
    other.write_text("[x]\n")
    monkeypatch.setenv("NEMOTRON_ENV_FILE", str(other))
    assert find_env_file() == other
    assert list_profiles() == ["x"]


def test_env_var_pointing_nowhere_is_config_not_found(tmp_path, monkeypatch):
    missing = tmp_path / "missing.toml"
    monkeypatch.setenv("NEMOTRON_ENV_FILE", str(missing))
    with pytest.raises(ConfigNotFoundError) as info:
        load_env_file()
    assert info.value.path == missing
    assert "NEMOTRON_ENV_FILE" in str(info.value)


def test_no_file_means_empty(project):
    assert find_env_file() is None
    assert load_env_file() == {}
    assert list_profiles() == []
    assert get_wandb_config() == {}
    assert get_git_cache_dir() is None


# --------------------------------------------------------------------------- profiles


def test_list_profiles_excludes_special_sections(env):
    assert list_profiles() == ["base", "cluster", "dev", "prod"]
    assert list_profiles(env) == ["base", "cluster", "dev", "prod"]


def test_extends_chain_merges_child_over_parent(env):
    profile = load_env_profile("dev")
    assert profile == {
        "executor": "slurm",
        "account": "acct",
        "mounts": ["/data:/data"],
        "env_vars": {"A": "1", "B": "2"},
        "partition": "dev",
        "nodes": 2,
    }
    assert "extends" not in profile


def test_profile_layers_are_root_first(env):
    layers = profile_layers("dev", env)
    assert [layer.name for layer in layers] == ["base", "cluster", "dev"]
    assert layers[1].values == {"partition": "batch", "env_vars": {"B": "2"}}


def test_a_profile_without_extends(env):
    assert load_env_profile("base", env)["executor"] == "slurm"


def test_loading_does_not_alias_the_file_data(env):
    first = load_env_profile("dev", env)
    first["env_vars"]["A"] = "changed"
    assert load_env_profile("dev", env)["env_vars"]["A"] == "1"


def test_unknown_profile_says_did_you_mean_and_lists_profiles(env):
    with pytest.raises(ProfileError) as info:
        load_env_profile("prdo")
    error = info.value
    assert isinstance(error, ValueError)
    assert error.key == "prdo"
    assert error.path == env
    message = str(error)
    assert "profile 'prdo' not found" in message
    assert "Did you mean 'prod'?" in message
    assert "Available: base, cluster, dev, prod" in message


def test_a_special_section_is_not_a_profile(env):
    with pytest.raises(ProfileError, match="'wandb' is a special section") as info:
        load_env_profile("wandb")
    assert "Available: base" in str(info.value)


def test_profile_without_any_env_file(project):
    with pytest.raises(ProfileError, match=r"no env\.toml was found") as info:
        load_env_profile("dev")
    assert "NEMOTRON_ENV_FILE" in str(info.value)


def test_unknown_parent_names_the_profile_line_and_suggestion(write):
    path = write("env.toml", '[base]\nx = 1\n\n[dev]\ny = 2\nextends = "bsae"\n')
    with pytest.raises(ProfileError) as info:
        load_env_profile("dev")
    error = info.value
    assert error.line == 6
    assert error.key == "dev.extends"
    assert f"{path}:6" in str(error)
    assert "extends unknown profile 'bsae'" in str(error)
    assert "Did you mean 'base'?" in str(error)


def test_extends_cycle_is_reported_with_the_chain(write):
    write("env.toml", '[a]\nextends = "b"\n[b]\nextends = "c"\n[c]\nextends = "a"\n')
    with pytest.raises(ProfileError, match=r"profile inheritance cycle: a -> b -> c -> a") as info:
        load_env_profile("a")
    assert info.value.line == 6  # the extends that closes the loop


def test_self_extension_is_a_cycle(write):
    write("env.toml", '[a]\nextends = "a"\n')
    with pytest.raises(ProfileError, match="cycle: a -> a"):
        load_env_profile("a")


def test_extends_must_be_a_string(write):
    write("env.toml", '[a]\nextends = ["b"]\n[b]\n')
    with pytest.raises(ProfileError, match="'extends' must be a profile name") as info:
        load_env_profile("a")
    assert info.value.line == 2


def test_deep_chains(write):
    lines = ["[p0]\nlevel = 0\np0 = true\n"]
    lines += [f'[p{i}]\nextends = "p{i - 1}"\nlevel = {i}\np{i} = true\n' for i in range(1, 12)]
    write("env.toml", "\n".join(lines))
    profile = load_env_profile("p11")
    assert profile["level"] == 11
    assert all(profile[f"p{i}"] for i in range(12))


def test_toml_syntax_error_names_file_and_line(write):
    path = write("env.toml", '[dev]\npartition = "dev"\nnodes = = 2\n')
    with pytest.raises(ProfileError) as info:
        list_profiles()
    assert info.value.path == path
    assert info.value.line == 3
    assert f"{path}:3: invalid TOML" in str(info.value)
    assert "(at line" not in str(info.value)


# --------------------------------------------------------------------------- special sections


def test_special_section_getters(env):
    assert get_wandb_config() == {"entity": "team", "project": "proj"}
    assert get_cli_config(env) == {"theme": "dark"}
    assert get_cache_config() == {"git_dir": "~/git-cache"}
    assert get_artifacts_config() == {"backend": "file", "manifest": {"root": "/lustre/artifacts"}}


def test_git_cache_dir_is_expanded_and_not_created(env):
    path = get_git_cache_dir(env)
    assert path == Path("~/git-cache").expanduser()
    assert not path.exists() or path.is_dir()


def test_absent_sections_are_empty(write):
    env = write("env.toml", "[dev]\nx = 1\n")
    assert get_artifacts_config(env) == {}
    assert get_cache_config(env) == {}
    assert get_git_cache_dir(env) is None


def test_a_special_section_that_is_not_a_table(write):
    write("env.toml", 'wandb = "team"\n')
    with pytest.raises(ProfileError, match=r"\[wandb\] must be a table") as info:
        get_wandb_config()
    assert info.value.key == "wandb"


def test_an_env_file_that_is_a_directory(project):
    (project / "env.toml").mkdir()
    with pytest.raises(ProfileError, match="cannot read env file"):
        load_env_file(project / "env.toml")
