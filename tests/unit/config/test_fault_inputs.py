"""Bad input to the config pipeline ends as the project's typed error, never a raw exception.

Overrides, YAML config files and env.toml each get malformed, hostile or
merely odd input here; every case must raise a :class:`ConfigError` /
:class:`ProfileError` that says where (key, file, line) and what to do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from nemo_runspec_nb.config import (
    OverrideSet,
    apply_dotlist_overrides,
    apply_mapping_overrides,
    compose_job_config,
    load_config,
    load_env_file,
    load_env_profile,
    parse_override,
)
from nemo_runspec_nb.config._yaml import MAX_ALIAS_NODES, MAX_DEPTH
from nemo_runspec_nb.errors import ConfigError, OverrideError, ProfileError, RunspecError

BASE = {"x": [1, 2], "train": {"lr": 0.1, "steps": 10}}


def apply(token: str) -> object:
    return apply_dotlist_overrides(OmegaConf.create(BASE), [token])


# --------------------------------------------------------------------------- override keys


@pytest.mark.parametrize(
    ("token", "what"),
    [
        ("x.²=1", "'²' is not an index"),
        ("x.--1=1", "'--1' is not an index"),
        ("x.٣=1", "'٣' is not an index"),  # an Arabic-Indic digit: str.isdigit() says yes
        ("x[²]=1", "list index must be an integer, not '²'"),
        ("x[--1]=1", "list index must be an integer, not '--1'"),
        ("x[" + "9" * 5000 + "]=1", "is too large"),  # int() refuses more than 4300 digits
        ("x[99999999999999999999999]=1", "is too large"),
        ("=1", "expected a key"),
        ("x..y=1", "empty key segment"),
        (".x=1", "empty key segment"),
        ("x.=1", "empty key segment"),
        ("x[0=1", "'[' without a closing ']'"),
        ("x]=1", "unexpected ']'"),
        ("x[0]]=1", "unexpected ']'"),
        ("x[]=1", "list index must be an integer, not ''"),
        ("tr\x00ain.lr=1", "unprintable character U+0000 in a key"),
        ("train.\x1b[31mlr=1", "unprintable character U+001B in a key"),
    ],
)
def test_bad_override_key_is_an_override_error(token: str, what: str) -> None:
    with pytest.raises(OverrideError) as info:
        apply(token)
    assert what in str(info.value)
    assert info.value.key is not None
    assert info.value.hint


def test_unprintable_characters_are_not_echoed_raw() -> None:
    with pytest.raises(OverrideError) as info:
        apply("tr\x00ain.lr=1")
    assert "\x00" not in str(info.value)
    assert info.value.key == "tr\x00ain.lr=1"  # the attribute keeps the token as given


def test_a_string_digit_key_still_reaches_a_list_item() -> None:
    assert list(apply("x.1=5").x) == [1, 5]  # type: ignore[attr-defined]
    assert list(apply("x.-1=7").x) == [1, 7]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- override values


@pytest.mark.parametrize(
    ("token", "what"),
    [
        ("x=!!set {a}", "!!set"),
        ("x=!!set {a, b}", "!!set"),
        ("train={a: !!set {b}}", "!!set"),
        ("x={null: 1}", "null key"),
        ("x={~: 1}", "null key"),
        ("x={? : 1}", "null key"),
        ("x=&a [*a]", "recursive alias"),
        ("x=" + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"deeper than {MAX_DEPTH} levels"),
    ],
)
def test_unusable_override_value_is_an_override_error(token: str, what: str) -> None:
    with pytest.raises(OverrideError) as info:
        apply(token)
    assert what in str(info.value)
    assert token.split("=", 1)[0] in str(info.value)


def test_a_flow_mapping_without_values_is_a_mapping_of_nulls() -> None:
    assert OmegaConf.to_container(apply("++y={a, b}")).get("y") == {"a": None, "b": None}  # type: ignore[union-attr]


def _laughs(levels: int) -> str:
    """A "billion laughs" document: each level lists the previous one ten times (10**levels leaves)."""
    names = "abcdefghijklmnopqrstuvwxyz"
    lines = ["a: &a [l,l,l,l,l,l,l,l,l,l]"]
    for level in range(1, levels):
        refs = ",".join([f"*{names[level - 1]}"] * 10)
        lines.append(f"{names[level]}: &{names[level]} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(60)  # a safety net only: unbounded expansion ran for minutes
def test_alias_bomb_in_an_override_value_is_refused() -> None:
    value = "{" + _laughs(9).replace("\n", ", ").rstrip(", ") + "}"
    with pytest.raises(OverrideError, match=f"past {MAX_ALIAS_NODES:,} extra nodes"):
        apply(f"++bomb={value}")


@pytest.mark.timeout(60)
def test_alias_bomb_in_an_override_cell_is_refused() -> None:
    with pytest.raises(OverrideError) as info:
        apply_mapping_overrides(OmegaConf.create(BASE), _laughs(9))
    assert f"past {MAX_ALIAS_NODES:,} extra nodes" in str(info.value)
    assert "fewer nested aliases" in info.value.hint


def test_override_cell_with_a_set_names_the_line() -> None:
    with pytest.raises(OverrideError) as info:
        apply_mapping_overrides(OmegaConf.create(BASE), "train:\n  lr: 0.2\n  steps: !!set {a}\n")
    assert info.value.line == 3
    assert "!!set" in str(info.value)


def test_a_python_mapping_override_with_a_set_is_an_override_error() -> None:
    with pytest.raises(OverrideError, match="made the config invalid") as info:
        apply_mapping_overrides(OmegaConf.create(BASE), {"train": {"lr": {1, 2}}})
    assert info.value.key == "train.lr"


def test_aliases_within_the_limit_still_work() -> None:
    out = apply_mapping_overrides(OmegaConf.create(BASE), "+a: &a [1, 2]\n+b: *a\n")
    assert list(out.b) == [1, 2]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- config files


def test_non_utf8_config_names_file_byte_and_line(write) -> None:
    path: Path = write("config/bad.yaml", "a: 1\n")
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == path
    assert info.value.line == 2
    assert "byte 11 (0xe9)" in str(info.value)
    assert "UTF-8" in info.value.hint


def test_non_utf8_json_config_is_a_config_error(write) -> None:
    path: Path = write("config/bad.json", "{}")
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_utf16_config_is_a_config_error(write) -> None:
    path: Path = write("config/wide.yaml", "")
    path.write_bytes("a: 1\n".encode("utf-16"))
    with pytest.raises(ConfigError, match="byte 0"):
        load_config(path)


def test_bom_prefixed_yaml_loads(write) -> None:
    path: Path = write("config/bom.yaml", "")
    path.write_bytes(b"\xef\xbb\xbfa: 1\nb: [x]\n")
    assert OmegaConf.to_container(load_config(path)) == {"a": 1, "b": ["x"]}


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("a: 1\nb: \x00\n", 2, "#x0000"),
        ("a: 1\n\nb: \x07\n", 3, "#x0007"),
        ("a: 1\nb: !!set {x, y}\n", 2, "!!set"),
        ("a:\n  ~: 1\n", 2, "null key"),
        ("a:\n  null: 1\n", 2, "null key"),
        ("a: 1\nb: &b\n  c: *b\n", 2, "recursive alias"),  # the line of the anchor
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", 1, "nest deeper"),
    ],
)
def test_unusable_yaml_file_names_file_and_line(write, text: str, line: int, what: str) -> None:
    path: Path = write("config/bad.yaml", "")
    path.write_bytes(text.encode())
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == path
    assert info.value.line == line
    assert what in str(info.value)
    assert info.value.hint


def test_nesting_built_from_aliases_counts_as_deep(write) -> None:
    inner = "[" * 30 + "]" * 30
    outer = "[" * 30 + "*a" + "]" * 30
    path: Path = write("config/nest.yaml", f"a: &a {inner}\nb: {outer}\n")
    with pytest.raises(ConfigError, match="nest deeper"):
        load_config(path)


@pytest.mark.timeout(60)  # a safety net only: unbounded expansion ran for minutes
def test_billion_laughs_config_is_refused(write) -> None:
    text = _laughs(9)
    assert len(text.encode()) <= 360  # a few hundred bytes ...
    path: Path = write("config/bomb.yaml", text)
    with pytest.raises(ConfigError) as info:  # ... that would expand to 10**9 nodes
        load_config(path)
    assert info.value.path == path
    assert f"past {MAX_ALIAS_NODES:,} extra nodes" in str(info.value)
    assert "fewer nested aliases" in info.value.hint


def test_alias_expansion_under_the_limit_loads(write) -> None:
    path: Path = write("config/wide.yaml", _laughs(4))  # 10**4 leaves: under the limit
    assert MAX_ALIAS_NODES > 10**4
    assert len(load_config(path).d[0][0][0]) == 10  # type: ignore[index]


@pytest.mark.timeout(60)
def test_billion_laughs_in_a_defaults_base_names_the_base(write) -> None:
    base: Path = write("config/base.yaml", _laughs(9))
    top: Path = write("config/top.yaml", "defaults: [base, _self_]\nx: 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(top)
    assert info.value.path == base


@pytest.mark.timeout(60)
def test_billion_laughs_through_merge_keys_is_refused(write) -> None:
    lines = ["m0: &m0 {a: [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]}"]
    for level in range(1, 9):
        refs = ", ".join(f"k{i}: *m{level - 1}" for i in range(10))
        lines.append(f"m{level}: &m{level} {{{refs}}}")
    lines.append("top: {<<: *m8}")
    path: Path = write("config/merge.yaml", "\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="extra nodes"):
        load_config(path)


# --------------------------------------------------------------------------- env.toml


ENV = """\
[base]
executor = "slurm"
account = "acct"
nodes = 2

