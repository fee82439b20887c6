"""``art://`` URLs through fsspec (registered by the package's entry point) and pandas."""

from __future__ import annotations

import os
from pathlib import Path

import fsspec
import pandas as pd
import pytest

from nemo_runspec_nb.artifacts import ArtifactFileSystem, ArtifactRegistry
from nemo_runspec_nb.errors import ArtifactError, ArtifactNotFoundError


@pytest.fixture
def published(
    local_registry: ArtifactRegistry, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ArtifactRegistry:
    """tiny-data v1 = data_dir, v2 = a second directory; the default registry points here."""
    newer = tmp_path / "data2"
    newer.mkdir()
    (newer / "table.csv").write_text("a,b\n5,6\n")
    local_registry.publish("tiny-data", data_dir, type="dataset")
    local_registry.publish("tiny-data", newer)
    local_registry.alias("tiny-data", "first", 1)
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", local_registry.root)
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_WANDB", "0")
    return local_registry


def test_protocol_is_registered_through_the_entry_point() -> None:
    assert fsspec.get_filesystem_class("art") is ArtifactFileSystem


def test_fsspec_open_reads_a_pinned_version(published: ArtifactRegistry) -> None:
    with fsspec.open("art://tiny-data:v1/shards/x.npz") as f:
        assert f.read() == b"\x00\x01binary"
    with fsspec.open("art://tiny-data:first/table.csv", "r") as f:
        assert f.read() == "a,b\n1,2\n3,4\n"


def test_no_version_means_latest(published: ArtifactRegistry) -> None:
    with fsspec.open("art://tiny-data/table.csv", "r") as f:
        assert f.read() == "a,b\n5,6\n"


def test_pandas_reads_art_urls(published: ArtifactRegistry) -> None:
    assert pd.read_csv("art://tiny-data/table.csv")["a"].tolist() == [5]
    frame = pd.read_csv("art://tiny-data:v1/table.csv", storage_options={"root": published.root})
    assert frame["b"].tolist() == [2, 4]


def test_ls_info_exists_cat(published: ArtifactRegistry) -> None:
    fs = ArtifactFileSystem(root=published.root)
    assert sorted(fs.ls("art://tiny-data:v1", detail=False)) == [
        "tiny-data:v1/shards",
        "tiny-data:v1/table.csv",
    ]
    entries = {e["name"]: e for e in fs.ls("tiny-data:v1/shards")}
    assert entries["tiny-data:v1/shards/x.npz"]["type"] == "file"
    info = fs.info("art://tiny-data:v1/table.csv")
    assert (info["name"], info["type"], info["size"]) == ("tiny-data:v1/table.csv", "file", 12)
    assert fs.info("art://tiny-data:v1")["type"] == "directory"
    assert fs.isdir("art://tiny-data:v1/shards")
    assert fs.exists("art://tiny-data:v1/table.csv")
    assert not fs.exists("art://tiny-data:v1/nope.csv")
    assert not fs.exists("art://tiny-data:v9/table.csv")
    assert not fs.exists("art://other/table.csv")
    assert fs.cat("art://tiny-data:v1/table.csv") == b"a,b\n1,2\n3,4\n"
    assert fs.cat_file("art://tiny-data:v1/table.csv", start=0, end=3) == b"a,b"
    assert fs.ls("", detail=False) == ["tiny-data"]


def test_get_copies_files_and_directories(published: ArtifactRegistry, tmp_path: Path) -> None:
    fs = ArtifactFileSystem(root=published.root)
    fs.get("art://tiny-data:v1/table.csv", str(tmp_path / "out.csv"))
    assert (tmp_path / "out.csv").read_text() == "a,b\n1,2\n3,4\n"
    fs.get("art://tiny-data:v1", str(tmp_path / "copy"), recursive=True)
    assert (tmp_path / "copy" / "shards" / "x.npz").read_bytes() == b"\x00\x01binary"
    assert (tmp_path / "copy" / "table.csv").exists()


def test_artifact_that_is_a_single_file(local_registry: ArtifactRegistry, data_dir: Path) -> None:
    local_registry.publish("table", data_dir / "table.csv")
    fs = ArtifactFileSystem(root=local_registry.root)
    assert fs.cat("art://table") == b"a,b\n1,2\n3,4\n"
    assert fs.info("art://table:v1")["type"] == "file"


def test_data_on_another_fsspec_store(memory_registry: ArtifactRegistry, memory_root: str) -> None:
    data = f"{memory_root}-data/d"
    fsspec.filesystem("memory").pipe(f"{data}/a.txt", b"hello")
    memory_registry.publish("remote", data)
    fs = ArtifactFileSystem(registry=memory_registry)
    assert fs.cat("art://remote/a.txt") == b"hello"
    assert fs.ls("art://remote", detail=False) == ["remote/a.txt"]
    fsspec.filesystem("memory").rm(f"{memory_root}-data", recursive=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("art://tiny-data:v1/../../etc/passwd", "leaves the artifact's directory"),
        ("art://tiny-data/shards/../../x", "leaves the artifact's directory"),
        ("art://tiny-data//etc/passwd", "absolute inside the artifact"),
    ],
)
def test_traversal_is_refused(published: ArtifactRegistry, url: str, message: str) -> None:
    fs = ArtifactFileSystem(root=published.root)
    with pytest.raises(ArtifactError, match=message):
        fs.cat(url)
    with pytest.raises(ArtifactError, match=message):
        fs.exists(url)
    with pytest.raises(ArtifactError, match=message), fsspec.open(url):
        pass


def test_symlink_pointing_out_is_refused(published: ArtifactRegistry, data_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("nope")
    os.symlink(secret, data_dir / "escape.txt")
    os.symlink(data_dir / "table.csv", data_dir / "inside.csv")
    fs = ArtifactFileSystem(root=published.root)
    with pytest.raises(ArtifactError, match=r"resolves to .*secret.txt, outside artifact tiny-data:v1"):
        fs.cat("art://tiny-data:v1/escape.txt")
    with pytest.raises(ArtifactError, match="outside artifact"):
        fs.info("art://tiny-data:v1/escape.txt")
    assert fs.cat("art://tiny-data:v1/inside.csv") == b"a,b\n1,2\n3,4\n"


def test_art_filesystem_is_read_only(published: ArtifactRegistry) -> None:
    fs = ArtifactFileSystem(root=published.root)
    with pytest.raises(ArtifactError, match="read-only"):
        fs.open("art://tiny-data/new.csv", "wb")
    with pytest.raises(ArtifactError, match="read-only"):
        fs.rm("art://tiny-data/table.csv")


def test_unknown_artifact_and_malformed_url(published: ArtifactRegistry) -> None:
    fs = ArtifactFileSystem(root=published.root)
    with pytest.raises(ArtifactNotFoundError, match="Did you mean 'tiny-data'"):
        fs.cat("art://tiny-dta/table.csv")
    with pytest.raises(ArtifactError, match="Accepted forms"):
        fs.cat("art://tiny-data:/table.csv")
    with pytest.raises(FileNotFoundError):
        fs.cat("art://tiny-data/missing.csv")


def test_unstrip_protocol(published: ArtifactRegistry) -> None:
    fs = ArtifactFileSystem(root=published.root)
    assert fs.unstrip_protocol("tiny-data:v1/x") == "art://tiny-data:v1/x"
    assert ArtifactFileSystem._strip_protocol("art://tiny-data:v1/x/") == "tiny-data:v1/x"
