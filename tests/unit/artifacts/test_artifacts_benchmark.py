"""The artifact benchmark runs on 10,000 versions and reports its ratio.

Whether the ratio meets the goal is for `benchmarks/run.py` to say; a test does not time anything.
"""

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


def test_the_table_benchmark_runs_on_10000_versions(tmp_path: Path) -> None:
    bench = _load_bench()
    reg, paths = bench.write_registry(tmp_path, 100, 100, metadata_files=False)
    assert len(paths) == 10_000
    assert len(reg.versions("artifact-042")) == 100
    result = bench.measure(reg, paths, repeats=1)
    assert result["ratio"] > 0 and result["ratio"] < float("inf"), result
