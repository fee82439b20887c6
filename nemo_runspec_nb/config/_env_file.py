"""env.toml: finding it, reading it, and its special sections.

An ``env.toml`` holds named profiles (tables, see :mod:`._profiles`) and five
special sections that are not profiles::

    [wandb]        entity, project, ...    -> get_wandb_config()
    [cli]          display settings        -> get_cli_config()
    [cache]        git_dir = "..."         -> get_cache_config(), get_git_cache_dir()
    [artifacts]    backend/root, or a sub-table such as [artifacts.manifest] root = "..."
                                           -> get_artifacts_config()
    [config]       overrides = "open"      -> how overrides of keys the YAML lacks are treated

The file is found by :func:`find_env_file`: ``NEMOTRON_ENV_FILE`` if set, else
the first ``env.toml`` walking up from the working directory, stopping at the
project root (the first directory holding ``pyproject.toml``, which is checked
too). Nothing is cached: each call reads the file, so edits show up at once.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._text import decode_utf8
from ..errors import ConfigNotFoundError, ProfileError
from ._tree import deep_copy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "ENV_FILE_VAR",
    "SPECIAL_SECTIONS",
    "EnvFile",
    "find_env_file",
    "get_artifacts_config",
    "get_cache_config",
    "get_cli_config",
    "get_git_cache_dir",
    "get_wandb_config",
    "list_profiles",
    "load_env_file",
]

ENV_FILE_VAR = "NEMOTRON_ENV_FILE"
ENV_FILE_NAME = "env.toml"
SPECIAL_SECTIONS = frozenset({"wandb", "cli", "cache", "artifacts", "config"})
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def env_path(env_file: Path | str | None, config_path: Path | str | None) -> Path | str | None:
    """``env_file``, or the seed's keyword for it, ``config_path=`` (both given: a TypeError)."""
    if config_path is None:
        return env_file
    if env_file is not None:
        raise TypeError("pass the env.toml path once: env_file or config_path, not both")
    return config_path


def find_env_file(start: Path | str | None = None) -> Path | None:
    """Locate env.toml: ``$NEMOTRON_ENV_FILE``, else walk up from ``start`` (cwd) to the project root."""
    forced = os.environ.get(ENV_FILE_VAR)
    if forced:
        return Path(forced).expanduser()
    here = Path(start).resolve() if start is not None else Path.cwd()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / ENV_FILE_NAME
        if candidate.is_file():
            return candidate
        if (directory / "pyproject.toml").is_file():
            break
    return None


