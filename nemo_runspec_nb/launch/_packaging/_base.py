"""What every packager shares: the result type, the protocol, and finding the recipe's repo."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal, Protocol, get_args

from ...errors import PackagingError

PackagerKind = Literal["code", "self_contained", "git", "pattern", "none"]
PACKAGER_KINDS: tuple[str, ...] = get_args(PackagerKind)
ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: files written so far out of all files to write."""

LAUNCHER_NAME = "runspec_launch.sh"
TARBALL_NAME = "code.tar.gz"
"""Default tarball file name; nemo-run names it ``<name>.tar.gz`` (set ``tarball_name``)."""
EXTRAS_DIR = "_runspec"
"""Directory inside a tarball that holds the config file passed to ``package()``."""

NOT_A_REPO_HINT = 'Use packager = "self_contained" or "none" in the profile for a recipe outside a git repo'


@dataclass(frozen=True)
class PackagedCode:
    """What a packager produced; the adapter turns it into a nemo-run packager and command.

    ``command`` is run from the directory the package is unpacked into (for
    ``"none"``, from anywhere: it holds absolute paths). ``files`` are paths
    relative to ``root`` as they appear in the package, launcher and config
    included. ``config`` is the config file's path inside the package.
    """

    kind: PackagerKind
    root: Path
    entrypoint: str
    command: tuple[str, ...]
    files: tuple[str, ...] = ()
    tarball: Path | None = None
    config: str | None = None
    warnings: tuple[str, ...] = ()


class Packager(Protocol):
    """Anything with ``package(script, out_dir, config=..., args=...) -> PackagedCode``."""

    kind: ClassVar[PackagerKind]

    def package(
        self, script: Path, out_dir: Path, *, config: Path | None = None, args: Sequence[str] = ()
    ) -> PackagedCode:
        """Package ``script`` (and ``config``) into ``out_dir``."""
        ...


def check_script(script: Path) -> Path:
    """``script`` made absolute; PackagingError when it is not a file."""
    script = Path(script).resolve()
    if not script.is_file():
        raise PackagingError("recipe script not found", path=script)
    return script


def check_config(config: Path) -> Path:
    """``config`` as a Path; PackagingError when it is not a file."""
    config = Path(config)
    if not config.is_file():
        raise PackagingError("config file not found", path=config)
    return config


# --------------------------------------------------------------------------- git


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``cwd``, output captured, never raising on a non-zero exit."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise PackagingError("git is not installed", hint=NOT_A_REPO_HINT) from None


def find_repo(directory: Path) -> tuple[Path | None, str]:
    """``(repo root, "")``, or ``(None, git's complaint)`` when ``directory`` is in no usable repo."""
    result = git(directory, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        return None, os.fsdecode(result.stderr).strip()
    return Path(os.fsdecode(result.stdout.rstrip(b"\n"))).resolve(), ""


def repo_root(directory: Path) -> Path | None:
    """The root of the git repo holding ``directory``, or None."""
    return find_repo(directory)[0]


def require_repo(script: Path, kind: str) -> Path:
    """The repo root of ``script``; PackagingError (saying why) when there is none."""
    root, complaint = find_repo(script.parent)
    if root is None:
        if complaint and "not a git repository" not in complaint:  # e.g. "dubious ownership"
            raise PackagingError(
                f'packager "{kind}": git cannot read the repository: {complaint}', path=script
            )
        raise PackagingError(
            f'packager "{kind}" needs the recipe to be inside a git repository',
            path=script,
            hint=NOT_A_REPO_HINT,
        )
    return root


def split_z(output: bytes) -> list[str]:
    """The paths of NUL-separated git output (``-z``)."""
    return [os.fsdecode(p) for p in output.split(b"\0") if p]
