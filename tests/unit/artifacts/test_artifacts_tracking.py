"""In-job tracking: setup_artifact_tracking(config) and log_artifact(...)."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nemo_runspec_nb.artifacts import (
    ArtifactManifest,
    ArtifactRegistry,
    ArtifactTracker,
    log_artifact,
    setup_artifact_tracking,
)


def test_setup_from_the_job_config(tmp_path: Path, data_dir: Path) -> None:
    config = OmegaConf.create({"artifacts": {"root": str(tmp_path / "reg"), "wandb": False}})
    tracker = setup_artifact_tracking(config)
    assert isinstance(tracker, ArtifactTracker)
    assert tracker.backends == ["manifest"]
    assert list(tracker) == ["manifest"] and "wandb" not in tracker and len(tracker) == 1
    manifest = tracker.log_artifact("tiny-data", data_dir, {"rows": 2}, type="dataset")
    assert isinstance(manifest, ArtifactManifest)
    assert (manifest.version, manifest.metadata["rows"], manifest.type) == (1, 2, "dataset")
    assert ArtifactRegistry(tmp_path / "reg").resolve("tiny-data") == str(data_dir)


def test_manifest_root_form_and_wandb_section(tmp_path: Path) -> None:
    config = {
        "artifacts": {"manifest": {"root": str(tmp_path / "reg")}, "wandb": True},
        "wandb": {"project": "proj", "entity": "team"},
    }
    tracker = setup_artifact_tracking(config)
    assert tracker.backends == ["manifest", "wandb"]
    assert tracker.registry.root == str(tmp_path / "reg")
    assert tracker.registry.wandb is not None
    assert (tracker.registry.wandb.project, tracker.registry.wandb.entity) == ("proj", "team")  # type: ignore[attr-defined]


def test_setup_without_config_uses_the_environment(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", str(tmp_path / "job-reg"))
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_WANDB", "0")
    monkeypatch.setenv("NEMOTRON_PRODUCER", "data_prep")
    tracker = setup_artifact_tracking()
    assert tracker.registry.root == str(tmp_path / "job-reg")
    assert tracker.log_artifact("d", data_dir).producer == "data_prep"
    assert tracker.log_artifact("d", data_dir, producer="explicit").producer == "explicit"


def test_module_level_log_artifact_builds_a_tracker_each_call(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_WANDB", "0")
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", str(tmp_path / "a"))
    assert log_artifact("x", data_dir).version == 1
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", str(tmp_path / "b"))
    assert log_artifact("x", data_dir, inputs=[]).version == 1  # a different root: no hidden cache
    config = {"artifacts": {"root": str(tmp_path / "a")}}
    assert log_artifact("y", data_dir, config=config, inputs=["x"]).inputs == ("x:v1",)


def test_config_without_artifacts_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    tracker = setup_artifact_tracking({"train": {"lr": 0.1}})
    assert tracker.registry.root == str(tmp_path / ".nemotron" / "artifacts")
    assert repr(tracker).startswith("ArtifactTracker(backends=['manifest']")


def test_artifact_env_hands_the_registry_to_a_job(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nemo_runspec_nb.artifacts import WandbBackend, artifact_env

    launcher_side = ArtifactRegistry(tmp_path / "reg")
    env = artifact_env(launcher_side, producer="train")
    assert env == {
        "NEMOTRON_ARTIFACTS_ROOT": str(tmp_path / "reg"),
        "NEMOTRON_ARTIFACTS_WANDB": "0",
        "NEMOTRON_PRODUCER": "train",
    }
    assert (
        artifact_env(ArtifactRegistry(tmp_path / "reg", wandb=WandbBackend()))["NEMOTRON_ARTIFACTS_WANDB"]
        == "1"
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    published = setup_artifact_tracking().log_artifact("model", data_dir)  # inside the job
    assert published.producer == "train"
    assert launcher_side.get("model").producer == "train"
