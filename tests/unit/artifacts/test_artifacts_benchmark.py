"""Tables on 10,000 versions come back within the benchmark goal (<= 1.5x reading each manifest once)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_artifacts.py"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_artifacts", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_artifacts", module)
    spec.loader.exec_module(module)
    return module


def test_tables_on_10000_versions_within_goal(tmp_path: Path) -> None:
    bench = _load_bench()
    reg, paths = bench.write_registry(tmp_path, 100, 100, metadata_files=False)
    assert len(paths) == 10_000
    assert len(reg.versions("artifact-042")) == 100
    result = bench.measure(reg, paths, repeats=3)
    if result["ratio"] > bench.GOAL:  # one retry: the 2 shared cores can be busy with other suites
        result = bench.measure(reg, paths, repeats=5)
    assert result["ratio"] <= bench.GOAL, result
