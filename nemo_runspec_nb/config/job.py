"""Job configs: the composed config plus a ``run`` section, train.yaml, job dirs.

``job.yaml`` is the training config at the root plus ``run``::

    run:
      mode: local | run | batch
      profile: <env.toml profile or null>
      env: {...}          # executor settings: runspec defaults < YAML run.env < profile
      cli: {argv, dotlist, passthrough, config}
      recipe: {name, script}
      wandb: {...}        # env.toml [wandb], when present

Merging the profile into ``run.env``: profile keys overlay the YAML's, except
the keys the YAML owns when it sets them (``container_image``, ``nodes``,
``gpus_per_node``, ``ntasks_per_node``, ``nproc_per_node``: the recipe knows
what it needs); ``env_vars`` merge key by key (profile wins a clash) and
``mounts`` concatenate (YAML first). env.toml ``[artifacts]`` goes under the
top-level ``artifacts`` with the YAML winning. Overrides apply last, so they
reach keys only the profile or env.toml provides (``run.env.partition=...``).

How overrides of keys the YAML lacks are treated (``strict`` or ``open``, see
:mod:`~nemo_runspec_nb.config.overrides`) is, first found: the call's
``override_mode``, ``GlobalContext.overrides`` (``--overrides``), env.toml
``[config] overrides``, the recipe's ``[tool.runspec.config] overrides``,
else ``strict``.

``train.yaml`` (:func:`extract_train_config`) is what the script reads: ``run``
removed except its artifact refs, ``${run.*}`` substituted, and for remote runs
local paths rewritten to where the code lands in the container.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..errors import ConfigError, OverrideError, ProfileError
from ._layout import ProjectLayout
from ._tree import deep_copy, merge_into, record_tree
from .context import GlobalContext, Mode
from .loader import find_config_file, load_config_data
from .overrides import (
    OverrideMode,
    OverrideSet,
    apply_overrides_data,
    check_override_mode,
    has_path,
    overridden_config,
    parse_override,
)
from .profiles import (
    _COUNT_KEYS,
    ProfileLayer,
    _count_problem,
    _layers_of,
    find_env_file,
    load_env_file,
)
from .provenance import Provenance, ProvenanceRecorder
from .redact import seal_secrets
from .resolvers import is_artifact_reference, resolve_run_interpolations

if TYPE_CHECKING:
    from ..runspec import Runspec

__all__ = [
    "YAML_OWNED_KEYS",
    "ComposedConfig",
    "build_job_config",
    "compose_job_config",
    "extract_train_config",
    "generate_job_dir",
    "parse_config",
    "resolve_override_mode",
    "save_configs",
]

YAML_OWNED_KEYS = ("container_image", "nodes", "gpus_per_node", "ntasks_per_node", "nproc_per_node")
REMOTE_CODE_DIR = "/nemo_run/code"
REMOTE_RUN_DIR = "/nemo_run"
# Sections build_job_config fills from the profile and env.toml: parse_config leaves their
# overrides to it, so they apply after the profile is merged.
_LATE_SECTIONS = ("run", "artifacts")


def _plain(config: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(config, DictConfig):
        data = OmegaConf.to_container(config, resolve=False)
    else:
        data = deep_copy(config)
    if not isinstance(data, dict):
        raise ConfigError(f"a job config must be a mapping, not {type(data).__name__}")
    return data  # type: ignore[return-value]


@dataclass(frozen=True)
class _EnvSource:
    """env.toml, read once per composition."""

    data: Mapping[str, Any]
    path: Path | None

    @classmethod
    def read(cls, env_file: Path | str | None) -> _EnvSource:
        path = Path(env_file) if env_file is not None else find_env_file()
        return cls(load_env_file(path) if path is not None else {}, path)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ProfileError(
                f"[{name}] must be a table, not {type(value).__name__}", path=self.path, key=name
            )
        copied: dict[str, Any] = deep_copy(value)
        return copied

    def override_mode(self) -> OverrideMode | None:
        """env.toml ``[config] overrides`` (None when unset)."""
        value = self.section("config").get("overrides")
        if value is None:
            return None
        try:
            return check_override_mode(value, key="config.overrides")
        except OverrideError as exc:
            raise ProfileError(exc.message, path=self.path, key="config.overrides", hint=exc.hint) from None


def resolve_override_mode(
    override_mode: str | None = None,
    ctx: GlobalContext | None = None,
    *,
    runspec: Runspec | None = None,
    env_file: Path | str | None = None,
) -> OverrideMode:
    """The override mode of a run: ``override_mode``, ``ctx.overrides``, env.toml, the recipe, else strict.

    Raises:
        OverrideError: a bad ``override_mode``/``ctx.overrides``. ProfileError: a bad env.toml value.

    """
    return _override_mode(override_mode, ctx, runspec, _EnvSource.read(env_file))


def _override_mode(
    explicit: str | None, ctx: GlobalContext | None, runspec: Runspec | None, env_source: _EnvSource
) -> OverrideMode:
    if explicit is not None:
        return check_override_mode(explicit)
    if ctx is not None and ctx.overrides is not None:
        return check_override_mode(ctx.overrides, key="--overrides")
    from_env = env_source.override_mode()
    if from_env is not None:
        return from_env
    return runspec.config.overrides if runspec is not None else "strict"


def _setter(target: dict[str, str], label: str) -> Callable[[str], None]:
    def _set(key: str) -> None:
        target[key] = label

    return _set


def _resolve_profile_values(values: dict[str, Any], name: str, path: Path | None) -> dict[str, Any]:
    """Resolve interpolations inside profile values now (``${oc.env:USER}``), as the seed does."""
    if "${" not in repr(values):
        return values
    try:
        resolved = OmegaConf.to_container(OmegaConf.create(values), resolve=True)
    except OmegaConfBaseException as exc:
        key = str(getattr(exc, "full_key", "") or "")
        raise ProfileError(
            f"profile '{name}': cannot resolve '{key}': {str(exc).splitlines()[0]}",
            path=path,
            key=f"{name}.{key}" if key else name,
        ) from None
    assert isinstance(resolved, dict)
    return resolved  # type: ignore[return-value]


def _merge_profile_into_env(
    env: dict[str, Any],
    yaml_env: Mapping[str, Any],
    layers: Sequence[ProfileLayer],
    path: Path | None,
    recorder: ProvenanceRecorder | None,
) -> None:
    sources: dict[str, str] = {}
    merged: dict[str, Any] = {}
    for layer in layers:
        label = f"profile:{layer.name}"
        merge_into(merged, layer.values, "", _setter(sources, label))
    merged = _resolve_profile_values(merged, layers[-1].name, path)
    fallback = f"profile:{layers[-1].name}"

    def record(full_key: str) -> None:
        if recorder is not None:
            rel = full_key[len("run.env.") :]
            recorder.record(full_key, sources.get(rel) or sources.get(rel.split(".", 1)[0], fallback))

    for key, value in merged.items():
        prefix = f"run.env.{key}"
        current = env.get(key)
        if key in YAML_OWNED_KEYS and key in yaml_env:
            continue
        if key == "mounts" and isinstance(value, list) and isinstance(current, list):
            env[key] = [*current, *value]
            record(prefix)
        elif isinstance(value, Mapping) and isinstance(current, dict):
            merge_into(current, value, prefix, record)  # env_vars (and other tables): key by key
        else:
            env[key] = deep_copy(value)
            record_tree(value, prefix, record)


def build_job_config(
    train_config: DictConfig | Mapping[str, Any],
    ctx: GlobalContext | None = None,
    recipe_name: str | None = None,
    script_path: str | Path | None = None,
    argv: Sequence[str] = (),
    *,
    runspec: Runspec | None = None,
    env_profile: Mapping[str, Any] | DictConfig | None = None,
    env_file: Path | str | None = None,
    overrides: Sequence[OverrideSet] = (),
    mode: Mode | None = None,
    profile: str | None = None,
    provenance: ProvenanceRecorder | None = None,
    override_mode: str | None = None,
) -> DictConfig:
    """Build the full job config: ``train_config`` at the root plus the ``run`` section.

    Args:
        train_config: the composed recipe config (interpolations unresolved).
        ctx: global options; ``ctx.dotlist`` is applied last, as ``override:cli``.
        recipe_name: defaults to the runspec's name.
        script_path: defaults to the runspec's script.
        argv: the original command line, kept in ``run.cli.argv``.
        runspec: the recipe; its image, nodes and gpus_per_node are the lowest layer of ``run.env``.
        env_profile: an already merged profile; by default the profile named by
            ``profile``/``ctx.profile`` is read from env.toml with its ``extends`` chain.
        env_file: env.toml to read (default: :func:`find_env_file`), also for ``[wandb]``/``[artifacts]``.
        overrides: further override sets (notebook cell, widget), applied before ``ctx.dotlist``.
        mode: takes precedence over ``ctx.mode``.
        profile: takes precedence over ``ctx.profile``.
        provenance: records which layer set each key.
        override_mode: ``"strict"`` or ``"open"`` (default: see the module docstring).

    The overrides are applied after the profile is merged. A ``train_config``
    from :func:`parse_config` records in ``run.cli.dotlist`` the tokens it
    already applied; those are not applied twice (tokens for ``run.*`` and
    ``artifacts.*`` are applied again, so the command line wins over the profile).

    Raises:
        ProfileError: the profile or its chain is invalid. OverrideError: a bad override.

    """
    ctx = ctx or GlobalContext()
    env_source = _EnvSource.read(env_file)
    data = _plain(train_config)
    return _build(
        data,
        ctx,
        recipe_name,
        script_path,
        argv,
        runspec=runspec,
        env_profile=env_profile,
        env_source=env_source,
        overrides=overrides,
        mode=mode,
        profile=profile,
        recorder=provenance,
        override_mode=_override_mode(override_mode, ctx, runspec, env_source),
        dotlist=_not_yet_applied(ctx.dotlist, _applied_dotlist(data)),
    )


def _applied_dotlist(data: Mapping[str, Any]) -> list[str]:
    """``run.cli.dotlist`` of a config :func:`parse_config` returned (``[]`` otherwise)."""
    run = data.get("run")
    cli = run.get("cli") if isinstance(run, Mapping) else None
    tokens = cli.get("dotlist") if isinstance(cli, Mapping) else None
    return [t for t in tokens if isinstance(t, str)] if isinstance(tokens, list) else []


def _not_yet_applied(dotlist: Sequence[str], applied: Sequence[str]) -> list[str]:
    """``dotlist`` without the tokens already applied, except those of the late sections."""
    left = list(applied)
    out = []
    for token in dotlist:
        if token in left and parse_override(token).path[0] not in _LATE_SECTIONS:
            left.remove(token)
            continue
        out.append(token)
    return out


def parse_config(
    ctx: GlobalContext,
    config_dir: Path | str,
    default_config: str = "default",
    *,
    runspec: Runspec | None = None,
    env_file: Path | str | None = None,
    override_mode: str | None = None,
) -> DictConfig:
    """Load ``ctx.config`` (else ``default_config``) from ``config_dir`` and apply ``ctx.dotlist``.

    The seed's first step (then :func:`build_job_config`). Overrides of the
    ``run`` and ``artifacts`` sections that the YAML cannot take yet (a key
    only the profile or env.toml provides, such as ``run.env.partition``, or
    a ``+``/``~`` there) are left for :func:`build_job_config`, which applies
    them after merging the profile. The tokens applied here are listed in
    ``run.cli.dotlist`` of the result (:func:`build_job_config` replaces it).

    Raises:
        ConfigError: the config is missing or invalid. OverrideError: a bad override.

    """
    name = ctx.config or default_config
    fmt = runspec.config.format if runspec is not None else "omegaconf"
    data = load_config_data(find_config_file(name, config_dir, format=fmt))
    strictness = _override_mode(override_mode, ctx, runspec, _EnvSource.read(env_file))
    applied: list[str] = []
    for token in ctx.dotlist:
        override = parse_override(token)
        late = override.path[0] in _LATE_SECTIONS
        if late and not (override.op in ("set", "force_add") and has_path(data, override.path)):
            continue
        apply_overrides_data(data, [override], mode=strictness)
        applied.append(token)
    if applied and data.get("run") is None:
        data["run"] = {}
    run = data.get("run") if applied else None
    if isinstance(run, dict):
        cli = run.get("cli")
        run["cli"] = {**(cli if isinstance(cli, dict) else {}), "dotlist": applied}
    return OmegaConf.create(data)


def _script_text(script_path: str | Path | None, runspec: Runspec | None) -> str | None:
    if script_path is not None:
        return str(script_path)
    return str(runspec.script_path) if runspec is not None else None


def _build(
    job: dict[str, Any],
    ctx: GlobalContext,
    recipe_name: str | None,
    script_path: str | Path | None,
    argv: Sequence[str],
    *,
    runspec: Runspec | None,
    env_profile: Mapping[str, Any] | DictConfig | None,
    env_source: _EnvSource,
    overrides: Sequence[OverrideSet],
    mode: Mode | None,
    profile: str | None,
    recorder: ProvenanceRecorder | None,
    override_mode: OverrideMode = "strict",
    dotlist: Sequence[str] | None = None,
) -> DictConfig:
    def rec(label: str) -> Any:
        return recorder.recorder(label) if recorder is not None else None

    mode = mode or ctx.mode
    profile = profile if profile is not None else ctx.profile
    existing_run = job.get("run")
    existing_run = existing_run if isinstance(existing_run, dict) else {}
    yaml_env = existing_run.get("env")
    yaml_env = yaml_env if isinstance(yaml_env, dict) else {}

    env: dict[str, Any] = {}
    if runspec is not None:
        defaults: dict[str, Any] = {
            "nodes": runspec.resources.nodes,
            "gpus_per_node": runspec.resources.gpus_per_node,
        }
        if runspec.image:
            defaults = {"container_image": runspec.image, **defaults}
        for key, value in defaults.items():
            env[key] = value
            if recorder is not None and key not in yaml_env:
                recorder.record(f"run.env.{key}", "runspec")
    merge_into(env, yaml_env)  # already recorded by the loader as config:<file>

    layers: list[ProfileLayer] = []
    if env_profile is not None:
        values = _plain(env_profile)
        values.pop("extends", None)
        layers = [ProfileLayer(profile or "profile", values)]
    elif profile:
        layers = _layers_of(env_source.data, env_source.path, profile)
    if layers:
        _merge_profile_into_env(env, yaml_env, layers, env_source.path, recorder)

    run_updates: dict[str, Any] = {
        "mode": mode,
        "profile": profile,
        "env": env,
        "cli": {
            "argv": list(argv),
            "dotlist": list(ctx.dotlist),
            "passthrough": list(ctx.passthrough),
            "config": ctx.config,
        },
        "recipe": {
            "name": recipe_name if recipe_name is not None else (runspec.name if runspec else None),
            "script": _script_text(script_path, runspec),
        },
    }
    if recorder is not None:
        for key in ("mode", "profile"):
            recorder.record(f"run.{key}", "job")
        record_tree(run_updates["cli"], "run.cli", rec("job"))
        record_tree(run_updates["recipe"], "run.recipe", rec("job"))
    wandb = env_source.section("wandb")
    if wandb:
        run_updates["wandb"] = wandb
        if recorder is not None:
            record_tree(wandb, "run.wandb", rec("env:wandb"))

    env_artifacts = env_source.section("artifacts")
    if env_artifacts:
        yaml_artifacts = job.get("artifacts")
        yaml_artifacts = yaml_artifacts if isinstance(yaml_artifacts, dict) else {}
        for key, value in env_artifacts.items():
            if key not in yaml_artifacts and recorder is not None:
                record_tree(value, f"artifacts.{key}", rec("env:artifacts"))
        job["artifacts"] = {**env_artifacts, **yaml_artifacts}

    job["run"] = {**existing_run, **run_updates}

    on_new = recorder.mark_new if recorder is not None else None
    for override_set in overrides:
        apply_overrides_data(
            job, override_set.entries, record=rec(override_set.label), mode=override_mode, on_new=on_new
        )
    cli_tokens = list(ctx.dotlist if dotlist is None else dotlist)
    if cli_tokens:
        apply_overrides_data(job, cli_tokens, record=rec("override:cli"), mode=override_mode, on_new=on_new)
    _check_env_counts(job)
    return overridden_config(job)


def _check_env_counts(job: Mapping[str, Any]) -> None:
    """``run.env`` counts (nodes, GPUs, ...) after the config and the overrides: whole numbers in range."""
    run = job.get("run")
    env = run.get("env") if isinstance(run, Mapping) else None
    if not isinstance(env, Mapping):
        return
    for key, minimum in _COUNT_KEYS.items():
        allowed = _count_problem(key, env[key]) if key in env else None
        if allowed is not None:
            raise ConfigError(
                f"run.env.{key} = {env[key]!r} is not {allowed}",
                key=f"run.env.{key}",
                hint=f"Set it in the config, the profile or an override: run.env.{key}={max(minimum, 1)}",
            )


# --------------------------------------------------------------------------- composition


@dataclass(frozen=True)
class ComposedConfig:
    """The result of :func:`compose_job_config`."""

    job_config: DictConfig
    config_path: Path
    provenance: Provenance | None = None
    profile_chain: tuple[str, ...] = ()
    env_file: Path | None = None
    context: GlobalContext = field(default_factory=GlobalContext)
    override_mode: OverrideMode = "strict"

    def train_config(self, *, for_remote: bool = False, repo_root: Path | str | None = None) -> DictConfig:
        """The script's config (see :func:`extract_train_config`)."""
        return extract_train_config(self.job_config, for_remote=for_remote, repo_root=repo_root)


