"""Present a package's public names as its own (the way ``help()`` and tracebacks show them)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import types
from collections.abc import Mapping, MutableMapping
from typing import Any


def publish(namespace: MutableMapping[str, Any], *, lazy: Mapping[str, str] | None = None) -> None:
    """Set ``__module__`` of each class and function in ``namespace['__all__']`` to the package.

    Only names defined in one of the package's own private modules are re-homed, so
    ``nemo_runspec_nb.launch.JobHandle`` reads as that, not ``...launch._jobs._handle``, while a
    name a package re-exports from elsewhere keeps its home. Call it last in ``__init__``.

    ``lazy`` maps public names to the private module (relative, ``"._form"``) that defines
    them, for names whose module imports something heavy (ipywidgets, fsspec): the module
    is imported on first access of one of its names, and whenever it is imported (by that
    access or by anyone else) its names are bound on the package and re-homed like the rest.
    """
    package = str(namespace["__name__"])
    for name in namespace["__all__"]:
        _rehome(namespace.get(name), package)
    if lazy:
        module = sys.modules[package]
        module.__class__ = _LazyPackage
        by_module: dict[str, list[str]] = {}
        for name, relative in lazy.items():
            by_module.setdefault(importlib.util.resolve_name(relative, package), []).append(name)
        namespace["_lazy_names"] = dict(lazy)
        namespace["_lazy_modules"] = by_module
        for full in by_module:
            if full in sys.modules:  # imported before the package was ready
                module._bind(sys.modules[full])


def _rehome(value: Any, package: str) -> None:
    if not (inspect.isclass(value) or inspect.isfunction(value)):
        return
    home = str(getattr(value, "__module__", ""))
    if not home.startswith(package + "."):
        return
    if any(part.startswith("_") for part in home[len(package) + 1 :].split(".")):
        value.__module__ = package  # defined in a private module: present it as the package's


class _LazyPackage(types.ModuleType):
    """A package some of whose public names are defined by modules imported on first use."""

    def __getattr__(self, name: str) -> Any:
        lazy: dict[str, str] = self.__dict__.get("_lazy_names", {})
        if name not in lazy:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        self._bind(importlib.import_module(lazy[name], self.__name__))
        return self.__dict__[name]

    def __setattr__(self, name: str, value: Any) -> None:
        # The import system binds a submodule on its package once the submodule has run.
        super().__setattr__(name, value)
        if isinstance(value, types.ModuleType):
            self._bind(value)

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("__all__", ())))

    def _bind(self, module: types.ModuleType) -> None:
        names: list[str] = self.__dict__.get("_lazy_modules", {}).get(module.__name__, [])
        for name in names:
            value = getattr(module, name)
            _rehome(value, self.__name__)
            self.__dict__[name] = value
