"""Each package's public namespace is exactly its ``__all__``, and every public name lives there.

The namespace is derived from ``vars()`` after every submodule has been imported, so a public
implementation module (which Python binds on its package when imported) or a stray helper shows up.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types
from collections.abc import Iterable

import pytest

import nemo_runspec_nb

PACKAGES = [
    "nemo_runspec_nb.artifacts",
    "nemo_runspec_nb.cli",
    "nemo_runspec_nb.config",
    "nemo_runspec_nb.launch",
    "nemo_runspec_nb.notebook",
    "nemo_runspec_nb.runspec",
    "nemo_runspec_nb.settings",
]
#: Public modules (not packages): their ``__all__`` is pinned by their own tests.
MODULES = ["nemo_runspec_nb.errors", "nemo_runspec_nb.testing"]


def _import_everything() -> None:
    for info in pkgutil.walk_packages(nemo_runspec_nb.__path__, "nemo_runspec_nb."):
        importlib.import_module(info.name)


def _public_namespace(module: types.ModuleType) -> set[str]:
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_") or name == "annotations":  # from __future__ import annotations
            continue
        if isinstance(value, types.ModuleType) and value.__name__ in PACKAGES + MODULES:
            continue  # a curated subpackage is reached as an attribute, tested on its own
        names.add(name)
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_namespace_is_exactly_all(package: str):
    _import_everything()
    module = importlib.import_module(package)
    assert sorted(_public_namespace(module) - set(module.__all__)) == [], "public but not in __all__"
    assert sorted(set(module.__all__) - set(vars(module))) == [], "in __all__ but not defined"


def _leaking(module: types.ModuleType, names: Iterable[str]) -> list[str]:
    """The classes and functions among ``names`` whose ``__module__`` is a private module."""
    leaking = []
    for name in names:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            home = value.__module__
            if any(part.startswith("_") for part in home.split(".")):
                leaking.append(f"{name} ({home})")
    return leaking


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_do_not_point_into_private_modules(package: str):
    module = importlib.import_module(package)
    assert _leaking(module, module.__all__) == []


def test_no_module_is_shadowed_by_a_function_of_its_own_name():
    _import_everything()
    shadowed = []
    for info in pkgutil.walk_packages(nemo_runspec_nb.__path__, "nemo_runspec_nb."):
        parent_name, _, leaf = info.name.rpartition(".")
        parent = importlib.import_module(parent_name)
        if not isinstance(vars(parent).get(leaf), types.ModuleType):
            shadowed.append(info.name)
    assert shadowed == [], "import a.b as m gives a function, not the module"


#: Not API but a protocol: ``%load_ext nemo_runspec_nb`` looks the hook up by this name.
EXTENSION_HOOKS = {"load_ipython_extension"}


def _top_level_namespace() -> set[str]:
    """The top-level names: those bound now plus those resolved lazily on first access."""
    return (_public_namespace(nemo_runspec_nb) | set(nemo_runspec_nb._LAZY)) - EXTENSION_HOOKS


def test_top_level_namespace_is_exactly_all():
    _import_everything()
    exported = set(nemo_runspec_nb.__all__)
    assert sorted(_top_level_namespace() - exported) == [], "public but not in __all__"
    lazy = set(nemo_runspec_nb._LAZY)
    assert sorted(exported - set(vars(nemo_runspec_nb)) - lazy) == [], "in __all__ but not defined"


def test_top_level_lazy_names_do_not_point_into_private_modules():
    assert _leaking(nemo_runspec_nb, nemo_runspec_nb._LAZY) == []
