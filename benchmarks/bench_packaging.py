"""Packaging a 5,000-file repo with CodePackager against `git archive` of the same repo.

Goal: CodePackager takes at most 1.5x the time of
`git archive --format=tar.gz HEAD`. Both are timed in this process, best of
several repeats, on a generated repo of small text files (some ignored, some
untracked) in a temporary directory.

Run: .venv/bin/python benchmarks/bench_packaging.py
"""

from __future__ import annotations

import os
import random
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from nemo_runspec_nb.launch import CodePackager

FILES = 5_000
REPEATS = 7
GOAL = 1.5

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def _text(rng: random.Random, kind: str) -> str:
    words = ["data", "model", "train", "loss", "batch", "step", "config", "token", "layer", "shard"]
    if kind == "py":
        functions = rng.randint(3, 30)
        body = "\n".join(f"def {rng.choice(words)}_{i}(x):\n    return x + {i}\n" for i in range(functions))
        return f'"""Module {rng.random()}."""\n\nimport os\n\n{body}'
    if kind == "yaml":
        return "".join(f"{rng.choice(words)}_{i}: {rng.random():.6f}\n" for i in range(rng.randint(5, 60)))
    return "".join(" ".join(rng.choices(words, k=12)) + "\n" for _ in range(rng.randint(5, 80)))


def make_repo(root: Path, files: int = FILES, seed: int = 0) -> dict[str, int]:
    """A repo of ``files`` tracked files in nested packages, plus ignored and untracked ones."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("*.log\n__pycache__/\noutputs/\n")
    kinds = ["py"] * 6 + ["yaml"] * 2 + ["md"] * 2
    tracked = 1
    for i in range(files - 1):
        top = f"pkg{i % 10}"
        sub = f"sub{(i // 10) % 25}"
        deep = f"mod{(i // 250) % 4}"
        kind = rng.choice(kinds)
        path = root / top / sub / deep / f"file_{i}.{kind}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_text(rng, kind))
        tracked += 1
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "generated")
    ignored = untracked = 0
    for i in range(200):
        (root / f"pkg{i % 10}" / f"run_{i}.log").write_text("log line\n" * 50)
        out = root / "outputs" / f"ckpt_{i}.txt"
        out.parent.mkdir(exist_ok=True)
        out.write_text("weights\n")
        ignored += 2
    for i in range(50):
        (root / f"pkg{i % 10}" / f"scratch_{i}.py").write_text(_text(rng, "py"))
        untracked += 1
    recipe = root / "recipes" / "train.py"
    recipe.parent.mkdir()
    recipe.write_text("print('train')\n")
    untracked += 1
    return {"tracked": tracked, "ignored": ignored, "untracked": untracked}


def _best(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> dict[str, float]:
    """Time both ways of packaging; return the figures (seconds and the ratio)."""
    with tempfile.TemporaryDirectory(prefix="bench-packaging-") as tmp:
        repo = Path(tmp) / "repo"
        counts = make_repo(repo)
        out = Path(tmp) / "job"
        archive = Path(tmp) / "archive.tar.gz"
        packager = CodePackager()

        def code() -> None:
            packager.package(repo / "recipes" / "train.py", out)

        def git_archive() -> None:
            subprocess.run(
                ["git", "archive", "--format=tar.gz", f"--output={archive}", "HEAD"],
                cwd=repo,
                check=True,
                capture_output=True,
            )

        code()  # warm the page cache for both
        git_archive()
        with tarfile.open(out / "code.tar.gz") as tar:
            packaged = len(tar.getnames())
        expected = counts["tracked"] + counts["untracked"] + 1  # + the launcher
        if packaged != expected:
            raise RuntimeError(f"CodePackager packed {packaged} files, expected {expected}")
        code_s = _best(code, REPEATS)
        git_s = _best(git_archive, REPEATS)
    ratio = code_s / git_s
    figures = {
        "packaging.code_seconds": code_s,
        "packaging.git_archive_seconds": git_s,
        "packaging.code_vs_git_archive": ratio,
        "packaging.files": float(packaged),
    }
    print(
        f"packaging.code: {figures['packaging.code_vs_git_archive']:.2f}x git archive (goal <= {GOAL}x)"
        f" [{figures['packaging.code_seconds'] * 1000:.0f} ms vs"
        f" {figures['packaging.git_archive_seconds'] * 1000:.0f} ms,"
        f" {figures['packaging.files']:.0f} files]"
    )
    return figures


if __name__ == "__main__":
    main()
