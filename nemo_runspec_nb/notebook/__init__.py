"""The Jupyter front end: magics, widgets and displays (the only layer importing IPython/ipywidgets).

``%load_ext nemo_runspec_nb`` registers the magics (:class:`RunspecMagics`). The widgets
are importable from here; each module is imported on first access, so loading
the extension does not import ipywidgets, pandas or nemo-run::

    from nemo_runspec_nb.notebook import RecipeForm, JobMonitor, ArtifactBrowser
"""

from __future__ import annotations

import typing as _typing

from .._exports import publish as _publish

if _typing.TYPE_CHECKING:
    from ._browser import ArtifactBrowser
    from ._form import RecipeForm
    from ._magics import RunspecMagics, load_ipython_extension
    from ._monitor import JobMonitor

__all__ = ["ArtifactBrowser", "JobMonitor", "RecipeForm", "RunspecMagics", "load_ipython_extension"]

_publish(
    globals(),
    lazy={
        "ArtifactBrowser": "._browser",
        "JobMonitor": "._monitor",
        "RecipeForm": "._form",
        "RunspecMagics": "._magics",
        "load_ipython_extension": "._magics",
    },
)
