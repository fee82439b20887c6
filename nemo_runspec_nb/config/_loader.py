"""Find and load recipe configs, following ``defaults:`` chains.

A config names its bases in ``defaults:``, a string or a list, resolved
relative to the file that names them::

    defaults: base                # base.yaml (or .yml) next to this file
    defaults:
      - ../shared/cluster.yaml    # a path: has a "/" or a YAML suffix
      - _self_                    # this file's own keys go here ...
      - tiny                      # ... so tiny.yaml overrides them
      - execution: slurm/default  # a Hydra group entry: left for downstream tools

Bases merge in list order; where ``_self_`` stands decides whether the file's
own keys override its bases (last, the default, when ``_self_`` is absent).
Chains may be of any depth; a cycle is reported with the whole chain and a
missing base with the file that names it. Hydra config-group entries (mappings)
and the ``defaults`` key holding them stay in place untouched. Interpolations
(``${art:...}``, ``${oc.env:...}``, ``${run.*}``, job-only resolvers) are never
resolved here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..errors import ConfigError, ConfigNotFoundError, did_you_mean
from ._provenance import ProvenanceRecorder
from ._tree import merge_into
from ._yaml import load_yaml_file

__all__ = ["ConfigLayer", "config_layers", "find_config_file", "list_configs", "load_config"]

YAML_SUFFIXES = (".yaml", ".yml")
SELF = "_self_"


def _suffixes(format: str) -> tuple[str, ...]:
    return (".json", *YAML_SUFFIXES) if format == "json" else YAML_SUFFIXES


def _looks_like_path(value: str) -> bool:
    return "/" in value or os.sep in value or value.endswith((*YAML_SUFFIXES, ".json"))


def list_configs(config_dir: Path | str, *, format: str = "omegaconf") -> list[str]:
    """Names (file stems) of the configs in ``config_dir``, sorted; ``[]`` if it does not exist."""
    directory = Path(config_dir)
    if not directory.is_dir():
        return []
    suffixes = _suffixes(format)
    return sorted({p.stem for p in directory.iterdir() if p.suffix in suffixes and p.is_file()})


def _available_hint(name: str, choices: list[str]) -> str:
    hint = did_you_mean(name, choices)
    if choices:
        hint = f"{hint} Available: {', '.join(choices)}".strip()
    return hint


def find_config_file(
    name_or_path: str | Path, config_dir: Path | str | None = None, *, format: str = "omegaconf"
) -> Path:
    """Find a config by bare name (looked up in ``config_dir``) or by path.

    A value with a ``/`` or a ``.yaml``/``.yml``/``.json`` suffix (or a ``Path``)
    is a path of the user's choosing, relative to the working directory; when
    it is relative and not found there it is also tried under ``config_dir``.
    A bare name is ``<config_dir>/<name>.yaml`` or ``.yml`` (``.json`` first
    for ``format="json"`` recipes).

    Raises:
        ConfigNotFoundError: naming the name, the directory searched and the closest config.

    """
    directory = Path(config_dir) if config_dir is not None else None
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or _looks_like_path(text):
        path = Path(text).expanduser()
        candidates = [path]
        if not path.is_absolute() and directory is not None:
            candidates.append(directory / path)
        for candidate in list(candidates):
            if not candidate.suffix:
                candidates.extend(candidate.with_name(candidate.name + s) for s in _suffixes(format))
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        parent = path.parent if path.parent.is_dir() else directory
        choices = list_configs(parent, format=format) if parent is not None else []
        raise ConfigNotFoundError(
            f"config file not found: {text}",
            path=path,
            key=text,
            hint=_available_hint(path.stem, choices),
        )
    if directory is None:
        raise ConfigNotFoundError(
            f"config '{text}' is a bare name but no config directory was given",
            key=text,
            hint="Pass config_dir, or give a path such as ./config/" + text + ".yaml",
        )
    for suffix in _suffixes(format):
        candidate = directory / f"{text}{suffix}"
        if candidate.is_file():
            return candidate
    tried = ", ".join(f"{text}{s}" for s in _suffixes(format))
    raise ConfigNotFoundError(
        f"config '{text}' not found in {directory} (tried {tried})",
        path=directory,
        key=text,
        hint=_available_hint(text, list_configs(directory, format=format)),
    )


@dataclass(frozen=True)
class ConfigLayer:
    """One file of a ``defaults:`` chain, in merge order: its path and its own keys."""

    path: Path
    data: Mapping[str, Any]


def _read_mapping(path: Path) -> dict[str, Any]:
    data = load_yaml_file(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"a config must be a mapping at the top level, not a {type(data).__name__}",
            path=path,
            line=1,
            hint="Put the settings under keys (key: value)",
        )
    return data


def _line_of(path: Path, needle: str) -> int | None:
    """The first line, at or after the ``defaults:`` key, that mentions ``needle``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:  # pragma: no cover - the file was just read
        return None
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("defaults")), 0)
    for number, line in enumerate(lines[start:], start=start + 1):
        if needle in line:
            return number
    return None


