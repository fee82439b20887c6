"""Composition: find and load the config, build the job config, apply overrides, record provenance.

:func:`compose_job_config` is the whole pipeline in one call (what the facade uses);
:func:`parse_config` then :func:`~._job_config.build_job_config` are the seed's two steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from ..errors import ConfigError
from ._context import GlobalContext, Mode
from ._env_file import EnvFile
from ._job_config import LATE_SECTIONS, assemble_job_config, override_mode_of
from ._loader import find_config_file, load_config_data
from ._override_syntax import OverrideSet, has_path, parse_override
from ._overrides import OverrideMode, apply_overrides_data
from ._profiles import layers_of
from ._provenance import Provenance, ProvenanceRecorder
from ._save import extract_train_config

if TYPE_CHECKING:
    from ..runspec import Runspec

__all__ = ["ComposedConfig", "compose_job_config", "parse_config"]


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
    strictness = override_mode_of(override_mode, ctx, runspec, EnvFile.read(env_file))
    applied: list[str] = []
    for token in ctx.dotlist:
        override = parse_override(token)
        late = override.path[0] in LATE_SECTIONS
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
    env = EnvFile.read(env_file)
    strictness = override_mode_of(override_mode, None, runspec, env)
    chain: tuple[str, ...] = ()
    if profile:
        chain = tuple(layer.name for layer in layers_of(env, profile))
    job = assemble_job_config(
        data,
        ctx,
        None,
        None,
        argv,
        runspec=runspec,
        env_profile=None,
        env_file=env,
        overrides=sets,
        mode=mode,
        profile=profile,
        recorder=recorder,
        override_mode=strictness,
    )
    prov = None
    if recorder is not None:
        prov = recorder.finish(OmegaConf.to_container(job, resolve=False))  # type: ignore[arg-type]
    return ComposedConfig(job, path, prov, chain, env.path, ctx, strictness)
