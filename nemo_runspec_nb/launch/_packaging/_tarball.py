"""The tar.gz every repo packager writes: file selection, the launcher, ``tar`` with progress.

:class:`TarballPackager` holds the one ``package()`` of the ``"code"``,
``"pattern"`` and ``"git"`` packagers: each says which files of which root go
in (``select``) and may say how the archive is written (``write``; default:
``tar``); staging the launcher and config, and describing the result, happen
here once.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from ...errors import PackagingError
from ._base import (
    EXTRAS_DIR,
    LAUNCHER_NAME,
    PackagedCode,
    PackagerKind,
    ProgressCallback,
    check_config,
    check_script,
)

_OUTSIDE_HINT = "Copy the target into the repository, or ignore the link in .gitignore"


class TarballPackager:
    """Shared ``package()`` of the packagers that write ``out_dir/<tarball_name>`` with a launcher."""

    kind: ClassVar[PackagerKind]
    progress: ProgressCallback | None
    tarball_name: str

    def select(self, script: Path, out_dir: Path, warnings: list[str]) -> tuple[Path, list[str]]:
        """``(root, files relative to root)`` that go into the package; may add ``warnings``."""
        raise NotImplementedError

    def write(
        self, root: Path, files: Sequence[str], staging: Path, extras: Sequence[str], tarball: Path
    ) -> None:
        """Write ``tarball`` from ``files`` of ``root`` plus the staged ``extras``."""
        tar(root, files, staging, extras, tarball, self.progress)

    def package(
        self, script: Path, out_dir: Path, *, config: Path | None = None, args: Sequence[str] = ()
    ) -> PackagedCode:
        """Write ``out_dir/code.tar.gz`` and describe it."""
        script = check_script(script)
        warnings: list[str] = []
        out_dir = Path(out_dir)
        root, files = self.select(script, out_dir, warnings)
        entrypoint = script.relative_to(root).as_posix()
        out_dir.mkdir(parents=True, exist_ok=True)
        tarball = out_dir / self.tarball_name
        staging = Path(tempfile.mkdtemp(prefix=".runspec-staging-", dir=out_dir))
        try:
            extras, config_arc = stage_extras(staging, entrypoint, config)
            self.write(root, files, staging, extras, tarball)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return PackagedCode(
            kind=self.kind,
            root=root,
            entrypoint=entrypoint,
            command=("sh", LAUNCHER_NAME, *args),
            files=(*files, *extras),
            tarball=tarball,
            config=config_arc,
            warnings=tuple(warnings),
        )


def check_symlink(root: Path, rel: str, target: str) -> None:
    """Refuse a link that would point outside ``root`` once unpacked elsewhere."""
    if posixpath.isabs(target):
        raise PackagingError(
            f"symlink {rel!r} points to the absolute path {target!r}",
            path=root / rel,
            hint="Make it a relative link inside the repository, or ignore it in .gitignore",
        )
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    if resolved == ".." or resolved.startswith("../"):
        raise PackagingError(
            f"symlink {rel!r} points outside the repository (to {target!r})",
            path=root / rel,
            hint=_OUTSIDE_HINT,
        )


def _launcher_text(entrypoint: str) -> str:
    quoted = "'" + entrypoint.replace("'", "'\"'\"'") + "'"
    return (
        "#!/bin/sh\n"
        "# Written by nemo_runspec_nb: runs the recipe from the unpacked package.\n"
        "# RUNSPEC_LAUNCHER picks the program (default: python), e.g. 'torchrun --nproc-per-node=8'.\n"
        'cd "$(dirname "$0")" || exit 1\n'
        'export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"\n'
        f'exec ${{RUNSPEC_LAUNCHER:-python}} {quoted} "$@"\n'
    )


def stage_extras(staging: Path, entrypoint: str, config: Path | None) -> tuple[list[str], str | None]:
    """Write the launcher (and a copy of ``config``) into ``staging``; return their arc names."""
    launcher = staging / LAUNCHER_NAME
    launcher.write_text(_launcher_text(entrypoint), encoding="utf-8")
    launcher.chmod(0o755)
    names = [LAUNCHER_NAME]
    config_arc = None
    if config is not None:
        config = check_config(config)
        config_arc = f"{EXTRAS_DIR}/{config.name}"
        (staging / EXTRAS_DIR).mkdir()
        shutil.copyfile(config, staging / config_arc)
        names.append(config_arc)
    return names, config_arc


def tar(
    root: Path,
    files: Sequence[str],
    staging: Path,
    extras: Sequence[str],
    tarball: Path,
    progress: ProgressCallback | None,
) -> None:
    """``tar czf`` the ``files`` of ``root`` plus the staged ``extras``, reporting progress."""
    listing = staging.parent / (staging.name + ".list")
    listing.write_bytes(b"".join(os.fsencode(f) + b"\0" for f in files))
    total = len(files) + len(extras)
    argv = [
        "tar",
        "--create",
        "--gzip",
        f"--file={tarball}",
        "--no-recursion",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        f"--directory={root}",
        "--null",
        "--verbatim-files-from",
        f"--files-from={listing}",
        f"--directory={staging}",
        "--",
        *extras,
    ]
    env = {**os.environ, "LC_ALL": "C"}
    try:
        if progress is None:
            proc = subprocess.run(argv, capture_output=True, env=env, check=False)
            returncode, stderr = proc.returncode, proc.stderr
        else:
            returncode, stderr = _tar_with_progress(argv, env, total, progress)
    finally:
        listing.unlink(missing_ok=True)
    # tar exits 1 when a file changed while it was read: the archive is complete.
    if returncode not in (0, 1):
        tail = os.fsdecode(stderr).strip().splitlines()[-3:]
        raise PackagingError(f"tar failed with exit code {returncode}: {' / '.join(tail)}", path=tarball)


def _tar_with_progress(
    argv: list[str], env: dict[str, str], total: int, progress: ProgressCallback
) -> tuple[int, bytes]:
    step = max(1, total // 100)
    progress(0, total)
    with tempfile.TemporaryFile() as err:
        verbose = [*argv[:1], "--verbose", *argv[1:]]
        with subprocess.Popen(verbose, stdout=subprocess.PIPE, stderr=err, env=env) as proc:
            assert proc.stdout is not None
            for done, _ in enumerate(proc.stdout, start=1):  # one line per archived member
                if done % step == 0 and done < total:
                    progress(done, total)
        returncode = proc.returncode
        err.seek(0)
        stderr = err.read()
    progress(total, total)
    return returncode, stderr


def working_tree_files(
    root: Path, candidates: Sequence[str], out_dir: Path, exclude_dirs: Sequence[str], warnings: list[str]
) -> list[str]:
    """Drop missing files, excluded dirs and our launcher's name from ``candidates``.

    Symlinks that escape ``root`` are refused; a repository's own :data:`LAUNCHER_NAME`
    is left out (the package has its own), with a warning.
    """
    skip_prefixes = tuple(d.rstrip("/") + "/" for d in exclude_dirs)
    try:
        out_rel = Path(out_dir).resolve().relative_to(root).as_posix() + "/"
    except ValueError:
        out_rel = None
    if out_rel is not None and out_rel != "./":
        skip_prefixes += (out_rel,)
    excluded = {d.rstrip("/") for d in exclude_dirs}
    kept: list[str] = []
    seen: set[str] = set()
    missing = 0
    for rel in candidates:
        if rel in seen or rel.startswith(skip_prefixes) or excluded.intersection(rel.split("/")):
            continue
        seen.add(rel)
        full = f"{root}/{rel}"  # plain strings: this loop runs once per file of the repo
        try:
            mode = os.lstat(full).st_mode
        except FileNotFoundError:
            missing += 1
            continue
        if stat.S_ISLNK(mode):
            check_symlink(root, rel, str(Path(full).readlink()))
            real = os.path.realpath(full)
            if os.path.commonpath([real, str(root)]) != str(root):
                raise PackagingError(
                    f"symlink {rel!r} resolves outside the repository (to {real!r})",
                    path=full,
                    hint=_OUTSIDE_HINT,
                )
        kept.append(rel)
    if missing:
        warnings.append(f"{missing} tracked file(s) deleted from the working tree were left out")
    if LAUNCHER_NAME in kept:
        kept.remove(LAUNCHER_NAME)
        warnings.append(f"the repository's own {LAUNCHER_NAME} was left out: the package has its own")
    return kept
