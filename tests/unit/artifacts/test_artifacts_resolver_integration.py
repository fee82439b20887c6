"""The config layer's ``${art:NAME,FIELD}`` reads from this registry through ``registry.get``."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_runspec_nb.artifacts import ArtifactRegistry
from nemo_runspec_nb.errors import ArtifactNotFoundError

resolvers = pytest.importorskip("nemo_runspec_nb.config")


def test_art_interpolations_resolve_against_the_registry(
    local_registry: ArtifactRegistry, data_dir: Path
) -> None:
    local_registry.publish("tiny-data", data_dir, metadata={"rows": 4}, type="dataset")
    local_registry.publish("tiny-data", data_dir, metadata={"rows": 8}, type="dataset")
    session = resolvers.ResolverSession(registry=local_registry)
    resolved = session.resolve(
        {
            "run": {"data": "tiny-data:v1"},
            "data_path": "${art:data,path}",
            "rows": "${art:data,rows}",
            "latest_version": "${art:tiny-data,version}",
            "kind": "${art:tiny-data:latest,type}",
        }
    )
    assert resolved.data_path == str(data_dir)
    assert resolved.rows == 4
    assert resolved.latest_version == 2
    assert resolved.kind == "dataset"


def test_unknown_artifact_in_an_interpolation(local_registry: ArtifactRegistry, data_dir: Path) -> None:
    local_registry.publish("tiny-data", data_dir)
    session = resolvers.ResolverSession(registry=local_registry)
    with pytest.raises(ArtifactNotFoundError, match="Did you mean 'tiny-data'"):
        session.resolve({"p": "${art:tiny-dta,path}"})
