"""The facade the magics, widgets and CLI call: recipes, catalogs, jobs.

Heavy dependencies (pandas, nemo_run) are imported inside the functions that
need them, so importing this module stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .spec import catalog_records, discover

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["catalog"]

CATALOG_COLUMNS = ["name", "path", "launch", "image", "nodes", "gpus_per_node", "config_dir", "configs"]


def catalog(root: str | Path = ".") -> pd.DataFrame:
    """A DataFrame with one row per recipe under ``root``.

    Columns: name, path, launch, image, nodes, gpus_per_node, config_dir,
    configs (the config names found in the config dir). Recipes that fail to
    parse are left out; ``df.attrs["errors"]`` holds their errors.
    """
    import pandas as pd

    found = discover(root)
    frame = pd.DataFrame(catalog_records(found), columns=CATALOG_COLUMNS)
    frame.attrs["errors"] = list(found.errors)
    return frame
