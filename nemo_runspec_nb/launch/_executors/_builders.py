"""Building the nemo-run executor of a profile: one builder a kind, in :data:`BUILDERS`.

:func:`build_executor` reads what every kind shares (resources, public env vars,
the packager, the recipe's launch method) into a :class:`_Job` and hands it to
the kind's builder; a builder maps the kind's own profile keys onto nemo-run's
executor fields.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...config import is_secret_key
from ...errors import ExecutorError, did_you_mean
from .._commands import rendezvous_setup
from ._profile import Resources, executor_kind, int_key, require, resolve_resources, setup_lines, str_list

if TYPE_CHECKING:
    from ...runspec import Runspec
    from .._nemorun import NemoRun


@dataclass(frozen=True)
class _Job:
    """What a builder reads besides the profile's own keys."""

    profile: Mapping[str, Any]
    runspec: Runspec | None
    nemorun: NemoRun
    mode: str
    env: Mapping[str, str]
    packager: Any
    resources: Resources
    ntasks: int

    @property
    def launch(self) -> str:
        return self.runspec.run.launch if self.runspec is not None else "direct"

    @property
    def gpus(self) -> int | None:
        """GPUs per node as a number, ``None`` for ``"gpu"`` (all of them)."""
        gpus = self.resources.gpus_per_node
        return gpus if isinstance(gpus, int) else None

    @property
    def nprocs(self) -> int:
        """Processes per node: ``nproc_per_node``, else one per GPU (at least one)."""
        return self.resources.nproc_per_node or max(self.gpus or 1, 1)

    def fields(self, *, per_node: bool = False) -> dict[str, Any]:
        """Executor fields every kind takes (env vars, packager).

        With ``per_node``, also nodes, GPUs and processes per node, as DGX Cloud and Lepton
        spell them.
        """
        fields: dict[str, Any] = {"env_vars": dict(self.env), "packager": self.packager}
        if per_node:
            fields.update(
                nodes=self.resources.nodes, gpus_per_node=self.gpus or 0, nprocs_per_node=self.nprocs
            )
        return fields

    def image(self, kind: str | None = None) -> str | None:
        """The container image: the profile's (``""``: none), else the recipe's; required with ``kind``."""
        if "container_image" in self.profile:
            image = str(self.profile["container_image"]) or None
        else:
            image = self.runspec.image if self.runspec is not None else None
        if kind is not None and not image:
            return str(require(self.profile, "container_image", kind))
        return image


def _local(job: _Job) -> Any:
    return job.nemorun.make("LocalExecutor", ntasks_per_node=job.ntasks, **job.fields())


def _slurm(job: _Job) -> Any:
    profile, res = job.profile, job.resources
    partition = profile.get("partition")
    if job.mode == "run":
        partition = profile.get("run_partition", partition)
    elif job.mode in ("batch", "local"):
        partition = profile.get("batch_partition", partition)
    kwargs: dict[str, Any] = {
        "account": str(require(profile, "account", "slurm")),
        "partition": partition,
        "nodes": res.nodes,
        "ntasks_per_node": job.ntasks,
        "gpus_per_node": job.gpus or None,
        "cpus_per_task": int_key(profile, "cpus_per_task"),
        "time": str(profile.get("time", "01:00:00")),
        "mem": profile.get("mem"),
        "exclusive": profile.get("exclusive"),
        "qos": profile.get("qos"),
        "constraint": profile.get("constraint"),
        "gres": profile.get("gres"),
        "container_image": job.image(),
        "container_mounts": str_list(profile.get("mounts"), "mounts"),
        **job.fields(),
        "tunnel": _tunnel(profile, job.nemorun),
        "job_name_prefix": str(profile.get("job_name_prefix") or "runspec-"),
        "poll_estimated_start_time": False,  # a background thread that prints
    }
    if profile.get("ray_template"):
        kwargs["ray_template"] = str(profile["ray_template"])
    elif job.launch == "ray" and not job.gpus and res.gpus_per_node != "gpu":
        kwargs["ray_template"] = "ray_cpu.sub.j2"  # nemo-run's own assumes GPUs and pyxis
    lines = setup_lines(profile)
    if job.launch == "torchrun" and res.nodes > 1:
        lines = [*rendezvous_setup(), *lines]  # the profile's lines may still change it
    if lines:
        kwargs["setup_lines"] = "\n".join(lines)
    if profile.get("srun_args"):
        kwargs["srun_args"] = str_list(profile["srun_args"], "srun_args")
    if profile.get("additional_parameters"):
        kwargs["additional_parameters"] = dict(profile["additional_parameters"])
    return job.nemorun.make("SlurmExecutor", **kwargs)


