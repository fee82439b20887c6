"""find_config_file and load_config: names vs paths, defaults: chains, _self_, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import DictConfig, OmegaConf

from nemo_runspec_nb.config import config_layers, find_config_file, list_configs, load_config
from nemo_runspec_nb.errors import ConfigError, ConfigNotFoundError

# --------------------------------------------------------------------------- find_config_file


def test_bare_name_is_looked_up_in_the_config_dir(write, project):
    path = write("config/tiny.yaml", "a: 1\n")
    assert find_config_file("tiny", project / "config") == path


def test_yml_suffix_is_found_too(write, project):
    path = write("config/tiny.yml", "a: 1\n")
    assert find_config_file("tiny", project / "config") == path


def test_yaml_is_preferred_over_yml(write, project):
    path = write("config/tiny.yaml", "a: 1\n")
    write("config/tiny.yml", "a: 2\n")
    assert find_config_file("tiny", project / "config") == path


def test_json_is_found_for_json_recipes_only(write, project):
    path = write("config/tiny.json", '{"a": 1}')
    assert find_config_file("tiny", project / "config", format="json") == path
    with pytest.raises(ConfigNotFoundError):
        find_config_file("tiny", project / "config")


def test_a_value_with_a_slash_is_a_path_relative_to_the_working_dir(write, project):
    path = write("elsewhere/mine.yaml", "a: 1\n")
    assert find_config_file("elsewhere/mine.yaml", project / "config") == Path("elsewhere/mine.yaml")
    assert find_config_file("elsewhere/mine.yaml", project / "config").resolve() == path


def test_a_yaml_suffix_makes_a_path(write, project):
    write("mine.yaml", "a: 1\n")
    assert find_config_file("mine.yaml", project / "config") == Path("mine.yaml")


def test_a_relative_path_missing_in_cwd_is_tried_under_the_config_dir(write, project):
    path = write("config/experiments/big.yaml", "a: 1\n")
    assert find_config_file("experiments/big", project / "config") == path


def test_missing_name_names_the_dir_and_suggests_the_closest(write, project):
    write("config/tiny.yaml", "a: 1\n")
    write("config/large.yaml", "a: 1\n")
    with pytest.raises(ConfigNotFoundError) as info:
        find_config_file("tinny", project / "config")
    message = str(info.value)
    assert "'tinny'" in message
    assert str(project / "config") in message
    assert "Did you mean 'tiny'?" in message
    assert "Available: large, tiny" in message
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.key == "tinny"


def test_missing_path_is_config_not_found(project):
    with pytest.raises(ConfigNotFoundError, match=r"config file not found: nowhere/x\.yaml"):
        find_config_file("nowhere/x.yaml", project / "config")


def test_list_configs_lists_stems_sorted(write, project):
    write("config/b.yaml", "a: 1\n")
    write("config/a.yml", "a: 1\n")
    write("config/notes.txt", "x")
    assert list_configs(project / "config") == ["a", "b"]
    assert list_configs(project / "missing") == []


# --------------------------------------------------------------------------- load_config


def test_plain_file_loads_as_dictconfig(write):
    path = write("config/a.yaml", "x: 1\nlr: 1e-3\nwhen: 2024-01-01\n")
    cfg = load_config(path)
    assert isinstance(cfg, DictConfig)
    assert cfg.x == 1
    assert cfg.lr == pytest.approx(0.001)  # OmegaConf's float rule, not YAML 1.1's string
    assert cfg.when == "2024-01-01"  # timestamps stay strings, as in OmegaConf


def test_loading_matches_omegaconf_load_for_a_file_without_defaults(write):
    text = "a: {b: [1, 2, {c: null}], d: 'yes', e: true, f: .inf}\ng: ~\nh: 0x1F\n"
    path = write("config/a.yaml", text)
    assert OmegaConf.to_container(load_config(path)) == OmegaConf.to_container(OmegaConf.load(path))


def test_empty_file_is_an_empty_config(write):
    assert load_config(write("config/empty.yaml", "")) == {}


def test_defaults_string_merges_the_base_under_the_file(write):
    write("config/base.yaml", "a: 1\nb: {c: 2, d: 3}\n")
    top = write("config/top.yaml", "defaults: base\nb: {c: 20}\n")
    cfg = load_config(top)
    assert OmegaConf.to_container(cfg) == {"a": 1, "b": {"c": 20, "d": 3}}
    assert "defaults" not in cfg


def test_defaults_list_merges_in_order(write):
    write("config/one.yaml", "x: 1\ny: 1\n")
    write("config/two.yaml", "y: 2\nz: 2\n")
    top = write("config/top.yaml", "defaults: [one, two]\nz: 3\n")
    assert OmegaConf.to_container(load_config(top)) == {"x": 1, "y": 2, "z": 3}


def test_self_first_lets_the_bases_override_the_file(write):
    write("config/base.yaml", "x: base\n")
    top = write("config/top.yaml", "defaults: [_self_, base]\nx: top\n")
    assert load_config(top).x == "base"


def test_self_last_is_the_default(write):
    write("config/base.yaml", "x: base\n")
    explicit = write("config/explicit.yaml", "defaults: [base, _self_]\nx: top\n")
    implicit = write("config/implicit.yaml", "defaults: [base]\nx: top\n")
    assert load_config(explicit).x == load_config(implicit).x == "top"


def test_self_in_the_middle(write):
    write("config/a.yaml", "x: a\ny: a\n")
    write("config/b.yaml", "y: b\n")
    top = write("config/top.yaml", "defaults: [a, _self_, b]\nx: top\ny: top\n")
    cfg = load_config(top)
    assert (cfg.x, cfg.y) == ("top", "b")


def test_chains_of_any_depth(write):
    write("config/l0.yaml", "depth: 0\nl0: true\n")
    for level in range(1, 6):
        write(f"config/l{level}.yaml", f"defaults: l{level - 1}\ndepth: {level}\nl{level}: true\n")
    cfg = load_config(Path("config/l5.yaml"))
    assert cfg.depth == 5
    assert all(cfg[f"l{i}"] for i in range(6))
    assert [layer.path.name for layer in config_layers("config/l5.yaml")] == [f"l{i}.yaml" for i in range(6)]


def test_defaults_paths_are_relative_to_the_file_naming_them(write):
    write("shared/cluster.yaml", "cluster: shared\n")
    write("config/sub/base.yaml", "defaults: ../../shared/cluster.yaml\nbase: true\n")
    top = write("config/top.yaml", "defaults: [sub/base.yaml]\n")
    assert OmegaConf.to_container(load_config(top)) == {"cluster": "shared", "base": True}


def test_a_path_without_suffix_gets_one(write):
    write("config/sub/base.yaml", "x: 1\n")
    top = write("config/top.yaml", "defaults: sub/base\n")
    assert load_config(top).x == 1


def test_lists_are_replaced_not_concatenated(write):
    write("config/base.yaml", "tags: [a, b]\n")
    top = write("config/top.yaml", "defaults: base\ntags: [c]\n")
    assert list(load_config(top).tags) == ["c"]


def test_missing_value_does_not_erase_a_base_value(write):
    write("config/base.yaml", "x: 1\n")
    top = write("config/top.yaml", "defaults: base\nx: ???\ny: ???\n")
    cfg = load_config(top)
    assert cfg.x == 1
    assert OmegaConf.is_missing(cfg, "y")


def test_hydra_group_entries_stay_untouched(write):
    top = write("config/eval.yaml", "defaults:\n  - execution: slurm/default\n  - _self_\nx: 1\n")
    cfg = load_config(top)
    assert OmegaConf.to_container(cfg.defaults) == [{"execution": "slurm/default"}, "_self_"]
    assert cfg.x == 1


def test_group_entries_survive_next_to_file_entries(write):
    write("config/base.yaml", "x: 1\n")
    top = write("config/eval.yaml", "defaults:\n  - base\n  - execution: slurm/default\ny: 2\n")
    cfg = load_config(top)
    assert OmegaConf.to_container(cfg.defaults) == [{"execution": "slurm/default"}]
    assert (cfg.x, cfg.y) == (1, 2)


def test_interpolations_stay_unresolved(write):
    write("config/base.yaml", "data: ${art:data,path}\nhome: ${oc.env:NO_SUCH_VAR_XYZ}\n")
    top = write("config/top.yaml", "defaults: base\nsteps: ${mul:2,3}\nname: ${run.recipe.name}\n")
    cfg = load_config(top)
    plain = OmegaConf.to_container(cfg, resolve=False)
    assert plain == {
        "data": "${art:data,path}",
        "home": "${oc.env:NO_SUCH_VAR_XYZ}",
        "steps": "${mul:2,3}",
        "name": "${run.recipe.name}",
    }


# --------------------------------------------------------------------------- errors


def test_a_cycle_is_reported_with_the_whole_chain(write):
    write("config/a.yaml", "defaults: b\n")
    write("config/b.yaml", "defaults: c\n")
    write("config/c.yaml", "defaults: a\n")
    with pytest.raises(ConfigError) as info:
        load_config(Path("config/a.yaml"))
    message = str(info.value)
    assert "defaults cycle" in message
    chain = message[message.index("cycle:") :]
    assert chain.index("a.yaml") < chain.index("b.yaml") < chain.index("c.yaml") < chain.rindex("a.yaml")
    assert info.value.key == "defaults"


def test_a_file_naming_itself_is_a_cycle(write):
    write("config/a.yaml", "defaults: a\n")
    with pytest.raises(ConfigError, match=r"defaults cycle: .*a\.yaml -> .*a\.yaml"):
        load_config(Path("config/a.yaml"))


def test_a_missing_base_names_the_file_and_line_that_name_it(write):
    write("config/base.yaml", "x: 1\n")
    top = write("config/top.yaml", "x: 2\ndefaults:\n  - _self_\n  - bsae\n")
    with pytest.raises(ConfigNotFoundError) as info:
        load_config(top)
    error = info.value
    assert isinstance(error, FileNotFoundError)
    assert error.path == top.resolve()
    assert error.line == 4
    assert f"{top.resolve()}:4" in str(error)
    assert "'bsae'" in str(error)
    assert "Did you mean 'base'?" in str(error)


def test_missing_top_file(project):
    with pytest.raises(ConfigNotFoundError, match="config file not found"):
        load_config(project / "config" / "nope.yaml")


def test_yaml_syntax_error_names_file_and_line(write):
    path = write("config/bad.yaml", "a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == path
    assert info.value.line is not None and info.value.line >= 2
    assert f"{path}:{info.value.line}: invalid YAML" in str(info.value)


def test_duplicate_keys_are_an_error_with_the_line(write):
    path = write("config/dup.yaml", "a: 1\nb: 2\na: 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line == 3
    assert "duplicate key 'a'" in str(info.value)


def test_a_syntax_error_in_a_base_names_the_base(write):
    base = write("config/base.yaml", "a: [\n")
    top = write("config/top.yaml", "defaults: base\n")
    with pytest.raises(ConfigError) as info:
        load_config(top)
    assert info.value.path == base.resolve()


def test_top_level_list_is_rejected(write):
    path = write("config/list.yaml", "- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must be a mapping at the top level") as info:
        load_config(path)
    assert info.value.path == path


def test_defaults_of_the_wrong_type(write):
    path = write("config/top.yaml", "defaults: 3\n")
    with pytest.raises(ConfigError, match="'defaults' must be a name, a path or a list") as info:
        load_config(path)
    assert info.value.key == "defaults"
    assert info.value.line == 1


def test_json_syntax_error_names_the_line(write):
    path = write("config/bad.json", '{\n  "a": 1,\n  "b": \n}\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line == 4
    assert "invalid JSON" in str(info.value)


def test_a_key_omegaconf_cannot_hold_names_the_file(write):
    path = write("config/odd.yaml", "? [1, 2]\n: value\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == path
