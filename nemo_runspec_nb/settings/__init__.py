"""Recipe-side helpers: a recipe script's typed settings (pydantic-settings).

``from nemo_runspec_nb.settings import RecipeSettings, load_config`` inside the script the job
runs; see docs/settings.md. Importing it loads pydantic (``import nemo_runspec_nb`` does not).
"""

from __future__ import annotations

from .._exports import publish as _publish
from ._argv import to_dotlist
from ._settings import RecipeSettings, load_config

__all__ = ["RecipeSettings", "load_config", "to_dotlist"]

_publish(globals())
