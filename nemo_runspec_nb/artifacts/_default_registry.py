"""``registry()``: the registry a notebook, a CLI call or a job uses when none is given.

Where the root comes from, first match wins:

1. the ``root=`` argument;
2. the environment variable ``NEMOTRON_ARTIFACTS_ROOT`` (the launcher sets it for jobs);
3. env.toml ``[artifacts] root`` or ``[artifacts.manifest] root`` (relative roots are
   taken relative to the env.toml's directory);
4. ``.nemotron/artifacts`` next to env.toml, or under the working directory when there
   is no env.toml.

W&B is on when the ``wandb=`` argument, else ``NEMOTRON_ARTIFACTS_WANDB`` (``1``/``0``),
else env.toml ``[artifacts] wandb`` (``true`` or a table with ``project``/``entity``),
or ``[artifacts] backend = "wandb"``, says so. env.toml is read only when one of those
is not already settled by an argument or the environment. Nothing is cached: each call
builds a fresh registry, so edits to env.toml apply at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config._layout import ProjectLayout
from ..errors import ArtifactError
from ._registry import ArtifactRegistry
from ._wandb_backend import WandbBackend

__all__ = ["ENV_PRODUCER", "ENV_ROOT", "ENV_WANDB", "artifact_env", "registry"]

ENV_ROOT = "NEMOTRON_ARTIFACTS_ROOT"
ENV_WANDB = "NEMOTRON_ARTIFACTS_WANDB"
ENV_PRODUCER = "NEMOTRON_PRODUCER"
_BACKENDS = ("file", "fsspec", "manifest", "wandb")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _env_flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ArtifactError(f"{ENV_WANDB}={value!r} is not a boolean", key=ENV_WANDB, hint="Use 1 or 0")


def _read_env_toml(env_file: str | os.PathLike[str] | None) -> tuple[dict[str, Any], Path | None]:
    from ..config import find_env_file, get_artifacts_config

    path = Path(env_file) if env_file is not None else find_env_file()
    if path is None:
        return {}, None
    return dict(get_artifacts_config(path) or {}), path


def registry(
    *,
    env_file: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    wandb: bool | Mapping[str, Any] | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> ArtifactRegistry:
    """The default :class:`ArtifactRegistry` (see the module docstring for the lookup order)."""
    environ_root = os.environ.get(ENV_ROOT) or None
    environ_wandb = os.environ.get(ENV_WANDB)
    chosen_root: str | os.PathLike[str] | None = root if root is not None else environ_root
    wandb_setting: bool | Mapping[str, Any] | None = wandb
    if wandb_setting is None and environ_wandb is not None:
        wandb_setting = _env_flag(environ_wandb)

    config: dict[str, Any] = {}
    env_path: Path | None = None
    if chosen_root is None or wandb_setting is None or env_file is not None:
        config, env_path = _read_env_toml(env_file)

    if chosen_root is None:
        chosen_root = _root_from_config(config, env_path)
    if wandb_setting is None:
        wandb_setting = _wandb_from_config(config)
    return ArtifactRegistry(
        chosen_root,
        storage_options=storage_options,
        wandb=WandbBackend.from_settings(wandb_setting),
    )


def _root_from_config(config: Mapping[str, Any], env_path: Path | None) -> str:
    manifest = config.get("manifest")
    configured = config.get("root")
    if configured is None and isinstance(manifest, Mapping):
        configured = manifest.get("root")
    base = env_path.parent if env_path is not None else Path.cwd()
    if configured is None:
        return str(ProjectLayout(base).artifacts_root)
    text = os.path.expanduser(str(configured))
    if "://" in text or os.path.isabs(text):
        return text
    return str(base / text)


def _wandb_from_config(config: Mapping[str, Any]) -> bool | Mapping[str, Any] | None:
    backend = config.get("backend")
    if backend is not None and backend not in _BACKENDS:
        raise ArtifactError(
            f"Unknown [artifacts] backend {backend!r}",
            key="artifacts.backend",
            hint=f"Accepted: {', '.join(_BACKENDS)}",
        )
    setting = config.get("wandb")
    if setting is None and backend == "wandb":
        return True
    if setting is None or isinstance(setting, bool | Mapping):
        return setting
    raise ArtifactError(
        f"[artifacts] wandb must be true/false or a table, got {setting!r}", key="artifacts.wandb"
    )


def artifact_env(registry: ArtifactRegistry, *, producer: str | None = None) -> dict[str, str]:
    """Environment variables that hand ``registry`` to a job (what the launcher sets).

    Inside the job, :func:`registry` and ``setup_artifact_tracking()`` then find the same
    root and W&B setting without an env.toml; ``producer`` becomes the default producer
    recorded in manifests. Storage options (credentials) are not passed this way.
    """
    env = {ENV_ROOT: registry.root, ENV_WANDB: "1" if registry.wandb is not None else "0"}
    if producer:
        env[ENV_PRODUCER] = producer
    return env
