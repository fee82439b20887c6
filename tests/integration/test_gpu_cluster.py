"""The GPU-shaped cluster of scripts/gpu-slurm/start.sh looks like a GPU cluster to a launcher.

2 nodes x 4 fake GPUs (GRES), beside the single-node cluster; enroot + pyxis run commands in
the Debian image on both nodes, with this process's Python mounted in.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.gpu_slurm  # the gpu_slurm fixture (conftest.GpuSlurm) selects the cluster

TIMEOUT = 120


def _sbatch(cluster: Any, tmp_path: Path, *args: str, wrap: str) -> str:
    proc = cluster.run(
        "sbatch", "--parsable", f"--chdir={tmp_path}", "-t", "00:05:00", *args, f"--wrap={wrap}"
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().split(";")[0]


def _state(cluster: Any, job_id: str) -> str:
    return cluster.run("squeue", "-h", "-j", job_id, "-o", "%T %r").stdout.strip()


def _wait_gone(cluster: Any, job_id: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while _state(cluster, job_id):
        assert time.monotonic() < deadline, f"job {job_id} still queued: {_state(cluster, job_id)}"
        time.sleep(0.3)


def test_both_nodes_are_idle_with_4_gpus_each(gpu_slurm: Any) -> None:
    proc = gpu_slurm.run("sinfo", "-h", "-N", "-o", "%N %P %T %G")
    assert proc.returncode == 0, proc.stderr
    rows = sorted(line.split() for line in proc.stdout.splitlines())
    assert [row[0] for row in rows] == ["node1", "node2"]
    for name, partition, state, gres in rows:
        assert (partition.rstrip("*"), gres) == (gpu_slurm.partition, "gpu:4"), name
        assert state in ("idle", "mixed"), (name, state)


def test_srun_runs_one_task_per_node_each_under_its_own_hostname(gpu_slurm: Any) -> None:
    proc = gpu_slurm.run("srun", "-N2", "-t", "1", "hostname", timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.split()) == ["node1", "node2"]


def test_a_gpu_batch_job_sees_its_gpus_and_its_steps_reach_this_cluster(
    gpu_slurm: Any, tmp_path: Path
) -> None:
    out = tmp_path / "gpus.out"
    step = 'echo step $(hostname) conf=$SLURM_CONF cuda=$CUDA_VISIBLE_DEVICES'
    job = _sbatch(
        gpu_slurm,
        tmp_path,
        "-N2",
        "--gpus-per-node=2",
        f"--output={out}",
        wrap=(
            "echo batch conf=$SLURM_CONF cuda=$CUDA_VISIBLE_DEVICES job_gpus=$SLURM_JOB_GPUS"
            f" gpus_on_node=$SLURM_GPUS_ON_NODE; srun -N2 bash -c '{step}'"
        ),
    )
    _wait_gone(gpu_slurm, job)
    text = out.read_text()
    assert f"batch conf={gpu_slurm.conf} cuda=0,1 job_gpus=0,1 gpus_on_node=2" in text, text
    steps = sorted(re.findall(r"^step (\S+) conf=(\S+) cuda=(\S+)$", text, re.MULTILINE))
    assert steps == [("node1", str(gpu_slurm.conf), "0,1"), ("node2", str(gpu_slurm.conf), "0,1")], text
    acct = gpu_slurm.run("sacct", "-n", "-X", "-P", "-j", job, "-o", "Cluster,State,AllocTRES")
    assert acct.stdout.startswith("gpucluster|COMPLETED|") and "gres/gpu=4" in acct.stdout, acct.stdout


def test_a_gpu_job_that_cannot_fit_waits_for_resources(gpu_slurm: Any, tmp_path: Path) -> None:
    holder = _sbatch(gpu_slurm, tmp_path, "-N2", "--gpus-per-node=4", "-o", "/dev/null", wrap="sleep 60")
    waiter = ""
    try:
        deadline = time.monotonic() + TIMEOUT
        while _state(gpu_slurm, holder) != "RUNNING None":
            assert time.monotonic() < deadline, _state(gpu_slurm, holder)
            time.sleep(0.3)
        waiter = _sbatch(gpu_slurm, tmp_path, "--gpus=1", "-o", "/dev/null", wrap="true")
        deadline = time.monotonic() + 30
        while _state(gpu_slurm, waiter) != "PENDING Resources" and time.monotonic() < deadline:
            time.sleep(0.3)
        assert _state(gpu_slurm, waiter) == "PENDING Resources"
        assert _state(gpu_slurm, holder) == "RUNNING None"
        gpu_slurm.run("scancel", holder)
        _wait_gone(gpu_slurm, waiter)  # it starts (and ends) once the GPUs are free
        acct = gpu_slurm.run("sacct", "-n", "-X", "-P", "-j", waiter, "-o", "State")
        assert acct.stdout.strip() == "COMPLETED", acct.stdout
    finally:
        gpu_slurm.run("scancel", holder, *([waiter] if waiter else []))


def test_pyxis_runs_a_command_in_the_image_on_both_nodes(gpu_slurm: Any, tmp_path: Path) -> None:
    (tmp_path / "from-host.txt").write_text("shared-file\n")
    proc = gpu_slurm.run(
        "srun",
        "-N2",
        "-t",
        "2",
        "--gpus-per-node=1",
        f"--container-image={gpu_slurm.image}",
        f"--container-mounts={tmp_path}:/data",
        "sh",
        "-c",
        "echo $(hostname) $(. /etc/os-release && echo $VERSION_CODENAME) $CUDA_VISIBLE_DEVICES"
        " $(cat /data/from-host.txt)",
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.splitlines()) == [
        "node1 bookworm 0 shared-file",
        "node2 bookworm 0 shared-file",
    ], proc.stdout


def test_this_python_with_torch_runs_in_the_image_with_the_suggested_mounts(gpu_slurm: Any) -> None:
    code = "import sys, torch, nemo_runspec_nb; print(sys.prefix, torch.__version__)"
    proc = gpu_slurm.run(
        "srun",
        "-N1",
        "-t",
        "2",
        f"--container-image={gpu_slurm.image}",
        f"--container-mounts={','.join(gpu_slurm.mounts)}",
        sys.executable,
        "-c",
        code,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr
    prefix, version = proc.stdout.split()
    assert version.startswith("2.") and "+cpu" in version, proc.stdout
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()


def test_the_single_node_cluster_is_untouched(slurm_cluster: None, gpu_slurm: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SLURM_CONF"}
    sinfo = subprocess.run(
        ["sinfo", "-h", "-o", "%P %G"], capture_output=True, text=True, env=env, timeout=10, check=False
    )
    assert sinfo.returncode == 0, sinfo.stderr
    assert "gpu" not in sinfo.stdout.split()[0] and "gpu:" not in sinfo.stdout, sinfo.stdout
    # pyxis is registered for the GPU cluster only: the single-node srun has no --container-image
    plain = subprocess.run(
        ["srun", "--help"], capture_output=True, text=True, env=env, timeout=10, check=False
    )
    assert "--container-image" not in plain.stdout
    assert "--container-image" in gpu_slurm.run("srun", "--help").stdout
