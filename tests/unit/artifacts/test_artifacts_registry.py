from __future__ import annotations

import json
from pathlib import Path

import pytest

from nemo_runspec_nb.artifacts import ArtifactManifest, ArtifactRegistry
from nemo_runspec_nb.errors import ArtifactError, ArtifactNotFoundError, ArtifactVersionNotFoundError


def test_publish_returns_consecutive_versions_and_get_reads_them(any_registry: ArtifactRegistry) -> None:
    reg = any_registry
    assert reg.publish("tiny-data", "memory://data/a", metadata={"rows": 1}, type="dataset") == 1
    assert reg.publish("tiny-data", "memory://data/b", metadata={"rows": 2}, producer="prep") == 2
    first = reg.get("tiny-data:v1")
    assert isinstance(first, ArtifactManifest)
    assert (first.name, first.version, first.type, first.path) == (
        "tiny-data",
        1,
        "dataset",
        "memory://data/a",
    )
    assert first.metadata == {"rows": 1}
    latest = reg.get("tiny-data")
    assert (latest.version, latest.producer, latest.path) == (2, "prep", "memory://data/b")
    assert reg.get("tiny-data:latest") == latest
    assert reg.get("tiny-data:2") == latest
    assert reg.resolve("tiny-data:v1") == "memory://data/a"
    assert reg.versions("tiny-data") == [1, 2]
    assert [m.version for m in reg.history("tiny-data")] == [1, 2]
    assert latest.created_at.endswith("+00:00")


def test_list_names_sorted(any_registry: ArtifactRegistry) -> None:
    assert any_registry.list() == []
    for name in ("b", "a", "c-1"):
        any_registry.publish(name, "memory://d")
    assert any_registry.list() == ["a", "b", "c-1"]


def test_layout_on_disk(local_registry: ArtifactRegistry, data_dir: Path) -> None:
    local_registry.publish("tiny-data", data_dir, metadata={"rows": 2}, type="dataset")
    local_registry.publish("tiny-data", data_dir, metadata={"rows": 3})
    local_registry.alias("tiny-data", "best", 1)
    root = Path(local_registry.root)
    manifest = json.loads((root / "tiny-data" / "v2" / "manifest.json").read_text())
    assert set(manifest) == {
        "name",
        "version",
        "type",
        "path",
        "created_at",
        "producer",
        "metadata",
        "inputs",
        "used_artifacts",
    }
    assert manifest["version"] == 2
    assert manifest["path"] == str(data_dir)
    assert json.loads((root / "tiny-data" / "v1" / "metadata.json").read_text()) == {"rows": 2}
    assert (root / "tiny-data" / "latest").read_text() == "v2"
    assert (root / "tiny-data" / "aliases" / "best").read_text() == "v1"


def test_data_stays_where_it_is(local_registry: ArtifactRegistry, data_dir: Path) -> None:
    before = sorted(p.relative_to(data_dir) for p in data_dir.rglob("*"))
    local_registry.publish("tiny-data", data_dir)
    assert sorted(p.relative_to(data_dir) for p in data_dir.rglob("*")) == before
    assert not any(Path(local_registry.root).rglob("*.csv"))


