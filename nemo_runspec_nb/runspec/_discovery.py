"""Find every recipe under a directory tree.

Only ``*.py`` files whose bytes contain ``# /// script`` are decoded and
parsed, so a large tree costs little more than listing it. Directories that
never hold recipes of the project (``.git``, virtualenvs, ``node_modules``,
caches, job directories) are not entered.

A discovery index (see :mod:`._index`) remembers, per file, its size and
mtime and what parsing it gave; a file that has not changed since is neither
read nor parsed again. Pass ``cache=False`` to bypass it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._text import read_whole
from ..errors import DiscoveryError, SpecError
from ._index import DiscoveryIndex
from ._models import Runspec
from ._parser import parse_bytes
from ._pep723 import SCRIPT_MARKER

__all__ = [
    "CONFIG_SUFFIXES",
    "SKIPPED_DIRS",
    "DiscoveryResult",
    "catalog_records",
    "config_names",
    "discover",
]

#: Directory names never entered (any name starting with "." is skipped too).
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages", "build", "dist", "htmlcov"})
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
#: The keys of each :func:`catalog_records` row, in order (the catalog's columns).
CATALOG_COLUMNS = ("name", "path", "launch", "image", "nodes", "gpus_per_node", "config_dir", "configs")


class DiscoveryResult(list[Runspec]):
    """The recipes found (a list), plus :attr:`errors` for files that failed to parse."""

    def __init__(
        self, recipes: Iterable[Runspec] = (), errors: Iterable[SpecError] = (), root: Path | None = None
    ):
        super().__init__(recipes)
        self.errors: list[SpecError] = list(errors)
        self.root = root

    def raise_errors(self) -> None:
        """Raise the collected errors: the error itself if one, else a DiscoveryError."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise DiscoveryError(self.errors, root=self.root)


def _outcome(path: str, size: int | None) -> Runspec | SpecError | None:
    """The recipe at ``path``, the error that stops it, or None for a script that is no recipe.

    Raises:
        OSError: the file cannot be read (the caller skips it).

    """
    raw = read_whole(path, size)
    if SCRIPT_MARKER not in raw:
        return None
    try:
        return parse_bytes(raw, Path(path), recipes_only=True)
    except SpecError as exc:
        return exc


def _indexed_outcome(index: DiscoveryIndex, entry: os.DirEntry[str]) -> Runspec | SpecError | None:
    """What the index remembers of an unchanged file, else the file read again (and recorded).

    Raises:
        OSError: the file cannot be stat'ed or read (the caller skips it).

    """
    path = entry.path
    stat = entry.stat()
    known = index.entries.get(path)
    if (
        known is not None
        and known[0] == stat.st_size
        and known[1] == stat.st_mtime_ns
        and known[2] == stat.st_ino
        and stat.st_mtime_ns < index.trust_before_ns
    ):
        payload = known[3]
        if payload is None:  # remembered: not a recipe
            index.kept[path] = known
            return None
        remembered = index.decode(path, payload)
        if remembered is not None:
            index.kept[path] = known
            return remembered
    outcome = _outcome(path, stat.st_size)
    index.record(path, stat, outcome)
    return outcome


def _python_files(root: str) -> Iterable[os.DirEntry[str]]:
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        if any(e.name == "pyvenv.cfg" for e in entries):
            continue  # a virtualenv
        for entry in entries:
            name = entry.name
            if name.endswith(".py"):
                if entry.is_file():
                    yield entry
            elif entry.is_dir(follow_symlinks=False) and name[0] != "." and name not in SKIPPED_DIRS:
                stack.append(entry.path)


def discover(
    root: str | Path = ".",
    *,
    raise_errors: bool = False,
    cache: bool | str | Path = True,
) -> DiscoveryResult:
    """Every recipe under ``root``, sorted by name then path.

    A recipe that fails to parse does not stop the search: its
    :class:`SpecError` is collected in ``result.errors``. With
    ``raise_errors=True`` they are raised after the walk instead.

    ``cache`` is True for the default index location
    (``$NEMOTRON_CACHE_DIR`` or ``~/.cache/nemo_runspec_nb``), a directory
    to keep the index in, or False to read and parse every candidate.
    """
    base = Path(root)
    if not base.exists():
        raise FileNotFoundError(f"{base}: no such directory to discover recipes in")
    if base.is_file():
        found = parse_bytes(base.read_bytes(), base)
        return DiscoveryResult([found] if found else [], root=base)
    recipes: list[Runspec] = []
    errors: list[SpecError] = []
    outcome: Runspec | SpecError | None
    absolute = base.absolute()
    index = DiscoveryIndex.open(absolute, cache) if cache is not False else None
    for entry in _python_files(str(absolute)):
        try:
            if index is None:  # nothing to remember: no stat, just read
                outcome = _outcome(entry.path, None)
            else:
                outcome = _indexed_outcome(index, entry)
        except OSError:
            continue
        if isinstance(outcome, Runspec):
            recipes.append(outcome)
        elif isinstance(outcome, SpecError):
            errors.append(outcome)
    if index is not None:
        index.save()
    recipes.sort(key=lambda s: (s.name, str(s.script_path)))
    errors.sort(key=lambda e: str(e.path))
    result = DiscoveryResult(recipes, errors, root=base)
    if raise_errors:
        result.raise_errors()
    return result


def config_names(spec: Runspec) -> list[str]:
    """Names (without suffix) of the configs in the recipe's config dir, sorted."""
    folder = spec.config_dir
    try:
        with os.scandir(folder) as it:
            names = {e.name.rsplit(".", 1)[0] for e in it if e.name.endswith(CONFIG_SUFFIXES) and e.is_file()}
    except OSError:
        return []
    return sorted(names)


def catalog_records(recipes: Iterable[Runspec]) -> list[dict[str, Any]]:
    """One plain dict per recipe: the rows of the catalog table."""
    return [
        {
            "name": spec.name,
            "path": str(spec.script_path),
            "launch": spec.run.launch,
            "image": spec.image,
            "nodes": spec.resources.nodes,
            "gpus_per_node": spec.resources.gpus_per_node,
            "config_dir": str(spec.config_dir),
            "configs": config_names(spec),
        }
        for spec in recipes
    ]