def load_env_file(path: Path | str | None = None, *, config_path: Path | str | None = None) -> dict[str, Any]:
    """Read env.toml into a dict; ``{}`` when ``path`` is None and no env.toml is found.

    Raises:
        ConfigNotFoundError: an explicit ``path`` (or ``$NEMOTRON_ENV_FILE``) that does not exist.
        TypeError: both ``path`` and ``config_path`` (the seed's name for it) given.
        ProfileError: a TOML syntax error, naming the file and line.

    """
    path = env_path(path, config_path)
    if path is None:
        path = find_env_file()
        if path is None:
            return {}
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        forced = os.environ.get(ENV_FILE_VAR)
        hint = f"${ENV_FILE_VAR} points here; fix or unset it" if forced and Path(forced) == path else ""
        raise ConfigNotFoundError(f"env file not found: {path}", path=path, hint=hint) from None
    except OSError as exc:
        raise ProfileError(f"cannot read env file: {exc.strerror or exc}", path=path) from None
    text = decode_utf8(raw, path=path, error=ProfileError, what="env file is ", hint="Save env.toml as UTF-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        message = _TOML_POSITION.sub("", str(exc)).strip()
        raise ProfileError(
            f"invalid TOML: {message}",
            path=path,
            line=int(found.group(1)) if found else None,
            hint="Fix the TOML syntax at that line",
        ) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ProfileError(
            "env file nests arrays or inline tables too deeply", path=path, hint="Flatten the nested values"
        ) from None


@dataclass(frozen=True)
class EnvFile:
    """env.toml as read once (for one composition or one call): its tables and where it lives."""

    data: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def read(cls, env_file: Path | str | Mapping[str, Any] | None = None) -> EnvFile:
        """Read ``env_file`` (default: :func:`find_env_file`); an already loaded dict is taken as is."""
        if isinstance(env_file, Mapping):
            return cls(dict(env_file), None)
        path = Path(env_file) if env_file is not None else find_env_file()
        return cls(load_env_file(path) if path is not None else {}, path)

    def profile_names(self) -> list[str]:
        """The profiles in file order (special sections excluded)."""
        return [k for k, v in self.data.items() if isinstance(v, Mapping) and k not in SPECIAL_SECTIONS]

    def section(self, name: str) -> dict[str, Any]:
        """A copy of the special section ``[name]``; ``{}`` when absent, ProfileError when not a table."""
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ProfileError(
                f"[{name}] must be a table, not {type(value).__name__}", path=self.path, key=name
            )
        copied: dict[str, Any] = deep_copy(value)
        if name in RESOLVED_SECTIONS:
            copied = _resolve_env_refs(copied, name, self.path)
        return copied


RESOLVED_SECTIONS = ("artifacts", "wandb")
"""Sections whose ``${oc.env:NAME}`` / ``${oc.env:NAME,default}`` are resolved when read."""

ENV_REF = re.compile(r"\$\{oc\.env:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:,([^}]*))?\}")
"""``${oc.env:NAME}`` or ``${oc.env:NAME,default}``: group 1 the name, group 2 the default (None without)."""


def _resolve_env_refs(tree: Any, section: str, path: Path | None, key: str = "") -> Any:
    """``tree`` with each ``${oc.env:...}`` replaced from this process's environment.

    Secret-named keys (``api_key``, ``token`` ...) keep the reference: it is the sealed form
    job.yaml writes anyway, and the value reaches the job only through its secrets.
    """
    from ._redact import is_secret_key

    if isinstance(tree, dict):
        return {
            k: v if is_secret_key(k) else _resolve_env_refs(v, section, path, f"{key}.{k}" if key else str(k))
            for k, v in tree.items()
        }
    if isinstance(tree, list):
        return [_resolve_env_refs(v, section, path, f"{key}[{i}]") for i, v in enumerate(tree)]
    if not isinstance(tree, str) or "${oc.env:" not in tree:
        return tree

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default.strip().strip("'\"")
        raise ProfileError(
            f"[{section}] {key}: environment variable {name} is not set",
            path=path,
            key=f"{section}.{key}",
            hint=f"Set {name} before submitting, or give a default: ${{oc.env:{name},VALUE}}",
        )

    return ENV_REF.sub(value, tree)


def list_profiles(env_file: Path | str | None = None, *, config_path: Path | str | None = None) -> list[str]:
    """The profile names of env.toml in file order (special sections excluded); ``[]`` without a file."""
    return EnvFile.read(env_path(env_file, config_path)).profile_names()


def get_wandb_config(
    env_file: Path | str | None = None, *, config_path: Path | str | None = None
) -> dict[str, Any]:
    """The ``[wandb]`` section (entity, project, ...); ``{}`` when absent."""
    return EnvFile.read(env_path(env_file, config_path)).section("wandb")


def get_cli_config(
    env_file: Path | str | None = None, *, config_path: Path | str | None = None
) -> dict[str, Any]:
    """The ``[cli]`` section (display settings); ``{}`` when absent."""
    return EnvFile.read(env_path(env_file, config_path)).section("cli")


def get_cache_config(
    env_file: Path | str | None = None, *, config_path: Path | str | None = None
) -> dict[str, Any]:
    """The ``[cache]`` section (``git_dir``); ``{}`` when absent."""
    return EnvFile.read(env_path(env_file, config_path)).section("cache")


def get_artifacts_config(
    env_file: Path | str | None = None, *, config_path: Path | str | None = None
) -> dict[str, Any]:
    """The ``[artifacts]`` section, sub-tables included (``[artifacts.manifest]``); ``{}`` when absent."""
    return EnvFile.read(env_path(env_file, config_path)).section("artifacts")


def get_git_cache_dir(
    env_file: Path | str | None = None, *, config_path: Path | str | None = None
) -> Path | None:
    """``[cache] git_dir`` (``~`` expanded), or None when not configured. Nothing is created."""
    git_dir = get_cache_config(env_path(env_file, config_path)).get("git_dir")
    return Path(str(git_dir)).expanduser() if git_dir else None
