"""Resolution through the W&B API, against a stand-in API object (no W&B server is reachable here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nemo_runspec_nb.artifacts import ArtifactRef, ArtifactRegistry, WandbBackend
from nemo_runspec_nb.errors import ArtifactError, ArtifactNotFoundError, ArtifactVersionNotFoundError


@dataclass
class Entry:
    ref: str


@dataclass
class Manifest:
    entries: dict[str, Entry]


@dataclass
class FakeArtifact:
    name: str
    version: str
    type: str
    metadata: dict[str, Any]
    manifest: Manifest
    created_at: str = "2026-11-29T09:00:00Z"


@dataclass
class FakeApi:
    """Answers ``artifact("entity/project/name:alias")`` like ``wandb.Api`` does."""

    artifacts: dict[str, FakeArtifact] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def artifact(self, name: str, type: str | None = None) -> FakeArtifact:
        self.asked.append(name)
        if name not in self.artifacts:
            raise ValueError(f"artifact {name} not found")  # the client raises CommError/ValueError
        return self.artifacts[name]


def registry_logged(version: int, path: str) -> FakeArtifact:
    return FakeArtifact(
        name=f"tiny-data:v{version - 1}",
        version=f"v{version - 1}",
        type="dataset",
        metadata={
            "rows": 10 * version,
            "nemotron_registry": {
                "version": version,
                "path": path,
                "producer": "prep",
                "created_at": "2026-11-29T10:00:00+00:00",
                "inputs": ["raw:v1"],
                "used_artifacts": [],
            },
        },
        manifest=Manifest({"a.txt": Entry(f"file://{path}/a.txt")}),
    )


@pytest.fixture
def api() -> FakeApi:
    fake = FakeApi()
    v2 = registry_logged(2, "/data/v2")
    fake.artifacts["team/proj/tiny-data:latest"] = v2
    fake.artifacts["team/proj/tiny-data:registry-v2"] = v2
    fake.artifacts["team/proj/tiny-data:best"] = registry_logged(1, "/data/v1")
    fake.artifacts["team/proj/external:v0"] = FakeArtifact(
        name="external:v0",
        version="v0",
        type="model",
        metadata={"acc": 0.9},
        manifest=Manifest(
            {"w.bin": Entry("s3://bucket/model/w.bin"), "c.json": Entry("s3://bucket/model/c.json")}
        ),
    )
    fake.artifacts["team/proj/external:latest"] = fake.artifacts["team/proj/external:v0"]
    return fake


def test_latest_and_version_through_the_api(api: FakeApi) -> None:
    backend = WandbBackend(project="proj", entity="team", api=api)
    latest = backend.get(ArtifactRef("tiny-data"))
    assert (latest.name, latest.version, latest.path, latest.type) == ("tiny-data", 2, "/data/v2", "dataset")
    assert latest.metadata == {"rows": 20}
    assert latest.inputs == ("raw:v1",) and latest.producer == "prep"
    assert backend.get(ArtifactRef("tiny-data", "version", version=2)) == latest
    assert api.asked[-1] == "team/proj/tiny-data:registry-v2"
    assert backend.get(ArtifactRef("tiny-data", "alias", alias="best")).path == "/data/v1"


def test_artifacts_logged_elsewhere_map_wandb_v0_to_version_1(api: FakeApi) -> None:
    backend = WandbBackend(project="proj", entity="team", api=api)
    external = backend.get(ArtifactRef("external", "version", version=1))
    assert api.asked[-2:] == ["team/proj/external:registry-v1", "team/proj/external:v0"]
    assert (external.version, external.path, external.type) == (1, "s3://bucket/model", "model")
    assert external.metadata == {"acc": 0.9}


def test_missing_artifact_is_not_found(api: FakeApi) -> None:
    backend = WandbBackend(project="proj", entity="team", api=api)
    with pytest.raises(ArtifactVersionNotFoundError, match="W&B has no artifact team/proj/nope:latest"):
        backend.get(ArtifactRef("nope"))


def test_registry_falls_back_to_wandb_for_names_it_lacks(api: FakeApi, tmp_path: Path) -> None:
    reg = ArtifactRegistry(tmp_path / "registry", wandb=WandbBackend(project="proj", entity="team", api=api))
    assert reg.resolve("tiny-data") == "/data/v2"
    assert reg.get("tiny-data:best").version == 1
    with pytest.raises(ArtifactNotFoundError, match="Artifact 'nope' not found in registry"):
        reg.get("nope")


def test_local_manifests_win_over_wandb(api: FakeApi, tmp_path: Path, data_dir: Path) -> None:
    class NoLog(WandbBackend):
        def log(self, manifest: Any) -> None:
            return None

    reg = ArtifactRegistry(tmp_path / "registry", wandb=NoLog(project="proj", entity="team", api=api))
    reg.publish("tiny-data", data_dir)
    assert reg.resolve("tiny-data") == str(data_dir)
    assert api.asked == []


def test_unqualified_names_when_no_project_is_set() -> None:
    api = FakeApi()
    backend = WandbBackend(api=api)
    with pytest.raises(ArtifactNotFoundError):
        backend.get(ArtifactRef("x"))
    assert api.asked == ["x:latest"]


def test_non_reference_artifacts_are_refused() -> None:
    api = FakeApi({"x:latest": FakeArtifact("x:v0", "v0", "t", {}, Manifest({}))})
    with pytest.raises(ArtifactError, match="not a single-location reference artifact"):
        WandbBackend(api=api).get(ArtifactRef("x"))


def test_from_settings() -> None:
    assert WandbBackend.from_settings(None) is None
    assert WandbBackend.from_settings(False) is None
    assert isinstance(WandbBackend.from_settings(True), WandbBackend)
    backend = WandbBackend.from_settings({"project": "p", "entity": "e"})
    assert backend is not None and repr(backend) == "WandbBackend(project='p', entity='e')"
    with pytest.raises(ArtifactError, match="must be true/false or a table"):
        WandbBackend.from_settings("yes")  # type: ignore[arg-type]


def test_wandb_logging_failure_keeps_the_published_version(tmp_path: Path, data_dir: Path) -> None:
    class Broken(WandbBackend):
        def log(self, manifest: Any) -> None:
            raise RuntimeError("no network")

    reg = ArtifactRegistry(tmp_path / "registry", wandb=Broken(api=FakeApi()))
    with pytest.raises(
        ArtifactError, match=r"Published tiny-data:v1 to .*, but logging it to W&B failed: no network"
    ):
        reg.publish("tiny-data", data_dir)
    assert reg.versions("tiny-data") == [1]
