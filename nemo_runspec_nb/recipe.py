"""The facade the magics, widgets and CLI call: Recipe -> ComposedJob -> JobHandle.

    session = Session()                       # env.toml, project dir, artifact registry
    recipe = Recipe("recipes/train/train.py", session=session)
    job = recipe.compose(config="tiny", overrides=["model.lr=0.1"], profile="local-slurm", mode="batch")
    job.preview()                             # job.yaml, train.yaml, command or sbatch, env (redacted)
    handle = job.launch()                     # returns at once; handle.status(), .logs(), .wait()

Heavy dependencies (pandas, omegaconf, fsspec, nemo_run) are imported inside
the functions that need them, so importing this module stays cheap. State
(env file, registry) lives on a :class:`Session`, never in module globals.
"""

from __future__ import annotations

import html
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config._layout import ProjectLayout
from .errors import ConfigError
from .runspec import CATALOG_COLUMNS, Runspec, catalog_records, config_names, discover, parse

if TYPE_CHECKING:
    import pandas as pd
    from omegaconf import DictConfig

    from .artifacts import ArtifactRegistry
    from .config import ComposedConfig, OverrideSet
    from .launch import JobHandle, LaunchRequest

__all__ = [
    "CATALOG_COLUMNS",
    "ComposedJob",
    "Preview",
    "Recipe",
    "Session",
    "catalog",
    "jobs",
    "overrides_from_text",
]

MODES = ("local", "run", "batch")
PER_NODE_COMMAND = "per-node command (run.sh, started by srun on each node)"

_DOTLIST_LINE = re.compile(r"^(~[^\s=]+|\+{0,2}[^\s:=#][^\s=]*=.*)$")
_ART_REF = re.compile(r"\$\{art:([^{}]*)\}")


# --------------------------------------------------------------------------- session


class Session:
    """Where a notebook or CLI invocation works: env.toml, jobs dir, artifact registry.

    Args:
        env_file: the env.toml to use. Default: ``NEMOTRON_ENV_FILE``, else the
            first env.toml found walking up from the working directory, else
            from ``start`` (a recipe's folder), stopping at a ``pyproject.toml``.
        project_dir: where ``.nemotron/jobs`` lives (default: the env.toml's
            folder, else the working directory).
        artifacts_root: artifact registry root (default: env.toml ``[artifacts]``,
            else ``.nemotron/artifacts`` next to env.toml).
        start: a folder to search for env.toml when the working dir has none.

    """

    def __init__(
        self,
        env_file: str | Path | None = None,
        *,
        project_dir: str | Path | None = None,
        artifacts_root: str | Path | None = None,
        start: str | Path | None = None,
    ) -> None:
        from .config import find_env_file

        if env_file is not None:
            found: Path | None = Path(env_file).absolute()
            if not found.is_file():  # type: ignore[union-attr]
                from .errors import ProfileError

                raise ProfileError(
                    f"env file {env_file} does not exist",
                    path=env_file,
                    hint="Give the path of an env.toml, or leave it out to search for one",
                )
        else:
            found = find_env_file()
            if found is None and start is not None:
                found = find_env_file(Path(start))
        self.env_file: Path | None = found
        self.project_dir = (
            Path(project_dir).absolute() if project_dir else (found.parent if found else Path.cwd())
        )
        self.artifacts_root = str(artifacts_root) if artifacts_root is not None else None
        self._registry: ArtifactRegistry | None = None

    def __repr__(self) -> str:
        return f"Session(env_file={self.env_file}, project_dir={self.project_dir})"

    @property
    def layout(self) -> ProjectLayout:
        """Where this project keeps jobs, nemo-run's home and artifacts (under ``.nemotron``)."""
        return ProjectLayout(self.project_dir)

    @property
    def jobs_dir(self) -> Path:
        """``<project_dir>/.nemotron/jobs``: one folder per launched job."""
        return self.layout.jobs_dir

    def registry(self) -> ArtifactRegistry:
        """The artifact registry of this session (created on first use, then kept)."""
        if self._registry is None:
            from .artifacts import registry

            self._registry = registry(env_file=self.env_file, root=self.artifacts_root)
        return self._registry

    def profiles(self) -> list[str]:
        """Profile names in env.toml (empty without one)."""
        if self.env_file is None:
            return []
        from .config import list_profiles

        return list_profiles(self.env_file)

    def jobs(self, *, refresh: bool = True) -> pd.DataFrame:
        """A DataFrame of the jobs launched from this project, newest first."""
        from .launch import jobs

        return jobs(self.jobs_dir, refresh=refresh)


