"""Recipe self-description: PEP 723 ``[tool.runspec]`` parsing, models, discovery.

Standard library only (plus tomli on Python < 3.11), so any tool can read
recipes without the rest of the stack.
"""

from __future__ import annotations

from .._exports import publish as _publish
from ._discovery import CATALOG_COLUMNS, DiscoveryResult, catalog_records, config_names, discover
from ._models import DEFAULT_CMD, Runspec, RunspecConfig, RunspecResources, RunspecRun
from ._parser import SUPPORTED_SCHEMAS, parse, parse_bytes, parse_text
from ._pep723 import Block, find_blocks, script_block

__all__ = [
    "CATALOG_COLUMNS",
    "DEFAULT_CMD",
    "SUPPORTED_SCHEMAS",
    "Block",
    "DiscoveryResult",
    "Runspec",
    "RunspecConfig",
    "RunspecResources",
    "RunspecRun",
    "catalog_records",
    "config_names",
    "discover",
    "find_blocks",
    "parse",
    "parse_bytes",
    "parse_text",
    "script_block",
]

_publish(globals())
