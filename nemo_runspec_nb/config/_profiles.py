"""env.toml execution profiles: ``extends`` chains, checked counts, errors that point at the line.

::

    [base]
    executor = "slurm"
    account = "my-account"

    [dev]
    extends = "base"          # chains of any depth; cycles are errors
    partition = "dev-gpu"

Code that checks a profile's keys raises ``ProfileError(message, profile=NAME, key=KEY)`` with
``KEY`` relative to the profile and knows nothing about files; :func:`profile_errors`, entered where
a profile is read (here) or where its merged keys are used (the facade, before a launch), adds the
env.toml path, the line of the key (else of the ``[NAME]`` table) and the profile's name.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProfileError, did_you_mean
from ._env_file import ENV_FILE_VAR, SPECIAL_SECTIONS, EnvFile, env_path
from ._tree import deep_copy, merge_into

__all__ = ["ProfileLayer", "load_env_profile", "profile_errors", "profile_layers"]


@dataclass(frozen=True)
class ProfileLayer:
    """One profile of an ``extends`` chain with its own keys (``extends`` removed)."""

    name: str
    values: Mapping[str, Any]


# --------------------------------------------------------------------------- locating errors

_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_HEADER = re.compile(rf"^\[\[?\s*({_PART}(?:\s*\.\s*{_PART})*)\s*\]\]?\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(rf"^({_PART}(?:\s*\.\s*{_PART})*)\s*=")
_PART_RE = re.compile(_PART)


def _parts(dotted: str) -> tuple[str, ...]:
    """``a."b.c".d`` -> ``("a", "b.c", "d")``."""
    return tuple(p.strip("\"'") if p[:1] in "\"'" else p for p in _PART_RE.findall(dotted))


def key_line(path: Path, profile: str, key: str | None) -> int | None:
    """The line of ``key`` (dotted, relative to the profile) in ``[profile]``, else of the table.

    Best effort: a key written in a sub-table (``[dev.env_vars]``), dotted (``env_vars.A = ...``)
    or inside an inline table of its parent is found at the closest line that names it.
    """
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    wanted = _parts(key) if key else ()
    table: tuple[str, ...] = ()
    header: int | None = None
    closest: tuple[int, int] | None = None  # (parts matched, line)
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        found = _HEADER.match(stripped)
        if found:
            table = _parts(found.group(1))
            if table == (profile,) and header is None:
                header = number
            named = table[1:] if table[:1] == (profile,) else None
        else:
            assignment = _ASSIGNMENT.match(stripped) if table[:1] == (profile,) else None
            named = (*table[1:], *_parts(assignment.group(1))) if assignment else None
        if not named or named != wanted[: len(named)]:
            continue
        if len(named) == len(wanted) and not found:
            return number
        if closest is None or len(named) > closest[0]:
            closest = (len(named), number)
    return closest[1] if closest is not None else header


def _locate(error: ProfileError, path: Path | None, profile: str) -> None:
    """Turn ``error`` (about ``key`` of ``profile``) into one naming the file, the line and the profile."""
    if not error.message.startswith(f"profile '{profile}'"):
        error.message = f"profile '{profile}': {error.message}"
    error.profile = profile
    if path is not None:
        error.path = path
        error.line = key_line(path, profile, error.key)
    error.key = f"{profile}.{error.key}" if error.key else profile
    error.args = (str(error),)


@contextlib.contextmanager
def profile_errors(path: Path | None, owner: Callable[[str], str | None] | None = None) -> Iterator[None]:
    """Locate the ProfileErrors raised inside: env.toml ``path``, the key's line, the profile's name.

    An error raised with ``profile=`` is about that profile's ``key``; for one raised without
    (a check of the merged ``run.env`` keys), ``owner(key)`` names the profile that set the key, or
    None when no profile did (a key from the YAML or an override: the error is left as it is). An
    error that already names a file is left alone, so nested blocks do not locate twice.
    """
    try:
        yield
    except ProfileError as error:
        if error.path is None:
            profile = error.profile or (owner(error.key) if owner is not None and error.key else None)
            if profile is not None:
                _locate(error, path, profile)
        raise


def owner_in(
    sources: Mapping[str, str], prefix: str = "", missing: str | None = None
) -> Callable[[str], str | None]:
    """An ``owner`` for :func:`profile_errors`: the profile whose ``profile:NAME`` label set a key.

    ``sources`` maps dotted keys (under ``prefix``) to provenance labels; a key that is a table
    (``env_vars``) belongs to the profile that set its first leaf, a list item to its list's. A
    key no layer set (one a check found missing) belongs to ``missing``, the profile in use; a
    key of a special section (``wandb.api_key``) to no profile.
    """

    def owner(key: str) -> str | None:
        if key.split(".", 1)[0] in SPECIAL_SECTIONS:
            return None
        full = f"{prefix}{key}"
        for leaf, label in sources.items():
            if leaf == full or leaf.startswith(full + ".") or full.startswith(leaf + "."):
                return label[len("profile:") :] if label.startswith("profile:") else None
        return missing

    return owner


# --------------------------------------------------------------------------- chains


#: Profile keys that count something, with the least value each may take.
COUNT_KEYS: Mapping[str, int] = {
    "nodes": 1,
    "gpus_per_node": 0,
    "ntasks_per_node": 1,
    "nproc_per_node": 1,
    "cpus_per_task": 1,
}


def count_problem(key: str, value: Any) -> str | None:
    """What a count key ``key`` must be, when ``value`` is not that; None when it is fine."""
    minimum = COUNT_KEYS[key]
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


def _check_counts(name: str, values: Mapping[str, Any]) -> None:
    """Refuse a count that is not a whole number >= its minimum; ``gpus_per_node = "gpu"`` is fine."""
    for key, minimum in COUNT_KEYS.items():
        allowed = count_problem(key, values[key]) if key in values else None
        if allowed is not None:
            raise ProfileError(
                f"{key} = {values[key]!r} is not {allowed}",
                profile=name,
                key=key,
                hint=f"Write e.g. {key} = {max(minimum, 1)}",
            )


def _available(env: EnvFile) -> str:
    names = env.profile_names()
    return f"Available: {', '.join(names)}" if names else "env.toml defines no profiles"


def layers_of(env: EnvFile, name: str) -> list[ProfileLayer]:
    """The ``extends`` chain of profile ``name`` in ``env``, root first, each layer's keys checked."""
    where = str(env.path) if env.path is not None else "env.toml"
    if name in SPECIAL_SECTIONS:
        raise ProfileError(
            f"'{name}' is a special section of {where}, not a profile",
            path=env.path,
            key=name,
            hint=_available(env),
        )
    if not isinstance(env.data.get(name), Mapping):
        if env.path is None and not env.data:
            raise ProfileError(
                f"profile '{name}' requested but no env.toml was found",
                key=name,
                hint=f"Create env.toml in the project root, or set ${ENV_FILE_VAR}",
            )
        hint = f"{did_you_mean(name, env.profile_names())} {_available(env)}".strip()
        # The location prefix already names the file when there is one.
        message = f"profile '{name}' not found" + ("" if env.path is not None else f" in {where}")
        raise ProfileError(message, path=env.path, key=name, hint=hint)
    with profile_errors(env.path):
        chain = _chain(env, name)
        for layer_name in chain:
            _check_counts(layer_name, env.data[layer_name])
    return [
        ProfileLayer(n, {k: deep_copy(v) for k, v in env.data[n].items() if k != "extends"})
        for n in reversed(chain)
    ]


