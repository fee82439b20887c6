"""nemo-run executors from an env.toml profile.

A profile is a plain mapping (the merged env.toml profile). ``executor``
chooses the kind; the other keys map onto the executor's fields. Every key is
documented in docs/executors.md. An empty profile (or ``None``) means "run on
this machine": nemo-run's ``LocalExecutor``.

Node and GPU counts come from the profile first, then from the recipe's
``[tool.runspec.resources]``. ``gpus_per_node = "gpu"`` means "every GPU of
the node": on Slurm no GPU count is requested (the partition decides) and
torchrun counts the GPUs itself; on this machine it is the number of GPUs
present.

Building an executor does not contact any service; :func:`check_reachable`
does, and :func:`nemo_runspec_nb.launch.submit` calls it first.

Each kind is one entry in three tables: its profile keys (``_profile.PROFILE_KEYS``),
its builder (``_builders.BUILDERS``) and its reachability check (``_reachable.CHECKS``).
"""

from __future__ import annotations

from ._builders import BUILDERS, build_executor
from ._profile import (
    EXECUTORS,
    PROFILE_KEYS,
    Resources,
    executor_kind,
    local_gpu_count,
    resolve_resources,
    setup_lines,
)
from ._reachable import CHECKS, check_reachable

__all__ = [
    "BUILDERS",
    "CHECKS",
    "EXECUTORS",
    "PROFILE_KEYS",
    "Resources",
    "build_executor",
    "check_reachable",
    "executor_kind",
    "local_gpu_count",
    "resolve_resources",
    "setup_lines",
]
