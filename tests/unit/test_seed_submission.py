"""What a real-shaped recipe sends to Slurm: env.toml sections resolved, the legacy image key.

A torchrun pretrain recipe (2 nodes x 8 GPUs) with a ``defaults:`` chain, composed with a
Slurm profile whose env.toml has ``${oc.env:...}`` in ``[artifacts]`` and ``[wandb]``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import nemo_runspec_nb as nrs
from nemo_runspec_nb.errors import ProfileError

# nemo-run -> leptonai -> fastapi imports starlette.middleware.wsgi, deprecated in starlette.
pytestmark = pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated:DeprecationWarning")

RECIPE = '''\
# /// script
# requires-python = ">=3.10"
# dependencies = ["omegaconf"]
#
# [tool.runspec]
# schema = "1"
# name = "llm/pretrain"
# image = "nvcr.io/nvidia/nemo:25.07"
#
# [tool.runspec.run]
# launch = "torchrun"
#
# [tool.runspec.config]
# dir = "./config"
# default = "default"
#
# [tool.runspec.resources]
# nodes = 2
# gpus_per_node = 8
# ///
"""Pretraining stand-in."""
'''

ENV_TOML = """\
[artifacts]
root = "/lustre/fsw/${oc.env:USER}/artifacts"

[wandb]
project = "${oc.env:WANDB_PROJECT,nemotron}"
api_key = "${oc.env:WANDB_API_KEY}"

[cluster]
executor = "slurm"
packager = "none"
account = "coreai"
partition = "batch"
host = "login.example.org"
user = "me"
remote_job_dir = "/lustre/fsw/me/jobs"
container = "nvcr.io/nvidia/nemo:legacy"

[workstation]
executor = "local"

[cluster-hf]
extends = "cluster"
env_vars = { HF_HOME = "/lustre/fsw/shared/hf" }