def compose_job_config(
    runspec: Runspec | None = None,
    *,
    config: str | Path | None = None,
    config_dir: Path | str | None = None,
    overrides: Sequence[OverrideSet | str] = (),
    profile: str | None = None,
    mode: Mode = "local",
    env_file: Path | str | None = None,
    argv: Sequence[str] = (),
    passthrough: Sequence[str] = (),
    provenance: bool = True,
    override_mode: str | None = None,
) -> ComposedConfig:
    """The whole pipeline: find and load the config, build the job config, apply overrides.

    Args:
        runspec: the recipe (its config dir, default config, format and resource defaults).
        config: config name or path (default: the runspec's ``config.default``).
        config_dir: where bare names are looked up (default: ``runspec.config_dir``).
        overrides: :class:`OverrideSet` objects (``cell``, ``widget``, ...) in order; plain
            strings are collected into one ``cli`` set, applied last.
        profile: env.toml profile merged into ``run.env`` (with its ``extends`` chain).
        mode: ``local``, ``run`` (attached) or ``batch`` (detached); recorded in ``run.mode``.
        env_file: env.toml path (default: :func:`find_env_file`).
        argv: the command line, kept in ``run.cli.argv``.
        passthrough: arguments for the script, kept in ``run.cli.passthrough``.
        provenance: record which layer set each key (``ComposedConfig.provenance``).
        override_mode: ``"strict"`` or ``"open"`` for this run (None: env.toml
            ``[config] overrides``, else the recipe's, else strict).

    """
    if config is None and runspec is None:
        raise ConfigError("compose_job_config needs a runspec or a config path", key="config")
    name = config if config is not None else runspec.config.default  # type: ignore[union-attr]
    directory = config_dir if config_dir is not None else (runspec.config_dir if runspec else None)
    fmt = runspec.config.format if runspec is not None else "omegaconf"
    path = find_config_file(name, directory, format=fmt)
    recorder = ProvenanceRecorder() if provenance else None
    data = load_config_data(path, recorder)

    cli = [o for o in overrides if isinstance(o, str)]
    sets = [o for o in overrides if isinstance(o, OverrideSet)]
    ctx = GlobalContext(
        config=str(config) if config is not None else None,
        run=profile if mode == "run" else None,
        batch=profile if mode == "batch" else None,
        dotlist=cli,
        passthrough=list(passthrough),
    )
    env_source = _EnvSource.read(env_file)
    strictness = _override_mode(override_mode, None, runspec, env_source)
    chain: tuple[str, ...] = ()
    if profile:
        chain = tuple(layer.name for layer in _layers_of(env_source.data, env_source.path, profile))
    job = _build(
        data,
        ctx,
        None,
        None,
        argv,
        runspec=runspec,
        env_profile=None,
        env_source=env_source,
        overrides=sets,
        mode=mode,
        profile=profile,
        recorder=recorder,
        override_mode=strictness,
    )
    prov = None
    if recorder is not None:
        prov = recorder.finish(OmegaConf.to_container(job, resolve=False))  # type: ignore[arg-type]
    return ComposedConfig(job, path, prov, chain, env_source.path, ctx, strictness)


