"""build_job_config, compose_job_config, extract_train_config, generate_job_dir, save_configs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nemo_runspec_nb.config import (
    GlobalContext,
    OverrideSet,
    build_job_config,
    compose_job_config,
    extract_train_config,
    generate_job_dir,
    save_configs,
)
from nemo_runspec_nb.errors import ConfigError, ConfigNotFoundError, OverrideError, ProfileError
from nemo_runspec_nb.runspec import parse_text

RECIPE = """\
# /// script
# [tool.runspec]
# name = "demo/train"
# image = "nvcr.io/demo:1"
# [tool.runspec.config]
# default = "default"
# [tool.runspec.resources]
# nodes = 1
# gpus_per_node = 8
# ///
print("hi")
"""

ENV = """
[base]
executor = "slurm"
account = "acct"
nodes = 16
gpus_per_node = 4
container_image = "profile/image:2"
mounts = ["/lustre:/lustre"]
[base.env_vars]
SHARED = "profile"
HF_TOKEN = "hf_abc"

[dev]
extends = "base"
partition = "dev"
ntasks_per_node = 2

[wandb]
entity = "team"
project = "proj"

[artifacts]
backend = "file"
root = "/env/root"
"""


def plain(cfg):
    return OmegaConf.to_container(cfg, resolve=False)


@pytest.fixture
def recipe(write, project):
    path = write("recipes/train.py", RECIPE)
    return parse_text(RECIPE, path)


@pytest.fixture
def env(write):
    return write("env.toml", ENV)


@pytest.fixture
def configs(write):
    write(
        "recipes/config/base.yaml",
        """
        train:
          lr: 0.1
          steps: 10
          name: ${run.recipe.name}-${run.wandb.project}
        data:
          path: ${art:data,path}
        artifacts:
          root: /yaml/root
        run:
          data: tiny-data:latest
          env:
            nodes: 2
            env_vars:
              SHARED: yaml
              ONLY_YAML: "1"
            mounts: ["/code:/code"]
        """,
    )
    write("recipes/config/default.yaml", "defaults: base\ntrain:\n  steps: 20\n")
    write("recipes/config/tiny.yaml", "defaults: base\ntrain:\n  steps: 1\n")


# --------------------------------------------------------------------------- build_job_config


def test_the_run_section_records_mode_profile_cli_and_recipe(recipe, env):
    ctx = GlobalContext(config="tiny", batch="dev", dotlist=["train.lr=1"], passthrough=["--mock"])
    job = build_job_config({"train": {"lr": 0.1}}, ctx, argv=["train", "-c", "tiny"], runspec=recipe)
    run = plain(job)["run"]
    assert run["mode"] == "batch" and run["profile"] == "dev"
    assert run["cli"] == {
        "argv": ["train", "-c", "tiny"],
        "dotlist": ["train.lr=1"],
        "passthrough": ["--mock"],
        "config": "tiny",
    }
    assert run["recipe"] == {"name": "demo/train", "script": str(recipe.script_path)}
    assert job.train.lr == 1  # CLI overrides are applied last


def test_seed_positional_signature(env):
    job = build_job_config({"a": 1}, GlobalContext(), "nano3/pretrain", "train.py", ["x"])
    assert plain(job)["run"]["recipe"] == {"name": "nano3/pretrain", "script": "train.py"}
    assert plain(job)["run"]["cli"]["argv"] == ["x"]


def test_profile_merges_into_run_env_and_yaml_owned_keys_win(recipe, env):
    train = {
        "run": {"env": {"nodes": 2, "env_vars": {"SHARED": "yaml", "ONLY_YAML": "1"}, "mounts": ["/c:/c"]}}
    }
    job = build_job_config(train, GlobalContext(run="dev"), runspec=recipe)
    env_section = plain(job)["run"]["env"]
    assert env_section["nodes"] == 2  # the YAML owns nodes
    assert env_section["gpus_per_node"] == 4  # the YAML did not set it: profile beats runspec
    assert env_section["container_image"] == "profile/image:2"  # same for the image
    assert env_section["ntasks_per_node"] == 2
    assert env_section["partition"] == "dev" and env_section["account"] == "acct"
    assert env_section["env_vars"] == {"SHARED": "profile", "ONLY_YAML": "1", "HF_TOKEN": "hf_abc"}
    assert env_section["mounts"] == ["/c:/c", "/lustre:/lustre"]


def test_yaml_owned_keys_include_the_container_image(env):
    train = {"run": {"env": {"container_image": "yaml/image:3", "gpus_per_node": 1}}}
    env_section = plain(build_job_config(train, GlobalContext(run="dev")))["run"]["env"]
    assert env_section["container_image"] == "yaml/image:3"
    assert env_section["gpus_per_node"] == 1


def test_runspec_defaults_fill_run_env_without_a_profile(recipe, project):
    env_section = plain(build_job_config({}, runspec=recipe))["run"]["env"]
    assert env_section == {"container_image": "nvcr.io/demo:1", "nodes": 1, "gpus_per_node": 8}


def test_no_profile_keeps_the_yaml_env(project):
    job = build_job_config({"run": {"env": {"nodes": 3, "custom": "x"}}})
    assert plain(job)["run"]["env"] == {"nodes": 3, "custom": "x"}
    assert plain(job)["run"]["mode"] == "local" and plain(job)["run"]["profile"] is None


def test_wandb_goes_under_run_and_artifacts_at_top_with_yaml_winning(env):
    job = plain(build_job_config({"artifacts": {"root": "/yaml/root"}}))
    assert job["run"]["wandb"] == {"entity": "team", "project": "proj"}
    assert job["artifacts"] == {"backend": "file", "root": "/yaml/root"}


def test_an_explicit_env_profile_mapping(project):
    job = build_job_config({}, env_profile={"partition": "p", "extends": "x"}, profile="mine")
    assert plain(job)["run"]["env"] == {"partition": "p"}
    assert plain(job)["run"]["profile"] == "mine"


def test_profile_interpolations_are_resolved_like_the_seed(write, monkeypatch):
    monkeypatch.setenv("DEMO_ACCOUNT", "from-env")
    write("env.toml", '[dev]\naccount = "${oc.env:DEMO_ACCOUNT}"\n')
    assert build_job_config({}, GlobalContext(run="dev")).run.env.account == "from-env"


def test_an_unresolvable_profile_value_is_a_profile_error(write):
    write("env.toml", '[dev]\naccount = "${nope.missing}"\n')
    with pytest.raises(ProfileError) as info:
        build_job_config({}, GlobalContext(run="dev"))
    assert info.value.key == "dev.account"


def test_an_unknown_profile_is_a_profile_error(env):
    with pytest.raises(ProfileError, match=r"Did you mean 'dev'\?"):
        build_job_config({}, GlobalContext(run="dve"))


def test_override_sets_apply_before_the_cli(env):
    ctx = GlobalContext(dotlist=["train.lr=3"])
    sets = [OverrideSet("cell", "train:\n  lr: 1\n  steps: 5\n"), OverrideSet("widget", ["train.lr=2"])]
    job = build_job_config({"train": {"lr": 0, "steps": 0}}, ctx, overrides=sets)
    assert (job.train.lr, job.train.steps) == (3, 5)


def test_overrides_can_target_the_run_section(env):
    job = build_job_config({}, GlobalContext(run="dev", dotlist=["run.env.partition=other"]))
    assert job.run.env.partition == "other"


def test_a_bad_cli_override_is_an_override_error(env):
    with pytest.raises(OverrideError, match=r"Did you mean 'train.lr'\?"):
        build_job_config({"train": {"lr": 0}}, GlobalContext(dotlist=["train.lrr=1"]))


def test_interpolations_are_not_resolved(env):
    job = build_job_config({"a": "${oc.env:NOPE_NOT_SET}", "b": "${art:data,path}"})
    assert plain(job)["a"] == "${oc.env:NOPE_NOT_SET}" and plain(job)["b"] == "${art:data,path}"


# --------------------------------------------------------------------------- compose_job_config


def test_compose_runs_the_whole_pipeline(recipe, env, configs):
    composed = compose_job_config(
        recipe,
        config="tiny",
        overrides=[OverrideSet("cell", {"train": {"lr": 0.5}}), "train.steps=7"],
        profile="dev",
        mode="run",
    )
    job = composed.job_config
    assert composed.config_path.name == "tiny.yaml"
    assert composed.profile_chain == ("base", "dev")
    assert composed.env_file == env
    assert (job.train.lr, job.train.steps) == (0.5, 7)
    assert job.run.mode == "run" and job.run.profile == "dev"
    assert job.run.cli.config == "tiny" and list(job.run.cli.dotlist) == ["train.steps=7"]
    assert job.run.env.nodes == 2


def test_compose_defaults_to_the_runspec_default_config(recipe, configs, project):
    composed = compose_job_config(recipe)
    assert composed.config_path.name == "default.yaml"
    assert composed.job_config.train.steps == 20
    assert composed.job_config.run.mode == "local"


def test_compose_unknown_config_suggests(recipe, configs, project):
    with pytest.raises(ConfigNotFoundError, match=r"Did you mean 'tiny'\?"):
        compose_job_config(recipe, config="tinny")


def test_compose_needs_a_runspec_or_a_config():
    with pytest.raises(ConfigError, match="needs a runspec or a config path"):
        compose_job_config()


def test_compose_without_provenance(recipe, configs, project):
    assert compose_job_config(recipe, provenance=False).provenance is None


# --------------------------------------------------------------------------- extract_train_config


def test_train_config_drops_run_but_keeps_artifact_refs(recipe, env, configs):
    composed = compose_job_config(recipe, config="tiny", profile="dev", mode="batch")
    train = plain(composed.train_config())
    assert train["run"] == {"data": "tiny-data:latest"}
    assert train["train"]["name"] == "demo/train-proj"  # ${run.recipe.name}-${run.wandb.project}
    assert train["data"]["path"] == "${art:data,path}"  # other interpolations stay


def test_run_references_keep_their_type():
    job = OmegaConf.create(
        {"n": "${run.env.nodes}", "s": "x${run.env.nodes}", "m": "${run.nope}", "run": {"env": {"nodes": 4}}}
    )
    train = plain(extract_train_config(job))
    assert train == {"n": 4, "s": "x4", "m": "${run.nope}"}


def test_remote_path_rewriting(project):
    job = {
        "code": "${oc.env:PWD}/src",
        "out": "${oc.env:NEMO_RUN_DIR,.}/results",
        "abs": str(project / "data" / "x"),
        "sibling": str(project) + "-backup/x",
        "other": "/elsewhere",
    }
    train = plain(extract_train_config(job, for_remote=True, repo_root=project))
    assert train == {
        "code": "/nemo_run/code/src",
        "out": "/nemo_run/results",
        "abs": "/nemo_run/code/data/x",
        "sibling": str(project) + "-backup/x",
        "other": "/elsewhere",
    }


def test_local_extraction_does_not_rewrite(project):
    assert plain(extract_train_config({"code": "${oc.env:PWD}/src"})) == {"code": "${oc.env:PWD}/src"}


# --------------------------------------------------------------------------- job dirs and saving


def test_generate_job_dir_layout(project):
    path = generate_job_dir("nano3/pretrain", project, now=datetime(2026, 1, 2, 3, 4, 5))
    assert path == project / ".nemotron" / "jobs" / "20260102-030405-nano3-pretrain"
    assert not path.exists()


def test_generate_job_dir_stays_unique(project):
    now = datetime(2026, 1, 2, 3, 4, 5)
    first = generate_job_dir("demo", project, now=now)
    first.mkdir(parents=True)
    second = generate_job_dir("demo", project, now=now)
    assert second.name == "20260102-030405-demo-2"


def test_generate_job_dir_defaults_to_cwd(project):
    assert generate_job_dir("x").parent == Path.cwd() / ".nemotron" / "jobs"


def test_save_configs_writes_both_files_unresolved(project):
    job = OmegaConf.create({"a": "${oc.env:NOPE}", "run": {"mode": "local"}})
    train = extract_train_config(job)
    job_path, train_path = save_configs(job, train, project / "jobs" / "one")
    assert job_path.read_text() == "a: ${oc.env:NOPE}\nrun:\n  mode: local\n"
    assert OmegaConf.to_container(OmegaConf.load(train_path)) == {"a": "${oc.env:NOPE}"}
    assert sorted(p.name for p in job_path.parent.iterdir()) == [
        "job.yaml",
        "train.yaml",
    ]  # no temp files left


def test_save_configs_replaces_existing_files(project):
    directory = project / "job"
    save_configs({"v": 1}, {"v": 1}, directory)
    save_configs({"v": 2}, {"v": 2}, directory)
    assert OmegaConf.load(directory / "job.yaml").v == 2
