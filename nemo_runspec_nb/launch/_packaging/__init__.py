"""Package a recipe's code for a job: a tarball of its repo, or one self-contained script.

Every packager turns ``(script, out_dir)`` into a :class:`PackagedCode`: plain
data (tarball path, file list, launcher command) that the nemo-run adapter
wraps into whatever nemo-run needs. Nothing here imports nemo_run.

=================  ==========================================================
``packager``       what the job receives
=================  ==========================================================
``"code"``         :class:`CodePackager`: the files git tracks plus untracked
                   files git does not ignore (the working tree as you see it),
                   of the repo holding the recipe, as ``code.tar.gz``
``"git"``          :class:`GitPackager`: committed files at ``HEAD`` only
                   (nemo-run's ``GitArchivePackager`` semantics)
``"pattern"``      :class:`PatternPackager`: files matching the globs in
                   ``packager_patterns``
``"self_contained"`` :class:`SelfContainedPackager`: the script with its
                   in-repo imports inlined, plus its config, in a directory
``"none"``         :class:`PassThroughPackager`: nothing is copied; the job
                   runs the script where it is
=================  ==========================================================

Tarballs carry a small launcher, :data:`LAUNCHER_NAME`, at their root; the
command ``sh runspec_launch.sh ARGS`` run from the unpacked directory puts
that directory on ``PYTHONPATH`` and runs the recipe with
``$RUNSPEC_LAUNCHER`` (default ``python``; set it to e.g.
``torchrun --nproc-per-node=8`` to change how the script is started).

One module per packager kind; ``_tarball`` holds what the tarball kinds share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ...errors import ProfileError, did_you_mean
from ._base import (
    LAUNCHER_NAME,
    PACKAGER_KINDS,
    TARBALL_NAME,
    PackagedCode,
    Packager,
    PackagerKind,
    ProgressCallback,
)
from ._git_archive import GitPackager
from ._inline import SelfContainedPackager
from ._passthrough import PassThroughPackager
from ._pattern import PatternPackager
from ._worktree import CodePackager

__all__ = [
    "LAUNCHER_NAME",
    "PACKAGER_KINDS",
    "TARBALL_NAME",
    "CodePackager",
    "GitPackager",
    "PackagedCode",
    "Packager",
    "PackagerKind",
    "PassThroughPackager",
    "PatternPackager",
    "ProgressCallback",
    "SelfContainedPackager",
    "make_packager",
]


def _patterns(profile: Mapping[str, object]) -> tuple[str, ...]:
    patterns = profile.get("packager_patterns")
    if isinstance(patterns, str):
        patterns = [patterns]
    if (
        not isinstance(patterns, Sequence)
        or not patterns
        or not all(isinstance(p, str) and p for p in patterns)
    ):
        raise ProfileError(
            'packager = "pattern" needs packager_patterns, a non-empty list of globs',
            key="packager_patterns",
            hint='e.g. packager_patterns = ["recipes/**/*.py", "configs/*.yaml"]',
        )
    return tuple(patterns)


_MAKERS: Mapping[str, Callable[[Mapping[str, object], ProgressCallback | None], Packager]] = {
    "code": lambda _profile, progress: CodePackager(progress=progress),
    "git": lambda _profile, progress: GitPackager(progress=progress),
    "pattern": lambda profile, progress: PatternPackager(_patterns(profile), progress=progress),
    "self_contained": lambda _profile, _progress: SelfContainedPackager(),
    "none": lambda _profile, _progress: PassThroughPackager(),
}
"""How each ``packager`` kind is built from the profile (one entry a kind)."""


def make_packager(profile: Mapping[str, object], *, progress: ProgressCallback | None = None) -> Packager:
    """The packager an env.toml profile asks for with ``packager = "..."``.

    Without a ``packager`` key, a local profile (``executor`` missing or
    ``"local"``) gets ``"none"`` (the job runs the script in place) and every
    other executor gets ``"code"``. ``"pattern"`` needs ``packager_patterns``,
    a list of globs relative to the repo root (or the recipe's directory
    outside a repo).
    """
    kind = profile.get("packager")
    if kind is None:
        kind = "none" if profile.get("executor", "local") == "local" else "code"
    if not isinstance(kind, str) or kind not in _MAKERS:
        choices = f"Choose one of: {', '.join(PACKAGER_KINDS)}"
        hint = f"{did_you_mean(str(kind), PACKAGER_KINDS)} {choices}".strip()
        raise ProfileError(f"unknown packager {kind!r}", key="packager", hint=hint)
    return _MAKERS[kind](profile, progress)