def jobs(
    root: str | Path | None = None, *, env_file: str | Path | None = None, refresh: bool = True
) -> pd.DataFrame:
    """A DataFrame of launched jobs, newest first (``root``: a ``.nemotron/jobs`` folder).

    Without ``root`` the jobs of the project of ``env_file`` (found as
    :class:`Session` finds it) are listed. It reads the job dirs, so it works
    after a kernel restart.
    """
    from .launch import jobs as list_jobs

    return list_jobs(Path(root) if root is not None else Session(env_file).jobs_dir, refresh=refresh)


def catalog(root: str | Path = ".") -> pd.DataFrame:
    """A DataFrame with one row per recipe under ``root``.

    Columns: name, path, launch, image, nodes, gpus_per_node, config_dir,
    configs (the config names found in the config dir). Recipes that fail to
    parse are left out; ``df.attrs["errors"]`` holds their errors.
    """
    import pandas as pd

    found = discover(root)
    frame = pd.DataFrame(catalog_records(found), columns=list(CATALOG_COLUMNS))
    frame.attrs["errors"] = list(found.errors)
    return frame


# --------------------------------------------------------------------------- overrides


def overrides_from_text(text: str, source: str = "cell") -> OverrideSet:
    """Overrides written as text (a ``%%recipe`` cell body, the form's free-text box).

    Either dotlist lines (``a.b=1``, ``+new=x``, ``++k=v``, ``~gone``) or a
    YAML mapping (``a: {b: 1}``); ``#`` comments and blank lines are allowed.
    """
    from .config import OverrideSet

    lines = [line.strip() for line in text.splitlines()]
    content = [_strip_comment(line) for line in lines if line and not line.startswith("#")]
    if content and all(_DOTLIST_LINE.match(line) for line in content):
        return OverrideSet(source, tuple(content))
    return OverrideSet(source, text if content else ())


def _strip_comment(line: str) -> str:
    # "a=1  # note" -> "a=1"; a '#' inside quotes or without a space before it is kept.
    match = re.search(r"\s+#", line)
    if match and line.count("'", 0, match.start()) % 2 == 0 and line.count('"', 0, match.start()) % 2 == 0:
        return line[: match.start()].rstrip()
    return line


def _override_sets(overrides: Any, source: str) -> list[OverrideSet | str]:
    from .config import OverrideSet

    if overrides is None:
        return []
    if isinstance(overrides, OverrideSet):
        return [overrides]
    if isinstance(overrides, str):
        return [overrides_from_text(overrides, source)]
    if isinstance(overrides, Mapping):
        return [OverrideSet(source, dict(overrides))]
    items = list(overrides)
    if all(isinstance(o, OverrideSet) for o in items):
        return items
    if all(isinstance(o, str) for o in items):
        # Plain CLI tokens stay strings: they become the context's dotlist (run.cli.dotlist).
        return list(items) if source == "cli" else [OverrideSet(source, tuple(items))]
    raise ConfigError(
        "overrides must be dotlist strings, a YAML mapping or text, or OverrideSet objects",
        key="overrides",
        hint="e.g. overrides=['model.lr=0.1'] or overrides={'model': {'lr': 0.1}}",
    )


# --------------------------------------------------------------------------- recipe


