"""``packager = "code"``: the recipe's repo as its working tree looks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ...errors import PackagingError
from ._base import TARBALL_NAME, PackagerKind, ProgressCallback, git, require_repo, split_z
from ._tarball import TarballPackager, working_tree_files


@dataclass(frozen=True)
class CodePackager(TarballPackager):
    """The repo holding the recipe, as its working tree looks, in a tar.gz with a launcher.

    Files: ``git ls-files -co --exclude-standard`` (tracked plus untracked but
    not ignored), minus tracked files deleted from the working tree, minus
    anything under ``exclude_dirs`` (default: any ``.nemotron`` directory,
    where job directories live) or under ``out_dir``. Symlinks are archived as
    links and must stay inside the repo; submodules are not descended into.
    """

    kind: ClassVar[PackagerKind] = "code"
    progress: ProgressCallback | None = None
    tarball_name: str = TARBALL_NAME
    exclude_dirs: tuple[str, ...] = (".nemotron",)

    def select(self, script: Path, out_dir: Path, warnings: list[str]) -> tuple[Path, list[str]]:
        """The files ``git ls-files`` lists for the working tree (see the class doc)."""
        root = require_repo(script, self.kind)
        listed = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        if listed.returncode != 0:
            raise PackagingError(f"git ls-files failed: {os.fsdecode(listed.stderr).strip()}", path=root)
        files = working_tree_files(root, split_z(listed.stdout), out_dir, self.exclude_dirs, warnings)
        if script.relative_to(root).as_posix() not in files:
            raise PackagingError(
                "the recipe script is ignored by git, so the package would not contain it",
                path=script,
                hint='Un-ignore it, or use packager = "self_contained"',
            )
        return root, files
