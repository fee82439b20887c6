# /// script
# requires-python = ">=3.10"
# dependencies = ["torch==2.13.0+cpu", "omegaconf"]
#
# [tool.runspec]
# schema = "1"
# name = "ddp/allreduce"
# setup = "CPU PyTorch (torch==2.13.0+cpu), omegaconf; nemo_runspec_nb for artifact tracking"
#
# [tool.runspec.run]
# launch = "torchrun"
#
# [tool.runspec.config]
# dir = "./config"
# default = "default"
#
# [tool.runspec.resources]
# nodes = 1
# gpus_per_node = 2
#
# [tool.runspec.env]
# OMP_NUM_THREADS = "1"
# ///
"""Distributed check: every rank adds ``rank + 1`` with a gloo all-reduce.

torchrun starts the processes (``launch = "torchrun"``); each one joins the
process group, all-reduces its value and prints one ``allreduce:`` line with
its rank, node and the GPUs Slurm gave the node (``CUDA_VISIBLE_DEVICES``,
``SLURM_JOB_GPUS``). The sum must be ``world * (world + 1) / 2`` on every rank.
Rank 0 then writes ``result.json`` and publishes it as ``output.artifact``.

The tensors stay on the CPU (gloo) even when GPUs are visible, so the recipe
runs the same on a laptop, on CPU nodes and on GPU nodes. Arguments after the
config (``--note TEXT``) reach the script as passthrough arguments.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import socket
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
from omegaconf import OmegaConf

from nemo_runspec_nb.artifacts import setup_artifact_tracking


def say(line: str) -> None:
    """Print ``line`` in one write: the ranks of a node share one log file, so a line must not split."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    """Join the group, all-reduce, print this rank's line; rank 0 publishes the result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--note", default="", help="free text, recorded in the artifact's metadata")
    args = parser.parse_args()
    cfg = OmegaConf.to_container(OmegaConf.load(args.config), resolve=True)
    assert isinstance(cfg, dict)

    timeout = datetime.timedelta(seconds=float(cfg.get("timeout_seconds", 120)))
    dist.init_process_group(backend="gloo", timeout=timeout)
    rank, world = dist.get_rank(), dist.get_world_size()
    value = torch.tensor([float(rank + 1)], device="cpu")  # never CUDA: gloo on the CPU
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    total, expected = int(value.item()), world * (world + 1) // 2
    node = os.environ.get("SLURMD_NODENAME") or socket.gethostname()
    say(
        f"allreduce: rank={rank} world={world} local_rank={os.environ.get('LOCAL_RANK', '-')} "
        f"node={node} node_rank={os.environ.get('GROUP_RANK', '-')} "
        f"cuda_visible_devices={os.environ.get('CUDA_VISIBLE_DEVICES', '-')} "
        f"slurm_job_gpus={os.environ.get('SLURM_JOB_GPUS', '-')} "
        f"sum={total} expected={expected} {'OK' if total == expected else 'WRONG'}"
    )
    # Every rank's node, gathered on rank 0 for the artifact's metadata.
    nodes: list[str | None] = [None] * world
    dist.all_gather_object(nodes, node)
    time.sleep(float(cfg.get("hold_seconds", 0.0)))  # keeps the allocation (for queueing demos)
    dist.barrier()
    if rank == 0:
        publish(cfg, args, total=total, expected=expected, world=world, nodes=[str(n) for n in nodes])
    dist.destroy_process_group()
    if total != expected:
        raise SystemExit(f"allreduce: rank {rank} got {total}, expected {expected}")


def publish(
    cfg: dict, args: argparse.Namespace, *, total: int, expected: int, world: int, nodes: list[str]
) -> None:
    """Write result.json next to the job's config and publish it (rank 0 only)."""
    out = Path(cfg["output"].get("dir") or Path(args.config).parent / "output").absolute()
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "sum": total,
        "expected": expected,
        "world_size": world,
        "nodes": sorted(set(nodes)),
        "note": args.note,
    }
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    manifest = setup_artifact_tracking(cfg).log_artifact(
        cfg["output"]["artifact"], out, metadata=result, type="result"
    )
    say(f"allreduce: published {manifest.name}:v{manifest.version} (sum {total})")


if __name__ == "__main__":
    main()
