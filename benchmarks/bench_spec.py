"""Benchmarks of runspec/: parse() against a floor, discover() against grep, hostile headers.

Each figure is a ratio of two timings taken in the same run (best of N),
so it does not depend on how fast this machine is.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from nemo_runspec_nb.errors import SpecError
from nemo_runspec_nb.runspec import discover, parse, parse_text

BLOCK_RE = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")

BODY = '''"""Train a model on the data the prep stage published."""

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    args = parser.parse_args()
    print("training with", args.config, os.getcwd())


if __name__ == "__main__":
    main()
'''


def recipe_text(i: int) -> str:
    block = f"""# /// script
# requires-python = ">=3.10"
# dependencies = ["numpy", "omegaconf"]
#
# [tool.runspec]
# schema = "1"
# docs = "https://example.org/runspec/v1"
# name = "family{i % 50}/stage{i}"
# image = "nvcr.io/nvidia/nemo:25.{i % 12:02d}"
# setup = "megatron and the tokenizer are in the image"
#
# [tool.runspec.run]
# launch = "{("torchrun", "ray", "direct")[i % 3]}"
# cmd = "python {{script}} --config {{config}}"
#
# [tool.runspec.config]
# dir = "./config"
# default = "default"
#
# [tool.runspec.resources]
# nodes = {1 + i % 8}
# gpus_per_node = 8
#
# [tool.runspec.env]
# NCCL_DEBUG = "WARN"
# ///
"""
    return block + BODY


def best_of(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_parse(tmp: Path, count: int = 2000, repeats: int = 5) -> float:
    folder = tmp / "parse"
    folder.mkdir()
    paths = []
    for i in range(count):
        path = folder / f"recipe_{i}.py"
        path.write_text(recipe_text(i))
        paths.append(path)

    def floor() -> None:
        for path in paths:
            text = path.read_bytes().decode()
            match = BLOCK_RE.search(text)
            assert match is not None
            content = "".join(line[2:] for line in match.group("content").splitlines(keepends=True))
            tomllib.loads(content)

    def ours() -> None:
        for path in paths:
            parse(path)

    floor()
    ours()  # warm caches
    return best_of(ours, repeats) / best_of(floor, repeats)


def make_tree(root: Path, files: int = 20_000, recipes: int = 2_000, seed: int = 7) -> None:
    rng = random.Random(seed)
    kinds = ["module", "yaml", "text", "json", "test"]
    made = 0
    project = 0
    while made < files:
        project += 1
        base = root / f"project{project}" / "src" / f"pkg{project}"
        for sub in range(5):
            folder = base / f"sub{sub}"
            folder.mkdir(parents=True, exist_ok=True)
            for _ in range(40):
                if made >= files:
                    break
                if made % (files // recipes) == 0:
                    (folder / f"recipe_{made}.py").write_text(recipe_text(made))
                else:
                    kind = rng.choice(kinds)
                    if kind in ("module", "test"):
                        (folder / f"mod_{made}.py").write_text(BODY * rng.randint(1, 4))
                    elif kind == "yaml":
                        (folder / f"cfg_{made}.yaml").write_text("a: 1\nb: [1, 2, 3]\n" * 20)
                    elif kind == "json":
                        (folder / f"data_{made}.json").write_text('{"k": [1, 2, 3]}\n' * 20)
                    else:
                        (folder / f"notes_{made}.txt").write_text("some notes\n" * 30)
                made += 1


def bench_discover(tmp: Path, repeats: int = 5) -> tuple[float, float, int]:
    """(cold ratio, warm ratio, recipes found).

    Cold: no discovery index, every candidate is read and parsed. Warm: the
    index from a previous call is reused (the files are older than the racy
    window), which is what a user re-listing a tree gets.
    """
    root = tmp / "tree"
    make_tree(root)
    past = time.time() - 60
    for folder, _, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(folder, name), (past, past))
    grep = ["grep", "-rl", "--include=*.py", "# /// script", str(root)]
    index_dir = tmp / "index"

    def floor() -> None:
        subprocess.run(grep, stdout=subprocess.DEVNULL, check=True)

    found: list[int] = []

    def cold() -> None:
        found.append(len(discover(root, cache=False)))

    def warm() -> None:
        found.append(len(discover(root, cache=index_dir)))

    floor()
    cold()
    warm()
    grep_time = best_of(floor, repeats)
    return best_of(cold, repeats) / grep_time, best_of(warm, repeats) / grep_time, found[-1]


OPENERS_SIZE = 94_000
OPENERS_GOAL = 2.0


def opener_text(size: int = OPENERS_SIZE) -> str:
    """A script of nothing but ``# /// script`` lines (no closing line): ``size`` bytes."""
    line = "# /// script\n"
    return line * (size // len(line))


def normal_text(size: int = OPENERS_SIZE) -> str:
    """A well-formed recipe padded with ordinary code to ``size`` bytes."""
    text = recipe_text(0)
    while len(text) < size:
        text += BODY
    return text[:size]


def bench_openers(repeats: int = 7) -> float:
    """Rejecting a file of block openers, as a multiple of parsing a normal recipe of the same size.

    The block scan is linear, so the ratio stays small; with a backtracking
    scan it grows with the square of the file size (minutes for 1 MB).
    """
    hostile = opener_text()
    normal = normal_text()
    assert len(hostile) > 0.99 * OPENERS_SIZE and len(normal) == OPENERS_SIZE

    def reject() -> None:
        try:
            parse_text(hostile, "openers.py")
        except SpecError:
            return
        raise AssertionError("a file of openers must not parse")

    def accept() -> None:
        parse_text(normal, "normal.py")

    reject()
    accept()
    return best_of(reject, repeats) / best_of(accept, repeats)


def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        parse_ratio = bench_parse(Path(tmp))
        cold_ratio, warm_ratio, found = bench_discover(Path(tmp))
    assert found == 2000, found
    print(f"spec.parse: {parse_ratio:.2f}x floor (goal <= 1.5x)")
    print(f"spec.discover: {warm_ratio:.2f}x grep -rl (goal <= 2x; with the discovery index)")
    print(f"spec.discover.cold: {cold_ratio:.2f}x grep -rl (goal <= 3x; no index: all read and parsed)")
    openers_ratio = bench_openers()
    print(
        f"spec.openers: {openers_ratio:.2f}x a normal recipe of the same size "
        f"({OPENERS_SIZE // 1000} KB of '# /// script' lines; goal <= {OPENERS_GOAL:g}x)"
    )
    return {
        "spec.parse": parse_ratio,
        "spec.discover": warm_ratio,
        "spec.discover.cold": cold_ratio,
        "spec.openers": openers_ratio,
    }


if __name__ == "__main__":
    main()
