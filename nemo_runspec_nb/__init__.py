"""nemo_runspec_nb: launch self-describing ML recipe scripts from Jupyter.

Importing this package is cheap: nemo_run, pandas, ipywidgets and wandb are
imported only when a feature that needs them is first used.
"""

from __future__ import annotations

__version__ = "0.1.0"
