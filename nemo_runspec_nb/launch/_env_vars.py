"""A job's environment variables and startup commands, from an env.toml profile.

:func:`build_env_vars` merges, later entries winning:

1. the env.toml ``[wandb]`` section: ``project`` -> ``WANDB_PROJECT``,
   ``entity`` -> ``WANDB_ENTITY`` (and ``mode`` -> ``WANDB_MODE``,
   ``base_url`` -> ``WANDB_BASE_URL``, ``api_key`` -> ``WANDB_API_KEY`` when present;
   a value that is just ``${oc.env:NAME}``, as a secret stays in the section, is read
   from the launching environment);
2. the profile's ``env_vars`` table, stringified (``true`` -> ``"true"``);
3. tokens from the launching environment (:data:`PASSTHROUGH_VARS`, such as
   ``WANDB_API_KEY`` and ``HF_TOKEN``) when they are set there and not
   already set above. A value written in the profile wins over the ambient one.

The result holds secrets; split it with
``split_secret_env`` (the launch layer's secrets module) before writing it
anywhere.

:func:`startup_commands` lists the shell lines a job runs before the recipe:
the profile's ``setup_lines`` first (environment setup such as
``module load``), then its ``startup_commands``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from ..config._env_file import ENV_REF
from ..errors import ProfileError

__all__ = ["PASSTHROUGH_VARS", "WANDB_KEYS", "build_env_vars", "startup_commands"]

PASSTHROUGH_VARS: tuple[str, ...] = (
    "WANDB_API_KEY",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "NGC_API_KEY",
)
"""Variables copied from the launching environment into the job when set."""

WANDB_KEYS: Mapping[str, str] = {
    "project": "WANDB_PROJECT",
    "entity": "WANDB_ENTITY",
    "mode": "WANDB_MODE",
    "base_url": "WANDB_BASE_URL",
    "api_key": "WANDB_API_KEY",
}
"""``[wandb]`` keys and the variables they become."""


def _scalar(value: object, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ProfileError(
        f"{key} must be a string, number or boolean, not {type(value).__name__}",
        key=key,
        hint="Environment variables hold text: quote the value in env.toml",
    )


def build_env_vars(
    profile: Mapping[str, object] | None,
    wandb_config: Mapping[str, object] | None,
    base_env: Mapping[str, str] | None = None,
    *,
    passthrough: Iterable[str] = PASSTHROUGH_VARS,
) -> dict[str, str]:
    """The environment variables to set in the job (secrets included; see the module doc).

    ``base_env`` is the launching environment (``os.environ`` when ``None``);
    only the ``passthrough`` names are read from it.
    """
    env: dict[str, str] = {}
    ambient = os.environ if base_env is None else base_env
    for key, name in WANDB_KEYS.items():
        value = (wandb_config or {}).get(key)
        # a secret env.toml leaves sealed, ``api_key = "${oc.env:WANDB_API_KEY}"``: read it here
        ref = ENV_REF.fullmatch(value) if isinstance(value, str) else None
        if ref and ref.group(2) is None:
            value = ambient.get(ref.group(1))
        if value not in (None, ""):
            env[name] = _scalar(value, f"wandb.{key}")
    table = (profile or {}).get("env_vars")
    if table is not None:
        if not isinstance(table, Mapping):
            raise ProfileError(
                f"env_vars must be a table of NAME = value, not {type(table).__name__}",
                key="env_vars",
                hint='e.g. env_vars = { OMP_NUM_THREADS = "1" }',
            )
        for name, value in table.items():
            env[str(name)] = _scalar(value, f"env_vars.{name}")
    for name in passthrough:
        if name not in env and ambient.get(name):
            env[name] = ambient[name]
    return env


def _lines(value: object, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [line for line in value.splitlines() if line.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [line for v in value for line in v.splitlines() if line.strip()]
    raise ProfileError(
        f"{key} must be a string or a list of strings, not {type(value).__name__}",
        key=key,
        hint=f'e.g. {key} = ["module load cuda", "source .venv/bin/activate"]',
    )


def startup_commands(profile: Mapping[str, object] | None) -> list[str]:
    """Shell lines to run before the recipe: ``setup_lines`` then ``startup_commands``.

    Each key takes a string (one command per line) or a list of strings;
    blank lines are dropped.
    """
    profile = profile or {}
    return _lines(profile.get("setup_lines"), "setup_lines") + _lines(
        profile.get("startup_commands"), "startup_commands"
    )
