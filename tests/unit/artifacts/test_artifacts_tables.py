from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nemo_runspec_nb.artifacts import ArtifactRegistry, lineage, table, versions
from nemo_runspec_nb.errors import ArtifactNotFoundError


@pytest.fixture
def chain(any_registry: ArtifactRegistry) -> ArtifactRegistry:
    """raw -> tiny-data (v1, v2) -> model, with a tokenizer used along the way."""
    reg = any_registry
    reg.publish("raw", "memory://raw", type="dataset", producer="download")
    reg.publish("tokenizer", "memory://tok", type="tokenizer")
    reg.publish("tiny-data", "memory://d1", metadata={"rows": 10, "stats": {"mean": 0.5}}, inputs=["raw"])
    reg.publish(
        "tiny-data",
        "memory://d2",
        metadata={"rows": 20, "split": "train", "path": "clash"},
        type="dataset",
        producer="prep",
        inputs=["raw:v1"],
        used=["tokenizer"],
    )
    reg.alias("tiny-data", "best", 1)
    reg.publish("model", "memory://m", type="model", inputs=["tiny-data"], used=["tokenizer:v1"])
    return reg


def test_table_has_one_row_per_artifact(chain: ArtifactRegistry) -> None:
    frame = table(chain)
    assert list(frame.columns) == [
        "name",
        "latest",
        "versions",
        "type",
        "created_at",
        "producer",
        "path",
        "status",
        "problem",
    ]
    assert frame["status"].tolist() == ["OK"] * 4 and frame["problem"].tolist() == [None] * 4
    assert frame["name"].tolist() == ["model", "raw", "tiny-data", "tokenizer"]
    row = frame.set_index("name").loc["tiny-data"]
    assert (row["latest"], row["versions"], row["type"], row["producer"], row["path"]) == (
        2,
        2,
        "dataset",
        "prep",
        "memory://d2",
    )
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"
    assert frame["latest"].dtype == "Int64" and frame["versions"].dtype == "Int64"


def test_empty_registry_gives_empty_tables(any_registry: ArtifactRegistry) -> None:
    frame = table(any_registry)
    assert frame.empty
    assert list(frame.columns)[:7] == ["name", "latest", "versions", "type", "created_at", "producer", "path"]


def test_versions_flattens_metadata_into_columns(chain: ArtifactRegistry) -> None:
    frame = versions("tiny-data", chain)
    assert frame["version"].tolist() == [1, 2]
    assert frame["aliases"].tolist() == [["best"], []]
    assert frame["rows"].tolist() == [10, 20]
    assert frame["stats.mean"].iloc[0] == 0.5 and pd.isna(frame["stats.mean"].iloc[1])
    assert frame["split"].iloc[1] == "train" and pd.isna(frame["split"].iloc[0])
    assert pd.isna(frame["metadata.path"].iloc[0])  # "path" clashes with the fixed column
    assert frame["metadata.path"].iloc[1] == "clash"
    assert frame["path"].tolist() == ["memory://d1", "memory://d2"]
    assert frame["inputs"].tolist() == [["raw:v1"], ["raw:v1"]]
    assert frame["used_artifacts"].tolist() == [[], ["tokenizer:v1"]]
    assert frame["type"].tolist()[1] == "dataset"
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"


def test_versions_of_unknown_name(chain: ArtifactRegistry) -> None:
    with pytest.raises(ArtifactNotFoundError, match="Did you mean 'tiny-data'"):
        versions("tiny-dat", chain)


def test_metadata_mixing_dicts_and_values() -> None:
    from nemo_runspec_nb.artifacts._tables import _metadata_columns

    columns = _metadata_columns([{"a": {"b": 1}}, {"a": 2}, None, {"c": {}}])
    assert columns == {"a": [None, 2, None, None], "a.b": [1, None, None, None], "c": [None, None, None, {}]}


def test_lineage_follows_inputs_and_used_to_any_depth(chain: ArtifactRegistry) -> None:
    frame = lineage("model", registry=chain)
    assert list(frame.columns) == ["from", "to", "relation", "depth"]
    edges = sorted(zip(frame["from"], frame["to"], frame["relation"], frame["depth"], strict=True))
    assert edges == [
        ("model:v1", "tiny-data:v2", "input", 1),
        ("model:v1", "tokenizer:v1", "used", 1),
        ("tiny-data:v2", "raw:v1", "input", 2),
        ("tiny-data:v2", "tokenizer:v1", "used", 2),
    ]


def test_lineage_of_a_given_version(chain: ArtifactRegistry) -> None:
    frame = lineage("tiny-data", 1, registry=chain)
    assert frame[["from", "to", "relation"]].values.tolist() == [["tiny-data:v1", "raw:v1", "input"]]
    assert lineage("tiny-data", "best", registry=chain).equals(frame)
    assert lineage("raw", registry=chain).empty


def test_lineage_keeps_edges_to_upstreams_that_no_longer_resolve(local_registry: ArtifactRegistry) -> None:
    local_registry.publish("raw", "memory://raw")
    local_registry.publish("data", "memory://d", inputs=["raw"])
    import shutil

    shutil.rmtree(Path(local_registry.root) / "raw")
    frame = lineage("data", registry=local_registry)
    assert frame["to"].tolist() == ["raw:v1"]


def test_tables_use_the_default_registry(
    local_registry: ArtifactRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_registry.publish("raw", "memory://raw")
    local_registry.publish("data", "memory://d", inputs=["raw"])
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", local_registry.root)
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_WANDB", "0")
    assert table()["name"].tolist() == ["data", "raw"]
    assert versions("data")["version"].tolist() == [1]
    assert lineage("data")["to"].tolist() == ["raw:v1"]