def _resolve_base(entry: str, naming_file: Path) -> Path:
    base_dir = naming_file.parent
    if _looks_like_path(entry):
        path = Path(entry).expanduser()
        path = path if path.is_absolute() else base_dir / path
        candidates = (
            [path] if path.suffix else [path, *(path.with_name(path.name + s) for s in YAML_SUFFIXES)]
        )
    else:
        candidates = [base_dir / f"{entry}{s}" for s in (*YAML_SUFFIXES, ".json")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    name = Path(entry).stem
    choices = list_configs(candidates[0].parent, format="json")
    raise ConfigNotFoundError(
        f"defaults entry '{entry}' not found (looked for {candidates[0]})",
        path=naming_file,
        line=_line_of(naming_file, entry),
        key="defaults",
        hint=_available_hint(name, [c for c in choices if c != naming_file.stem]),
    )


def _collect_layers(path: Path, chain: tuple[Path, ...], out: list[ConfigLayer]) -> None:
    resolved = path.resolve()
    if resolved in chain:
        names = " -> ".join(str(p) for p in (*chain[chain.index(resolved) :], resolved))
        raise ConfigError(
            f"defaults cycle: {names}",
            path=chain[-1],
            line=_line_of(chain[-1], path.stem),
            key="defaults",
            hint="Remove one of the defaults entries that close the loop",
        )
    data = _read_mapping(resolved)
    if "defaults" not in data:
        out.append(ConfigLayer(resolved, data))
        return
    defaults = data["defaults"]
    if isinstance(defaults, str):
        entries: list[Any] = [defaults]
    elif isinstance(defaults, list):
        entries = defaults
    elif defaults is None:
        entries = []
    else:
        raise ConfigError(
            f"'defaults' must be a name, a path or a list, not a {type(defaults).__name__}",
            path=resolved,
            line=_line_of(resolved, "defaults"),
            key="defaults",
            hint="Write e.g. 'defaults: base' or 'defaults: [base, _self_]'",
        )
    bases: list[str] = []
    self_at: int | None = None
    kept: list[Any] = []
    for entry in entries:
        if entry == SELF:
            self_at = len(bases)
            kept.append(entry)
        elif isinstance(entry, str):
            bases.append(entry)
        elif isinstance(entry, dict):
            kept.append(entry)  # a Hydra config-group entry: belongs to downstream tools
        else:
            raise ConfigError(
                f"invalid defaults entry {entry!r}: expected a file name, '_self_' or a group mapping",
                path=resolved,
                line=_line_of(resolved, str(entry)),
                key="defaults",
            )
    if not bases:
        out.append(ConfigLayer(resolved, data))  # nothing of ours: leave `defaults` in place
        return
    own = {k: v for k, v in data.items() if k != "defaults"}
    if any(isinstance(e, dict) for e in kept):
        own = {"defaults": kept, **own}
    if self_at is None:
        self_at = len(bases)
    for index, entry in enumerate(bases):
        if index == self_at:
            out.append(ConfigLayer(resolved, own))
        _collect_layers(_resolve_base(entry, resolved), (*chain, resolved), out)
    if self_at == len(bases):
        out.append(ConfigLayer(resolved, own))


def config_layers(path: Path | str) -> list[ConfigLayer]:
    """The files of ``path``'s ``defaults:`` chain in merge order (lowest first), each with its own keys."""
    out: list[ConfigLayer] = []
    _collect_layers(Path(path), (), out)
    return out


def layer_label(layer_path: Path, anchor: Path) -> str:
    """The provenance label of a config file: ``config:<path relative to the chosen file's dir>``."""
    try:
        rel = os.path.relpath(layer_path, anchor.resolve().parent)
    except ValueError:  # pragma: no cover - different drives on Windows
        rel = str(layer_path)
    return f"config:{rel}"


def load_config_data(path: Path | str, recorder: ProvenanceRecorder | None = None) -> dict[str, Any]:
    """Compose ``path`` and its ``defaults:`` chain into a plain dict (the fast path of the pipeline)."""
    path = Path(path)
    result: dict[str, Any] = {}
    for layer in config_layers(path):
        record = recorder.recorder(layer_label(layer.path, path)) if recorder is not None else None
        merge_into(result, layer.data, "", record)
    return result


def load_config(path: Path | str, *, provenance: ProvenanceRecorder | None = None) -> DictConfig:
    """Load a config file with its ``defaults:`` chain; interpolations stay unresolved.

    Raises:
        ConfigNotFoundError: ``path`` or a base it names does not exist.
        ConfigError: invalid YAML (with file and line), a ``defaults`` cycle, a non-mapping config.

    """
    path = Path(path)
    if not path.is_file():
        choices = list_configs(path.parent, format="json")
        raise ConfigNotFoundError(
            f"config file not found: {path}", path=path, hint=_available_hint(path.stem, choices)
        )
    data = load_config_data(path, provenance)
    try:
        return OmegaConf.create(data)
    except OmegaConfBaseException as exc:  # e.g. a key OmegaConf cannot hold
        key = str(getattr(exc, "full_key", "") or "") or None
        raise ConfigError(f"not a valid config: {str(exc).splitlines()[0]}", path=path, key=key) from None
