"""Benchmark: artifact tables on 100 artifacts x 100 versions, against reading every manifest once.

Run: ``.venv/bin/python benchmarks/bench_artifacts.py``. Prints
``artifacts.tables: X.XXx floor (goal <= 1.5x)``; ``main()`` returns the figures.

The registry is generated in a temp dir with ``ArtifactRegistry.publish`` (the real
write path). The floor is ``json.load`` of every ``manifest.json`` from a list of
paths known in advance; the measured work is ``table()`` plus ``versions(name)`` for
every name. Both are timed in the same run, best of ``repeats``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from nemo_runspec_nb.artifacts import ArtifactRegistry, table, versions

GOAL = 1.5


def build_registry(
    root: Path, n_artifacts: int = 100, n_versions: int = 100
) -> tuple[ArtifactRegistry, list[str]]:
    """Publish ``n_artifacts`` x ``n_versions`` versions; return the registry and manifest paths."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    reg = ArtifactRegistry(root / "registry")
    paths = []
    for a in range(n_artifacts):
        name = f"artifact-{a:03d}"
        for v in range(n_versions):
            version = reg.publish(
                name,
                data,
                metadata={"rows": v * 10, "loss": 1.0 / (v + 1), "split": "train", "stats": {"mean": v / 2}},
                type="dataset",
                producer=f"bench-{a}",
            )
            paths.append(str(root / "registry" / name / f"v{version}" / "manifest.json"))
    return reg, paths


def write_registry(
    root: Path, n_artifacts: int = 100, n_versions: int = 100, *, metadata_files: bool = True
) -> tuple[ArtifactRegistry, list[str]]:
    """Same layout and bytes as :func:`build_registry`, written directly (fast, for the test suite).

    ``metadata_files=False`` skips the ``metadata.json`` copies, which the tables never read.
    """
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    registry_root = str(root / "registry")
    created_at = datetime.now(timezone.utc).isoformat()
    paths = []
    for a in range(n_artifacts):
        name = f"artifact-{a:03d}"
        for v in range(1, n_versions + 1):
            metadata = {"rows": v * 10, "loss": 1.0 / v, "split": "train", "stats": {"mean": v / 2}}
            manifest = {  # the key order of ArtifactManifest.to_json()
                "name": name,
                "version": v,
                "type": "dataset",
                "path": str(data),
                "created_at": created_at,
                "producer": f"bench-{a}",
                "metadata": metadata,
                "inputs": [],
                "used_artifacts": [],
            }
            version_dir = f"{registry_root}/{name}/v{v}"
            os.makedirs(version_dir)
            if metadata_files:
                with open(f"{version_dir}/metadata.json", "w") as f:
                    f.write(json.dumps(metadata, indent=2))
            with open(f"{version_dir}/manifest.json", "w") as f:
                f.write(json.dumps(manifest, indent=2))
            paths.append(f"{version_dir}/manifest.json")
        with open(f"{registry_root}/{name}/latest", "w") as f:
            f.write(f"v{n_versions}")
    return ArtifactRegistry(registry_root), paths


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(reg: ArtifactRegistry, paths: list[str], repeats: int = 5) -> dict[str, float]:
    """Best-of-``repeats`` seconds for the floor and the tables, and their ratio."""

    def floor() -> None:
        for path in paths:
            with open(path) as f:
                json.load(f)

    def tables() -> None:
        names = table(reg)["name"]
        for name in names:
            versions(name, reg)

    floor(), tables()  # warm the page cache and imports
    floor_s = tables_s = float("inf")
    for _ in range(repeats):  # interleave so both see the same machine load
        floor_s = min(floor_s, _best(floor, 1))
        tables_s = min(tables_s, _best(tables, 1))
    return {"floor_s": floor_s, "tables_s": tables_s, "ratio": tables_s / floor_s}


def main(n_artifacts: int = 100, n_versions: int = 100, repeats: int = 5) -> dict[str, float]:
    """Build the registry in a temp dir, measure, print the one-line result, return the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-artifacts-") as tmp:
        start = time.perf_counter()
        reg, paths = build_registry(Path(tmp), n_artifacts, n_versions)
        build_s = time.perf_counter() - start
        result = measure(reg, paths, repeats)
    result["build_s"] = build_s
    result["manifests"] = float(len(paths))
    print(
        f"artifacts.tables: {result['ratio']:.2f}x floor (goal <= {GOAL}x) "
        f"[tables {result['tables_s'] * 1000:.0f} ms, floor {result['floor_s'] * 1000:.0f} ms, "
        f"{len(paths)} manifests, built in {build_s:.1f} s]"
    )
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["ratio"] <= GOAL else 1)
