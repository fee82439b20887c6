"""The Jupyter front end: magics, widgets and displays (the only layer importing IPython/ipywidgets).

``%load_ext nemo_runspec_nb`` registers the magics (:mod:`.magics`). The widgets
are importable from here; each module is imported on first access, so loading
the extension does not import ipywidgets, pandas or nemo-run::

    from nemo_runspec_nb.notebook import RecipeForm, JobMonitor, ArtifactBrowser
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .browser import ArtifactBrowser
    from .form import RecipeForm
    from .magics import RunspecMagics, load_ipython_extension
    from .monitor import JobMonitor

__all__ = ["ArtifactBrowser", "JobMonitor", "RecipeForm", "RunspecMagics", "load_ipython_extension"]

_LAZY = {
    "ArtifactBrowser": ".browser",
    "JobMonitor": ".monitor",
    "RecipeForm": ".form",
    "RunspecMagics": ".magics",
    "load_ipython_extension": ".magics",
}


def __getattr__(name: str) -> Any:
    try:
        module = importlib.import_module(_LAZY[name], __name__)
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
