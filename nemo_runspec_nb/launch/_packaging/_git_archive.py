"""``packager = "git"``: the committed files at ``HEAD`` (nemo-run's ``GitArchivePackager`` semantics)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ...errors import PackagingError
from ._base import EXTRAS_DIR, LAUNCHER_NAME, TARBALL_NAME, PackagerKind, ProgressCallback, git, require_repo
from ._tarball import TarballPackager, check_symlink


@dataclass(frozen=True)
class GitPackager(TarballPackager):
    """Committed files at ``HEAD`` of the recipe's repo (``git archive``), plus a launcher.

    Uncommitted changes are not included (a warning says so); the recipe
    itself must be committed.
    """

    progress: ProgressCallback | None = None
    tarball_name: str = TARBALL_NAME
    kind: ClassVar[PackagerKind] = "git"

    def select(self, script: Path, out_dir: Path, warnings: list[str]) -> tuple[Path, list[str]]:
        """The blobs of ``HEAD``; the recipe must be one of them."""
        root = require_repo(script, self.kind)
        tree = git(root, "ls-tree", "-r", "-z", "--full-tree", "HEAD")
        if tree.returncode != 0:
            raise PackagingError(
                "the repository has no commit to package",
                path=root,
                hint='Commit the recipe first, or use packager = "code" to package the working tree',
            )
        files: list[str] = []
        for entry in tree.stdout.split(b"\0"):
            if not entry:
                continue
            meta, _, name = entry.partition(b"\t")
            mode, kind, sha = meta.split(b" ")
            rel = os.fsdecode(name)
            if kind != b"blob":
                continue  # submodules are not archived by git either
            if mode == b"120000":
                target = git(root, "cat-file", "blob", sha.decode()).stdout
                check_symlink(root, rel, os.fsdecode(target))
            files.append(rel)
        if script.relative_to(root).as_posix() not in files:
            raise PackagingError(
                "the recipe script is not committed, so git archive would not contain it",
                path=script,
                hint='Commit it, or use packager = "code" to package the working tree',
            )
        if git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip():
            warnings.append("uncommitted changes to tracked files are not in the package (git packager)")
        return root, files

    def write(
        self, root: Path, files: Sequence[str], staging: Path, extras: Sequence[str], tarball: Path
    ) -> None:
        """``git archive HEAD`` with the staged launcher (and config) added."""
        total = len(files) + len(extras)
        if self.progress:
            self.progress(0, total)
        argv = ["archive", "--format=tar.gz", f"--output={tarball}"]
        for extra in extras:
            if extra != LAUNCHER_NAME:  # the config copy, under EXTRAS_DIR/
                argv += [f"--prefix={EXTRAS_DIR}/", f"--add-file={staging / extra}", "--prefix="]
        argv += [f"--add-file={staging / LAUNCHER_NAME}", "HEAD"]
        archived = git(root, *argv)
        if archived.returncode != 0:
            raise PackagingError(f"git archive failed: {os.fsdecode(archived.stderr).strip()}", path=root)
        if self.progress:
            self.progress(total, total)