class Recipe:
    """A recipe script and what can be done with it: list configs, compose, launch.

    Args:
        source: a script path or an already parsed :class:`Runspec`.
        session: where to find env.toml, the jobs dir and the artifact registry
            (default: a new :class:`Session` that also searches the recipe's folder).

    """

    def __init__(self, source: str | Path | Runspec, *, session: Session | None = None) -> None:
        self.runspec = source if isinstance(source, Runspec) else parse(source)
        self.session = session or Session(start=self.runspec.script_path.parent)

    def __repr__(self) -> str:
        return f"Recipe({self.runspec.display_name!r}, script={str(self.runspec.script_path)!r})"

    def __str__(self) -> str:
        return str(self.runspec)

    def _repr_html_(self) -> str:
        configs = ", ".join(self.configs()) or "(none found)"
        profiles = ", ".join(self.profiles()) or "(no env.toml: runs on this machine)"
        extra = (
            f"<tr><th style='text-align:left'>configs</th><td>{html.escape(configs)}</td></tr>"
            f"<tr><th style='text-align:left'>profiles</th><td>{html.escape(profiles)}</td></tr>"
        )
        return self.runspec._repr_html_().replace("</table>", extra + "</table>")

    @property
    def name(self) -> str:
        """The recipe's name (the script's stem when it has none)."""
        return self.runspec.display_name

    def configs(self) -> list[str]:
        """Config names in the recipe's config dir (without suffix)."""
        return config_names(self.runspec)

    def profiles(self) -> list[str]:
        """Profiles of the session's env.toml."""
        return self.session.profiles()

    def compose(
        self,
        config: str | Path | None = None,
        overrides: Any = (),
        profile: str | None = None,
        mode: str = "local",
        *,
        source: str = "cli",
        argv: Sequence[str] = (),
        passthrough: Sequence[str] = (),
        override_mode: str | None = None,
    ) -> ComposedJob:
        """Compose the job: config (+ ``defaults:``), profile, overrides; nothing runs yet.

        Args:
            config: a config name from :meth:`configs` or a path (default: the runspec's default).
            overrides: dotlist strings, a YAML mapping, override text (see
                :func:`overrides_from_text`) or ``OverrideSet`` objects.
            profile: an env.toml profile (None: run on this machine).
            mode: ``local`` (this machine, detached), ``run`` (attached: launch waits)
                or ``batch`` (submit and return).
            source: provenance label of plain overrides (``cli``, ``cell``, ``widget``).
            argv: the command line, kept in ``run.cli.argv``.
            passthrough: arguments for the script, kept in ``run.cli.passthrough``.
            override_mode: ``"open"`` lets ``key=value`` add keys the YAML lacks (shown as
                new keys; typos of existing keys stay errors), ``"strict"`` does not.
                None: env.toml ``[config] overrides``, else the recipe's, else strict.

        Raises:
            ConfigError, OverrideError, ProfileError: with the file/line or key and a suggestion.

        """
        from .config import compose_job_config

        if mode not in MODES:
            raise ConfigError(f"unknown mode {mode!r}", key="mode", hint=f"Use one of: {', '.join(MODES)}")
        if mode in ("run", "batch") and not profile:
            raise ConfigError(
                f"mode {mode!r} needs a profile",
                key="profile",
                hint=f"Pick one of: {', '.join(self.profiles()) or '(no env.toml)'}; or use mode='local'",
            )
        if profile and self.session.env_file is None:
            from .errors import ProfileError

            raise ProfileError(
                f"profile {profile!r} asked for, but no env.toml was found",
                key=profile,
                hint="Add an env.toml next to the recipes, set NEMOTRON_ENV_FILE or pass Session(env_file=)",
            )
        composed = compose_job_config(
            self.runspec,
            config=config,
            overrides=_override_sets(overrides, source),
            profile=profile,
            mode=mode,  # type: ignore[arg-type]
            env_file=self.session.env_file,
            argv=argv,
            passthrough=passthrough,
            override_mode=override_mode,
        )
        return ComposedJob(self, composed, profile=profile, mode=mode)

    def launch(
        self,
        config: str | Path | None = None,
        overrides: Any = (),
        profile: str | None = None,
        mode: str = "local",
        *,
        override_mode: str | None = None,
        **kwargs: Any,
    ) -> JobHandle:
        """``compose(...)`` then ``launch()``; returns the job handle at once."""
        return self.compose(config, overrides, profile, mode, override_mode=override_mode).launch(**kwargs)


# --------------------------------------------------------------------------- composed job


