"""ensure_squashed_image on the GPU-shaped cluster: the import runs through salloc/srun on a node.

The cluster has enroot but no Docker daemon, no podman and no registry, and its enroot (4.1.2)
knows no archive schemes, so no import can succeed here; the tests drive real salloc, srun and
enroot and check where the work ran and what a failure reports.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nemo_runspec_nb.errors import PackagingError
from nemo_runspec_nb.launch import ensure_squashed_image

pytestmark = pytest.mark.gpu_slurm


@dataclass
class Result:
    stdout: str
    stderr: str
    return_code: int


@dataclass
class ShellTunnel:
    """A LocalTunnel-shaped runner with SLURM_CONF selecting the GPU cluster."""

    env: dict[str, str]
    commands: list[str]

    def run(self, command: str) -> Result:
        self.commands.append(command)
        out = subprocess.run(
            ["sh", "-c", command], capture_output=True, text=True, timeout=120, check=False, env=self.env
        )
        return Result(out.stdout, out.stderr, out.returncode)


@pytest.fixture
def tunnel(gpu_slurm: Any) -> ShellTunnel:
    if shutil.which("enroot") is None:
        pytest.skip("enroot is not on PATH (scripts/gpu-slurm/build-enroot-pyxis.sh installs it)")
    return ShellTunnel(gpu_slurm.env, [])


def test_the_import_runs_on_a_node_of_the_build_partition(
    gpu_slurm: Any, tunnel: ShellTunnel, tmp_path: Path
):
    squash = tmp_path / "sq"
    with pytest.raises(PackagingError) as err:
        ensure_squashed_image(
            tunnel,
            "dockerd://nemo:dev",
            str(squash),
            build_partition=gpu_slurm.partition,
            build_time="00:05:00",
        )
    message = str(err.value)
    # enroot ran on a compute node (srun names it) and asked for the absent Docker daemon
    assert f"on partition '{gpu_slurm.partition}' failed with exit code 1" in message
    assert "srun: error: node" in message
    assert "allocation" in message
    assert squash.is_dir() and not (squash / "nemo_dev.sqsh").exists()
    assert tunnel.commands[-1].split(" && ")[-1].startswith(f"salloc --partition={gpu_slurm.partition} ")


def test_an_existing_squash_file_needs_no_allocation(gpu_slurm: Any, tunnel: ShellTunnel, tmp_path: Path):
    squash = tmp_path / "sq"
    squash.mkdir()
    (squash / "nemo_dev.sqsh").write_bytes(b"")
    path = ensure_squashed_image(
        tunnel, "dockerd://nemo:dev", str(squash), build_partition=gpu_slurm.partition
    )
    assert path == f"{squash}/nemo_dev.sqsh"
    assert len(tunnel.commands) == 1 and "salloc" not in tunnel.commands[0]
