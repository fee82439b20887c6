"""``packager = "pattern"``: the files matching the profile's globs, plus the recipe."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar

from ...errors import ProfileError
from ._base import TARBALL_NAME, PackagerKind, ProgressCallback, repo_root
from ._tarball import TarballPackager, working_tree_files


@dataclass(frozen=True)
class PatternPackager(TarballPackager):
    """Files matching ``patterns`` (globs, ``**`` allowed) plus the recipe, in a tar.gz.

    Globs are relative to the repo root, or to the recipe's directory when it
    is not in a git repo. ``.git`` is never included; symlinks must stay
    inside that root.
    """

    patterns: tuple[str, ...]
    progress: ProgressCallback | None = None
    tarball_name: str = TARBALL_NAME
    kind: ClassVar[PackagerKind] = "pattern"

    def select(self, script: Path, out_dir: Path, warnings: list[str]) -> tuple[Path, list[str]]:
        """The recipe and every file a pattern matches."""
        root = repo_root(script.parent) or script.parent
        found: set[str] = {script.relative_to(root).as_posix()}
        for pattern in self.patterns:
            if posixpath.isabs(pattern) or ".." in PurePosixPath(pattern).parts:
                raise ProfileError(
                    f"packager pattern {pattern!r} must stay inside {root}",
                    key="packager_patterns",
                    hint="Use a glob relative to the repository root",
                )
            for match in root.glob(pattern):
                rel = match.relative_to(root)
                if rel.parts and rel.parts[0] == ".git":
                    continue
                if match.is_symlink() or match.is_file():
                    found.add(rel.as_posix())
        return root, working_tree_files(root, sorted(found), out_dir, (), warnings)
