"""Benchmark: compose a realistic job config vs the floor of plain OmegaConf.

Generates, in a temp dir, a 3-file ``defaults:`` chain (base -> mid -> top)
with 2,000 leaf keys, an env.toml with a 3-level ``extends`` chain, and 20
overrides; times ``compose_job_config`` (provenance on) against the floor:
``OmegaConf.load`` of the three files plus one ``OmegaConf.merge``. Best of
several repeats each, interleaved, in the same run.

Run: ``.venv/bin/python benchmarks/bench_config.py``
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from omegaconf import OmegaConf

from nemo_runspec_nb.config import compose_job_config

LEAVES = 2_000
GOAL = 3.0
REPEATS = 15


def _write_chain(directory: Path) -> list[Path]:
    """Three files, each with a third of the leaves plus some overlap, 2,000 distinct leaves in all."""
    groups = 20
    per_group = LEAVES // groups
    files = []
    for index, name in enumerate(("base", "mid", "top")):
        lines = []
        if name == "mid":
            lines.append("defaults: [base, _self_]")
        if name == "top":
            lines.append("defaults:\n  - mid\n  - _self_")
        for group in range(groups):
            lines.append(f"section_{group}:")
            for leaf in range(per_group):
                owner = (group * per_group + leaf) % 3
                # each file sets its own third, plus every 10th leaf of the others (overlap)
                if owner == index or leaf % 10 == 0:
                    value = f"${{oc.env:HOME}}/x{leaf}" if leaf % 50 == 0 else leaf * (index + 1)
                    lines.append(f"  key_{leaf}: {value}")
        lines.append("run:\n  data: tiny-data:latest\n  env:\n    nodes: 1\n    mounts: [/a:/a]")
        path = directory / f"{name}.yaml"
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    return files


def _write_env(directory: Path) -> Path:
    path = directory / "env.toml"
    path.write_text(
        '[root]\nexecutor = "slurm"\naccount = "acct"\nmounts = ["/b:/b"]\n'
        '[root.env_vars]\nA = "1"\n\n'
        '[cluster]\nextends = "root"\npartition = "batch"\nhost = "login"\n\n'
        '[dev]\nextends = "cluster"\npartition = "dev"\nnodes = 2\n\n'
        '[wandb]\nproject = "bench"\n'
    )
    return path


def _best(function: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main(repeats: int = REPEATS) -> dict[str, float]:
    """Run the benchmark, print its line and return ``{"config.compose": ratio}``."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "pyproject.toml").write_text("")
        files = _write_chain(directory)
        env_file = _write_env(directory)
        overrides = [f"section_{g}.key_{g * 3}={g}" for g in range(18)]
        overrides += ["+extra.flag=true", "run.env.nodes=4"]

        def floor() -> object:
            loaded = [OmegaConf.load(f) for f in files]
            return OmegaConf.merge(*loaded)

        def compose() -> object:
            return compose_job_config(
                config=files[2],
                overrides=overrides,
                profile="dev",
                mode="batch",
                env_file=env_file,
                provenance=True,
            )

        composed = compose()
        assert len(composed.provenance or ()) >= LEAVES, "benchmark config is smaller than intended"
        floor_s = compose_s = float("inf")
        for _ in range(repeats):  # interleave so machine load hits both alike
            floor_s = min(floor_s, _best(floor, 1))
            compose_s = min(compose_s, _best(compose, 1))
    ratio = compose_s / floor_s
    print(f"config.compose: {ratio:.2f}x floor (goal <= {GOAL:g}x)")
    return {"config.compose": ratio}


if __name__ == "__main__":
    main()
