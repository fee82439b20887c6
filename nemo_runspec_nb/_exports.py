"""Present a package's public names as its own (the way ``help()`` and tracebacks show them)."""

from __future__ import annotations

import inspect
from collections.abc import MutableMapping
from typing import Any


def publish(namespace: MutableMapping[str, Any]) -> None:
    """Set ``__module__`` of each class and function in ``namespace['__all__']`` to the package.

    Only names defined in one of the package's own private modules are re-homed, so
    ``nemo_runspec_nb.launch.JobHandle`` reads as that, not ``...launch._jobs._handle``, while a
    name a package re-exports from elsewhere keeps its home. Call it last in ``__init__``.
    """
    package = str(namespace["__name__"])
    for name in namespace["__all__"]:
        value = namespace.get(name)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        home = str(getattr(value, "__module__", ""))
        if home.startswith(package + "."):
            value.__module__ = package
