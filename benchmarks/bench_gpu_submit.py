"""Submit -> first log line of every rank, on the 2-node GPU-shaped cluster (scripts/gpu-slurm).

The same torchrun job (2 nodes x 2 processes, gloo on CPU, inside the cluster's enroot image
through pyxis) is started two ways, alternating:

  plain    a hand-written sbatch script: `srun --container-image=... torchrun ... ddp.py`
  ours     the project's submit() with a Slurm profile for the GPU cluster, running the same
           torchrun command line (the recipe's run.cmd) through nemo-run

and timed from just before the submit call until every one of the 4 ranks has printed its
first line into the job's log (files polled every 50 ms).

Figures (one line each):
  gpu_first_line_plain_s / gpu_first_line_ours_s   median over TRIALS
  gpu_first_line_ratio                             ours / plain                goal <= 1.5

Skips with a printed reason when the GPU cluster is down. Run: python benchmarks/bench_gpu_submit.py
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONF = Path(os.environ.get("NRS_GPU_SLURM_CONF", "/etc/slurm-gpu/slurm.conf"))
IMAGE = os.environ.get("NRS_GPU_SLURM_IMAGE", "/var/cache/nrs/debian.sqsh")
PARTITION = os.environ.get("NRS_GPU_SLURM_PARTITION", "gpu")
REPO = Path(__file__).resolve().parents[1]
TRIALS = 3
GOAL = 1.5
TIMEOUT = 180.0
RANKS = 4
# no anchors: the ranks of a node share one log file and their lines may interleave
FIRST_LINE = re.compile(r"first line of rank (\d+)")

DDP = """\
import os, sys
print(f"first line of rank {os.environ['RANK']}", flush=True)
import torch
import torch.distributed as dist

