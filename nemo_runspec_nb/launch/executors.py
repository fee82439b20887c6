"""nemo-run executors from an env.toml profile.

A profile is a plain mapping (the merged env.toml profile). ``executor``
chooses the kind; the other keys map onto the executor's fields. Every key is
documented in docs/executors.md. An empty profile (or ``None``) means "run on
this machine": nemo-run's ``LocalExecutor``.

Node and GPU counts come from the profile first, then from the recipe's
``[tool.runspec.resources]``. ``gpus_per_node = "gpu"`` means "every GPU of
the node": on Slurm no GPU count is requested (the partition decides) and
torchrun counts the GPUs itself; on this machine it is the number of GPUs
present.

Building an executor does not contact any service; :func:`check_reachable`
does, and :func:`nemo_runspec_nb.launch.jobs.submit` calls it first.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import is_secret_key
from ..errors import LaunchError, did_you_mean
from .commands import rendezvous_setup
from .remote import ssh_target

if TYPE_CHECKING:
    from ..runspec import Runspec
    from ._nemorun import NemoRun

__all__ = [
    "EXECUTORS",
    "PROFILE_KEYS",
    "Resources",
    "build_executor",
    "check_reachable",
    "executor_kind",
    "local_gpu_count",
    "resolve_resources",
    "setup_lines",
]

EXECUTORS: tuple[str, ...] = ("local", "slurm", "docker", "dgxcloud", "lepton")

_COMMON = ("executor", "env_vars", "nodes", "gpus_per_node", "ntasks_per_node", "nproc_per_node")
PROFILE_KEYS: Mapping[str, tuple[str, ...]] = {
    "local": (*_COMMON, "setup_lines", "startup_commands"),
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
        "setup_lines",
        "startup_commands",
        "srun_args",
        "job_name_prefix",
        "ray_template",
        "additional_parameters",
    ),
    "docker": (
        *_COMMON,
        "container_image",
        "mounts",
        "runtime",
        "shm_size",
        "ipc_mode",
        "network",
        "setup_lines",
        "startup_commands",
    ),
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
        "setup_lines",
        "startup_commands",
    ),
    "lepton": (
        *_COMMON,
        "container_image",
        "nemo_run_dir",
        "resource_shape",
        "node_group",
        "mounts",
        "setup_lines",
        "startup_commands",
    ),
}
"""The keys each executor kind reads (other profile keys are left to other layers)."""


@dataclass(frozen=True)
class Resources:
    """Nodes and GPUs per node of a job, after profile -> runspec fallback."""

    nodes: int = 1
    gpus_per_node: int | str = 0
    """An int, or ``"gpu"`` (all the node's GPUs, decided by the cluster)."""
    nproc_per_node: int | None = None


def executor_kind(profile: Mapping[str, Any] | None) -> str:
    """The profile's executor kind; ``"local"`` when unset. Raises LaunchError when unknown."""
    kind = str((profile or {}).get("executor") or "local").lower()
    if kind not in EXECUTORS:
        raise LaunchError(
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


def _int(profile: Mapping[str, Any], key: str, default: int | None = None) -> int | None:
    value = profile.get(key, default)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise LaunchError(f"profile key {key!r} must be an integer, not {value!r}", key=key) from None


def resolve_resources(profile: Mapping[str, Any] | None, runspec: Runspec | None = None) -> Resources:
    """Nodes / GPUs per node: the profile's values, else the runspec's ``[resources]``.

    On the local executor ``"gpu"`` (and a silent profile) is capped at the GPUs this machine
    has, so a recipe that asks for 8 GPUs runs on CPU on a laptop.
    """
    profile = profile or {}
    kind = executor_kind(profile)
    spec_nodes = runspec.resources.nodes if runspec is not None else 1
    spec_gpus: int | str = runspec.resources.gpus_per_node if runspec is not None else 0
    nodes = _int(profile, "nodes", spec_nodes) or 1
    raw_gpus = profile.get("gpus_per_node", spec_gpus)
    gpus: int | str
    if isinstance(raw_gpus, str) and raw_gpus.strip().lower() == "gpu":
        gpus = "gpu"
    else:
        gpus = _int({"gpus_per_node": raw_gpus}, "gpus_per_node") or 0
    if kind == "local":
        nodes = 1
        have = local_gpu_count()
        if gpus == "gpu" or "gpus_per_node" not in profile:
            gpus = have if gpus == "gpu" else min(int(gpus), have)
    return Resources(nodes=nodes, gpus_per_node=gpus, nproc_per_node=_int(profile, "nproc_per_node"))


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
    raise LaunchError(f"'setup_lines' must be a string or a list of strings, not {raw!r}", key="setup_lines")


def _container_image(profile: Mapping[str, Any], runspec: Runspec | None) -> str | None:
    if "container_image" in profile:
        return str(profile["container_image"]) or None  # "" in the profile: no container
    return runspec.image if runspec is not None else None


def _require(profile: Mapping[str, Any], key: str, kind: str) -> Any:
    value = profile.get(key)
    if value in (None, ""):
        raise LaunchError(
            f"the {kind} executor needs {key!r} in the profile",
            key=key,
            hint="See docs/executors.md for the keys of each executor",
        )
    return value


def _str_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    raise LaunchError(f"profile key {key!r} must be a list of strings", key=key)


def build_executor(
    profile: Mapping[str, Any] | None,
    runspec: Runspec | None = None,
    *,
    nemorun: NemoRun,
    mode: str = "batch",
    env_vars: Mapping[str, str] | None = None,
    packager: Any = None,
) -> Any:
    """Build the nemo-run executor a profile describes.

    Args:
        profile: The merged env.toml profile (``None``/``{}``: local).
        runspec: The recipe, for resource defaults and its container image.
        nemorun: The session's nemo-run adapter (builds the objects).
        mode: ``"run"`` picks ``run_partition``, ``"batch"`` ``batch_partition`` (Slurm).
        env_vars: Public environment variables for the job (never secrets). Secret-looking
            names in the profile's ``env_vars`` are left out.
        packager: A nemo-run packager; ``None`` passes the code through (``run.Packager()``).

    Raises:
        LaunchError: unknown executor (with a did-you-mean), missing or malformed keys.

    """
    profile = dict(profile or {})
    kind = executor_kind(profile)
    res = resolve_resources(profile, runspec)
    # Secret-looking names never go to an executor: nemo-run writes its env_vars into the sbatch
    # script and the experiment dir. They reach a job through its secrets file (launch.secrets).
    env = {str(k): str(v) for k, v in (profile.get("env_vars") or {}).items() if not is_secret_key(str(k))}
    env.update(env_vars or {})
    pack = packager if packager is not None else nemorun.make("Packager")
    launch = runspec.run.launch if runspec is not None else "direct"
    # torchrun starts the processes of a node itself: one Slurm task per node.
    default_tasks = 1
    ntasks = _int(profile, "ntasks_per_node", default_tasks) or 1
    if launch == "torchrun" and "ntasks_per_node" not in profile:
        ntasks = 1

    if kind == "local":
        return nemorun.make("LocalExecutor", ntasks_per_node=ntasks, env_vars=env, packager=pack)

    image = _container_image(profile, runspec)
    gpus_int = res.gpus_per_node if isinstance(res.gpus_per_node, int) else None

    if kind == "slurm":
        account = str(_require(profile, "account", "slurm"))
        partition = profile.get("partition")
        if mode == "run":
            partition = profile.get("run_partition", partition)
        elif mode in ("batch", "local"):
            partition = profile.get("batch_partition", partition)
        kwargs: dict[str, Any] = {
            "account": account,
            "partition": partition,
            "nodes": res.nodes,
            "ntasks_per_node": ntasks,
            "gpus_per_node": gpus_int or None,
            "cpus_per_task": _int(profile, "cpus_per_task"),
            "time": str(profile.get("time", "01:00:00")),
            "mem": profile.get("mem"),
            "exclusive": profile.get("exclusive"),
            "qos": profile.get("qos"),
            "constraint": profile.get("constraint"),
            "gres": profile.get("gres"),
            "container_image": image,
            "container_mounts": _str_list(profile.get("mounts"), "mounts"),
            "env_vars": env,
            "packager": pack,
            "tunnel": _tunnel(profile, nemorun),
        }
        kwargs["job_name_prefix"] = str(profile.get("job_name_prefix") or "runspec-")
        kwargs["poll_estimated_start_time"] = False  # a background thread that prints
        if profile.get("ray_template"):
            kwargs["ray_template"] = str(profile["ray_template"])
        elif launch == "ray" and not gpus_int and res.gpus_per_node != "gpu":
            kwargs["ray_template"] = "ray_cpu.sub.j2"  # nemo-run's own assumes GPUs and pyxis
        lines = setup_lines(profile)
        if launch == "torchrun" and res.nodes > 1:
            lines = [*rendezvous_setup(), *lines]  # the profile's lines may still change it
        if lines:
            kwargs["setup_lines"] = "\n".join(lines)
        if profile.get("srun_args"):
            kwargs["srun_args"] = _str_list(profile["srun_args"], "srun_args")
        if profile.get("additional_parameters"):
            kwargs["additional_parameters"] = dict(profile["additional_parameters"])
        return nemorun.make("SlurmExecutor", **kwargs)

    if kind == "docker":
        return nemorun.make(
            "DockerExecutor",
            container_image=str(image or _require(profile, "container_image", "docker")),
            num_gpus=-1 if res.gpus_per_node == "gpu" else (gpus_int or None),
            ntasks_per_node=ntasks,
            runtime=profile.get("runtime", "nvidia" if res.gpus_per_node else None),
            shm_size=profile.get("shm_size"),
            ipc_mode=profile.get("ipc_mode"),
            volumes=_str_list(profile.get("mounts"), "mounts"),
            env_vars=env,
            packager=pack,
            **({"network": profile["network"]} if "network" in profile else {}),
        )

    if kind == "dgxcloud":
        return nemorun.make(
            "DGXCloudExecutor",
            base_url=str(_require(profile, "base_url", "dgxcloud")),
            kube_apiserver_url=str(_require(profile, "kube_apiserver_url", "dgxcloud")),
            client_id=str(profile.get("app_id") or os.environ.get("DGXCLOUD_APP_ID", "")),
            client_secret=str(profile.get("app_secret") or os.environ.get("DGXCLOUD_APP_SECRET", "")),
            project_name=str(_require(profile, "project_name", "dgxcloud")),
            container_image=str(image or _require(profile, "container_image", "dgxcloud")),
            pvc_nemo_run_dir=str(_require(profile, "pvc_nemo_run_dir", "dgxcloud")),
            pvcs=list(profile.get("pvcs") or []),
            nodes=res.nodes,
            gpus_per_node=gpus_int or 0,
            nprocs_per_node=res.nproc_per_node or max(gpus_int or 1, 1),
            env_vars=env,
            packager=pack,
        )

    # lepton
    return nemorun.make(
        "LeptonExecutor",
        container_image=str(image or _require(profile, "container_image", "lepton")),
        nemo_run_dir=str(_require(profile, "nemo_run_dir", "lepton")),
        resource_shape=str(profile.get("resource_shape", "")),
        node_group=str(profile.get("node_group", "")),
        mounts=list(profile.get("mounts") or []),
        nodes=res.nodes,
        gpus_per_node=gpus_int or 0,
        nprocs_per_node=res.nproc_per_node or max(gpus_int or 1, 1),
        pre_launch_commands=setup_lines(profile),
        env_vars=env,
        packager=pack,
    )


def _tunnel(profile: Mapping[str, Any], nemorun: NemoRun) -> Any:
    kind = str(profile.get("tunnel") or ("ssh" if profile.get("host") else "local")).lower()
    if kind not in ("local", "ssh"):
        raise LaunchError(
            f"unknown tunnel {kind!r}",
            key="tunnel",
            hint=did_you_mean(kind, ("local", "ssh")) or "Use local or ssh",
        )
    if kind == "local" or not profile.get("host"):
        home = nemorun.home or Path(os.environ.get("NEMORUN_HOME", "~/.nemo_run")).expanduser()
        # LocalTunnel copies nothing: the job dir must be nemo-run's own experiments dir.
        job_dir = str(profile.get("remote_job_dir") or Path(home) / "experiments")
        return nemorun.make("LocalTunnel", job_dir=job_dir)
    kwargs: dict[str, Any] = {
        "host": str(profile["host"]),
        "user": str(profile.get("user") or getpass.getuser()),
        "job_dir": str(_require(profile, "remote_job_dir", "slurm (ssh tunnel)")),
    }
    if profile.get("identity"):
        kwargs["identity"] = str(Path(str(profile["identity"])).expanduser())
    if profile.get("port"):
        kwargs["port"] = int(profile["port"])
    return nemorun.make("SSHTunnel", **kwargs)


def check_reachable(profile: Mapping[str, Any] | None, *, timeout: float = 5.0) -> None:
    """Raise LaunchError when the service the profile's executor needs does not answer.

    local: nothing to check. slurm: ``sbatch`` on PATH (local tunnel), or a key login to ``host``
    and ``sbatch`` on its PATH (SSH tunnel). docker: ``docker info``.
    dgxcloud: an HTTP answer from ``base_url``. lepton: the ``lepton`` CLI is logged in.
    """
    profile = profile or {}
    kind = executor_kind(profile)
    if kind == "local":
        return
    if kind == "slurm":
        target = ssh_target(profile)
        if target is not None:
            target.check()  # a key login and sbatch on the login node's PATH
            return
        if shutil.which("sbatch") is None:
            raise LaunchError(
                "the slurm executor with a local tunnel needs Slurm here ('sbatch' is not on PATH)",
                hint="Start the local cluster (scripts/local-slurm/start.sh) or set 'host' for an SSH tunnel",
            )
        return
    if kind == "docker":
        _run_check(["docker", "info", "--format", "{{.ServerVersion}}"], "Docker daemon", timeout)
        return
    if kind == "dgxcloud":
        url = str(_require(profile, "base_url", "dgxcloud"))
        try:
            with urllib.request.urlopen(url, timeout=timeout):
                pass
        except urllib.error.HTTPError:
            return  # it answered
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise LaunchError(
                f"DGX Cloud at {url} is not reachable: {exc}",
                key="base_url",
                hint="Check base_url and network",
            ) from None
        return
    _run_check(["lepton", "workspace", "list"], "Lepton workspace (lepton CLI)", timeout)


def _run_check(cmd: list[str], what: str, timeout: float) -> None:
    if shutil.which(cmd[0]) is None:
        raise LaunchError(f"{what} is not reachable: '{cmd[0]}' is not installed")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise LaunchError(
            f"{what} is not reachable: '{' '.join(cmd)}' timed out after {timeout:g} s"
        ) from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise LaunchError(
            f"{what} is not reachable: {detail[-1] if detail else 'exit ' + str(proc.returncode)}"
        )
