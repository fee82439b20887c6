"""``registry()``: argument, then NEMOTRON_ARTIFACTS_ROOT, then env.toml [artifacts]; else local."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_runspec_nb.artifacts import ArtifactRegistry, WandbBackend, registry
from nemo_runspec_nb.errors import ArtifactError


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project dir (with pyproject.toml so env.toml lookup stops here) as the working directory."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.chdir(root / "notebooks")
    return root


def test_explicit_root_wins(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", str(tmp_path / "from-env"))
    (project / "env.toml").write_text('[artifacts]\nroot = "/from/toml"\n')
    reg = registry(root=tmp_path / "explicit", wandb=False)
    assert isinstance(reg, ArtifactRegistry)
    assert reg.root == str(tmp_path / "explicit")
    assert reg.backends == ["manifest"]


def test_environment_variable_for_jobs(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", str(tmp_path / "from-env"))
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_WANDB", "1")
    reg = registry()
    assert reg.root == str(tmp_path / "from-env")
    assert reg.backends == ["manifest", "wandb"]


def test_environment_root_accepts_urls(
    project: Path, monkeypatch: pytest.MonkeyPatch, memory_root: str
) -> None:
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", memory_root)
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_WANDB", "0")
    assert registry().root == memory_root


def test_bad_wandb_flag(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_WANDB", "maybe")
    with pytest.raises(ArtifactError, match="NEMOTRON_ARTIFACTS_WANDB='maybe' is not a boolean"):
        registry(root="x")


def test_default_is_under_the_working_directory_without_env_toml(project: Path) -> None:
    reg = registry()
    assert reg.root == str(project / "notebooks" / ".nemotron" / "artifacts")
    assert reg.backends == ["manifest"]


def test_default_is_next_to_env_toml(project: Path) -> None:
    (project / "env.toml").write_text("[local]\nexecutor = 'local'\n")
    assert registry().root == str(project / ".nemotron" / "artifacts")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[artifacts]\nroot = "store"\n', "store"),
        ('[artifacts]\nbackend = "file"\n[artifacts.manifest]\nroot = "manifests"\n', "manifests"),
        ('[artifacts]\nroot = "/abs/store"\n', "/abs/store"),
        ('[artifacts]\nroot = "s3://bucket/artifacts"\n', "s3://bucket/artifacts"),
    ],
)
def test_root_from_env_toml(project: Path, toml: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "env.toml").write_text(toml)
    if expected.startswith("s3://"):
        # only the root text is checked: building an s3 store needs s3fs
        from nemo_runspec_nb.artifacts import _default_registry as default_registry

        assert default_registry._root_from_config({"root": expected}, project / "env.toml") == expected
        return
    reg = registry()
    want = expected if expected.startswith("/") else str(project / expected)
    assert reg.root == want


def test_explicit_env_file(tmp_path: Path, project: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "env.toml").write_text('[artifacts]\nroot = "here"\nwandb = false\n')
    assert registry(env_file=other / "env.toml").root == str(other / "here")


@pytest.mark.parametrize(
    ("toml", "backends"),
    [
        ("[artifacts]\nwandb = true\n", ["manifest", "wandb"]),
        ('[artifacts]\nbackend = "wandb"\n', ["manifest", "wandb"]),
        ("[artifacts]\nwandb = false\n", ["manifest"]),
        ('[artifacts.wandb]\nproject = "p"\nentity = "e"\n', ["manifest", "wandb"]),
        ("[artifacts.wandb]\nenabled = false\n", ["manifest"]),
    ],
)
def test_wandb_from_env_toml(project: Path, toml: str, backends: list[str]) -> None:
    (project / "env.toml").write_text(toml)
    reg = registry()
    assert reg.backends == backends
    if "project" in toml:
        assert isinstance(reg.wandb, WandbBackend)
        assert (reg.wandb.project, reg.wandb.entity) == ("p", "e")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[artifacts]\nbackend = "ftp"\n', r"Unknown \[artifacts\] backend 'ftp'.*Accepted: file, fsspec"),
        ('[artifacts]\nwandb = "yes"\n', r"wandb must be true/false or a table"),
        ('[artifacts.wandb]\nprojcet = "p"\n', r"Unknown key\(s\) projcet in \[artifacts.wandb\]"),
    ],
)
def test_bad_artifacts_section(project: Path, toml: str, message: str) -> None:
    (project / "env.toml").write_text(toml)
    with pytest.raises(ArtifactError, match=message):
        registry()


def test_no_cache_between_calls(project: Path) -> None:
    first = registry()
    (project / "env.toml").write_text('[artifacts]\nroot = "moved"\n')
    second = registry()
    assert first is not second
    assert second.root == str(project / "moved")
