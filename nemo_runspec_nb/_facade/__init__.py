"""The facade the magics, widgets and CLI call: Recipe -> ComposedJob -> JobHandle.

::

    session = Session()                       # env.toml, project dir, artifact registry
    recipe = Recipe("recipes/train/train.py", session=session)
    job = recipe.compose(config="tiny", overrides=["model.lr=0.1"], profile="local-slurm", mode="batch")
    job.preview()                             # job.yaml, train.yaml, command or sbatch, env (redacted)
    handle = job.launch()                     # returns at once; handle.status(), .logs(), .wait()

Users reach these names from the top-level package (``nemo_runspec_nb.Recipe``), which imports
this package on first use; ``cli/`` and ``notebook/`` import it directly. Heavy dependencies
(pandas, omegaconf, fsspec, nemo_run) are imported inside the functions that need them. State
(env file, registry) lives on a :class:`Session`, never in module globals.
"""

from __future__ import annotations

from .._exports import publish as _publish
from ..runspec import CATALOG_COLUMNS
from ._composed import ComposedJob
from ._preview import PER_NODE_COMMAND, Preview
from ._recipe import MODES, Recipe, catalog
from ._session import Session, jobs

__all__ = [
    "CATALOG_COLUMNS",
    "MODES",
    "PER_NODE_COMMAND",
    "TOP_LEVEL",
    "ComposedJob",
    "Preview",
    "Recipe",
    "Session",
    "catalog",
    "jobs",
]

#: The names ``nemo_runspec_nb`` re-exports; they read as ``nemo_runspec_nb.Recipe`` (and pickle so).
TOP_LEVEL = ("ComposedJob", "Recipe", "Session", "catalog", "jobs")

_publish({"__name__": "nemo_runspec_nb", "__all__": TOP_LEVEL, **{n: globals()[n] for n in TOP_LEVEL}})