# --------------------------------------------------------------------------- train.yaml

_NEMO_RUN_DIR_REF = re.compile(r"^\$\{oc\.env:NEMO_RUN_DIR[^}]*\}")


def _rewrite_for_remote(obj: Any, repo_root: str) -> Any:
    if isinstance(obj, Mapping):
        return {k: _rewrite_for_remote(v, repo_root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rewrite_for_remote(v, repo_root) for v in obj]
    if not isinstance(obj, str):
        return obj
    if "${oc.env:PWD}" in obj:
        return obj.replace("${oc.env:PWD}", REMOTE_CODE_DIR)
    match = _NEMO_RUN_DIR_REF.match(obj)
    if match:
        return REMOTE_RUN_DIR + obj[match.end() :]
    if obj == repo_root or obj.startswith(repo_root + "/"):
        rest = obj[len(repo_root) :].lstrip("/")
        return f"{REMOTE_CODE_DIR}/{rest}" if rest else REMOTE_CODE_DIR
    return obj


def extract_train_config(
    job_config: DictConfig | Mapping[str, Any],
    *,
    for_remote: bool = False,
    repo_root: Path | str | None = None,
) -> DictConfig:
    """The config the script reads (train.yaml).

    ``run`` is removed except its artifact-ref entries (``run.data: tiny-data:latest``,
    needed by ``${art:data,...}``); ``${run.*}`` references are substituted from it;
    every other interpolation stays. With ``for_remote=True``, ``${oc.env:PWD}`` and
    absolute paths under ``repo_root`` (default: cwd) become ``/nemo_run/code/...``
    and ``${oc.env:NEMO_RUN_DIR,...}`` becomes ``/nemo_run``.
    """
    data = _plain(job_config)
    run = data.pop("run", None)
    run = run if isinstance(run, dict) else {}
    if for_remote:
        root = str(Path(repo_root) if repo_root is not None else Path.cwd()).rstrip("/")
        data = _rewrite_for_remote(data, root)
    data = resolve_run_interpolations(data, run)
    refs = {k: v for k, v in run.items() if is_artifact_reference(v)}
    if refs:
        data["run"] = refs
    result = OmegaConf.create(data)
    assert isinstance(result, DictConfig)
    return result


# --------------------------------------------------------------------------- job dirs


def generate_job_dir(
    recipe_name: str, base_dir: Path | str | None = None, *, now: datetime | None = None
) -> Path:
    """A fresh ``<base>/.nemotron/jobs/<YYYYmmdd-HHMMSS>-<recipe>`` path (not created).

    ``/`` and other unsafe characters in the name become ``-``; when that
    directory already exists a ``-2``, ``-3`` ... suffix keeps it unique.
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    return ProjectLayout(base).new_job_dir(recipe_name, now)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_configs(
    job_config: DictConfig | Mapping[str, Any],
    train_config: DictConfig | Mapping[str, Any],
    job_dir: Path | str,
) -> tuple[Path, Path]:
    """Write ``job.yaml`` and ``train.yaml`` into ``job_dir`` (created), each atomically.

    Interpolations are written unresolved. Secret-looking values are never written: they are
    sealed (:func:`~nemo_runspec_nb.config.redact.seal_secrets`) into ``${oc.env:NAME}``, so
    the job must get NAME from its secrets file; the recipe facade seals the configs itself and
    passes the values on to the job. Returns ``(job_yaml, train_yaml)``.
    """
    directory = Path(job_dir)
    directory.mkdir(parents=True, exist_ok=True)
    job_path = directory / "job.yaml"
    train_path = directory / "train.yaml"
    names: dict[str, str] = {}
    for path, cfg in ((job_path, job_config), (train_path, train_config)):
        node = cfg if isinstance(cfg, DictConfig) else OmegaConf.create(dict(cfg))
        sealed, _ = seal_secrets(node, names)
        _atomic_write(path, OmegaConf.to_yaml(sealed, resolve=False))
    return job_path, train_path
