"""Fixtures for the artifacts tests: registries on local disk and on ``memory://``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nemo_runspec_nb.artifacts import ArtifactRegistry


@pytest.fixture(autouse=True)
def _no_ambient_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a registry configured by the environment they run in."""
    for var in (
        "NEMOTRON_ARTIFACTS_ROOT",
        "NEMOTRON_ARTIFACTS_WANDB",
        "NEMOTRON_PRODUCER",
        "NEMOTRON_ENV_FILE",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A small dataset directory: two files and a subdirectory."""
    data = tmp_path / "data"
    (data / "shards").mkdir(parents=True)
    (data / "table.csv").write_text("a,b\n1,2\n3,4\n")
    (data / "shards" / "x.npz").write_bytes(b"\x00\x01binary")
    return data


@pytest.fixture
def local_registry(tmp_path: Path) -> ArtifactRegistry:
    return ArtifactRegistry(tmp_path / "registry")


@pytest.fixture
def memory_root() -> Iterator[str]:
    """A fresh ``memory://`` root, removed afterwards (fsspec's memory store is process-wide)."""
    import fsspec

    root = f"memory://artifacts-{uuid.uuid4().hex[:12]}"
    yield root
    fs = fsspec.filesystem("memory")
    path = root[len("memory://") :]
    if fs.exists(path):
        fs.rm(path, recursive=True)


@pytest.fixture
def memory_registry(memory_root: str) -> ArtifactRegistry:
    return ArtifactRegistry(memory_root)


@pytest.fixture(params=["local", "memory"])
def any_registry(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactRegistry:
    """The same behaviour must hold on local disk and on a generic fsspec store."""
    if request.param == "local":
        return ArtifactRegistry(tmp_path / "registry")
    return ArtifactRegistry(request.getfixturevalue("memory_root"))
