"""The job config: the composed config plus a ``run`` section.

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
:mod:`._overrides`) is, first found: the call's ``override_mode``,
``GlobalContext.overrides`` (``--overrides``), env.toml ``[config] overrides``,
the recipe's ``[tool.runspec.config] overrides``, else ``strict``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..errors import ConfigError, OverrideError, ProfileError
from ._context import GlobalContext, Mode
from ._env_file import EnvFile
from ._override_syntax import OverrideSet, parse_override
from ._overrides import (
    OverrideMode,
    apply_overrides_data,
    check_override_mode,
    overridden_config,
    plain_config,
)
from ._profiles import COUNT_KEYS, ProfileLayer, count_problem, layers_of, owner_in, profile_errors
from ._provenance import ProvenanceRecorder
from ._tree import deep_copy, merge_into, record_tree

if TYPE_CHECKING:
    from ..runspec import Runspec

__all__ = ["YAML_OWNED_KEYS", "assemble_job_config", "build_job_config", "resolve_override_mode"]

YAML_OWNED_KEYS = ("container_image", "nodes", "gpus_per_node", "ntasks_per_node", "nproc_per_node")
# Sections build_job_config fills from the profile and env.toml: parse_config leaves their
# overrides to it, so they apply after the profile is merged.
LATE_SECTIONS = ("run", "artifacts")


def env_override_mode(env: EnvFile) -> OverrideMode | None:
    """env.toml ``[config] overrides`` (None when unset)."""
    value = env.section("config").get("overrides")
    if value is None:
        return None
    try:
        return check_override_mode(value, key="config.overrides")
    except OverrideError as exc:
        raise ProfileError(exc.message, path=env.path, key="config.overrides", hint=exc.hint) from None


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
    return override_mode_of(override_mode, ctx, runspec, EnvFile.read(env_file))


def override_mode_of(
    explicit: str | None, ctx: GlobalContext | None, runspec: Runspec | None, env: EnvFile
) -> OverrideMode:
    """:func:`resolve_override_mode` for an env.toml already read."""
    if explicit is not None:
        return check_override_mode(explicit)
    if ctx is not None and ctx.overrides is not None:
        return check_override_mode(ctx.overrides, key="--overrides")
    from_env = env_override_mode(env)
    if from_env is not None:
        return from_env
    return runspec.config.overrides if runspec is not None else "strict"


def _setter(target: dict[str, str], label: str) -> Callable[[str], None]:
    def _set(key: str) -> None:
        target[key] = label

    return _set


def _resolve_profile_values(values: dict[str, Any], sources: Mapping[str, str], name: str) -> dict[str, Any]:
    """Resolve interpolations inside profile values now (``${oc.env:USER}``), as the seed does."""
    if "${" not in repr(values):
        return values
    try:
        resolved = OmegaConf.to_container(OmegaConf.create(values), resolve=True)
    except OmegaConfBaseException as exc:
        key = str(getattr(exc, "full_key", "") or "")
        raise ProfileError(
            f"cannot resolve '{key}': {str(exc).splitlines()[0]}",
            profile=(owner_in(sources)(key) if key else None) or name,
            key=key or None,
        ) from None
    assert isinstance(resolved, dict)
    return resolved  # type: ignore[return-value]


def _merge_profile_into_env(
    env: dict[str, Any],
    yaml_env: Mapping[str, Any],
    layers: Sequence[ProfileLayer],
    recorder: ProvenanceRecorder | None,
) -> None:
    sources: dict[str, str] = {}
    merged: dict[str, Any] = {}
    for layer in layers:
        label = f"profile:{layer.name}"
        merge_into(merged, layer.values, "", _setter(sources, label))
    merged = _resolve_profile_values(merged, sources, layers[-1].name)
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


def _legacy_container(
    env: dict[str, Any],
    yaml_env: Mapping[str, Any],
    layers: Sequence[ProfileLayer],
    recorder: ProvenanceRecorder | None,
) -> None:
    """The legacy ``container`` key (YAML or profile) becomes the image unless ``container_image`` is set.

    Precedence, as the seed has it: ``container_image`` > ``container`` > the runspec ``image``.
    """
    container = env.get("container")
    if not container or "container_image" in yaml_env:
        return
    if any("container_image" in layer.values for layer in layers):
        return
    env["container_image"] = container
    if recorder is not None:
        recorder.record("run.env.container_image", recorder.source_of("run.env.container") or "profile")


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
    env = EnvFile.read(env_file)
    data = plain_config(train_config)
    return assemble_job_config(
        data,
        ctx,
        recipe_name,
        script_path,
        argv,
        runspec=runspec,
        env_profile=env_profile,
        env_file=env,
        overrides=overrides,
        mode=mode,
        profile=profile,
        recorder=provenance,
        override_mode=override_mode_of(override_mode, ctx, runspec, env),
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
        if token in left and parse_override(token).path[0] not in LATE_SECTIONS:
            left.remove(token)
            continue
        out.append(token)
    return out


def _script_text(script_path: str | Path | None, runspec: Runspec | None) -> str | None:
    if script_path is not None:
        return str(script_path)
    return str(runspec.script_path) if runspec is not None else None


def assemble_job_config(
    job: dict[str, Any],
    ctx: GlobalContext,
    recipe_name: str | None,
    script_path: str | Path | None,
    argv: Sequence[str],
    *,
    runspec: Runspec | None,
    env_profile: Mapping[str, Any] | DictConfig | None,
    env_file: EnvFile,
    overrides: Sequence[OverrideSet],
    mode: Mode | None,
    profile: str | None,
    recorder: ProvenanceRecorder | None,
    override_mode: OverrideMode = "strict",
    dotlist: Sequence[str] | None = None,
) -> DictConfig:
    """The job config of plain ``job`` data (changed in place); see :func:`build_job_config`."""

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
        values = plain_config(env_profile)
        values.pop("extends", None)
        layers = [ProfileLayer(profile or "profile", values)]
    elif profile:
        layers = layers_of(env_file, profile)
    if layers:
        with profile_errors(env_file.path):
            _merge_profile_into_env(env, yaml_env, layers, recorder)
    _legacy_container(env, yaml_env, layers, recorder)

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
    wandb = env_file.section("wandb")
    if wandb:
        run_updates["wandb"] = wandb
        if recorder is not None:
            record_tree(wandb, "run.wandb", rec("env:wandb"))

    env_artifacts = env_file.section("artifacts")
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
    for key, minimum in COUNT_KEYS.items():
        allowed = count_problem(key, env[key]) if key in env else None
        if allowed is not None:
            raise ConfigError(
                f"run.env.{key} = {env[key]!r} is not {allowed}",
                key=f"run.env.{key}",
                hint=f"Set it in the config, the profile or an override: run.env.{key}={max(minimum, 1)}",
            )