dist.init_process_group("gloo")
t = torch.tensor([float(dist.get_rank() + 1)])
dist.all_reduce(t)
print(f"rank {dist.get_rank()} sum {t.item():.0f}", flush=True)
dist.destroy_process_group()
"""


def _torchrun_cmd(script: str) -> str:
    """The torchrun line both sides run on every node (MASTER_ADDR: the first node)."""
    torchrun = Path(sys.prefix) / "bin" / "torchrun"
    return (
        f"{torchrun} --nnodes=2 --nproc_per_node=2 --rdzv_backend=c10d"
        f' --rdzv_endpoint="$MASTER_ADDR:$MASTER_PORT" --rdzv_id="$SLURM_JOB_ID" {script}'
    )


# The first node hosts the rendezvous, on a port of this job's own (other jobs may share node1).
MASTER = (
    'export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)'
    " MASTER_PORT=$(( 20000 + SLURM_JOB_ID % 20000 ))"
)


def _mounts(work: Path) -> list[str]:
    """Bind mounts that let the image run this Python: interpreter, venv, repo, work dir."""
    paths = [Path(sys.base_prefix), Path(sys.prefix).resolve(), REPO, work]
    return [f"{p}:{p}" for p in dict.fromkeys(str(p) for p in paths)]


def _down() -> str | None:
    if not CONF.is_file():
        return f"no GPU-shaped cluster ({CONF} missing); run scripts/gpu-slurm/start.sh"
    if shutil.which("sinfo") is None:
        return "Slurm is not installed (no sinfo); run scripts/gpu-slurm/start.sh"
    proc = subprocess.run(
        ["sinfo", "-h", "-N", "-o", "%N %T"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
        env={**os.environ, "SLURM_CONF": str(CONF)},
    )
    idle = [line for line in proc.stdout.splitlines() if line.split()[-1:] in (["idle"], ["mixed"])]
    if proc.returncode != 0 or len(idle) < 2:
        return f"the GPU cluster has no 2 free nodes: {proc.stderr.strip() or proc.stdout.strip()!r}"
    if not Path(IMAGE).is_file():
        return f"no container image {IMAGE}; run scripts/gpu-slurm/start.sh"
    return None


def _wait_first_lines(files: Callable[[], list[Path]], started: float) -> float:
    """Seconds from ``started`` until all ranks printed their first line (0 on timeout)."""
    seen: set[str] = set()
    while time.perf_counter() - started < TIMEOUT:
        text = ""
        for path in files():
            with contextlib.suppress(FileNotFoundError):  # not written yet
                text += path.read_text(errors="replace")
        seen = set(FIRST_LINE.findall(text))
        if len(seen) >= RANKS:
            return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError(f"only ranks {sorted(seen)} printed a first line within {TIMEOUT:.0f} s")


def _wait_quiet(job_id: str | None = None) -> None:
    """Until ``job_id`` (else every job of the partition) has left the queue.

    Each trial starts on an empty partition, so no trial waits behind someone else's job.
    """
    which = ["-j", job_id] if job_id else ["-p", PARTITION]
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        out = subprocess.run(["squeue", "-h", *which], capture_output=True, text=True, check=False)
        if not out.stdout.strip():
            return
        time.sleep(0.2)


def _plain(work: Path, i: int) -> tuple[float, str]:
    """What one writes by hand: an sbatch script with the srun torchrun line."""
    out = work / f"plain-{i}.out"
    script = work / f"plain-{i}.sbatch"
    script.write_text(
        "#!/bin/bash\n"
        f"#SBATCH -J plain-{i} -N 2 --ntasks-per-node=1 --cpus-per-task=2 --gpus-per-node=2\n"
        f"#SBATCH -p {PARTITION} -A default -t 00:05:00 -o {out}\n"
        f"{MASTER}\n"
        f"srun --container-image={IMAGE} --container-mounts={','.join(_mounts(work))} "
        f"bash -c '{_torchrun_cmd(str(work / 'ddp.py'))}'\n"
    )
    started = time.perf_counter()
    job_id = subprocess.run(
        ["sbatch", "--parsable", str(script)], capture_output=True, text=True, check=True
    ).stdout.strip()
    return _wait_first_lines(lambda: [out], started), job_id


def _ours(work: Path, i: int, nemorun: Any) -> tuple[float, str]:
    from nemo_runspec_nb.launch import LaunchRequest, submit
    from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun

    script = work / "ddp.py"
    runspec = Runspec(
        script_path=script,
        name="bench-gpu",
        run=RunspecRun(launch="direct", cmd=_torchrun_cmd("{script}")),
        resources=RunspecResources(nodes=2, gpus_per_node=2),
    )
    job_dir = work / ".nemotron" / "jobs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{i:03d}-bench-gpu"
    job_dir.mkdir(parents=True)
    (job_dir / "train.yaml").write_text("x: 1\n")
    profile = {
        "executor": "slurm",
        "account": "default",
        "partition": PARTITION,
        "nodes": 2,
        "gpus_per_node": 2,
        "cpus_per_task": 2,
        "time": "00:05:00",
        "container_image": IMAGE,
        "mounts": _mounts(work),
        "setup_lines": [MASTER],
    }
    request = LaunchRequest(
        name="bench-gpu", job_dir=job_dir, script_path=script, runspec=runspec, profile=profile
    )
    started = time.perf_counter()
    handle = submit(request, nemorun=nemorun)
    return _wait_first_lines(handle.log_files, started), str(handle.job_id or "")


def main() -> dict[str, float]:
    reason = _down()
    if reason:
        print(f"SKIP bench_gpu_submit: {reason}")
        return {}
    from nemo_runspec_nb.launch import NemoRun

    work = Path(tempfile.mkdtemp(prefix="nrs-bench-gpu-"))
    (work / "ddp.py").write_text(DDP)
    previous = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(CONF)  # every Slurm command of this process: the GPU cluster
    nemorun = NemoRun(work / ".nemotron" / "nemorun")
    nemorun.module()  # import nemo_run before the clock starts
    submitted: list[str] = []
    plain: list[float] = []
    ours: list[float] = []
    try:
        for i in range(TRIALS):
            for side, times in (("plain", plain), ("ours", ours)):
                _wait_quiet()
                seconds, job_id = _plain(work, i) if side == "plain" else _ours(work, i, nemorun)
                submitted.append(job_id)
                times.append(seconds)
                _wait_quiet(job_id)
    except Exception:
        print(f"bench_gpu_submit failed; its jobs' files are kept in {work}")
        raise
    else:
        shutil.rmtree(work, ignore_errors=True)
    finally:
        ids = [j for j in submitted if j.isdigit()]
        if ids:
            subprocess.run(["scancel", *ids], check=False)
        if previous is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = previous
    results = {
        "gpu_first_line_plain_s": statistics.median(plain),
        "gpu_first_line_ours_s": statistics.median(ours),
    }
    results["gpu_first_line_ratio"] = results["gpu_first_line_ours_s"] / results["gpu_first_line_plain_s"]
    print(
        f"gpu.submit_to_first_line_of_every_rank: {results['gpu_first_line_ratio']:.2f}x plain sbatch "
        f"(goal <= {GOAL}x; {results['gpu_first_line_ours_s']:.2f} s vs "
        f"{results['gpu_first_line_plain_s']:.2f} s, 2 nodes x 2 ranks in the image, median of {TRIALS})"
    )
    return results


if __name__ == "__main__":
    main()
    sys.exit(0)
