"""nemo_runspec_nb: launch self-describing ML recipe scripts from Jupyter.

Importing this package is cheap: nemo_run, pandas, ipywidgets and wandb are
imported only when a feature that needs them is first used. Heavier public
names are resolved lazily on first access.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from . import errors
from .errors import RunspecError
from .runspec import Runspec, RunspecConfig, RunspecResources, RunspecRun, discover, parse, parse_text

if _typing.TYPE_CHECKING:  # the namespace holds the public names only (tests/unit/test_exports.py)
    from typing import Any

    from . import artifacts, config
    from ._facade import ComposedJob, Recipe, Session, catalog, jobs
    from .launch import JobHandle

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

# name -> (module, attribute or None for the module itself). The facade's names read as
# ``nemo_runspec_nb.<name>``: ``_facade`` sets their ``__module__`` when it is imported.
_LAZY: dict[str, tuple[str, str | None]] = {
    "catalog": ("._facade", "catalog"),
    "jobs": ("._facade", "jobs"),
    "Recipe": ("._facade", "Recipe"),
    "ComposedJob": ("._facade", "ComposedJob"),
    "Session": ("._facade", "Session"),
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
    module = _importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