[cluster-pinned]
extends = "cluster"
container_image = "nvcr.io/nvidia/nemo:pinned"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    (root / "config").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (root / "pretrain.py").write_text(RECIPE)
    (root / "config" / "base.yaml").write_text("train:\n  lr: 0.001\n  steps: 10\n")
    (root / "config" / "default.yaml").write_text(
        textwrap.dedent(
            """\
            defaults:
              - base
              - _self_
            train:
              steps: 100
            """
        )
    )
    (root / "env.toml").write_text(ENV_TOML)
    monkeypatch.chdir(root)
    for var in ("NEMOTRON_ENV_FILE", "NEMOTRON_ARTIFACTS_ROOT", "WANDB_PROJECT", "WANDB_ENTITY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("WANDB_API_KEY", "sk-very-secret-123")
    return root


def _job(project: Path, profile: str = "cluster") -> nrs.ComposedJob:
    return nrs.Recipe(project / "pretrain.py").compose(profile=profile, mode="batch")


def _only_sealed_refs(text: str) -> None:
    for line in text.splitlines():
        if "${oc.env:" in line:
            assert "api_key" in line.lower() or "WANDB_API_KEY" in line, line


def test_env_toml_sections_are_resolved_in_job_yaml_train_yaml_and_sbatch(project: Path) -> None:
    job = _job(project)
    preview = job.preview()
    assert job.job_config.artifacts.root == "/lustre/fsw/alice/artifacts"
    assert job.job_config.run.wandb.project == "nemotron"
    assert preview.env["WANDB_PROJECT"] == "nemotron"
    _only_sealed_refs(preview.job_yaml)
    _only_sealed_refs(preview.train_yaml)
    assert "${oc.env:" not in preview.script and "${auto_mount:" not in preview.script
    assert "WANDB_PROJECT=nemotron" in preview.script
    assert "export NEMOTRON_ARTIFACTS_ROOT=/lustre/fsw/alice/artifacts" in preview.script.splitlines()
    assert job.env_vars()["WANDB_API_KEY"] == "sk-very-secret-123"  # the job gets it, via its secrets
    assert "sk-very-secret-123" not in preview.script + preview.job_yaml + preview.train_yaml


def test_a_variable_in_the_environment_wins_over_the_default(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_PROJECT", "llm-pretrain")
    job = _job(project)
    assert job.job_config.run.wandb.project == "llm-pretrain"
    assert "WANDB_PROJECT=llm-pretrain" in job.preview().script


def test_the_secret_stays_sealed_in_the_saved_files(project: Path) -> None:
    job = _job(project)
    job_yaml, train_yaml = job.save()
    for path in (job_yaml, train_yaml):
        text = path.read_text()
        assert "sk-very-secret-123" not in text
        _only_sealed_refs(text)
    assert "api_key: ${oc.env:WANDB_API_KEY}" in job_yaml.read_text()
    assert "root: /lustre/fsw/alice/artifacts" in job_yaml.read_text()


def test_an_unset_variable_without_default_names_section_key_and_variable(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("USER")
    with pytest.raises(ProfileError) as caught:
        _job(project)
    message = str(caught.value)
    assert "[artifacts]" in message and "root" in message and "USER" in message
    assert caught.value.hint and "USER" in caught.value.hint


def _srun_image(job: nrs.ComposedJob) -> str:
    srun = next(line for line in job.preview().script.splitlines() if line.startswith("srun --output"))
    return srun.split("--container-image ", 1)[1].split(" ", 1)[0]


def test_the_legacy_container_key_wins_over_the_recipe_image(project: Path) -> None:
    job = _job(project)
    assert job.job_config.run.env.container_image == "nvcr.io/nvidia/nemo:legacy"
    assert _srun_image(job) == "nvcr.io/nvidia/nemo:legacy"


def test_container_image_wins_over_the_legacy_container_key(project: Path) -> None:
    job = _job(project, "cluster-pinned")
    assert job.job_config.run.env.container_image == "nvcr.io/nvidia/nemo:pinned"
    assert _srun_image(job) == "nvcr.io/nvidia/nemo:pinned"


def test_a_legacy_container_in_the_config_yaml_wins_over_the_recipe_image(project: Path) -> None:
    env = project / "env.toml"
    env.write_text(env.read_text().replace('container = "nvcr.io/nvidia/nemo:legacy"\n', ""))
    assert _srun_image(_job(project)) == "nvcr.io/nvidia/nemo:25.07"  # the runspec image
    default = project / "config" / "default.yaml"
    default.write_text(default.read_text() + "run:\n  env:\n    container: nvcr.io/nvidia/nemo:from-yaml\n")
    assert _srun_image(_job(project)) == "nvcr.io/nvidia/nemo:from-yaml"


def _exports(job: nrs.ComposedJob) -> list[str]:
    return [line for line in job.preview().script.splitlines() if line.startswith("export ")]


def test_every_job_gets_its_run_dir_hf_home_and_wandb_names(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HOME", raising=False)
    job = _job(project)
    remote = f"/lustre/fsw/me/jobs/{job.job_dir.name}"
    env = job.env_vars()
    expected = {
        "NEMO_RUN_DIR": remote,
        "HF_HOME": f"{remote}/hf",
        "WANDB_JOB_TYPE": "llm/pretrain",
        "WANDB_NAME": job.job_dir.name,
        "WANDB_ENABLED": "true",
    }
    assert {name: env.get(name) for name in expected} == expected
    exports = _exports(job)
    for name, value in expected.items():
        assert f"export {name}={value}" in exports


def test_a_local_job_gets_its_own_job_dir(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HOME", raising=False)
    job = nrs.Recipe(project / "pretrain.py").compose(profile="workstation")
    env = job.env_vars()
    assert env["NEMO_RUN_DIR"] == str(job.job_dir)
    assert env["HF_HOME"] == str(job.job_dir / "hf")


def test_hf_home_set_by_the_profile_or_the_environment_wins(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HOME", raising=False)
    assert _job(project, "cluster-hf").env_vars()["HF_HOME"] == "/lustre/fsw/shared/hf"
    monkeypatch.setenv("HF_HOME", "/home/alice/.cache/huggingface")
    assert "HF_HOME" not in _job(project).env_vars()


def test_wandb_is_not_enabled_without_a_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = project / "env.toml"
    env.write_text(env.read_text().replace('project = "${oc.env:WANDB_PROJECT,nemotron}"\n', ""))
    assert "WANDB_ENABLED" not in _job(project).env_vars()
