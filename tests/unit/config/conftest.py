"""Fixtures for the config pipeline: a throwaway project dir and a fake artifact registry."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nemo_runspec_nb.errors import ArtifactNotFoundError, ArtifactVersionNotFoundError


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own project root (has pyproject.toml) with no NEMOTRON_ENV_FILE."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    monkeypatch.delenv("NEMOTRON_ENV_FILE", raising=False)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def write(project: Path):
    """write("config/base.yaml", "...yaml...") -> absolute path (text is dedented)."""

    def _write(relative: str, text: str) -> Path:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@dataclass(frozen=True)
class FakeArtifact:
    name: str
    version: int
    type: str
    path: str
    metadata: dict[str, Any] = field(default_factory=dict)


class FakeRegistry:
    """The registry interface resolvers code against: get(ref) -> artifact; counts calls."""

    def __init__(self, *artifacts: FakeArtifact) -> None:
        self._by_name: dict[str, list[FakeArtifact]] = {}
        for artifact in artifacts:
            self._by_name.setdefault(artifact.name, []).append(artifact)
        self.calls: list[str] = []

    def get(self, ref: str) -> FakeArtifact:
        self.calls.append(ref)
        name, _, version = ref.partition(":")
        if name not in self._by_name:
            raise ArtifactNotFoundError(f"no artifact named '{name}'", key=name)
        versions = sorted(self._by_name[name], key=lambda a: a.version)
        if version in ("", "latest"):
            return versions[-1]
        wanted = int(version.lstrip("v"))
        for artifact in versions:
            if artifact.version == wanted:
                return artifact
        raise ArtifactVersionNotFoundError(f"'{name}' has no version {version}", key=ref)


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry(
        FakeArtifact("tiny-data", 1, "dataset", "/store/tiny-data/v1", {"rows": 10}),
        FakeArtifact("tiny-data", 2, "dataset", "/store/tiny-data/v2", {"rows": 20, "pack_size": 4096}),
        FakeArtifact("tiny-model", 1, "model", "/store/tiny-model/v1", {"iteration": 500}),
    )
