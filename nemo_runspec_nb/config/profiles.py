"""env.toml: execution profiles with ``extends`` chains, plus the special sections.

An ``env.toml`` holds named profiles (tables) and five special sections that
are not profiles::

    [base]
    executor = "slurm"
    account = "my-account"

    [dev]
    extends = "base"          # chains of any depth; cycles are errors
    partition = "dev-gpu"

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigNotFoundError, ProfileError, did_you_mean
from ._tree import deep_copy, merge_into

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "ENV_FILE_VAR",
    "SPECIAL_SECTIONS",
    "ProfileLayer",
    "find_env_file",
    "get_artifacts_config",
    "get_cache_config",
    "get_cli_config",
    "get_git_cache_dir",
    "get_wandb_config",
    "list_profiles",
    "load_env_file",
    "load_env_profile",
    "profile_layers",
]

ENV_FILE_VAR = "NEMOTRON_ENV_FILE"
ENV_FILE_NAME = "env.toml"
SPECIAL_SECTIONS = frozenset({"wandb", "cli", "cache", "artifacts", "config"})
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


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


def load_env_file(path: Path | str | None = None) -> dict[str, Any]:
    """Read env.toml into a dict; ``{}`` when ``path`` is None and no env.toml is found.

    Raises:
        ConfigNotFoundError: an explicit ``path`` (or ``$NEMOTRON_ENV_FILE``) that does not exist.
        ProfileError: a TOML syntax error, naming the file and line.

    """
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
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        found = _TOML_POSITION.search(text)
        message = _TOML_POSITION.sub("", text).strip()
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
    except UnicodeDecodeError as exc:
        raise ProfileError(
            f"env file is not UTF-8 text: byte {exc.start} (0x{raw[exc.start]:02x}) {exc.reason}",
            path=path,
            line=raw.count(b"\n", 0, exc.start) + 1,
            hint="Save env.toml as UTF-8",
        ) from None


def _data_and_path(env_file: Path | str | Mapping[str, Any] | None) -> tuple[dict[str, Any], Path | None]:
    if isinstance(env_file, Mapping):
        return dict(env_file), None
    path = Path(env_file) if env_file is not None else find_env_file()
    return (load_env_file(path) if path is not None else {}), path


def _profile_names(data: Mapping[str, Any]) -> list[str]:
    return [k for k, v in data.items() if isinstance(v, Mapping) and k not in SPECIAL_SECTIONS]


def list_profiles(env_file: Path | str | None = None) -> list[str]:
    """The profile names of env.toml in file order (special sections excluded); ``[]`` without a file."""
    data, _ = _data_and_path(env_file)
    return _profile_names(data)


@dataclass(frozen=True)
class ProfileLayer:
    """One profile of an ``extends`` chain with its own keys (``extends`` removed)."""

    name: str
    values: Mapping[str, Any]


def _line_of_extends(path: Path | None, profile: str) -> int | None:
    """The line of ``extends`` inside ``[profile]`` (best effort, for error messages)."""
    return _line_of_key(path, profile, "extends")


def _line_of_key(path: Path | None, profile: str, key: str) -> int | None:
    """The line of ``key = ...`` inside ``[profile]`` (best effort, for error messages)."""
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    inside = False
    pattern = re.compile(rf"{re.escape(key)}\s*=")
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.strip("[] ").strip("\"'") == profile
        elif inside and pattern.match(stripped):
            return number
    return None


#: Profile keys that count something, with the least value each may take.
_COUNT_KEYS: Mapping[str, int] = {
    "nodes": 1,
    "gpus_per_node": 0,
    "ntasks_per_node": 1,
    "nproc_per_node": 1,
    "cpus_per_task": 1,
}


def _count_problem(key: str, value: Any) -> str | None:
    """What a count key ``key`` must be, when ``value`` is not that; None when it is fine."""
    minimum = _COUNT_KEYS[key]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if "${" in text or (key == "gpus_per_node" and text.lower() == "gpu"):
            return None  # an interpolation, resolved later; or "every GPU of the node"
        number = int(text) if re.fullmatch(r"[-+]?[0-9]{1,9}", text) else None
    if number is not None and number >= minimum:
        return None
    return f"a whole number >= {minimum}" + (', or "gpu"' if key == "gpus_per_node" else "")


def _check_counts(name: str, values: Mapping[str, Any], path: Path | None) -> None:
    """Refuse a count that is not a whole number >= its minimum; ``gpus_per_node = "gpu"`` is fine."""
    for key, minimum in _COUNT_KEYS.items():
        allowed = _count_problem(key, values[key]) if key in values else None
        if allowed is None:
            continue
        raise ProfileError(
            f"profile '{name}': {key} = {values[key]!r} is not {allowed}",
            path=path,
            line=_line_of_key(path, name, key),
            key=f"{name}.{key}",
            hint=f"Write e.g. {key} = {max(minimum, 1)}",
        )


def _available(data: Mapping[str, Any]) -> str:
    names = _profile_names(data)
    return f"Available: {', '.join(names)}" if names else "env.toml defines no profiles"


def profile_layers(name: str, env_file: Path | str | Mapping[str, Any] | None = None) -> list[ProfileLayer]:
    """The ``extends`` chain of ``name``, root first (``[base, dev]`` for ``dev`` extends ``base``).

    ``env_file`` may also be the already loaded env.toml dict.

    Raises:
        ProfileError: unknown profile or parent (with "did you mean" and the available
            profiles), a special section used as a profile, a cycle, a non-string ``extends``.

    """
    data, path = _data_and_path(env_file)
    return _layers_of(data, path, name)


def _layers_of(data: Mapping[str, Any], path: Path | None, name: str) -> list[ProfileLayer]:
    where = str(path) if path is not None else "env.toml"
    if name in SPECIAL_SECTIONS:
        raise ProfileError(
            f"'{name}' is a special section of {where}, not a profile",
            path=path,
            key=name,
            hint=_available(data),
        )
    if name not in data or not isinstance(data[name], Mapping):
        if path is None and not data:
            raise ProfileError(
                f"profile '{name}' requested but no env.toml was found",
                key=name,
                hint=f"Create env.toml in the project root, or set ${ENV_FILE_VAR}",
            )
        hint = f"{did_you_mean(name, _profile_names(data))} {_available(data)}".strip()
        # The location prefix already names the file when there is one.
        message = f"profile '{name}' not found" + ("" if path is not None else f" in {where}")
        raise ProfileError(message, path=path, key=name, hint=hint)
    chain: list[str] = []
    current = name
    while True:
        if current in chain:
            cycle = " -> ".join([*chain[chain.index(current) :], current])
            raise ProfileError(
                f"profile inheritance cycle: {cycle}",
                path=path,
                line=_line_of_extends(path, chain[-1]),
                key=chain[-1],
                hint="Remove one 'extends' of the loop",
            )
        chain.append(current)
        parent = data[current].get("extends")
        if parent is None:
            break
        if not isinstance(parent, str):
            raise ProfileError(
                f"profile '{current}': 'extends' must be a profile name, not {parent!r}",
                path=path,
                line=_line_of_extends(path, current),
                key=f"{current}.extends",
            )
        if parent not in data or not isinstance(data[parent], Mapping) or parent in SPECIAL_SECTIONS:
            hint = f"{did_you_mean(parent, _profile_names(data))} {_available(data)}".strip()
            raise ProfileError(
                f"profile '{current}' extends unknown profile '{parent}'",
                path=path,
                line=_line_of_extends(path, current),
                key=f"{current}.extends",
                hint=hint,
            )
        current = parent
    for layer_name in chain:
        _check_counts(layer_name, data[layer_name], path)
    return [
        ProfileLayer(n, {k: deep_copy(v) for k, v in data[n].items() if k != "extends"})
        for n in reversed(chain)
    ]


def load_env_profile(name: str, env_file: Path | str | None = None) -> dict[str, Any]:
    """Profile ``name`` merged over its ``extends`` chain (child wins, tables merge), ``extends`` removed."""
    merged: dict[str, Any] = {}
    for layer in profile_layers(name, env_file):
        merge_into(merged, layer.values)
    return merged


def _section(name: str, env_file: Path | str | None) -> dict[str, Any]:
    data, path = _data_and_path(env_file)
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ProfileError(f"[{name}] must be a table, not {type(value).__name__}", path=path, key=name)
    copied: dict[str, Any] = deep_copy(value)
    return copied


def get_wandb_config(env_file: Path | str | None = None) -> dict[str, Any]:
    """The ``[wandb]`` section (entity, project, ...); ``{}`` when absent."""
    return _section("wandb", env_file)


def get_cli_config(env_file: Path | str | None = None) -> dict[str, Any]:
    """The ``[cli]`` section (display settings); ``{}`` when absent."""
    return _section("cli", env_file)


def get_cache_config(env_file: Path | str | None = None) -> dict[str, Any]:
    """The ``[cache]`` section (``git_dir``); ``{}`` when absent."""
    return _section("cache", env_file)


def get_artifacts_config(env_file: Path | str | None = None) -> dict[str, Any]:
    """The ``[artifacts]`` section, sub-tables included (``[artifacts.manifest]``); ``{}`` when absent."""
    return _section("artifacts", env_file)


def get_git_cache_dir(env_file: Path | str | None = None) -> Path | None:
    """``[cache] git_dir`` (``~`` expanded), or None when not configured. Nothing is created."""
    git_dir = get_cache_config(env_file).get("git_dir")
    return Path(str(git_dir)).expanduser() if git_dir else None
