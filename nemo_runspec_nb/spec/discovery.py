"""Find every recipe under a directory tree.

Only ``*.py`` files whose bytes contain ``# /// script`` are decoded and
parsed, so a large tree costs little more than listing it. Directories that
never hold recipes of the project (``.git``, virtualenvs, ``node_modules``,
caches, job directories) are not entered.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import DiscoveryError, SpecError
from ._pep723 import SCRIPT_MARKER
from .models import Runspec
from .parser import parse_bytes

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


def _python_files(root: str) -> Iterable[str]:
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
                    yield entry.path
            elif entry.is_dir(follow_symlinks=False) and name[0] != "." and name not in SKIPPED_DIRS:
                stack.append(entry.path)


def discover(root: str | Path = ".", *, raise_errors: bool = False) -> DiscoveryResult:
    """Every recipe under ``root``, sorted by name then path.

    A recipe that fails to parse does not stop the search: its
    :class:`SpecError` is collected in ``result.errors``. With
    ``raise_errors=True`` they are raised after the walk instead.
    """
    base = Path(root)
    if not base.exists():
        raise FileNotFoundError(f"{base}: no such directory to discover recipes in")
    if base.is_file():
        found = parse_bytes(base.read_bytes(), base)
        return DiscoveryResult([found] if found else [], root=base)
    recipes: list[Runspec] = []
    errors: list[SpecError] = []
    for path in _python_files(str(base.absolute())):
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError:
            continue
        if SCRIPT_MARKER not in raw:
            continue
        try:
            spec = parse_bytes(raw, Path(path), recipes_only=True)
        except SpecError as exc:
            errors.append(exc)
            continue
        if spec is not None:
            recipes.append(spec)
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
