from __future__ import annotations

import dataclasses
import json

import pytest

from nemo_runspec_nb.artifacts import ArtifactManifest
from nemo_runspec_nb.errors import ArtifactError


def make(**overrides: object) -> ArtifactManifest:
    fields: dict[str, object] = {
        "name": "tiny-data",
        "version": 3,
        "path": "/data/tiny",
        "created_at": "2026-11-29T10:30:00+00:00",
        "type": "dataset",
        "producer": "prep",
        "metadata": {"rows": 10, "stats": {"mean": 0.5}, "tags": ["a", "b"]},
        "inputs": ["raw:v1"],
        "used_artifacts": ["tok:v2"],
    }
    fields.update(overrides)
    return ArtifactManifest(**fields)  # type: ignore[arg-type]


def test_manifest_is_frozen_and_metadata_read_only() -> None:
    manifest = make()
    with pytest.raises(dataclasses.FrozenInstanceError):
        manifest.version = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        manifest.metadata["rows"] = 11  # type: ignore[index]
    with pytest.raises(TypeError):
        manifest.metadata["stats"]["mean"] = 1  # nested dicts are frozen too
    assert manifest.metadata["tags"] == ("a", "b")


def test_metadata_is_copied_not_shared() -> None:
    source = {"rows": 1}
    manifest = make(metadata=source)
    source["rows"] = 2
    assert manifest.metadata["rows"] == 1


def test_json_round_trip_keeps_every_field() -> None:
    manifest = make()
    data = json.loads(manifest.to_json())
    assert list(data) == [
        "name",
        "version",
        "type",
        "path",
        "created_at",
        "producer",
        "metadata",
        "inputs",
        "used_artifacts",
    ]
    assert data["metadata"] == {"rows": 10, "stats": {"mean": 0.5}, "tags": ["a", "b"]}
    assert ArtifactManifest.from_dict(data) == manifest
    assert manifest.ref == "tiny-data:v3"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a JSON object"),
        ({"name": "x", "version": 1, "path": "/p"}, "missing created_at"),
        ({"name": "x", "version": 0, "path": "/p", "created_at": "t"}, "version must be a positive integer"),
        (
            {"name": "x", "version": "1", "path": "/p", "created_at": "t"},
            "version must be a positive integer",
        ),
        ({"name": "x", "version": 1, "path": "/p", "created_at": "t", "metadata": [1]}, "metadata must be"),
    ],
)
def test_malformed_manifests(data: object, message: str) -> None:
    with pytest.raises(ArtifactError, match=message) as info:
        ArtifactManifest.from_dict(data, source="/reg/x/v1/manifest.json")
    assert "/reg/x/v1/manifest.json" in str(info.value)


def test_lookup_reads_fields_then_metadata() -> None:
    manifest = make()
    assert manifest.lookup("path") == "/data/tiny"
    assert manifest.lookup("version") == 3
    assert manifest.lookup("rows") == 10
    assert manifest.lookup("stats.mean") == 0.5
    assert manifest.lookup("stats") == {"mean": 0.5}
    assert manifest.lookup("inputs") == ["raw:v1"]


def test_lookup_of_unknown_key_suggests_the_closest() -> None:
    with pytest.raises(ArtifactError, match=r"no field or metadata key 'rowz'.*Did you mean 'rows'\?"):
        make().lookup("rowz")