[cluster]
extends = "base"
partition = "batch"
{bad}
"""


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        ("nodes = -1", "nodes"),
        ("nodes = 0", "nodes"),
        ("nodes = true", "nodes"),
        ("nodes = 1.5", "nodes"),
        ('nodes = "two"', "nodes"),
        ("gpus_per_node = -8", "gpus_per_node"),
        ('gpus_per_node = "all"', "gpus_per_node"),
        ("nproc_per_node = 0", "nproc_per_node"),
        ("nproc_per_node = -2", "nproc_per_node"),
        ("ntasks_per_node = 0", "ntasks_per_node"),
        ("cpus_per_task = -1", "cpus_per_task"),
    ],
)
def test_bad_count_in_a_profile_names_file_profile_key_and_line(project: Path, bad: str, key: str) -> None:
    env = project / "env.toml"
    env.write_text(ENV.format(bad=bad))
    with pytest.raises(ProfileError) as info:
        load_env_profile("cluster", env)
    error = info.value
    assert error.path == env
    assert error.key == f"cluster.{key}"
    assert error.line == 9
    assert "profile 'cluster'" in str(error)
    assert key in error.hint


def test_bad_count_in_a_parent_profile_names_the_parent(project: Path) -> None:
    env = project / "env.toml"
    env.write_text(ENV.format(bad="").replace("nodes = 2", "nodes = -4"))
    with pytest.raises(ProfileError) as info:
        load_env_profile("cluster", env)
    assert info.value.key == "base.nodes"
    assert info.value.line == 4


def test_good_counts_pass(project: Path) -> None:
    env = project / "env.toml"
    env.write_text(ENV.format(bad='gpus_per_node = "gpu"\nnproc_per_node = "${oc.env:NPROC,4}"'))
    profile = load_env_profile("cluster", env)
    assert profile["nodes"] == 2
    assert profile["gpus_per_node"] == "gpu"
    env.write_text(ENV.format(bad="gpus_per_node = 0\nnodes = 1\nnproc_per_node = 8"))
    assert load_env_profile("cluster", env)["gpus_per_node"] == 0


def test_negative_nodes_fail_the_composition_too(project: Path, write) -> None:
    config: Path = write("config/tiny.yaml", "train: {lr: 0.1}\n")
    env = project / "env.toml"
    env.write_text(ENV.format(bad="nodes = -1"))
    with pytest.raises(ProfileError, match=r"nodes = -1 is not a whole number >= 1"):
        compose_job_config(config=config, profile="cluster", env_file=env, mode="batch")


def test_non_utf8_env_toml_names_byte_and_line(project: Path) -> None:
    env = project / "env.toml"
    env.write_bytes(b'[base]\nexecutor = "local"\nname = "caf\xe9"\n')
    with pytest.raises(ProfileError) as info:
        load_env_file(env)
    assert info.value.path == env
    assert info.value.line == 3
    assert f"byte {env.read_bytes().index(0xE9)} (0xe9)" in str(info.value)
    assert "UTF-8" in info.value.hint


def test_bad_toml_names_the_line(project: Path) -> None:
    env = project / "env.toml"
    env.write_text('[base]\nexecutor = "local"\nnodes = = 2\n')
    with pytest.raises(ProfileError) as info:
        load_env_file(env)
    assert info.value.line == 3
    assert info.value.hint


# --------------------------------------------------------------------------- properties


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(token=st.text(max_size=40))
def test_any_override_string_raises_only_override_errors(token: str) -> None:
    try:
        apply(token)
    except OverrideError as exc:  # the only exception allowed, and it names the token
        assert exc.key is not None


_KEYISH = st.sampled_from(["x", "train", "lr", "x[0]", "[", "]", ".", "=", "+", "~", "0", "-1", "²", "\x00"])
_VALUEISH = st.sampled_from(
    [
        "",
        "1",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "!!set",
        "&a",
        "*a",
        "~",
        "null",
        "<<",
        "?",
        "'",
        '"',
        "\x00",
    ]
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(key=st.lists(_KEYISH, min_size=0, max_size=5), value=st.lists(_VALUEISH, max_size=10))
def test_override_built_from_grammar_pieces_raises_only_override_errors(
    key: list[str], value: list[str]
) -> None:
    token = "".join(key) + "=" + "".join(value)
    for prefix in ("", "+", "++", "~"):
        try:
            parse_override(prefix + token)
            apply(prefix + token)
        except OverrideError as exc:
            assert exc.key is not None


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cell=st.text(max_size=60))
def test_any_override_cell_raises_only_override_errors(cell: str) -> None:
    try:
        compose_job_config(
            config=Path("config/tiny.yaml").absolute(),
            overrides=[OverrideSet("cell", cell)],
            provenance=False,
        )
    except RunspecError as exc:
        assert isinstance(exc, (OverrideError, ConfigError))


@pytest.fixture(autouse=True)
def _tiny_config(project: Path) -> None:
    (project / "config").mkdir(exist_ok=True)
    (project / "config" / "tiny.yaml").write_text("x: [1, 2]\ntrain: {lr: 0.1, steps: 10}\n")


def test_bom_prefixed_env_toml_loads_and_names_lines(project: Path) -> None:
    env = project / "env.toml"
    env.write_bytes(b"\xef\xbb\xbf" + ENV.format(bad="nodes = -1").encode())
    assert load_env_profile("base", env)["nodes"] == 2
    with pytest.raises(ProfileError) as info:
        load_env_profile("cluster", env)
    assert info.value.line == 9


def test_deeply_nested_env_toml_is_a_profile_error(project: Path) -> None:
    env = project / "env.toml"
    env.write_text("[base]\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ProfileError, match="too deeply"):
        load_env_file(env)


@pytest.mark.parametrize(
    ("yaml_env", "overrides", "key"),
    [
        ("", ["run.env.nodes=-1"], "nodes"),
        ("", ["++run.env.gpus_per_node=-2"], "gpus_per_node"),
        ("run:\n  env:\n    nodes: 0\n", [], "nodes"),
        ("run:\n  env:\n    nproc_per_node: many\n", [], "nproc_per_node"),
    ],
)
def test_bad_count_from_the_config_or_an_override_is_a_config_error(
    write, yaml_env: str, overrides: list[str], key: str
) -> None:
    config: Path = write("config/counts.yaml", "train: {lr: 0.1}\n" + yaml_env)
    with pytest.raises(ConfigError) as info:
        compose_job_config(config=config, overrides=overrides)
    assert info.value.key == f"run.env.{key}"
    assert f"run.env.{key}=" in info.value.hint
