"""nemo_runspec_nb: launch self-describing ML recipe scripts from Jupyter.

Importing this package is cheap: nemo_run, pandas, ipywidgets and wandb are
imported only when a feature that needs them is first used. Heavier public
names are resolved lazily on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import RunspecError
from .runspec import Runspec, RunspecConfig, RunspecResources, RunspecRun, discover, parse, parse_text

if TYPE_CHECKING:
    from . import artifacts, config
    from .launch import JobHandle
    from .recipe import ComposedJob, Recipe, Session, catalog, jobs

__version__ = "0.1.0"

__all__ = [
    "ComposedJob",
    "JobHandle",
    "Recipe",
    "Runspec",
    "RunspecConfig",
    "RunspecError",
    "RunspecResources",
    "RunspecRun",
    "Session",
    "__version__",
    "artifacts",
    "catalog",
    "config",
    "discover",
    "errors",
    "jobs",
    "parse",
    "parse_text",
]

# name -> (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    "catalog": (".recipe", "catalog"),
    "jobs": (".recipe", "jobs"),
    "Recipe": (".recipe", "Recipe"),
    "ComposedJob": (".recipe", "ComposedJob"),
    "Session": (".recipe", "Session"),
    "JobHandle": (".launch", "JobHandle"),
    "artifacts": (".artifacts", None),
    "config": (".config", None),
}


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nemo_runspec_nb``: register the magics (heavy imports wait for first use)."""
    from .notebook import load_ipython_extension as load

    load(ipython)


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'nemo_runspec_nb' has no attribute {name!r}") from None
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
