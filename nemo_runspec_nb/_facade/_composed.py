"""A composed, not yet launched job: its configs, provenance, preview, save and launch.

Artifacts are pinned by the config's resolver session
(:meth:`~nemo_runspec_nb.config.ResolverSession.pin_artifacts`); profile keys a launch finds
wrong (``packager``, ``env_vars`` ...) are reported at their line of env.toml, naming the profile
(``profile_errors`` of the config's profiles module).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._preview import Preview

if TYPE_CHECKING:
    import pandas as pd
    from omegaconf import DictConfig

    from ..artifacts import ArtifactRegistry
    from ..config import ComposedConfig
    from ..launch import JobHandle, LaunchRequest
    from ..runspec import Runspec
    from ._recipe import Recipe
    from ._session import Session

__all__ = ["ComposedJob"]


class ComposedJob:
    """A composed, not yet launched job: configs, provenance, preview, launch."""

    def __init__(self, recipe: Recipe, composed: ComposedConfig, *, profile: str | None, mode: str) -> None:
        self.recipe = recipe
        self.composed = composed
        self.profile = profile
        self.mode = mode
        self.job_dir = recipe.session.layout.new_job_dir(recipe.name)
        self._claimed: Path | None = None  # the job dir this job created and has not launched into
        self._train: DictConfig | None = None
        self._train_notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        where = self.profile or "this machine"
        return (
            f"ComposedJob({self.recipe.name!r}, config={self.config_path.name!r}, "
            f"on={where!r}, mode={self.mode!r})"
        )

    @property
    def runspec(self) -> Runspec:
        """The recipe's runspec."""
        return self.recipe.runspec

    @property
    def config_path(self) -> Path:
        """The chosen config file."""
        return self.composed.config_path

    @property
    def job_config(self) -> DictConfig:
        """The full job config (``run`` section included), interpolations unresolved."""
        return self.composed.job_config

    @property
    def execution(self) -> dict[str, Any]:
        """The merged execution profile (``run.env``): executor, resources, mounts, ..."""
        from omegaconf import OmegaConf

        env = (
            OmegaConf.to_container(self.job_config.run.env, resolve=False)
            if "env" in self.job_config.run
            else {}
        )
        return {str(k): v for k, v in env.items()} if isinstance(env, dict) else {}

    @property
    def train_config(self) -> DictConfig:
        """The config the script reads (train.yaml), with ``${art:...}`` pinned to concrete values.

        An artifact that does not exist yet is left as its interpolation (see
        :meth:`preview` notes); :meth:`launch` refuses to start in that case.
        """
        if self._train is None:
            self._train, self._train_notes = self._pin_artifacts(strict=False)
        return self._train

    @property
    def provenance(self) -> pd.DataFrame:
        """One row per leaf of the job config: key, value (secrets masked), source layer."""
        prov = self.composed.provenance
        if prov is None:
            import pandas as pd

            from ..config._provenance import PROVENANCE_COLUMNS

            return pd.DataFrame(columns=list(PROVENANCE_COLUMNS))
        return prov.to_frame()

    @property
    def new_keys(self) -> list[str]:
        """Keys the overrides added that the YAML (and the other layers) lack, in config order."""
        prov = self.composed.provenance
        return prov.new_keys() if prov is not None else []

    # -- artifacts and profile keys -----------------------------------------------------------
    def _pin_artifacts(
        self, *, strict: bool, job_config: DictConfig | None = None
    ) -> tuple[DictConfig, tuple[str, ...]]:
        from ..config import ResolverSession, extract_train_config

        train = extract_train_config(self.job_config if job_config is None else job_config)
        resolver = ResolverSession(registry=_RegistryOnDemand(self.recipe.session))
        return resolver.pin_artifacts(train, strict=strict)

    @contextlib.contextmanager
    def _profile_keys(self) -> Iterator[None]:
        """A ProfileError about a ``run.env`` key a profile set names env.toml, the line, the profile."""
        from ..config._profiles import owner_in, profile_errors

        def owner(key: str) -> str | None:  # asked only when an error needs it
            prov = self.composed.provenance
            sources = {r.key: r.source for r in prov} if prov is not None else {}
            return owner_in(sources, "run.env.", missing=self.profile)(key)

        with profile_errors(self.composed.env_file, owner):
            yield

    # -- preview / save / launch ---------------------------------------------------------------
    def env_vars(self) -> dict[str, str]:
        """Environment the job gets from us (secrets included; previews mask them)."""
        from ..artifacts import artifact_env
        from ..config import get_wandb_config
        from ..launch import build_env_vars

        wandb = get_wandb_config(self.recipe.session.env_file) if self.recipe.session.env_file else {}
        # secret config values (job.yaml/train.yaml hold ${oc.env:NAME} in their place)
        with self._profile_keys():
            built = build_env_vars(self.execution, wandb)
        env = {**self._sealed()[1], **built}
        execution = self.execution if self.profile else {}
        executor = execution.get("executor", "local")
        # A Slurm profile without `tunnel` uses the local tunnel unless it names a `host`.
        tunnel = execution.get("tunnel") or ("ssh" if execution.get("host") else "local")
        if executor == "local" or (executor == "slurm" and tunnel == "local"):
            # Same machine: the job uses the interpreter (virtualenv) that launched it.
            interpreter_dir = str(Path(sys.executable).parent)
            env["PATH"] = os.pathsep.join([interpreter_dir, os.environ.get("PATH", os.defpath)])
        env.update(
            artifact_env(self.recipe.session.registry(), producer=f"{self.recipe.name}@{self.job_dir.name}")
        )
        env["NEMOTRON_JOB_DIR"] = str(self.job_dir)
        env.update(self._job_paths(env)[0])
        for name, value in self._job_defaults(env["NEMOTRON_JOB_DIR"], wandb).items():
            env.setdefault(name, value)  # a value the profile's env_vars set wins
        return env

    def _job_defaults(self, run_dir: str, wandb: Mapping[str, object]) -> dict[str, str]:
        """What every job gets unless set already: its dir, the W&B names, ``HF_HOME`` under its dir.

        ``run_dir`` is the job dir as the job sees it (under ``remote_job_dir`` over SSH).
        ``HF_HOME`` is left out when the launching environment sets it.
        """
        defaults = {
            "NEMO_RUN_DIR": run_dir,
            "WANDB_JOB_TYPE": self.recipe.name,
            "WANDB_NAME": self.job_dir.name,
        }
        if wandb.get("project"):
            defaults["WANDB_ENABLED"] = "true"
        if not os.environ.get("HF_HOME"):
            defaults["HF_HOME"] = f"{run_dir}/hf"
        return defaults

    def _job_paths(self, env: Mapping[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
        """The job dir and artifact root as a job on the cluster sees them, and notes about them.

        Over an SSH tunnel the job dir is ``remote_job_dir/<job dir name>``. The profile's
        ``remote_artifacts_root`` replaces the artifact root; without it, a remote job that would
        get a path of this machine is a note (an fsspec URL is the same everywhere).
        """
        from ..artifacts._default_registry import ENV_ROOT
        from ..launch._remote import ssh_target

        execution = self.execution if self.profile else {}
        changes: dict[str, str] = {}
        mapped = execution.get("remote_artifacts_root")
        if mapped:
            changes[ENV_ROOT] = str(mapped)
        target = ssh_target(execution)
        if target is None:
            return changes, ()
        changes["NEMOTRON_JOB_DIR"] = str(target.job_dir(self.job_dir))
        root = str(env.get(ENV_ROOT, ""))
        if mapped or not root or "://" in root:
            return changes, ()
        return changes, (
            f"the job runs on {target.host} but gets this machine's artifact root ({ENV_ROOT}={root}); "
            f"set remote_artifacts_root in profile {self.profile!r} to where the cluster sees the "
            "registry (a shared path or an s3:// URL)",
        )

    def _request(
        self, train_path: Path | None = None, progress: Callable[[int, int], None] | None = None
    ) -> LaunchRequest:
        from ..launch import LaunchRequest, make_packager

        with self._profile_keys():
            packager = make_packager(self.execution, progress=progress) if self.profile else None
        return LaunchRequest(
            name=self.recipe.name,
            job_dir=self.job_dir,
            script_path=self.runspec.script_path,
            runspec=self.runspec,
            config_path=train_path,
            profile=self.execution if self.profile else {},
            mode=self.mode,  # type: ignore[arg-type]
            env_vars=self.env_vars(),
            packager=packager,
            nemorun_home=self.recipe.session.layout.nemorun_home,
            script_args=tuple(self.composed.context.passthrough),
        )

    def preview(self) -> Preview:
        """job.yaml, train.yaml, the exact command or sbatch script, env vars (redacted), provenance."""
        from omegaconf import OmegaConf

        from ..config import redact, redact_text
        from ..launch import render_run_sh, render_submission_script

        train = self.train_config
        request = self._request()
        script = render_submission_script(request)
        kind = "sbatch" if str(request.profile.get("executor", "local")) == "slurm" else "command"
        # Slurm: the sbatch script ends in `srun ... bash run.sh`; show what run.sh runs on each node.
        command = redact_text(render_run_sh(request)) if kind == "sbatch" else ""
        env = dict(request.env_vars)
        return Preview(
            job_yaml=OmegaConf.to_yaml(redact(self.job_config), resolve=False),
            train_yaml=OmegaConf.to_yaml(redact(train), resolve=False),
            script=redact_text(script),
            script_kind=kind,
            env=redact(env),
            provenance=self.provenance,
            job_dir=self.job_dir,
            notes=(*self._new_key_notes(), *self._train_notes, *self._job_paths(env)[1]),
            command=command,
        )

    def _new_key_notes(self) -> tuple[str, ...]:
        keys = self.new_keys
        if not keys:
            return ()
        from ..config._provenance import NEW_KEY_NOTE

        return (f"{NEW_KEY_NOTE}, added by an override: {', '.join(keys)}",)

    def save(self, job_dir: str | Path | None = None) -> tuple[Path, Path]:
        """Write job.yaml and train.yaml into ``job_dir`` (default: this job's dir).

        Artifacts are pinned; secret values are sealed into ``${oc.env:NAME}`` (see :meth:`_sealed`).
        This job's own dir is created exclusively: when another job took the name meanwhile
        (two launches in one second), ``job_dir`` becomes ``<name>-2`` (``-3`` ...).
        """
        from ..config import save_configs

        sealed, _ = self._sealed()
        train, _ = self._pin_artifacts(strict=True, job_config=sealed)
        return save_configs(sealed, train, Path(job_dir) if job_dir else self._claim_job_dir())

    def _claim_job_dir(self) -> Path:
        from ..config._layout import claim_job_dir

        if self._claimed != self.job_dir:
            self.job_dir = self._claimed = claim_job_dir(self.job_dir)
        return self.job_dir

    def _sealed(self) -> tuple[DictConfig, dict[str, str]]:
        """The job config with each secret value replaced by ``${oc.env:NAME}``, and the values by NAME.

        job.yaml and train.yaml are written from the sealed config; the values reach the job
        only through its owner-only secrets file (see :meth:`env_vars`).
        """
        from ..config._redact import seal_secrets

        return seal_secrets(self.job_config)

    def launch(
        self,
        detach: bool = True,
        *,
        on_output: Callable[[str], None] | None = None,
        timeout: float | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> JobHandle:
        """Write the job dir and start the job; returns its handle at once when ``detach``.

        With ``detach=False`` (the CLI's ``--run``) it waits for the job,
        passing new log text to ``on_output``. ``progress(done, total)`` is
        called while the profile's packager (``packager = "code"`` ...) packs files.
        """
        from ..launch import submit
        from ..launch._request import check_script_args

        check_script_args(self.composed.context.passthrough)  # before anything is written
        if self._claimed != self.job_dir and self.job_dir.exists():  # launched before: a fresh name
            self.job_dir = self.recipe.session.layout.new_job_dir(self.recipe.name)
        _, train_path = self.save()
        self._claimed = None  # the next launch gets a dir of its own
        with self._profile_keys():
            handle = submit(self._request(train_path, progress))
        if not detach:
            handle.wait(timeout=timeout, on_output=on_output)
        return handle

    def _repr_html_(self) -> str:
        return self.preview()._repr_html_()

    def __str__(self) -> str:
        return str(self.preview())


class _RegistryOnDemand:
    """The session's artifact registry, created only when an ``${art:...}`` asks for an artifact."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, ref: str) -> Any:
        registry: ArtifactRegistry = self.session.registry()
        return registry.get(ref)
