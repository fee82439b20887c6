"""Every kind of bad profile key is a ProfileError naming env.toml, the key's line and the profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_runspec_nb.config import GlobalContext, build_job_config, compose_job_config, load_env_profile
from nemo_runspec_nb.errors import ProfileError

ENV = """\
[base]
executor = "slurm"
{base}

[dev]
extends = "base"
partition = "dev"
{dev}
"""


def env_with(project: Path, *, base: str = "", dev: str = "") -> Path:
    path = project / "env.toml"
    path.write_text(ENV.format(base=base, dev=dev))
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(text))


def assert_located(error: ProfileError, path: Path, line: int, profile: str) -> None:
    assert (error.path, error.line, error.profile) == (path, line, profile)
    message = str(error)
    assert message.startswith(f"{path}:{line}: profile '{profile}'"), message


def test_a_bad_count_names_its_line_and_profile(project: Path) -> None:
    env = env_with(project, dev="nodes = 0")
    with pytest.raises(ProfileError) as info:
        load_env_profile("dev", env)
    assert_located(info.value, env, line_of(env, "nodes"), "dev")
    assert info.value.key == "dev.nodes"


def test_a_bad_count_of_a_parent_names_the_parent(project: Path) -> None:
    env = env_with(project, base='gpus_per_node = "all"')
    with pytest.raises(ProfileError) as info:
        load_env_profile("dev", env)
    assert_located(info.value, env, line_of(env, "gpus_per_node"), "base")


def test_extends_that_is_not_a_name(project: Path) -> None:
    env = project / "env.toml"
    env.write_text('[dev]\npartition = "dev"\nextends = 3\n')
    with pytest.raises(ProfileError, match="'extends' must be a profile name") as info:
        load_env_profile("dev", env)
    assert_located(info.value, env, 3, "dev")


def test_extends_of_an_unknown_profile(project: Path) -> None:
    env = env_with(project).read_text().replace('extends = "base"', 'extends = "bsae"')
    path = project / "env.toml"
    path.write_text(env)
    with pytest.raises(ProfileError, match="extends unknown profile 'bsae'") as info:
        load_env_profile("dev", path)
    assert_located(info.value, path, line_of(path, "extends"), "dev")


def test_an_extends_cycle_names_the_extends_that_closes_it(project: Path) -> None:
    env = env_with(project, base='extends = "dev"')
    with pytest.raises(ProfileError, match="cycle: dev -> base -> dev") as info:
        load_env_profile("dev", env)
    assert_located(info.value, env, 3, "base")


def test_a_value_that_cannot_be_resolved_names_the_profile_that_set_it(project: Path) -> None:
    env = env_with(project, base='account = "${nope.missing}"')
    with pytest.raises(ProfileError, match="cannot resolve 'account'") as info:
        build_job_config({}, GlobalContext(run="dev"), env_file=env)
    assert_located(info.value, env, line_of(env, "account"), "base")
    assert info.value.key == "base.account"


def test_a_key_in_a_sub_table_is_found_at_its_line(project: Path) -> None:
    env = env_with(project, dev='[dev.env_vars]\nA = "1"\nB = "${nope.missing}"')
    with pytest.raises(ProfileError, match=r"cannot resolve 'env_vars\.B'") as info:
        compose_job_config(config=_config(project), profile="dev", env_file=env, mode="batch")
    assert_located(info.value, env, line_of(env, "B ="), "dev")


def test_a_key_in_an_inline_table_is_found_at_the_line_of_the_table(project: Path) -> None:
    env = env_with(project, dev='env_vars = { A = "${nope.missing}" }')
    assert load_env_profile("dev", env)["env_vars"] == {"A": "${nope.missing}"}  # not resolved yet
    with pytest.raises(ProfileError, match=r"cannot resolve 'env_vars\.A'") as info:
        build_job_config({}, GlobalContext(run="dev"), env_file=env)
    assert_located(info.value, env, line_of(env, "env_vars"), "dev")


def _config(project: Path) -> Path:
    path = project / "config" / "tiny.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("train: {lr: 0.1}\n")
    return path