@dataclass(frozen=True)
class Preview:
    """Exactly what a launch would run, for a human to check (secrets masked)."""

    job_yaml: str
    train_yaml: str
    script: str
    script_kind: str  # "command" (run.sh) or "sbatch"
    env: Mapping[str, str]
    provenance: pd.DataFrame
    job_dir: Path
    notes: tuple[str, ...] = ()
    command: str = ""
    """The per-node command (``run.sh``) that the sbatch script's ``srun`` starts; "" when
    ``script`` is that command already (local jobs)."""

    def __str__(self) -> str:
        parts = [f"# job dir (to be created): {self.job_dir}"]
        parts += [f"# note: {note}" for note in self.notes]
        parts += ["", "## job.yaml", self.job_yaml.rstrip(), "", "## train.yaml", self.train_yaml.rstrip()]
        title = "sbatch script" if self.script_kind == "sbatch" else "command (run.sh)"
        parts += ["", f"## {title}", self.script.rstrip()]
        if self.command:
            parts += ["", f"## {PER_NODE_COMMAND}", self.command.rstrip()]
        parts += ["", "## environment"]
        parts += [f"{k}={v}" for k, v in sorted(self.env.items())] or ["(none)"]
        return "\n".join(parts) + "\n"

    def _repr_html_(self) -> str:
        def block(title: str, text: str, css: str) -> str:
            return (
                f"<details class='nrs-preview-{css}' open><summary><b>{html.escape(title)}</b></summary>"
                f"<pre style='max-height:30em;overflow:auto'>{html.escape(text)}</pre></details>"
            )

        notes = "".join(f"<p class='nrs-preview-note'>&#9888; {html.escape(n)}</p>" for n in self.notes)
        env = "\n".join(f"{k}={v}" for k, v in sorted(self.env.items())) or "(none)"
        title = "sbatch script" if self.script_kind == "sbatch" else "command (run.sh)"
        command = block(PER_NODE_COMMAND, self.command, "command") if self.command else ""
        table = self.provenance.to_html(index=False, classes="nrs-provenance", max_rows=400)
        return (
            "<div class='nrs-preview'><p>job dir (to be created): "
            f"<code>{html.escape(str(self.job_dir))}</code></p>"
            f"{notes}<details class='nrs-preview-provenance'><summary><b>provenance "
            f"({len(self.provenance)} keys)</b></summary>{table}</details>"
            f"{block('job.yaml', self.job_yaml, 'job')}{block('train.yaml', self.train_yaml, 'train')}"
            f"{block(title, self.script, 'script')}{command}{block('environment', env, 'env')}</div>"
        )