def _local_tunnel(profile: Mapping[str, Any], nemorun: NemoRun) -> Any:
    home = nemorun.home or Path(os.environ.get("NEMORUN_HOME", "~/.nemo_run")).expanduser()
    # LocalTunnel copies nothing: the job dir must be nemo-run's own experiments dir.
    job_dir = str(profile.get("remote_job_dir") or Path(home) / "experiments")
    return nemorun.make("LocalTunnel", job_dir=job_dir)


def _ssh_tunnel(profile: Mapping[str, Any], nemorun: NemoRun) -> Any:
    kwargs: dict[str, Any] = {
        "host": str(profile["host"]),
        "user": str(profile.get("user") or getpass.getuser()),
        "job_dir": str(require(profile, "remote_job_dir", "slurm (ssh tunnel)")),
    }
    if profile.get("identity"):
        kwargs["identity"] = str(Path(str(profile["identity"])).expanduser())
    if profile.get("port"):
        kwargs["port"] = int(profile["port"])
    return nemorun.make("SSHTunnel", **kwargs)


_TUNNELS: Mapping[str, Callable[[Mapping[str, Any], NemoRun], Any]] = {
    "local": _local_tunnel,
    "ssh": _ssh_tunnel,
}


def _tunnel(profile: Mapping[str, Any], nemorun: NemoRun) -> Any:
    kind = str(profile.get("tunnel") or ("ssh" if profile.get("host") else "local")).lower()
    if kind not in _TUNNELS:
        raise ExecutorError(
            f"unknown tunnel {kind!r}",
            key="tunnel",
            hint=did_you_mean(kind, tuple(_TUNNELS)) or "Use local or ssh",
        )
    return _TUNNELS[kind if profile.get("host") else "local"](profile, nemorun)


def _docker(job: _Job) -> Any:
    profile = job.profile
    return job.nemorun.make(
        "DockerExecutor",
        container_image=job.image("docker"),
        num_gpus=-1 if job.resources.gpus_per_node == "gpu" else (job.gpus or None),
        ntasks_per_node=job.ntasks,
        runtime=profile.get("runtime", "nvidia" if job.resources.gpus_per_node else None),
        shm_size=profile.get("shm_size"),
        ipc_mode=profile.get("ipc_mode"),
        volumes=str_list(profile.get("mounts"), "mounts"),
        **job.fields(),
        **({"network": profile["network"]} if "network" in profile else {}),
    )


def _dgxcloud(job: _Job) -> Any:
    profile = job.profile
    return job.nemorun.make(
        "DGXCloudExecutor",
        base_url=str(require(profile, "base_url", "dgxcloud")),
        kube_apiserver_url=str(require(profile, "kube_apiserver_url", "dgxcloud")),
        client_id=str(profile.get("app_id") or os.environ.get("DGXCLOUD_APP_ID", "")),
        client_secret=str(profile.get("app_secret") or os.environ.get("DGXCLOUD_APP_SECRET", "")),
        project_name=str(require(profile, "project_name", "dgxcloud")),
        container_image=job.image("dgxcloud"),
        pvc_nemo_run_dir=str(require(profile, "pvc_nemo_run_dir", "dgxcloud")),
        pvcs=list(profile.get("pvcs") or []),
        **job.fields(per_node=True),
    )


def _lepton(job: _Job) -> Any:
    profile = job.profile
    return job.nemorun.make(
        "LeptonExecutor",
        container_image=job.image("lepton"),
        nemo_run_dir=str(require(profile, "nemo_run_dir", "lepton")),
        resource_shape=str(profile.get("resource_shape", "")),
        node_group=str(profile.get("node_group", "")),
        mounts=list(profile.get("mounts") or []),
        pre_launch_commands=setup_lines(profile),
        **job.fields(per_node=True),
    )


BUILDERS: Mapping[str, Callable[[_Job], Any]] = {
    "local": _local,
    "slurm": _slurm,
    "docker": _docker,
    "dgxcloud": _dgxcloud,
    "lepton": _lepton,
}
"""The builder of each executor kind (the keys are :data:`EXECUTORS`)."""


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
        ExecutorError: unknown executor (with a did-you-mean), missing or malformed keys.

    """
    profile = dict(profile or {})
    kind = executor_kind(profile)
    resources = resolve_resources(profile, runspec)
    # Secret-looking names never go to an executor: nemo-run writes its env_vars into the sbatch
    # script and the experiment dir. They reach a job through its secrets file (launch._secrets).
    env = {str(k): str(v) for k, v in (profile.get("env_vars") or {}).items() if not is_secret_key(str(k))}
    env.update(env_vars or {})
    pack = packager if packager is not None else nemorun.make("Packager")
    # One task per node unless the profile says otherwise (torchrun starts a node's processes itself).
    ntasks = int_key(profile, "ntasks_per_node", 1) or 1
    return BUILDERS[kind](_Job(profile, runspec, nemorun, mode, env, pack, resources, ntasks))