def test_relative_local_paths_are_made_absolute(
    local_registry: ArtifactRegistry, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    local_registry.publish("tiny-data", "data")
    assert local_registry.resolve("tiny-data") == str(data_dir)


def test_missing_local_data_path_is_refused(local_registry: ArtifactRegistry, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="does not exist"):
        local_registry.publish("tiny-data", tmp_path / "nope")
    with pytest.raises(ArtifactError, match="empty"):
        local_registry.publish("tiny-data", "")
    assert local_registry.list() == []


def test_invalid_name_is_refused(any_registry: ArtifactRegistry) -> None:
    with pytest.raises(ArtifactError, match=r"Invalid artifact name '\.\./x'"):
        any_registry.publish("../x", "memory://d")


def test_metadata_must_be_json(any_registry: ArtifactRegistry) -> None:
    with pytest.raises(ArtifactError, match="metadata of 'x' is not JSON-serializable"):
        any_registry.publish("x", "memory://d", metadata={"obj": object()})
    any_registry.publish("x", "memory://d", metadata={"p": Path("/a/b")})
    assert any_registry.get("x").metadata["p"] == "/a/b"


def test_unknown_name_suggests_the_closest(any_registry: ArtifactRegistry) -> None:
    any_registry.publish("tiny-data", "memory://d")
    any_registry.publish("model", "memory://d")
    with pytest.raises(ArtifactNotFoundError) as info:
        any_registry.get("tiny-dta:v1")
    assert not isinstance(info.value, ArtifactVersionNotFoundError)
    message = str(info.value)
    assert "Artifact 'tiny-dta' not found in registry" in message
    assert "Did you mean 'tiny-data'?" in message
    assert "Available: model, tiny-data" in message


def test_empty_registry_says_so(any_registry: ArtifactRegistry) -> None:
    with pytest.raises(ArtifactNotFoundError, match="registry is empty"):
        any_registry.resolve("anything")
    with pytest.raises(ArtifactNotFoundError):
        any_registry.versions("anything")


def test_unknown_version_lists_existing_versions_and_aliases(any_registry: ArtifactRegistry) -> None:
    for _ in range(3):
        any_registry.publish("tiny-data", "memory://d")
    any_registry.alias("tiny-data", "best", 2)
    with pytest.raises(ArtifactVersionNotFoundError) as info:
        any_registry.get("tiny-data:v7")
    assert isinstance(info.value, ArtifactNotFoundError)
    assert str(info.value) == (
        "Artifact 'tiny-data' has no version 7. Existing versions: v1-v3; aliases: best -> v2"
    )
    with pytest.raises(ArtifactVersionNotFoundError, match=r"no alias 'bset'.*Did you mean 'best'\?"):
        any_registry.get("tiny-data:bset")


def test_malformed_ref_raises_artifact_error(any_registry: ArtifactRegistry) -> None:
    with pytest.raises(ArtifactError, match="Accepted forms"):
        any_registry.get("tiny-data:")


def test_aliases_point_and_move(any_registry: ArtifactRegistry) -> None:
    for _ in range(3):
        any_registry.publish("m", "memory://d")
    assert any_registry.alias("m", "best", 1) == 1
    assert any_registry.get("m:best").version == 1
    assert any_registry.alias("m", "best", "v3") == 3
    assert any_registry.alias("m", "prod", "best") == 3
    assert any_registry.alias("m", "first", "1") == 1
    assert any_registry.aliases("m") == {"best": 3, "first": 1, "prod": 3}
    assert any_registry.get("m:best").version == 3


def test_alias_errors(any_registry: ArtifactRegistry) -> None:
    any_registry.publish("m", "memory://d")
    with pytest.raises(ArtifactError, match="reserved"):
        any_registry.alias("m", "latest", 1)
    with pytest.raises(ArtifactVersionNotFoundError, match="no version 5"):
        any_registry.alias("m", "best", 5)
    with pytest.raises(ArtifactNotFoundError, match="'n' not found"):
        any_registry.alias("n", "best", 1)


def test_inputs_and_used_are_pinned_to_versions(any_registry: ArtifactRegistry) -> None:
    any_registry.publish("raw", "memory://raw")
    any_registry.publish("raw", "memory://raw2")
    any_registry.publish("tok", "memory://tok")
    raw = any_registry.get("raw:v1")
    any_registry.publish("data", "memory://d", inputs=["raw", raw], used=["art://tok/vocab.json"])
    data = any_registry.get("data")
    assert data.inputs == ("raw:v2", "raw:v1")
    assert data.used_artifacts == ("tok:v1",)


def test_unknown_inputs_are_refused(any_registry: ArtifactRegistry) -> None:
    with pytest.raises(ArtifactNotFoundError, match=r"inputs: Artifact 'raw' not found"):
        any_registry.publish("data", "memory://d", inputs=["raw"])
    assert any_registry.list() == []


def test_exists(any_registry: ArtifactRegistry) -> None:
    any_registry.publish("x", "memory://d")
    assert any_registry.exists("x") and any_registry.exists("x:v1")
    assert not any_registry.exists("x:v2") and not any_registry.exists("y")


def test_corrupt_manifest_is_reported(local_registry: ArtifactRegistry) -> None:
    local_registry.publish("x", "memory://d")
    manifest = Path(local_registry.root) / "x" / "v1" / "manifest.json"
    manifest.write_text("{not json")
    with pytest.raises(ArtifactError, match=r"manifest.json is not valid JSON"):
        local_registry.get("x")
    manifest.write_text(json.dumps({"name": "y", "version": 1, "path": "/p", "created_at": "t"}))
    with pytest.raises(ArtifactError, match="says y:v1, expected x:v1"):
        local_registry.get("x:v1")


def test_latest_pointer_lost_falls_back_to_a_scan(local_registry: ArtifactRegistry) -> None:
    for _ in range(3):
        local_registry.publish("x", "memory://d")
    (Path(local_registry.root) / "x" / "latest").unlink()
    assert local_registry.get("x").version == 3
    assert local_registry.publish("x", "memory://d") == 4
    assert (Path(local_registry.root) / "x" / "latest").read_text() == "v4"


def test_lagging_latest_pointer_is_overtaken(local_registry: ArtifactRegistry) -> None:
    """A publisher that committed v3 but died before raising ``latest`` is still seen."""
    for _ in range(3):
        local_registry.publish("x", "memory://d")
    (Path(local_registry.root) / "x" / "latest").write_text("v2")
    assert local_registry.get("x").version == 3
    assert local_registry.publish("x", "memory://d") == 4


def test_claimed_but_uncommitted_version_is_invisible(local_registry: ArtifactRegistry) -> None:
    local_registry.publish("x", "memory://d")
    (Path(local_registry.root) / "x" / "v2").mkdir()  # a publisher claimed v2 and is still writing
    assert local_registry.versions("x") == [1]
    assert local_registry.get("x").version == 1
    with pytest.raises(ArtifactVersionNotFoundError):
        local_registry.get("x:v2")
    assert local_registry.publish("x", "memory://d") == 3


def test_registry_repr_and_root(tmp_path: Path, memory_root: str) -> None:
    local = ArtifactRegistry(tmp_path / "r")
    assert local.root == str(tmp_path / "r") and local.is_local
    assert repr(local) == f"ArtifactRegistry({str(tmp_path / 'r')!r})"
    assert ArtifactRegistry(f"file://{tmp_path}/r").is_local
    memory = ArtifactRegistry(memory_root + "/")
    assert memory.root == memory_root and not memory.is_local
    assert memory.backends == ["manifest"]