def _chain(env: EnvFile, name: str) -> list[str]:
    """``name`` and the profiles it extends, child first (raises for a cycle or a bad parent)."""
    chain: list[str] = []
    current = name
    while current not in chain:
        chain.append(current)
        parent = env.data[current].get("extends")
        if parent is None:
            return chain
        if not isinstance(parent, str):
            raise ProfileError(
                f"'extends' must be a profile name, not {parent!r}", profile=current, key="extends"
            )
        if not isinstance(env.data.get(parent), Mapping) or parent in SPECIAL_SECTIONS:
            raise ProfileError(
                f"profile '{current}' extends unknown profile '{parent}'",
                profile=current,
                key="extends",
                hint=f"{did_you_mean(parent, env.profile_names())} {_available(env)}".strip(),
            )
        current = parent
    cycle = " -> ".join([*chain[chain.index(current) :], current])
    raise ProfileError(
        f"profile inheritance cycle: {cycle}",
        profile=chain[-1],
        key="extends",
        hint="Remove one 'extends' of the loop",
    )


def profile_layers(name: str, env_file: Path | str | Mapping[str, Any] | None = None) -> list[ProfileLayer]:
    """The ``extends`` chain of ``name``, root first (``[base, dev]`` for ``dev`` extends ``base``).

    ``env_file`` may also be the already loaded env.toml dict.

    Raises:
        ProfileError: unknown profile or parent (with "did you mean" and the available
            profiles), a special section used as a profile, a cycle, a non-string ``extends``.

    """
    return layers_of(EnvFile.read(env_file), name)


def load_env_profile(
    name: str, env_file: Path | str | None = None, *, config_path: Path | str | None = None
) -> dict[str, Any]:
    """Profile ``name`` merged over its ``extends`` chain (child wins, tables merge), ``extends`` removed.

    ``config_path=`` is the seed's keyword for ``env_file``.
    """
    merged: dict[str, Any] = {}
    for layer in profile_layers(name, env_path(env_file, config_path)):
        merge_into(merged, layer.values)
    return merged
