"""The three places where nemo-run 0.11 is corrected, and the one way they are put in place.

Each correction is a :class:`Patch`: which attribute of which nemo-run module it
replaces, and a function that makes the replacement from the original.
:func:`install` puts it in place only for the release series the patch was written
against, once per process (a replacement carries a mark, so installing again is a
no-op), under a lock; :func:`restore` puts the original back. The replacement
keeps the original as ``__wrapped__``.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUPPORTED_SERIES = "0.11"
"""The nemo-run release series this adapter is written and tested against."""

TEMPLATE_DIR = Path(__file__).parent.with_name("templates")
"""Our Slurm templates (``ray_cpu.sub.j2``: Ray on CPU-only nodes)."""

_PATCH_MARK = "__nemo_runspec_nb_patch__"
_LOCK = threading.Lock()


def supported(version: str) -> bool:
    """True when ``version`` is of :data:`SUPPORTED_SERIES`."""
    return ".".join(version.split(".")[:2]) == SUPPORTED_SERIES


@dataclass(frozen=True)
class Patch:
    """One nemo-run attribute replaced by a wrapper around it.

    ``target`` is ``"module:attr"`` or ``"module:Class.attr"``; ``wrap(original)``
    returns the replacement. ``also`` names modules that imported the original by
    name (``from x import f``): they get the replacement too, where they still hold
    the original.
    """

    target: str
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]]
    also: tuple[str, ...] = ()

    def _owner(self) -> tuple[Any, str]:
        module_name, _, path = self.target.partition(":")
        owner: Any = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        return owner, name

    def _rebind(self, old: Any, new: Any) -> None:
        owner, name = self._owner()
        setattr(owner, name, new)
        for module_name in self.also:
            module = sys.modules.get(module_name) or importlib.import_module(module_name)
            if getattr(module, name, None) is old:
                setattr(module, name, new)


def install(patch: Patch, version: str) -> bool:
    """Put ``patch`` in place for a supported ``version``; idempotent. True when it is in place."""
    if not supported(version):
        return False
    with _LOCK:
        owner, name = patch._owner()
        original = getattr(owner, name)
        if getattr(original, _PATCH_MARK, False):
            return True
        wrapper = functools.wraps(original)(patch.wrap(original))
        setattr(wrapper, _PATCH_MARK, True)
        patch._rebind(original, wrapper)
    return True


def restore(patch: Patch) -> bool:
    """Put the original back where ``patch`` is in place; True when something was restored."""
    with _LOCK:
        owner, name = patch._owner()
        current = getattr(owner, name)
        if not getattr(current, _PATCH_MARK, False):
            return False
        patch._rebind(current, current.__wrapped__)
    return True


# --------------------------------------------------------------------------- the corrections


def _accept_new_host_keys(original: Callable[..., Any]) -> Callable[..., Any]:
    def rsync(*args: Any, **kwargs: Any) -> Any:
        opts = str(kwargs.get("ssh_opts", ""))
        if kwargs.get("strict_host_keys", True) and "StrictHostKeyChecking" not in opts:
            kwargs["ssh_opts"] = f"{opts} -o StrictHostKeyChecking=accept-new".strip()
        return original(*args, **kwargs)

    return rsync


def _find_our_templates(original: Callable[..., Any]) -> Callable[..., Any]:
    def fill_template(template_name: str, variables: dict[str, Any], template_dir: str | None = None) -> Any:
        # fill_template's own default folder
        default_dir = Path(sys.modules[original.__module__].__file__ or "").with_name("templates")
        if (
            not (Path(template_dir or default_dir) / template_name).exists()
            and (TEMPLATE_DIR / template_name).exists()
        ):
            template_dir = str(TEMPLATE_DIR)
        return original(template_name, variables, template_dir=template_dir)

    return fill_template


def _allow_sourceless_main(original: Callable[..., Any]) -> Callable[..., Any]:
    def _save_jobs(self: Any) -> Any:
        try:
            return original(self)
        except OSError as exc:
            if "could not get source code" not in str(exc):
                raise
            return None

    return _save_jobs


RSYNC_HOST_KEYS = Patch(
    "nemo_run.core.tunnel.rsync:rsync",
    _accept_new_host_keys,
    also=("nemo_run.run.experiment", "nemo_run.run.ray.slurm"),
)
RAY_TEMPLATES = Patch("nemo_run.run.ray.slurm:fill_template", _find_our_templates)
MAIN_SOURCE_COPY = Patch("nemo_run.run.experiment:Experiment._save_jobs", _allow_sourceless_main)
PATCHES: tuple[Patch, ...] = (RSYNC_HOST_KEYS, RAY_TEMPLATES, MAIN_SOURCE_COPY)


def patch_rsync_host_keys(version: str) -> bool:
    """Make nemo-run's rsync accept a new SSH host key instead of failing on it.

    nemo-run 0.11 rsyncs experiment dirs to an SSH tunnel's host with strict host-key
    checking, so the first launch to a host that is not yet in ``known_hosts`` fails
    non-interactively ("Host key verification failed"). The wrapper adds
    ``-o StrictHostKeyChecking=accept-new``: new hosts are recorded, a *changed* key is still
    refused. Only for 0.11.x (the signature it wraps); idempotent. Returns True when the
    patch is in place.
    """
    return install(RSYNC_HOST_KEYS, version)


def patch_ray_templates(version: str) -> bool:
    """Let nemo-run's Slurm Ray requests use our templates by name.

    nemo-run 0.11 looks Ray sbatch templates up only in its own folder, so
    ``SlurmExecutor(ray_template="ray_cpu.sub.j2")`` would fail. The wrapper falls back to
    :data:`TEMPLATE_DIR` for a template nemo-run does not have; nemo-run's own templates are
    untouched. Only for 0.11.x; idempotent. Returns True when the patch is in place.
    """
    return install(RAY_TEMPLATES, version)


def patch_main_source_copy(version: str) -> bool:
    """Let an experiment start from a ``__main__`` that has no source file.

    nemo-run 0.11 saves the launching ``__main__``'s source next to each experiment and
    catches only ``TypeError`` from ``inspect.getsource``; from ``python -``, ``python -c``
    or a kernel whose ``__main__`` names no readable file it gets ``OSError`` and the whole
    submission fails. The wrapper lets that one error pass (the task file is written before
    it; we delete the copy anyway). Only for 0.11.x; idempotent. Returns True when in place.
    """
    return install(MAIN_SOURCE_COPY, version)
