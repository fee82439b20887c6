"""Several processes publishing the same name: distinct consecutive versions, none lost."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

from nemo_runspec_nb.artifacts import ArtifactRegistry
from nemo_runspec_nb.errors import ArtifactNotFoundError

PROCESSES = 8
PUBLISHES = 25


def _publisher(root: str, worker: int, start: Any, out: Any) -> None:
    reg = ArtifactRegistry(root)
    start.wait()
    out.put(
        (worker, [reg.publish("shared", "memory://d", metadata={"worker": worker}) for _ in range(PUBLISHES)])
    )


def _reader(root: str, stop: Any, start: Any, out: Any) -> None:
    """Resolve latest in a loop while publishers run: it must parse and never go backwards."""
    reg = ArtifactRegistry(root)
    seen: list[int] = []
    backwards = 0
    start.wait()
    while not stop.is_set():
        try:
            version = reg.get("shared").version
        except ArtifactNotFoundError:  # the first publish is not committed yet
            continue
        if seen and version < seen[-1]:
            backwards += 1
        seen.append(version)
    out.put({"reads": len(seen), "backwards": backwards})


def test_eight_processes_publishing_25_times_get_versions_1_to_200(tmp_path: Path) -> None:
    root = str(tmp_path / "registry")
    ctx = multiprocessing.get_context("spawn")
    start, stop = ctx.Event(), ctx.Event()
    published, read = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_publisher, args=(root, w, start, published)) for w in range(PROCESSES)]
    procs.append(ctx.Process(target=_reader, args=(root, stop, start, read)))
    for proc in procs:
        proc.start()
    try:
        start.set()
        by_worker = dict(published.get(timeout=120) for _ in range(PROCESSES))
        stop.set()
        reads = read.get(timeout=60)
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=30)
    assert all(proc.exitcode == 0 for proc in procs)
    results = [by_worker[w] for w in range(PROCESSES)]

    claimed = sorted(v for result in results for v in result)
    assert claimed == list(range(1, PROCESSES * PUBLISHES + 1))
    for result in results:
        assert result == sorted(result)  # each publisher sees its own versions increase
    reg = ArtifactRegistry(root)
    assert reg.versions("shared") == list(range(1, 201))
    assert (Path(root) / "shared" / "latest").read_text() == "v200"
    assert reg.get("shared").version == 200
    # every version's manifest is complete and names the publisher that got it
    owners = {}
    for result_index, result in enumerate(results):
        for v in result:
            owners[v] = result_index
    for manifest in reg.history("shared"):
        assert manifest.metadata["worker"] == owners[manifest.version]
    assert reads["reads"] > 0
    assert reads["backwards"] == 0
    assert list(Path(root).rglob("*.tmp")) == []


def test_manifest_files_are_replaced_atomically(tmp_path: Path) -> None:
    """No temp files linger and each manifest is valid JSON right after publish."""
    reg = ArtifactRegistry(tmp_path / "registry")
    for _ in range(5):
        version = reg.publish("x", "memory://d", metadata={"blob": "y" * 10_000})
        path = Path(reg.root) / "x" / f"v{version}" / "manifest.json"
        assert json.loads(path.read_text())["version"] == version
    assert sorted(os.listdir(Path(reg.root) / "x" / "v1")) == ["manifest.json", "metadata.json"]


def test_threads_publishing_share_the_same_guarantees(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    reg = ArtifactRegistry(tmp_path / "registry")
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda i: reg.publish("t", "memory://d", metadata={"i": i}), range(60)))
    assert sorted(got) == list(range(1, 61))
    assert (Path(reg.root) / "t" / "latest").read_text() == "v60"
