"""Run every benchmark and print its figures (ratios measured in the same run).

Usage: .venv/bin/python benchmarks/run.py [NAME ...]   (e.g. `spec config`)
Each benchmarks/bench_NAME.py exposes main() -> dict[str, float] and prints
one line per figure with its goal.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    results: dict[str, float] = {}
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        results.update(module.main())
        print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