class ComposedJob:
    """A composed, not yet launched job: configs, provenance, preview, launch."""

    def __init__(self, recipe: Recipe, composed: ComposedConfig, *, profile: str | None, mode: str) -> None:
        self.recipe = recipe
        self.composed = composed
        self.profile = profile
        self.mode = mode
        from .config import generate_job_dir

        self.job_dir = generate_job_dir(recipe.name, recipe.session.project_dir)
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

            from .config.provenance import PROVENANCE_COLUMNS

            return pd.DataFrame(columns=list(PROVENANCE_COLUMNS))
        return prov.to_frame()

    @property
    def new_keys(self) -> list[str]:
        """Keys the overrides added that the YAML (and the other layers) lack, in config order."""
        prov = self.composed.provenance
        return prov.new_keys() if prov is not None else []

    # -- artifacts ----------------------------------------------------------------------------
    def _pin_artifacts(
        self, *, strict: bool, job_config: DictConfig | None = None
    ) -> tuple[DictConfig, tuple[str, ...]]:
        from omegaconf import DictConfig, OmegaConf

        from .config import ResolverSession, extract_train_config
        from .errors import RunspecError

        train = extract_train_config(self.job_config if job_config is None else job_config)
        plain = OmegaConf.to_container(train, resolve=False)
        assert isinstance(plain, dict)
        if not _contains_art(plain):
            return train, ()
        resolver = ResolverSession(registry=self.recipe.session.registry())
        notes: list[str] = []

        def pin(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: pin(v) for k, v in value.items()}
            if isinstance(value, list):
                return [pin(v) for v in value]
            if not isinstance(value, str) or "${art:" not in value:
                return value
            whole = _ART_REF.fullmatch(value.strip())
            try:
                if whole:
                    return _art(resolver, whole.group(1), train)
                return _ART_REF.sub(lambda m: str(_art(resolver, m.group(1), train)), value)
            except RunspecError as exc:
                if strict:
                    raise
                notes.append(str(exc))
                return value

        pinned = OmegaConf.create(pin(plain))
        assert isinstance(pinned, DictConfig)
        return pinned, tuple(dict.fromkeys(notes))

    # -- preview / save / launch ---------------------------------------------------------------
    def env_vars(self) -> dict[str, str]:
        """Environment the job gets from us (secrets included; previews mask them)."""
        from .artifacts import artifact_env
        from .config import get_wandb_config
        from .launch.env_vars import build_env_vars

        wandb = get_wandb_config(self.recipe.session.env_file) if self.recipe.session.env_file else {}
        # secret config values (job.yaml/train.yaml hold ${oc.env:NAME} in their place)
        env = {**self._sealed()[1], **build_env_vars(self.execution, wandb)}
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
        return env

    def _job_paths(self, env: Mapping[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
        """The job dir and artifact root as a job on the cluster sees them, and notes about them.

        Over an SSH tunnel the job dir is ``remote_job_dir/<job dir name>``. The profile's
        ``remote_artifacts_root`` replaces the artifact root; without it, a remote job that would
        get a path of this machine is a note (an fsspec URL is the same everywhere).
        """
        from .artifacts._default_registry import ENV_ROOT
        from .launch.remote import ssh_target

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
        from .launch import LaunchRequest
        from .launch.packaging import make_packager

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

        from .config import redact, redact_text
        from .launch import render_command, render_script

        train = self.train_config
        request = self._request()
        script = render_script(request)
        kind = "sbatch" if str(request.profile.get("executor", "local")) == "slurm" else "command"
        # Slurm: the sbatch script ends in `srun ... bash run.sh`; show what run.sh runs on each node.
        command = redact_text(render_command(request)) if kind == "sbatch" else ""
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
        from .config.provenance import NEW_KEY_NOTE

        return (f"{NEW_KEY_NOTE}, added by an override: {', '.join(keys)}",)

    def save(self, job_dir: str | Path | None = None) -> tuple[Path, Path]:
        """Write job.yaml and train.yaml into ``job_dir`` (default: this job's dir).

        Artifacts are pinned; secret values are sealed into ``${oc.env:NAME}`` (see :meth:`_sealed`).
        This job's own dir is created exclusively: when another job took the name meanwhile
        (two launches in one second), ``job_dir`` becomes ``<name>-2`` (``-3`` ...).
        """
        from .config import save_configs

        sealed, _ = self._sealed()
        train, _ = self._pin_artifacts(strict=True, job_config=sealed)
        return save_configs(sealed, train, Path(job_dir) if job_dir else self._claim_job_dir())

    def _claim_job_dir(self) -> Path:
        from .config._layout import claim_job_dir

        if self._claimed != self.job_dir:
            self.job_dir = self._claimed = claim_job_dir(self.job_dir)
        return self.job_dir

    def _sealed(self) -> tuple[DictConfig, dict[str, str]]:
        """The job config with each secret value replaced by ``${oc.env:NAME}``, and the values by NAME.

        job.yaml and train.yaml are written from the sealed config; the values reach the job
        only through its owner-only secrets file (see :meth:`env_vars`).
        """
        from .config.redact import seal_secrets

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
        from .launch import submit
        from .launch.request import check_script_args

        check_script_args(self.composed.context.passthrough)  # before anything is written
        if self._claimed != self.job_dir and self.job_dir.exists():  # launched before: a fresh name
            from .config import generate_job_dir

            self.job_dir = generate_job_dir(self.recipe.name, self.recipe.session.project_dir)
        _, train_path = self.save()
        self._claimed = None  # the next launch gets a dir of its own
        handle = submit(self._request(train_path, progress))
        if not detach:
            handle.wait(timeout=timeout, on_output=on_output)
        return handle

    def _repr_html_(self) -> str:
        return self.preview()._repr_html_()

    def __str__(self) -> str:
        return str(self.preview())


def _contains_art(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_contains_art(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_art(v) for v in value)
    return isinstance(value, str) and "${art:" in value


def _art(resolver: Any, args: str, root: Any) -> Any:
    name, _, field_name = args.partition(",")
    return resolver.art(name.strip(), field_name.strip() or "path", root)
