"""Resolving ``latest`` opens the same few files whatever the number of versions."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fsspec
import pytest

from nemo_runspec_nb.artifacts import ArtifactRegistry


def _count_local_opens(monkeypatch: pytest.MonkeyPatch, root: str) -> list[str]:
    opened: list[str] = []
    real_open: Callable[..., int] = os.open

    def counting_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).startswith(root):
            opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    return opened


@pytest.mark.parametrize("ref", ["x", "x:latest"])
def test_local_latest_opens_two_files_for_1_or_200_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ref: str
) -> None:
    small = ArtifactRegistry(tmp_path / "small")
    big = ArtifactRegistry(tmp_path / "big")
    small.publish("x", "memory://d")
    for _ in range(200):
        big.publish("x", "memory://d")

    counts = []
    for reg in (small, big):
        opened = _count_local_opens(monkeypatch, reg.root)
        assert reg.resolve(ref) == "memory://d"
        counts.append(len(opened))
        assert [Path(p).name for p in opened] == ["latest", "manifest.json"]
        monkeypatch.undo()
    assert counts == [2, 2]


def test_memory_store_latest_reads_two_objects_for_1_or_200_versions(
    memory_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs = fsspec.filesystem("memory")
    small = ArtifactRegistry(memory_root + "/small")
    big = ArtifactRegistry(memory_root + "/big")
    small.publish("x", "memory://d")
    for _ in range(200):
        big.publish("x", "memory://d")

    counts = []
    for reg in (small, big):
        reads: list[str] = []
        real_cat = fs.cat_file
        real_open = fs._open

        def counting_cat(
            path: str, *args: Any, _real: Any = real_cat, _reads: list[str] = reads, **kwargs: Any
        ) -> Any:
            _reads.append(path)
            return _real(path, *args, **kwargs)

        def counting_open(
            path: str, *args: Any, _real: Any = real_open, _reads: list[str] = reads, **kwargs: Any
        ) -> Any:
            _reads.append(path)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(fs, "cat_file", counting_cat)
        monkeypatch.setattr(fs, "_open", counting_open)
        assert reg.get("x").version in (1, 200)
        counts.append(len(reads))
        monkeypatch.undo()
    assert counts == [2, 2]
