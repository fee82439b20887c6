"""Configs shaped like real recipe repositories load untouched and compose."""

from __future__ import annotations

from omegaconf import OmegaConf

from nemo_runspec_nb.config import ResolverSession, compose_job_config, load_config

PRETRAIN = """
defaults:
  - ../shared/logging.yaml
  - _self_

run:
  data: nano3-pretrain-data:latest
  model: nano3-base:v4
  env:
    container: nvcr.io/nvidian/nemo:25.11
    mounts:
      - ${auto_mount:git+https://github.com/NVIDIA/Megatron-Bridge.git@main,/opt/Megatron-Bridge}

recipe:
  per_split_data_args_path: ${art:data,path}/blend.json
  checkpoint: ${art:model,path}
  ckpt_step: ${art:model,iteration}
  seq_length: ${art:data,pack_size}

train:
  global_batch_size: ${mul:${train.micro_batch_size},64}
  micro_batch_size: 2
  train_iters: 1000
  lr: 3.0e-4

checkpoint:
  save: ${oc.env:NEMO_RUN_DIR,.}/checkpoints
  load: ${oc.env:PWD}/ckpt

logger:
  wandb_project: ${run.wandb.project}
  name: ${run.recipe.name}
"""

LOGGING = """
logger:
  log_interval: 10
  wandb_project: default
  wandb_entity: ${oc.env:WANDB_ENTITY,null}
"""


def test_unresolved_interpolations_load_untouched(write):
    write("recipes/shared/logging.yaml", LOGGING)
    path = write("recipes/config/default.yaml", PRETRAIN)
    cfg = load_config(path)
    plain = OmegaConf.to_container(cfg, resolve=False)
    assert plain["recipe"]["per_split_data_args_path"] == "${art:data,path}/blend.json"
    assert plain["train"]["global_batch_size"] == "${mul:${train.micro_batch_size},64}"
    assert plain["checkpoint"]["save"] == "${oc.env:NEMO_RUN_DIR,.}/checkpoints"
    assert plain["logger"] == {
        "log_interval": 10,
        "wandb_project": "${run.wandb.project}",
        "wandb_entity": "${oc.env:WANDB_ENTITY,null}",
        "name": "${run.recipe.name}",
    }
    assert plain["run"]["env"]["mounts"] == [
        "${auto_mount:git+https://github.com/NVIDIA/Megatron-Bridge.git@main,/opt/Megatron-Bridge}"
    ]
    assert plain["train"]["lr"] == 3.0e-4


def test_compose_preview_and_resolve(write, project, registry):
    write("recipes/shared/logging.yaml", LOGGING)
    path = write(
        "recipes/config/default.yaml",
        PRETRAIN.replace("nano3-pretrain-data", "tiny-data").replace("nano3-base:v4", "tiny-model:v1"),
    )
    write("env.toml", '[wandb]\nproject = "nemotron"\n')
    composed = compose_job_config(config=path, overrides=["train.train_iters=10"])
    train = OmegaConf.to_container(composed.train_config(for_remote=True, repo_root=project), resolve=False)
    assert train["logger"]["wandb_project"] == "nemotron"
    assert train["checkpoint"] == {"save": "/nemo_run/checkpoints", "load": "/nemo_run/code/ckpt"}
    assert train["run"] == {"data": "tiny-data:latest", "model": "tiny-model:v1"}
    assert train["recipe"]["checkpoint"] == "${art:model,path}"

    session = ResolverSession(registry)
    cfg = OmegaConf.create({"run": composed.job_config.run, "recipe": composed.job_config.recipe})
    resolved = session.resolve(cfg)
    assert resolved.recipe.per_split_data_args_path == "/store/tiny-data/v2/blend.json"
    assert (resolved.recipe.ckpt_step, resolved.recipe.seq_length) == (500, 4096)
    assert list(resolved.run.env.mounts) == ["__auto_mount__:Megatron-Bridge"]
    assert set(session.git_mounts) == {"Megatron-Bridge"}
