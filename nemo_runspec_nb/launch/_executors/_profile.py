"""Reading an env.toml profile for an executor: its kind, keys, resources and setup lines."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ExecutorError, did_you_mean

if TYPE_CHECKING:
    from ...runspec import Runspec

_COMMON = ("executor", "env_vars", "nodes", "gpus_per_node", "ntasks_per_node", "nproc_per_node")
_SETUP = ("setup_lines", "startup_commands")
PROFILE_KEYS: Mapping[str, tuple[str, ...]] = {
    "local": (*_COMMON, *_SETUP),
    "slurm": (
        *_COMMON,
        "tunnel",
        "host",
        "user",
        "identity",
        "port",
        "remote_job_dir",
        "remote_artifacts_root",
        "account",
        "partition",
        "run_partition",
        "batch_partition",
        "cpus_per_task",
        "time",
        "mem",
        "exclusive",
        "qos",
        "constraint",
        "gres",
        "container_image",
        "mounts",
        *_SETUP,
        "srun_args",
        "job_name_prefix",
        "ray_template",
        "additional_parameters",
    ),
    "docker": (*_COMMON, "container_image", "mounts", "runtime", "shm_size", "ipc_mode", "network", *_SETUP),
    "dgxcloud": (
        *_COMMON,
        "base_url",
        "kube_apiserver_url",
        "app_id",
        "app_secret",
        "project_name",
        "container_image",
        "pvc_nemo_run_dir",
        "pvcs",
        *_SETUP,
    ),
    "lepton": (
        *_COMMON,
        "container_image",
        "nemo_run_dir",
        "resource_shape",
        "node_group",
        "mounts",
        *_SETUP,
    ),
}
"""The keys each executor kind reads (other profile keys are left to other layers)."""

EXECUTORS: tuple[str, ...] = tuple(PROFILE_KEYS)
"""The executor kinds a profile may name: ``local``, ``slurm``, ``docker``, ``dgxcloud``, ``lepton``."""


@dataclass(frozen=True)
class Resources:
    """Nodes and GPUs per node of a job, after profile -> runspec fallback."""

    nodes: int = 1
    gpus_per_node: int | str = 0
    """An int, or ``"gpu"`` (all the node's GPUs, decided by the cluster)."""
    nproc_per_node: int | None = None


def executor_kind(profile: Mapping[str, Any] | None) -> str:
    """The profile's executor kind; ``"local"`` when unset. Raises ExecutorError when unknown."""
    kind = str((profile or {}).get("executor") or "local").lower()
    if kind not in EXECUTORS:
        raise ExecutorError(
            f"unknown executor {kind!r}",
            key="executor",
            hint=" ".join(
                part for part in (did_you_mean(kind, EXECUTORS), f"Available: {', '.join(EXECUTORS)}") if part
            ),
        )
    return kind


def local_gpu_count() -> int:
    """GPUs this machine shows (``CUDA_VISIBLE_DEVICES`` when set, else ``/dev/nvidiaN``)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    return len([p for p in Path("/dev").glob("nvidia[0-9]*")])


def int_key(profile: Mapping[str, Any], key: str, default: int | None = None) -> int | None:
    """``profile[key]`` as an int (``default`` when absent); ExecutorError when it is not one."""
    value = profile.get(key, default)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ExecutorError(f"profile key {key!r} must be an integer, not {value!r}", key=key) from None


def resolve_resources(profile: Mapping[str, Any] | None, runspec: Runspec | None = None) -> Resources:
    """Nodes / GPUs per node: the profile's values, else the runspec's ``[resources]``.

    On the local executor ``"gpu"`` (and a silent profile) is capped at the GPUs this machine
    has, so a recipe that asks for 8 GPUs runs on CPU on a laptop.
    """
    profile = profile or {}
    kind = executor_kind(profile)
    spec_nodes = runspec.resources.nodes if runspec is not None else 1
    spec_gpus: int | str = runspec.resources.gpus_per_node if runspec is not None else 0
    nodes = int_key(profile, "nodes", spec_nodes) or 1
    raw_gpus = profile.get("gpus_per_node", spec_gpus)
    gpus: int | str
    if isinstance(raw_gpus, str) and raw_gpus.strip().lower() == "gpu":
        gpus = "gpu"
    else:
        gpus = int_key({"gpus_per_node": raw_gpus}, "gpus_per_node") or 0
    if kind == "local":
        nodes = 1
        have = local_gpu_count()
        if gpus == "gpu" or "gpus_per_node" not in profile:
            gpus = have if gpus == "gpu" else min(int(gpus), have)
    return Resources(nodes=nodes, gpus_per_node=gpus, nproc_per_node=int_key(profile, "nproc_per_node"))


def setup_lines(profile: Mapping[str, Any] | None) -> list[str]:
    """The profile's ``setup_lines`` (seed name: ``startup_commands``) as a list of shell lines."""
    profile = profile or {}
    raw = profile.get("setup_lines", profile.get("startup_commands"))
    if raw is None:
        return []
    if isinstance(raw, str):
        return raw.splitlines()
    if isinstance(raw, Sequence):
        return [str(line) for line in raw]
    raise ExecutorError(
        f"'setup_lines' must be a string or a list of strings, not {raw!r}", key="setup_lines"
    )


def require(profile: Mapping[str, Any], key: str, kind: str) -> Any:
    """``profile[key]``; ExecutorError naming the executor when it is missing or empty."""
    value = profile.get(key)
    if value in (None, ""):
        raise ExecutorError(
            f"the {kind} executor needs {key!r} in the profile",
            key=key,
            hint="See docs/executors.md for the keys of each executor",
        )
    return value


def str_list(value: Any, key: str) -> list[str]:
    """A string or a list of strings as a list (``None``: empty); ExecutorError otherwise."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    raise ExecutorError(f"profile key {key!r} must be a list of strings", key=key)
