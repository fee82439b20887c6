"""The ``run`` section seen from train.yaml: artifact refs in it, and ``${run.*}`` substituted from it.

``run: {data: tiny-data:latest}`` names an artifact that ``${art:data,path}``
reads (:func:`is_artifact_reference` tells such refs from images and paths).
When the ``run`` section is dropped (train.yaml), :func:`resolve_run_interpolations`
substitutes the ``${run.*}`` references from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["is_artifact_reference", "resolve_run_interpolations"]

_ARTIFACT_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*:(latest|v?\d+|[A-Za-z][A-Za-z0-9_\-]*)$")


def is_artifact_reference(value: Any) -> bool:
    """True for strings shaped like an artifact ref: ``name:latest``, ``name:v3``, ``name:3``, ``name:ALIAS``.

    Container images (``nvcr.io/...:tag``), URLs and paths are not refs; legacy
    names containing ``Artifact`` (``DataBlendsArtifact-pretrain``) are.
    """
    if not isinstance(value, str) or "/" in value or "${" in value:
        return False
    if _ARTIFACT_REF.match(value):
        return True
    return "Artifact" in value and " " not in value and "." not in value


# -- ${run.*} ---------------------------------------------------------------------------

_RUN_REF = re.compile(r"\$\{run\.([A-Za-z0-9_.\-]+)\}")
_MISSING: Any = object()


def _lookup_run(run: Mapping[str, Any], dotted: str) -> Any:
    node: Any = run
    for part in dotted.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def resolve_run_interpolations(obj: Any, run: Mapping[str, Any]) -> Any:
    """Substitute ``${run.X.Y}`` in a plain tree from the ``run`` mapping; other interpolations stay.

    A value that is exactly one ``${run.*}`` keeps the referenced value's type;
    references that do not resolve are left as written.
    """
    if isinstance(obj, Mapping):
        return {k: resolve_run_interpolations(v, run) for k, v in obj.items()}
    if isinstance(obj, list):
        return [resolve_run_interpolations(v, run) for v in obj]
    if not isinstance(obj, str) or "${run." not in obj:
        return obj
    whole = _RUN_REF.fullmatch(obj)
    if whole:
        value = _lookup_run(run, whole.group(1))
        return obj if value is _MISSING else value

    def _substitute(match: re.Match[str]) -> str:
        value = _lookup_run(run, match.group(1))
        if value is _MISSING:
            return match.group(0)
        return "" if value is None else str(value)

    return _RUN_REF.sub(_substitute, obj)
